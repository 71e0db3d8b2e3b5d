"""What the data dictionary (docs/data-dictionary.md) says beyond each column's description, in Markdown:
the conventions, and the notes of each section and table. Rendered by lmi_pipeline.metadata.dictionary."""

INTRO = """\
Open it read-only: `make sql` (or `.venv/bin/lmi sql "SELECT ..."`), `duckdb -readonly data/lmi.duckdb` with
the DuckDB CLI, or `duckdb.connect("data/lmi.duckdb", read_only=True)` from Python.
The file is replaced atomically after each successful run and is readable by DuckDB 1.4 and later.

Conventions used in every table:
- **Areas are joined on GSS codes** (`ward_code`, `lad_code`, `area_code`...), never on names. Nomis
  sometimes adds " (District)" to ward names; the ONS names in `ward_lookup` are the clean ones.
- **`ward_vintage`** is the year of the ward boundaries a figure uses (2022, 2023, ...). GSS codes change when
  boundaries change, so a code denotes the same area in every vintage that has it.
- **`period`** is the first day of the reference month (claimant count), the Census month (`2021-03-01`
  for Census 2021), the last month of a 12-month survey window (APS, model-based), or the January of a
  December-February average (DfE NEET).
- **`data_label`** says what a figure is: `synthetic demo data` (the demo generator),
  `replayed recording of real responses` (a `record`-mode snapshot), or `live official statistics`.
"""

# section heading -> its introduction
SECTION_NOTES = {
    'Indicators': '',
    'Analyses': """\
Built from the tables above (SQL in `lmi_pipeline/defs/analyses/`; method and caveats in
[docs/report.md](report.md)). They are also exported as CSV and Parquet under `assets/exports/`.
""",
    'Geography': '',
    'Warehouse': '',
    'Raw upstream files': """\
`raw_claimant_count`, `raw_population`, `raw_census_economic_activity` (NM_2083_1), `raw_census_age_activity`
(NM_2124_1), `raw_census_qualifications` (NM_2084_1), `raw_census_industry` (NM_2077_1), `raw_census_occupation`
(NM_2080_1), `raw_aps` (NM_17_5), `raw_model_unemployment` (NM_127_1), `raw_ashe_earnings` (NM_30_1),
`raw_jobs_density` (NM_57_1), `raw_bres_employees` (NM_189_1), `raw_business_counts` (NM_141_1): the Nomis CSV
exactly as served,
every column text, plus `query_id`. `raw_neet`: the DfE file exactly as served (the API data set's 2025 or
2026 column names, or the dashboard extract's), every column text, plus `query_id`. `raw_iod`: the columns of
MHCLG's IoD 2025 File 7 that are loaded, renamed (the File 7 header of each is its description), every column
text, plus `query_id`. A source with no good
load yet has an empty raw table of these columns.
""",
}

# table -> its notes
TABLE_NOTES = {
    'ward_indicators': """\
Ward indicators: `claimant_*` (monthly), the Census 2021 ones (`census_*`, 2022 wards) and the IoD 2025 ones
(`iod_*`, `imd_*`: LSOA best fit, every ward vintage held). Indicators that
exist only for districts or counties and above (APS, model-based unemployment, DfE NEET) are not ward
figures and are **not** in `ward_indicators`: find them in `area_indicators`.

#### Ward boundary vintages
Wards are redrawn (Maidstone's in May 2024), and a new boundary gets a new GSS code. When Nomis moves a
series to new wards, the pipeline reads the series on the new wards **and** on the old ones (wherever a
configured district's ward codes differ), so both stay queryable side by side: each row says its
`ward_vintage`, changes and ranks are computed within one vintage, and nothing is spliced or averaged
across boundaries. Census 2021 figures are on 2022 wards. To compare vintages, use `ward_vintage_bridge`:

```sql
-- Park Wood's claimant rate on the old wards next to the new wards it overlaps
SELECT b.from_ward_name, b.to_ward_name, b.share_of_from, old.value AS old_value, new.value AS new_value
FROM ward_vintage_bridge b
JOIN ward_indicators old ON old.ward_code = b.from_ward_code AND old.ward_vintage = b.from_vintage
JOIN ward_indicators new ON new.ward_code = b.to_ward_code AND new.ward_vintage = b.to_vintage
 AND new.indicator = old.indicator AND new.period = old.period
WHERE b.from_ward_name = 'Park Wood' AND old.indicator = 'claimant_rate'
  AND old.period = (SELECT max(period) FROM ward_indicators);
```
""",
    'area_indicators': """\
The same figures for every area held: `area_level` is `ward`, `lad`, `county`, `region` or `country`.
Columns as in `ward_indicators` without the benchmark, change and rank columns, plus `area_code`,
`area_name`, `area_level`; `lower`/`upper` as in `ward_indicators` (they always contain `value`; the blocking
check `ranges_contain_values` fails a run otherwise). Use it for district-level comparisons, to chart benchmarks, and for the
indicators that do not exist for wards (APS for districts and above, model-based unemployment for
districts and counties, with their 95% confidence interval in `lower`/`upper`; DfE NEET for upper-tier local authorities, i.e. East
Sussex and Kent, which appear as `county`).
""",
    'indicator_catalogue': """\
`indicator`, `label`, `definition`, `unit`, `status`, `source_dataset`, `frequency`,
`published_levels` (what the publisher releases), `lowest_level` (the lowest level the figure exists at here:
`ward`, `lad`, `county`, `region`, `country`), `levels_available` (what this database holds),
`release_lag_days`, `reference_months` (months from `period` to the end of the reference period, where it is
not one frequency step), `latest_period`, `expected_next_release` (a guide, not an announced date), `licence`,
`caveats`, `data_label`; and this run's state of the sources behind it: `source_outcome` (`fresh`, `stale`:
the last good load kept, `unavailable`: none held), `source_problem` (why), `source_geography` (the smallest
areas they were fetched for: `ward`, `lsoa` (best fit) or `lad`). `status` is what the figures at the lowest level held actually are: e.g.
`census_unemployment_rate_16_24` is `derived` when its ward values are LSOA best-fit sums and `computed` when
Nomis publishes RM024 for wards.

| indicator | status | definition |
|---|---|---|
| `claimant_count` | official | claimants aged 16+ (UC searching for work + JSA), NM_162_1 |
| `claimant_rate` | official | claimants 16+ as % of residents aged 16-64 (Nomis measure 2) |
| `claimant_count_16_24`, `claimant_count_18_24` | official | claimants of the age band |
| `claimant_rate_16_24`, `claimant_rate_18_24` | derived | claimants of the band / residents of the band (NM_2014_1), computed the same way at every level |
| `census_unemployment_rate` | computed | Census 2021 TS066 (NM_2083_1), 16+, the ONS definition: (unemployed + unemployed full-time students) / (economically active + economically active full-time students), codes (7 + 14) / (1001 + 1006); ward (2022) and above |
| `census_unemployment_rate_excl_students` | computed | Census 2021 TS066, 16+: unemployed / economically active, both excluding full-time students (codes 7 / 1001). Not the ONS headline: kept to compare with figures that exclude students |
| `census_unemployment_rate_16_24` | derived (computed where Nomis publishes RM024 for wards, and for districts and above) | Census 2021 RM024 (NM_2124_1), aged 16-24, the ONS definition: (unemployed + unemployed full-time students) / (in employment + unemployed, excluding and as full-time students), codes (2 + 4) / (1 + 2 + 3 + 4); ward figures summed from 2021 LSOAs by the ONS best-fit lookup |
| `census_unemployment_rate_16_24_excl_students` | derived (computed as above) | Census 2021 RM024, aged 16-24: unemployed / (in employment + unemployed), both excluding full-time students (codes 2 / (1 + 2)) |
| `census_inactive_long_term_sick`, `census_inactive_looking_after_home`, `census_inactive_other`, `census_inactive_student`, `census_inactive_retired` | computed | Census 2021 TS066: economically inactive for that reason (codes 18, 17, 19, 16, 15) as % of all usual residents aged 16+ |
| `census_no_qualifications_pct`, `census_level4_plus_pct`, `census_apprenticeship_pct` | official | Census 2021 TS067 (NM_2084_1): no qualifications / Level 4 or above / apprenticeship as the highest qualification, % of all usual residents aged 16+; ward (2022) and above |
| `census_elementary_occupations_pct` | official | Census 2021 TS063 (NM_2080_1): SOC 2020 major group 9, % of residents 16+ in employment (where they live, not where they work) |
| `census_managers_professional_pct` | computed | Census 2021 TS063: SOC 2020 major groups 1-3 summed, % of residents 16+ in employment |
| `census_industry_retail_pct`, `census_industry_accommodation_food_pct`, `census_industry_health_social_pct`, `census_industry_construction_pct` | official (computed should Nomis serve no section aggregate) | Census 2021 TS060 (NM_2077_1): residents 16+ in employment in SIC 2007 section G / I / Q / F, % of all residents 16+ in employment; the supply of labour, not the jobs located in the ward |
| `census_neet_proxy_16_24` | proxy | Census 2021 RM024: aged 16-24 neither in work nor a full-time student (unemployed or inactive, excluding students) as % of all residents 16-24. A ward-level stand-in for NEET, not the DfE measure |
| `aps_unemployment_rate`, `aps_unemployment_rate_16_64` | official | APS (NM_17_5 variables 83, 84): unemployed as % of economically active, 16+ / 16-64; districts and above, with 95% CI |
| `aps_employment_rate`, `aps_inactivity_rate` | official | APS (NM_17_5 variables 45, 111), aged 16-64; districts and above, with 95% CI |
| `model_unemployment_rate` | official | ONS model-based unemployment rate 16+ (NM_127_1 item 2); districts and counties (local authorities only), with 95% CI |
| `ashe_median_weekly_pay_ft` | official | ASHE resident analysis (NM_30_1): median gross weekly pay (£) of full-time workers living in the area; districts and above, a sample estimate (suppressed cells NULL) |
| `jobs_density` | official | ONS jobs density (NM_57_1): jobs located in the area per resident aged 16-64, total jobs as its numerator; districts and above |
| `bres_employees_total` | official | BRES open access (NM_189_1): employee jobs located in the area (workplace, employees only), ONS-rounded; wards where Nomis publishes them (on their own boundary vintage), districts and above |
| `bres_share_retail`, `bres_share_accommodation_food` | official | BRES open access (NM_189_1): Nomis's industry percentage for broad groups 7 Retail and 9 Accommodation & food services, % of the area's employee jobs |
| `business_local_units` | official | UK Business Counts (NM_141_1): VAT/PAYE-registered local units (sites), all sizes, March IDBR snapshot; wards where Nomis publishes them, districts and above |
| `neet_nk_16_17`, `neet_16_17` | official | DfE: 16-17 year olds NEET or activity not known (the headline) / known NEET, % of the cohort; upper-tier local authorities, regions, England |
| `iod_employment_deprivation`, `iod_income_deprivation` | derived | IoD 2025 Employment / Income domains (MHCLG File 7): % of the working-age population involuntarily excluded from work / % of the population in income deprivation, 2022 reference year; the mean of the 2021 LSOA rates weighted by File 7's mid-2022 working-age / total population, for wards (LSOA best fit, every ward vintage), districts and England; England only |
| `imd_share_lsoas_most_deprived_decile`, `imd_average_score` | derived | IMD 2025 (MHCLG File 7): % of the area's 2021 LSOAs in England's most deprived 10% (IMD decile 1; each LSOA once) / the IMD score averaged over its LSOAs weighted by total population (mid 2022); wards (LSOA best fit), districts and England; England only |

Census 2021 indicators. The headline unemployment rates follow the ONS definition (ONS, *Census 2021
dictionary*, economic activity status): economically active full-time students are in the labour force, and
unemployed where they are, so the dictionary sums the student and non-student groups to count all of those
unemployed. The `_excl_students` rates leave students out of both sides and are lower wherever student
unemployment is high. Every Census rate is computed here from ONS's published counts (`computed`), or
`derived` where the ward counts are our own LSOA sums; a suppressed (NULL) count gives a NULL rate, never a
rate with that count taken as 0. Footprints: 16+ ward figures (TS066) are ONS's own ward aggregation of
output areas (best fit to 2022 wards); 16-24 ward figures, where Nomis does not publish RM024 for wards, sum
the ward's 2021 LSOAs by the ONS LSOA21 -> ward best-fit lookup, a coarser footprint (an LSOA straddling a
ward boundary counts wholly in one ward), so a ward's 16+ and 16-24 figures can cover slightly different
populations. Each ward row's `source_dataset` says which, e.g. `NM_2083_1 (ONS 2022 ward figures: output
areas by best fit)` or `NM_2124_1 (2021 LSOAs aggregated to 2022 wards by LSOA21 best fit)`.

#### Deprivation (IoD 2025): `iod_employment_deprivation`, `iod_income_deprivation`, `imd_share_lsoas_most_deprived_decile`, `imd_average_score`
The English Indices of Deprivation 2025 (MHCLG, published 30 October 2025; Open Government Licence v3.0, ©
Crown copyright), from File 7 (`iod_lsoa`). MHCLG publishes them for 2021 LSOAs only; every figure here is ours
(`derived`), for wards (the LSOAs the ONS LSOA21 -> ward lookup best-fits to the ward, for every ward vintage in
`lsoa_ward_lookup`), districts (their LSOAs) and England (every LSOA in the file). The Employment score (the
proportion of the working-age population involuntarily excluded from the labour market: unemployment, sickness
or disability, caring responsibilities, from DWP benefit data) and the Income score (the proportion of the
population in income deprivation) are rates, so an area's figure is the mean of its LSOAs' rates weighted by the
denominators File 7 publishes with them (working-age population 18-66 / total population, mid 2022): the area's
own rate, as a %, with that population as `denominator` (`denominator_year` 2022) and no `numerator` (the LSOA
rates are rounded to 3 dp, so an implied count would look more exact than it is). The IMD score is not a rate:
`imd_average_score` weights it by total population, as MHCLG's local-authority "average score" does, and
`imd_share_lsoas_most_deprived_decile` is the % of the area's LSOAs in IMD decile 1 (each LSOA once; England
10% by construction). District values are not MHCLG's own summaries and can differ. `period` is `2022-01-01`,
the start of the 2022 reference year (`reference_months` 12), a single time point: no change on a year earlier.
Values are rounded to 1 dp; `lower`, `upper` and `rounding_base` are NULL. England only: Welsh wards and
districts have no row; a ward with some LSOAs missing from the file would have a NULL value, never the figure of
part of it. Live runs download MHCLG's file; the demo's File 7 is synthetic (`data_label` `synthetic demo data`).
Employment deprivation is an optional component of the priority ranking (`employment_deprivation`, weight 0
unless lmi.toml gives it one).
""",
    'lmi_gaps': """\
`place_level` (`ward` or `lad`), `place_code`, `place_name`, `lad_code`, `lad_name`; `indicator`, `label`, `unit`,
`indicator_status`, `source_dataset`, `frequency`; `coverage`: `available` (held for the place), `proxy`,
`ward_other_boundaries` (held for the same focus ward on another boundary vintage: e.g. the Census for Park Wood
on 2022 wards, for Park Wood & Mangravet on 2024 wards; a differently drawn area, compare through
`ward_vintage_bridge`), `lad_only`, `county_only`, `region_only`, `country_only`, `missing` or
`not_available_this_run` (its source failed this run and nothing was held); `available_level` (`ward`, `lad`,
`county`, `region`, `country`, or for `ward_other_boundaries` the vintage, e.g. `ward, 2022 boundaries`),
`available_area_code`, `available_area_name` (the lowest area holding a figure: the place, the same focus ward
on other boundaries (`ward_lookup.focus_name`, same district), then up the place's own hierarchy); `lowest_level`,
`published_levels`, `figure_status`; `latest_period`, `latest_value`, `latest_lower`, `latest_upper`, `ward_vintage`,
`latest_period_held` (later than `latest_period` when that period is suppressed); `age_months` (to `as_of`),
`release_interval_months`, `next_release_due` (a guide), `is_stale` (the next release is overdue and not held),
`is_dated` (the latest figure is over 24 months old, e.g. Census 2021); `rounding_base`, `small_number`,
`suppressed_values`, `suppressed_at_place`, `limits` (in words), `source_outcome` and `source_problem` (as in
the catalogue), `caveats`; `source_query_id`, `release`,
`retrieved_at`, `data_label`, `as_of`.
""",
    'lmi_gaps_to_fill': """\
`indicator`, `label`, `gap` (`not available this run`, `not refreshed this run`, `missing`, `only at <level>
level`, `only on other ward boundaries` (severity 3, a minor gap), `proxy only`, `stale`, `dated snapshot`), `place_level`, `n_places`, `places` (names), `latest_period`,
`detail`, `suggestion`, `severity` (0 = this run's source failures, then 1 = worst).
""",
    'ward_boundary_sets': """\
`lad_code`, `lad_name`, `ward_vintage`, `n_wards`, `latest_period`; `has_complete_components` (every weighted
priority component held for every ward of the set), `components_incomplete` (which are not, e.g.
`census_unemployment_rate (11 of 22 wards without a figure)`), `is_ranking_set` (the set the district is ranked and
charted on: the newest complete one, else the newest), `boundary_note` (after a boundary change, what changed and
which set is used; NULL otherwise).
""",
    'priority_inputs': """\
`lad_code`, `lad_name`, `ward_code`, `ward_name`, `ward_vintage`, `is_focus`, `claimant_period`, `component`,
`indicator`, `measure` (`value`, or `change_12m` for the change on a year), `position`, `label`, `value`, `lower`,
`upper` (the rounding range; for the change on a year, `change_12m_lower`/`upper`), `lad_value`, `period`,
`figure_vintage` (the boundary set the figure is on: 2022 for the Census), `small_number`, `status`,
`source_query_id`, `denominator_query_id`, `data_label`: what the ranking and the rounding simulation read.
""",
    'priority_wards': """\
Method in docs/report.md. `lad_code`, `lad_name`, `ward_code`, `ward_name`, `ward_vintage`, `is_focus`,
`claimant_period`; `priority_rank` (1 = highest relative concentration of claimants on these measures; ties share a
rank), `n_wards`, `is_top_priority`, `priority_score` (weighted mean of the within-district z-scores, 1 dp; not
comparable between districts); from the seeded rounding simulation: `priority_rank_low`, `priority_rank_high` (95%
interval of the rank), `priority_share_top` (share of draws ranked first), `simulation_draws`, `is_clear_top`
(first in at least 95% of draws); the count view: `claimant_count`, `claimant_count_rank`, `youth_claimant_count`,
`youth_claimant_count_rank`, `is_top_by_count`. For each component (`youth_claimant_rate`, `claimant_rate`,
`claimant_rate_change_12m`, `census_unemployment_rate`, `employment_deprivation`): the ward's value, its
rounding range where it has one (`<component>_lower`, `_upper`), `lad_<component>` (the district's),
`<component>_z` (1 dp) and `<component>_rank`; `census_period`. `weights` (from lmi.toml `[priority_weights]`),
`components_used` (the same for every ward of the district), `components_missing` (with the reason), `reasons`
(the components that raise the score, largest contribution first, against the district), `held_back_by` (those that
lower it), `small_number_components`, `statuses`, `source_query_ids`,
`denominator_query_ids`, `data_label`, `boundary_note`.
""",
    'priority_sensitivity': """\
`lad_code`, `lad_name`, `ward_vintage` (the ranking set), `position`, `scheme` (`configured`, `equal`,
`change_0.3`, `no_double_count`, `youth_only`, `claimant_rate_only`, `census_only`, `with_deprivation`),
`description`, `weights`, `top_wards` (name and code of the ward(s) first), `top_score` (1 dp),
`configured_top_rank` (where the configured top ward ranks under the scheme), `n_wards`, `same_top_as_configured`,
`components_used`.
""",
    'focus_ward_progress': """\
Method in docs/report.md. Every figure of a row is on one boundary set (`ward_vintage`); series are never spliced.
`ward_code`, `ward_name`, `ward_vintage`, `lad_code`, `lad_name`, `indicator`, `label`, `unit`, `status`;
`baseline_period` (lmi.toml `[analysis] baseline_month`, always set); same calendar month, for reference:
`baseline_value` (the baseline month), `latest_same_month_period`, `latest_same_month_value` (that calendar month in
the latest year), `same_month_change`; `latest_period` (the boundary set's latest month), `latest_value`;
`months_in_baseline`, `months_in_latest` (months held of the 12 ending with each); `baseline_mean`, `latest_mean`
(12-month means, NULL unless all 12 are held); `change` (`latest_mean` − `baseline_mean`: drives `direction`);
`noise_sd` (σ = sd of the month-on-month changes over the 24 months to the latest ÷ √2), `noise_changes` (how many
changes), `se_change` (√2·σ/√12); `change_lower`, `change_upper` (change ∓ (1.96·`se_change` + the rounding range of
both means: ±4 for counts rounded to 5, the published ranges for rates)); `direction` (`rose` / `fell` only when the
whole interval is one side of zero, else `no clear change`; `no baseline figure` when fewer than 12 baseline months;
`too few recent months` when fewer than 12 latest months); `test_used` (the test, in words; NULL where none was
run); `baseline_before_uc_full_service` (baseline month before December 2018, when Universal Credit full service
reached every jobcentre: `caveats` then says UC changed what the claimant count measures; ONS, *Publication
arrangements for the Claimant Count*; House of Commons Library, *Universal Credit and the claimant count*);
`lad_baseline_mean`, `lad_latest_mean`, `lad_change`, `country_baseline_mean`, `country_latest_mean`,
`country_change` (the same 12-month means); for rates `change_vs_lad` (`change` − `lad_change`); `small_number` (any
month averaged), `caveats`; `source_query_id` (latest month), `baseline_source_query_id` (latest month of the
baseline window), `denominator_query_id`, `data_label`.
""",
    'districts': """\
`lad_code`, `lad_name`, `kind` (`shire district`, `unitary`, `metropolitan district`, `London borough`, `Welsh
principal area`), `county_code`/`county_name` (shire districts only), `combined_authority_code`/`_name` (districts
in a combined authority), `london_part_code`/`_name` (Inner or Outer London, where a lookup names it),
`region_code`/`region_name` (England only), `country_code`/`country_name`, `covered_because` (`listed`, or `in
county E10000011` / `in region ...` when lmi.toml named a county or region), and `benchmarks`: the areas its
figures are compared with, in order, as a list of `{level, code, name}` (a county, combined authority or
Inner/Outer London only where Nomis publishes it). ONS's county columns are read in one place,
`lmi_pipeline/geography/county_codes.sql`: a blank or E99999999 county (unitaries), E11 (former metropolitan
counties), E13 (Inner/Outer London) and a CTYUA code equal to the district's own are not counties.
""",
    'ward_lookup': """\
`ward_code`, `ward_name`, `ward_vintage`, `lad_code`, `lad_name`, `lad_kind`, `county_code`, `county_name`,
`combined_authority_code`, `combined_authority_name`, `region_code`, `region_name`, `country_code`,
`country_name` (the district's, from `districts`), `is_focus`, `focus_name` (the lmi.toml name the ward stands for),
`focus_match` (`as named`; `same name` on other boundaries; or `most of its LSOAs (best fit)` where the name
changed with the boundaries, e.g. Park Wood -> Park Wood & Mangravet), `source_service` (the ONS lookup it came from).
""",
    'iod_lsoa': """\
Loaded from MHCLG's *English indices of deprivation 2025*, File 7 ("All ranks, scores, deciles and population
denominators"), downloaded from GOV.UK (`MHCLG_BASE_URL`, path `media/691ded56d140bbbaa59a2a7d/File_7_...csv`)
in live runs and replayed from the snapshot in the demo, where the synthetic upstream serves a made-up File 7 in
the real layout for the demo's LSOAs (labelled `synthetic demo data` in provenance). Only the overall IMD, the
Income and Employment domains and the four population denominators are kept; the file's headers are read by
name (`lmi_pipeline/clients/mhclg.py`). Scores are as published: the Income and Employment scores are rates
(proportions 0-1, 3 dp); the IMD score is not a rate. Before loading, the body is checked: a CSV (not an HTML
page), every header present, English 2021 LSOA codes once each, 33,755 rows for the real file, ranks within
1..33,755, deciles 1..10, rates within 0-1, population denominators whole numbers; a body that fails (or a
failed download) leaves the last good load as it was (`source_status` says why). No Welsh LSOAs.
""",
    'census_economic_activity': """\
`area_code`, `area_name`, `area_level` (`lsoa`, `ward`, `lad`, `county`, `region`, `country`), `ward_vintage`
(2022 for wards), `period` (`2021-03-01`), `age_band` (`16+` from TS066, `16-24` from RM024), `status`
(`all_residents`, `active_excl_students`, `employed_excl_students`, `unemployed_excl_students`,
`active_students`, `employed_students`, `unemployed_students` (economically active full-time students: TS066
1006 and 14, RM024 3 and 4), `inactive_excl_students`, `inactive_retired`, `inactive_student`, `inactive_looking_after_home`,
`inactive_long_term_sick`, `inactive_other`; which exist depends on the table), `status_label` (Nomis's
label), `value` (usual residents; ONS-perturbed whole numbers; NULL when suppressed), `obs_status`,
`is_suppressed`, `geography_method` (`published`: as Nomis serves it, for wards ONS's aggregation of output
areas; or `lsoa_best_fit` for ward 16-24 figures summed from the ward's 2021 LSOAs when Nomis does not publish
RM024 for wards, a coarser footprint), `lsoas` (how many LSOAs were summed),
`source_dataset`, `source_query_id`, `lookup_query_id` (the LSOA lookup used).
""",
    'census_skills_work': """\
`area_code`, `area_name`, `area_level`, `ward_vintage` (2022 for wards), `period` (`2021-03-01`), `topic`
(`qualification`: TS067, usual residents 16+; `industry`: TS060 and `occupation`: TS063, usual residents 16+ in
employment the week before the census, by their own job wherever it is), `category` (`total`; TS067
`no_qualifications`, `level_1_entry`, `level_2`, `apprenticeship`, `level_3`, `level_4_plus`, `other`; TS063
`soc_1` ... `soc_9`; TS060 `ind_<Nomis code>`), `category_code`, `category_label` (Nomis's), `category_kind`
(`total`, `category`; TS060 `section`, `division` or `unclassified`), `sic_section` and `sic_division` (TS060,
from the label), `value` (usual residents; ONS-perturbed whole numbers; NULL when suppressed), `obs_status`,
`is_suppressed`, `source_dataset`, `source_query_id`. Every category Nomis served; wards are ONS's own 2022-ward
aggregation of output areas.
""",
    'aps_estimates': """\
`area_code`, `area_name`, `area_level` (district and above), `period` (last month of the window), `period_name`
(e.g. `Jul 2025-Jun 2026`), `variable` (`unemployment_rate_16_plus`, `unemployment_rate_16_64`,
`employment_rate_16_64`, `inactivity_rate_16_64`), `variable_label`, `value` (%), `confidence` (half-width of
the 95% interval, percentage points), `lower`, `upper` (the interval, clipped to 0-100), `numerator`,
`denominator`, `obs_status`, `is_suppressed` (value and interval NULL, never 0), `is_unreliable` (`*`: small
sample; the value is shown), `source_dataset`, `source_query_id`.
""",
    'model_unemployment': """\
`area_code`, `area_name`, `area_level`, `period`, `period_name`, `item` (`unemployment_rate`), `item_label`,
`value` (%), `confidence`, `lower`, `upper`, `obs_status`, `is_suppressed`, `source_dataset`, `source_query_id`.
""",
    'neet_participation': """\
`area_code`, `area_name`, `area_level` (`county` for upper-tier counties, `lad` for unitaries, `region`,
`country`), `year`, `period` (January of the December-February average), `time_period`, `time_identifier` (as
published), `age` (`16-17`, `16`, `17`; "16 to 17" in the 2026 file is normalised to `16-17`),
`characteristic_grouping`, `characteristic` (e.g. `Total`, `Gender`/`Female`), `measure` (`avg_cohort_count`,
`avg_neet_nk_count`, `avg_neet_count`, `avg_nk_count`, `neet_nk_percent`, `neet_percent`, `nk_percent`,
`annual_change_neet_nk_percent`: the 2026 names; the 2025 file's `avgcohort`, `avgNEETNK`, `NEETNKprop`, ... map to
them), `value` (NULL for a symbol), `symbol` (`c` suppressed, `z` not applicable, `x` not available, `low`, `u`;
NULL for a number), `is_suppressed` (`c`), `rounding_base` (10 for national and regional counts),
`schema_version` (`2025` or `2026` column names of the API data set, or `dashboard` for the DfE dashboard extract, which has percentages and the cohort but no NEET counts), `source_query_id`. Only the upper-tier local authorities
covering the configured districts, their regions, England and the configured benchmarks are kept.
""",
    'lsoa_ward_lookup': """\
`lsoa_code`, `lsoa_name`, `ward_code`, `ward_name` (the ward the LSOA best-fits in that vintage), `ward_vintage`,
`lad_code`, `lad_name`, `source_service` (e.g. `LSOA21_WD23_LAD23_EW_LU`), `source_query_id`.
""",
    'ward_vintage_bridge': """\
`lad_code`, `from_ward_code`, `from_ward_name`, `from_vintage`, `to_ward_code`, `to_ward_name`, `to_vintage`,
`shared_lsoas`, `from_lsoas`, `to_lsoas`, `share_of_from` (the share of the earlier ward's LSOAs in the later
ward), `share_of_to`, `relationship` (`unchanged`: same code; `recoded`: same LSOAs, new code; `merged into`:
the whole earlier ward lies in a larger later one; `part of`: part of the earlier ward went to this later ward),
`method` (`LSOA21 best fit`). LSOAs hold similar numbers of residents, so LSOA shares approximate population
shares; the bridge is for comparing vintages by hand, and no indicator is moved across boundaries with it.
""",
    'claimant_count': """\
`area_code`, `area_name`, `area_level`, `ward_vintage` (wards only), `period`, `sex` (`all`),
`age_band` (`16+`, `16-24`, `18-24`), `measure` (`count`, `rate`), `measure_name` (Nomis's label),
`value` (NULL when suppressed or unavailable, never 0), `obs_status`, `is_suppressed`, `rounding_base`
(5 for counts), `source_dataset`, `source_query_id`.
""",
    'population': """\
`area_code`, `area_name`, `area_level`, `ward_vintage`, `year` (mid-year), `age_band` (`all`, `16-64`,
`16-24`, `18-24`), `value`, `obs_status`, `source_dataset`, `source_query_id`.
""",
    'provenance': """\
`query_id`, `source_asset`, `service`, `dataset`, `query_url` (without any key or paging offset),
`parameters` (JSON), `retrieved_at`, `source_mode` (`demo`, `live`, `record`), `data_label`, `pages`, `rows`,
`sha256` (of the page hashes in order), `release` (e.g. Nomis `LastUpdated`), `latest_period` (what
"latest" resolved to).
""",
    'source_requests': """\
`source_requests`: every response received (one row per page), the raw material of `provenance`.
""",
    'source_status': """\
`source_status`: one row per source asset: `upstream`, `outcome` this run (`fresh`, `stale`, `unavailable`, `needs_key`: an optional keyed source with no key),
`reason`, `release` held, `latest_period`, `route` (e.g. DfE public API or data catalogue), `geography_level`,
`last_success_at`, `checked_at`, `run_id` (docs/operations.md, "When a source fails").
""",
    'nomis_dataset_coverage': """\
`nomis_dataset_coverage`: one row per Nomis dataset: `small_area_level` (`ward`, `lsoa`, `lad`, or NULL for
survey data published for districts and above), `outcome` (`resolved`, or `unresolved` when its geographies
could not be read this run: its previous ids are kept) and `problem`.
""",
    'nomis_geographies': """\
`nomis_geographies`: Nomis geography ids resolved from metadata at run time (`role`, `dataset`, `level`
(`ward`, `lsoa`, `lad`, `county`, `region`, `country`), `gss_code`, `nomis_id`, `nomis_name`, `type_selector`,
`type_name`, `ward_vintage`, `lad_code`). A district can have wards in two vintages for one dataset (see
Ward boundary vintages); `lsoa` rows appear where a Census table is read for LSOAs.
""",
    'ons_ward_lookup': """\
`ons_ward_lookup`: the ONS ward lookup rows as fetched. `ons_lsoa_ward_lookup`: the ONS LSOA21 -> ward
best-fit lookup rows as fetched, with `ward_vintage` and `query_id`.
""",
    'areas_config': """\
`areas_config`: the `lmi.toml` the run used: every district (`lad_codes`, with `covered_because`), the
counties and regions named, focus wards, extra benchmarks, settings and the source mode.
""",
    'ons_combined_authorities': """\
`ons_combined_authorities`: the ONS district -> combined authority lookup rows as fetched.
""",
    'source_area_hashes': """\
`source_area_hashes`, `source_revisions`: the per-period, per-area fingerprints of the claimant count and the
revisions found (`period`, `release`, `areas_revised`, `cells_changed`, `cells_added`, `cells_removed`).
""",
    'obs_status_codes': """\
`obs_status_codes`: the Nomis observation status codes the pipeline understands (`code`, `label`), and which
mean suppressed (`is_suppressed`): the same codelist every typed table's `is_suppressed` is read from.
""",
}
