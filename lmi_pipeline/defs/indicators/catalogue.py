"""The indicator catalogue: one definition per indicator. New sources add rows here and a figures SQL file."""

from __future__ import annotations

from dataclasses import asdict, dataclass

OGL = "Open Government Licence v3.0"


@dataclass(frozen=True)
class Indicator:
    indicator: str
    label: str
    definition: str
    unit: str
    status: str  # official | derived | proxy
    source_dataset: str
    frequency: str  # monthly | annual | quarterly | decennial
    published_levels: str  # the levels the source itself publishes, for people
    lowest_level: str  # the lowest level the figure exists at here: ward | lad | county | region | country
    release_lag_days: int  # days from the end of the reference period to publication (typical)
    licence: str = OGL
    caveats: str = ""


CLAIMANT_CAVEAT = ("Counts are rounded to the nearest 5 by DWP, so ward sums differ from district totals and small "
                   "counts are imprecise; not seasonally adjusted below region level.")

INDICATORS: list[Indicator] = [
    Indicator("claimant_count", "Claimant count (16+)",
              "People claiming Universal Credit while required to seek work, or Jobseeker's Allowance, aged 16+.",
              "claimants", "official", "NM_162_1", "monthly", "ward, district, county, region, country", "ward", 16,
              caveats=CLAIMANT_CAVEAT),
    Indicator("claimant_rate", "Claimant rate (% of residents aged 16-64)",
              "Claimants aged 16+ as a percentage of residents aged 16-64 (Nomis measure 2).",
              "%", "official", "NM_162_1", "monthly", "ward, district, county, region, country", "ward", 16,
              caveats=CLAIMANT_CAVEAT),
    Indicator("claimant_count_16_24", "Youth claimant count (16-24)", "Claimants aged 16 to 24.",
              "claimants", "official", "NM_162_1", "monthly", "ward, district, county, region, country", "ward", 16,
              caveats=CLAIMANT_CAVEAT),
    Indicator("claimant_count_18_24", "Young adult claimant count (18-24)", "Claimants aged 18 to 24.",
              "claimants", "official", "NM_162_1", "monthly", "ward, district, county, region, country", "ward", 16,
              caveats=CLAIMANT_CAVEAT),
    Indicator("claimant_rate_16_24", "Youth claimant rate (% of residents aged 16-24)",
              "Claimants aged 16-24 over residents aged 16-24 (mid-year estimate for the year, or the latest), "
              "computed by lmi-pipeline the same way at every level.",
              "%", "derived", "NM_162_1 / NM_2014_1", "monthly", "district and above (as published by Nomis)", "ward", 16,
              caveats=CLAIMANT_CAVEAT + " Derived: not an official ward statistic."),
    Indicator("claimant_rate_18_24", "Young adult claimant rate (% of residents aged 18-24)",
              "Claimants aged 18-24 over residents aged 18-24 (mid-year estimate for the year, or the latest), "
              "computed by lmi-pipeline the same way at every level.",
              "%", "derived", "NM_162_1 / NM_2014_1", "monthly", "district and above (as published by Nomis)", "ward", 16,
              caveats=CLAIMANT_CAVEAT + " Derived: not an official ward statistic."),
]


def catalogue_rows() -> list[dict]:
    return [asdict(i) for i in INDICATORS]
