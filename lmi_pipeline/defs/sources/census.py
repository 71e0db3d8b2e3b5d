"""Census 2021 economic activity from Nomis: TS066 (NM_2083_1) by 2022 ward, RM024 (NM_2124_1) for 16-24s.

RM024 is asked for wards where Nomis publishes it for wards; otherwise for the districts' 2021 LSOAs,
which the warehouse aggregates to wards by the ONS LSOA21 -> ward best-fit lookup (and provenance says so).

Both tables are asked for the economically active full-time students as well as everyone else: ONS counts
them as active, and as unemployed where they are, so the headline rates need both groups.
"""

import re

from lmi_pipeline.defs import freshness
from lmi_pipeline.sources.nomis_asset import nomis_source_asset
from lmi_pipeline.sources.nomis_source import NomisSource

TS066 = "NM_2083_1"
RM024 = "NM_2124_1"
_ACTIVE = r"economically active \(excluding full-time students\)"
_STUDENT = r"economically active and a full-time student"
# TS066 categories we use (C2021_EASTAT_20), by label; the warehouse maps rows back with the same patterns.
# Aggregate labels have no space after the colon, leaf labels do ("...students): Unemployed"): hence \s*.
TS066_STATUS = {
    "all_residents": re.compile(r"^total", re.I),
    "active_excl_students": re.compile(rf"^{_ACTIVE}$", re.I),
    "unemployed_excl_students": re.compile(rf"^{_ACTIVE}:\s*unemployed$", re.I),
    "active_students": re.compile(rf"^{_STUDENT}$", re.I),
    "unemployed_students": re.compile(rf"^{_STUDENT}:\s*unemployed$", re.I),
    "inactive_retired": re.compile(r"^economically inactive:\s*retired$", re.I),
    "inactive_student": re.compile(r"^economically inactive:\s*student$", re.I),
    "inactive_looking_after_home": re.compile(r"^economically inactive:\s*looking after home or family$", re.I),
    "inactive_long_term_sick": re.compile(r"^economically inactive:\s*long-term sick or disabled$", re.I),
    "inactive_other": re.compile(r"^economically inactive:\s*other$", re.I),
}
# RM024 categories (C2021_EASTAT_7), the 16-24 age band (C2021_AGE_7) and both sexes (C_SEX).
RM024_STATUS = {
    "all_residents": re.compile(r"^total$", re.I),
    "employed_excl_students": re.compile(rf"^{_ACTIVE}:\s*in employment$", re.I),
    "unemployed_excl_students": re.compile(rf"^{_ACTIVE}:\s*unemployed", re.I),
    "employed_students": re.compile(rf"^{_STUDENT}:\s*in employment$", re.I),
    "unemployed_students": re.compile(rf"^{_STUDENT}:\s*unemployed$", re.I),
    "inactive_excl_students": re.compile(r"^economically inactive \(excluding full-time students\)$", re.I),
}
RM024_AGE = {"16-24": re.compile(r"^aged?\s*16\s*(to|-)\s*24(\s*years)?$", re.I)}
RM024_SEX = {"all": re.compile(r"^(all persons|total|all people)$", re.I)}
GEO_COLUMNS = ("DATE", "DATE_NAME", "GEOGRAPHY", "GEOGRAPHY_NAME", "GEOGRAPHY_CODE", "GEOGRAPHY_TYPE")
VALUE_COLUMNS = ("MEASURES_NAME", "OBS_VALUE", "OBS_STATUS", "OBS_STATUS_NAME")
TS066_SELECT = GEO_COLUMNS + ("C2021_EASTAT_20", "C2021_EASTAT_20_NAME") + VALUE_COLUMNS
RM024_SELECT = GEO_COLUMNS + ("C_SEX_NAME", "C2021_AGE_7", "C2021_AGE_7_NAME", "C2021_EASTAT_7",
                              "C2021_EASTAT_7_NAME") + VALUE_COLUMNS


TS066_SOURCE = NomisSource(
    asset="raw_census_economic_activity", role="census_economic_activity", dataset=TS066,
    label="Census 2021 TS066 economic activity", select=TS066_SELECT,
    dimensions=(("c2021_eastat_20", TS066_STATUS), ("measures", "20100")), date="latest")
RM024_SOURCE = NomisSource(
    asset="raw_census_age_activity", role="census_age_activity", dataset=RM024,
    label="Census 2021 RM024 economic activity by age, 16-24", select=RM024_SELECT,
    dimensions=(("c2021_eastat_7", RM024_STATUS), ("c2021_age_7", RM024_AGE), ("c_sex", RM024_SEX),
                ("measures", "20100")), date="latest")

raw_census_economic_activity = nomis_source_asset(TS066_SOURCE, freshness_policy=freshness.DECENNIAL, description="""\
Nomis NM_2083_1 (Census 2021 TS066, economic activity status of residents aged 16+), exactly as
served (every column text): the configured districts' 2022 wards (the ward TYPE found by name at run
time), the districts and their benchmarks; totals, active and unemployed excluding full-time students,
active and unemployed full-time students, and the five reasons for economic inactivity.""")

raw_census_age_activity = nomis_source_asset(RM024_SOURCE, freshness_policy=freshness.DECENNIAL, description="""\
Nomis NM_2124_1 (Census 2021 RM024, economic activity by sex by age), aged 16-24, both sexes,
exactly as served (every column text): in employment and unemployed, excluding and as full-time
students, and inactive excluding students. Wards where Nomis publishes RM024 for wards; otherwise the
districts' 2021 LSOAs, to be aggregated to wards by best fit in the warehouse. Plus the districts and
their benchmarks, as published.""")
