"""The indicator catalogue: one definition per indicator. New sources add rows here and a figures SQL file."""

from __future__ import annotations

from dataclasses import asdict, dataclass

OGL = "Open Government Licence v3.0"


@dataclass(frozen=True, kw_only=True)  # named fields only: a row is read by name, not by position
class Indicator:
    """One row of indicator_catalogue; what each field means is its column's description in
    lmi_pipeline.metadata (indicators.py), shown in DuckDB, Dagster and docs/data-dictionary.md."""

    indicator: str
    label: str
    definition: str
    unit: str
    status: str  # official | computed | derived | proxy
    source_dataset: str
    frequency: str  # monthly | annual | quarterly | decennial
    published_levels: str
    lowest_level: str  # ward | lad | county | region | country
    release_lag_days: int
    licence: str = OGL
    caveats: str = ""
    reference_months: int | None = None  # None: one frequency step (`period` starts the period)


CLAIMANT_CAVEAT = ("Counts are rounded to the nearest 5 by DWP, so ward sums differ from district totals and small "
                   "counts are imprecise; not seasonally adjusted below region level.")

INDICATORS: list[Indicator] = [
    Indicator(indicator="claimant_count", label="Claimant count (16+)",
              definition="People claiming Universal Credit while required to seek work, or Jobseeker's Allowance, aged 16+.",
              unit="claimants", status="official", source_dataset="NM_162_1", frequency="monthly",
              published_levels="ward, district, county, region, country", lowest_level="ward", release_lag_days=16,
              caveats=CLAIMANT_CAVEAT),
    Indicator(indicator="claimant_rate", label="Claimant rate (% of residents aged 16-64)",
              definition="Claimants aged 16+ as a percentage of residents aged 16-64 (Nomis measure 2).",
              unit="%", status="official", source_dataset="NM_162_1", frequency="monthly",
              published_levels="ward, district, county, region, country", lowest_level="ward", release_lag_days=16,
              caveats=CLAIMANT_CAVEAT),
    Indicator(indicator="claimant_count_16_24", label="Youth claimant count (16-24)",
    definition="Claimants aged 16 to 24.",
              unit="claimants", status="official", source_dataset="NM_162_1", frequency="monthly",
              published_levels="ward, district, county, region, country", lowest_level="ward", release_lag_days=16,
              caveats=CLAIMANT_CAVEAT),
    Indicator(indicator="claimant_count_18_24", label="Young adult claimant count (18-24)",
    definition="Claimants aged 18 to 24.",
              unit="claimants", status="official", source_dataset="NM_162_1", frequency="monthly",
              published_levels="ward, district, county, region, country", lowest_level="ward", release_lag_days=16,
              caveats=CLAIMANT_CAVEAT),
    Indicator(indicator="claimant_rate_16_24", label="Youth claimant rate (% of residents aged 16-24)",
              definition="Claimants aged 16-24 over residents aged 16-24 (mid-year estimate for the year, or the latest), "
              "computed by lmi-pipeline the same way at every level.",
              unit="%", status="derived", source_dataset="NM_162_1 / NM_2014_1", frequency="monthly",
              published_levels="district and above (as published by Nomis)", lowest_level="ward", release_lag_days=16,
              caveats=CLAIMANT_CAVEAT + " Derived: not an official ward statistic."),
    Indicator(indicator="claimant_rate_18_24", label="Young adult claimant rate (% of residents aged 18-24)",
              definition="Claimants aged 18-24 over residents aged 18-24 (mid-year estimate for the year, or the latest), "
              "computed by lmi-pipeline the same way at every level.",
              unit="%", status="derived", source_dataset="NM_162_1 / NM_2014_1", frequency="monthly",
              published_levels="district and above (as published by Nomis)", lowest_level="ward", release_lag_days=16,
              caveats=CLAIMANT_CAVEAT + " Derived: not an official ward statistic."),
]


CENSUS_CAVEAT = ("Census 2021 (21 March 2021), a single snapshot taken during the COVID-19 pandemic (furlough), so "
                 "there is no change on a year earlier. Counts are perturbed by ONS to protect confidentiality, so "
                 "small-ward figures are approximate. On 2022 ward boundaries.")
# Where the ward figures' populations come from: the two Census tables reach wards by different routes.
CENSUS_TS066_FOOTPRINT = (" Ward figures are ONS's own ward aggregation of Census output areas (best fit to 2022 "
                          "wards), as published in TS066.")
CENSUS_RM024_FOOTPRINT = (" Where Nomis does not publish RM024 for wards, ward figures sum the ward's 2021 LSOAs by "
                          "the ONS LSOA21 -> ward best-fit lookup (derived; status says which): a coarser footprint "
                          "than TS066's output areas, so an LSOA straddling a ward boundary counts wholly in one ward "
                          "and a ward's 16-24 and 16+ figures can cover slightly different populations.")
CENSUS_ONS_DEFINITION = (" ONS definition (ONS, Census 2021 dictionary, economic activity status): economically "
                         "active full-time students are part of the labour force, and unemployed where they are; the "
                         "dictionary sums the student and non-student groups to count all of those unemployed.")
CENSUS_EXCL_STUDENTS = (" Not the ONS headline definition: economically active full-time students are left out of "
                        "both the unemployed and the active, so it is lower wherever student unemployment is high; "
                        "use it only to compare with figures that exclude students.")
SURVEY_CAVEAT = ("A sample survey estimate for a rolling 12-month period (period = its last month); `lower`/`upper` "
                 "are the 95% confidence interval. District estimates are often suppressed (small samples) or "
                 "unreliable: compare intervals, not points, and avoid quarter-on-quarter comparisons. Not available "
                 "for wards.")
NEET_CAVEAT = ("NCCIS management information, average of end-December, January and February (period = that January). "
               "Upper-tier local authorities only (counties and unitaries), no districts or wards; the headline adds "
               "young people whose activity is not known, so LA tracking quality affects it. National and regional "
               "counts are rounded to the nearest 10. `c` = suppressed, `z` = not applicable (NULL here).")
DFE_LICENCE = OGL

INDICATORS += [
    Indicator(indicator="census_unemployment_rate", label="Census unemployment rate (16+, ONS definition)",
              definition="Unemployed as a percentage of the economically active, usual residents aged 16+, full-time students "
              "included as ONS counts them (Census 2021 TS066: (category 7 + category 14) / (category 1001 + "
              "category 1006)), computed here from ONS's published counts.",
              unit="%", status="computed", source_dataset="NM_2083_1", frequency="decennial",
              published_levels="output area, LSOA, ward (2022), district, county, region, "
              "country", lowest_level="ward", release_lag_days=650,
              caveats=CENSUS_CAVEAT + CENSUS_ONS_DEFINITION + CENSUS_TS066_FOOTPRINT,
              reference_months=1),
    Indicator(indicator="census_unemployment_rate_excl_students",
    label="Census unemployment rate (16+, excluding full-time students)",
              definition="Unemployed as a percentage of the economically active, both excluding full-time students, usual "
              "residents aged 16+ (Census 2021 TS066: category 7 / category 1001), computed here from ONS's "
              "published counts.",
              unit="%", status="computed", source_dataset="NM_2083_1", frequency="decennial",
              published_levels="output area, LSOA, ward (2022), district, county, region, "
              "country", lowest_level="ward", release_lag_days=650,
              caveats=CENSUS_CAVEAT + CENSUS_EXCL_STUDENTS + CENSUS_TS066_FOOTPRINT,
              reference_months=1),
    Indicator(indicator="census_unemployment_rate_16_24",
    label="Census unemployment rate, aged 16-24 (ONS definition)",
              definition="Unemployed aged 16-24 as a percentage of the economically active aged 16-24, full-time students "
              "included as ONS counts them (Census 2021 RM024: (unemployed + unemployed full-time students) / (in "
              "employment + unemployed, excluding and as full-time students)), computed here from ONS's published "
              "counts.",
              unit="%", status="derived", source_dataset="NM_2124_1", frequency="decennial",
              published_levels="LSOA, district, county, region, country (wards where Nomis "
              "publishes them)", lowest_level="ward", release_lag_days=735,
              caveats=CENSUS_CAVEAT + CENSUS_ONS_DEFINITION + CENSUS_RM024_FOOTPRINT, reference_months=1),
    Indicator(indicator="census_unemployment_rate_16_24_excl_students",
              label="Census unemployment rate, aged 16-24 (excluding full-time students)",
              definition="Unemployed aged 16-24 as a percentage of the economically active aged 16-24, both excluding full-time "
              "students (Census 2021 RM024: unemployed / (in employment + unemployed)), computed here from ONS's "
              "published counts.",
              unit="%", status="derived", source_dataset="NM_2124_1", frequency="decennial",
              published_levels="LSOA, district, county, region, country (wards where Nomis "
              "publishes them)", lowest_level="ward", release_lag_days=735,
              caveats=CENSUS_CAVEAT + CENSUS_EXCL_STUDENTS + CENSUS_RM024_FOOTPRINT, reference_months=1),
    *[Indicator(indicator=f"census_inactive_{key}", label=f"Economically inactive: {label} (% of residents 16+)",
                definition=f"Usual residents aged 16+ who were economically inactive because {why}, as a percentage of all usual "
                "residents aged 16+ (Census 2021 TS066), computed here from ONS's published counts.",
                unit="%", status="computed", source_dataset="NM_2083_1", frequency="decennial",
                published_levels="output area, LSOA, ward (2022), district, county, region, "
                "country", lowest_level="ward", release_lag_days=650, caveats=CENSUS_CAVEAT + CENSUS_TS066_FOOTPRINT,
                reference_months=1)
      for key, label, why in (("long_term_sick", "long-term sick or disabled", "long-term sick or disabled"),
                              ("looking_after_home", "looking after home or family", "looking after home or family"),
                              ("other", "other reasons", "of other reasons"),
                              ("student", "student", "they were students"),
                              ("retired", "retired", "they were retired"))],
    Indicator(indicator="census_neet_proxy_16_24", label="NEET proxy, aged 16-24 (Census)",
              definition="Residents aged 16-24 who were neither in work nor full-time students (unemployed or economically "
              "inactive, both excluding full-time students), as a percentage of all residents aged 16-24 (Census 2021 "
              "RM024).",
              unit="%", status="proxy", source_dataset="NM_2124_1", frequency="decennial",
              published_levels="LSOA, district, county, region, country", lowest_level="ward", release_lag_days=735,
              caveats=CENSUS_CAVEAT + " A proxy for NEET, not the DfE measure (which is 16-17 and county level): it "
                                      "includes carers and the long-term sick, and its ward values may be LSOA best-fit sums.",
              reference_months=1),
    Indicator(indicator="aps_unemployment_rate", label="APS unemployment rate (16+)",
              definition="Unemployed aged 16+ as a percentage of the economically active aged 16+ (Annual Population Survey, "
              "Nomis NM_17_5 variable 83), 12 months to the period.",
              unit="%", status="official", source_dataset="NM_17_5", frequency="quarterly",
              published_levels="district, county, region, country", lowest_level="lad", release_lag_days=105,
              caveats=SURVEY_CAVEAT, reference_months=1),
    Indicator(indicator="aps_unemployment_rate_16_64", label="APS unemployment rate (16-64)",
              definition="Unemployed aged 16-64 as a percentage of the economically active aged 16-64 (APS, NM_17_5 variable 84).",
              unit="%", status="official", source_dataset="NM_17_5", frequency="quarterly",
              published_levels="district, county, region, country", lowest_level="lad", release_lag_days=105,
              caveats=SURVEY_CAVEAT, reference_months=1),
    Indicator(indicator="aps_employment_rate", label="APS employment rate (16-64)",
              definition="People in employment aged 16-64 as a percentage of all aged 16-64 (APS, NM_17_5 variable 45).",
              unit="%", status="official", source_dataset="NM_17_5", frequency="quarterly",
              published_levels="district, county, region, country", lowest_level="lad", release_lag_days=105,
              caveats=SURVEY_CAVEAT, reference_months=1),
    Indicator(indicator="aps_inactivity_rate", label="APS economic inactivity rate (16-64)",
              definition="Economically inactive aged 16-64 as a percentage of all aged 16-64 (APS, NM_17_5 variable 111).",
              unit="%", status="official", source_dataset="NM_17_5", frequency="quarterly",
              published_levels="district, county, region, country", lowest_level="lad", release_lag_days=105,
              caveats=SURVEY_CAVEAT, reference_months=1),
    Indicator(indicator="model_unemployment_rate", label="Model-based unemployment rate (16+)",
              definition="ONS model-based estimate of the unemployment rate aged 16+ for local authorities, combining the APS "
              "with the claimant count (Nomis NM_127_1 item 2), 12 months to the period.",
              unit="%", status="official", source_dataset="NM_127_1", frequency="quarterly",
              published_levels="district, county", lowest_level="lad", release_lag_days=105,
              caveats="Modelled, so steadier than the district APS estimate; `lower`/`upper` are the 95% confidence "
                      "interval. Local authorities only: compare with the APS for regions and England. Not available "
                      "for wards.", reference_months=1),
    Indicator(indicator="neet_nk_16_17", label="NEET or activity not known, aged 16-17",
              definition="16 and 17 year olds (academic age) not in education, employment or training, or whose activity is not "
              "known, as a percentage of the cohort known to the local authority (DfE).",
              unit="%", status="official",
              source_dataset="DfE EES: Participation in education, training and NEET age 16 to 17 by local authority",
              frequency="annual", published_levels="upper-tier local authority, region, country",
              lowest_level="county", release_lag_days=105, licence=DFE_LICENCE,
              caveats=NEET_CAVEAT, reference_months=2),
    Indicator(indicator="neet_16_17", label="NEET, aged 16-17",
              definition="16 and 17 year olds known to be not in education, employment or training, as a percentage of the "
              "cohort (DfE). Excludes those whose activity is not known.",
              unit="%", status="official",
              source_dataset="DfE EES: Participation in education, training and NEET age 16 to 17 by local authority",
              frequency="annual", published_levels="upper-tier local authority, region, country",
              lowest_level="county", release_lag_days=105, licence=DFE_LICENCE,
              caveats=NEET_CAVEAT, reference_months=2),
]


IOD_LICENCE = OGL + "; © Crown copyright, Ministry of Housing, Communities and Local Government (MHCLG)"
IOD_CAVEAT = ("England only: Welsh wards and districts have no figure (Wales has its own index, WIMD, not comparable). "
              "Reference year 2022 (period 2022-01-01 starts it): a single snapshot, years older than the claimant "
              "count, with no change on a year earlier. A relative measure: the score is the proportion of the "
              "working-age population excluded from work as counted from DWP benefit data, published to rank "
              "areas against each other; IoD 2025 is not comparable with IoD 2019 (2011 LSOAs, other indicators). "
              "Ward figures are simple (unweighted) means of the scores of the 2021 LSOAs the ONS lookup best-fits to the ward, an "
              "LSOA straddling a boundary counting wholly in one ward: derived here, not an official ward statistic. "
              "District and England figures are simple means of their LSOAs too, not MHCLG's population-weighted "
              "summaries. Released irregularly (2015, 2019, 2025): 'decennial' is the nearest frequency the "
              "catalogue has, so the expected next release is a loose guide. Real published data, bundled with the "
              "pipeline, in every source mode: the demo's made-up LSOAs match none, so there only England has a "
              "figure.")

INDICATORS += [
    Indicator(indicator="iod_employment_deprivation",
    label="Employment deprivation (IoD 2025, % of working-age population)",
              definition="The Employment Deprivation Domain of the English Indices of Deprivation 2025 (MHCLG): the proportion "
              "of the working-age population involuntarily excluded from the labour market (unemployed, or unable "
              "to work through sickness, disability or caring responsibilities), from DWP benefit data, as a %. "
              "MHCLG publishes it for 2021 LSOAs; ward, district and England figures are the simple mean of their "
              "LSOAs' scores (wards: the LSOAs best-fitted to the ward by the ONS LSOA21 -> ward lookup).",
              unit="%", status="derived",
              source_dataset="English Indices of Deprivation 2025, Employment domain (MHCLG), LSOA 2021, aggregated by LSOA best fit",
              frequency="decennial",
              published_levels="LSOA (2021), England only; MHCLG also publishes population-weighted district and "
              "upper-tier summaries", lowest_level="ward",
              release_lag_days=1034,  # 31 December 2022 (end of the reference year) to publication on 30 October 2025
              licence=IOD_LICENCE, caveats=IOD_CAVEAT, reference_months=12),
]

# The source assets (raw tables) each upstream dataset arrives through, so an indicator knows which sources
# it depends on, and says so when one of them is stale or unavailable this run (source_status).
SOURCE_ASSETS = {"NM_162_1": "raw_claimant_count", "NM_2014_1": "raw_population",
                 "NM_2083_1": "raw_census_economic_activity", "NM_2124_1": "raw_census_age_activity",
                 "NM_17_5": "raw_aps", "NM_127_1": "raw_model_unemployment", "DfE EES": "raw_neet"}


def source_assets(source_dataset: str) -> list[str]:
    return [asset for dataset, asset in SOURCE_ASSETS.items() if dataset in source_dataset]


def catalogue_rows() -> list[dict]:
    return [{**asdict(i), "source_assets": source_assets(i.source_dataset)} for i in INDICATORS]
