"""Census 2021 qualifications and work from Nomis, for 2022 wards, the districts and their benchmarks, like TS066:
TS067 highest level of qualification (NM_2084_1), TS060 industry (NM_2077_1) and TS063 occupation (NM_2080_1).

Dimensions and labels checked in public code that queries the live API (traffordDataLab/open_data
census2021/*/pre-processing.R and its ward CSVs; burnley-council/scripts/economy_etl.py): TS067 is C2021_HIQUAL_8
(total 0, categories 1-7 "No qualifications" ... "Other qualifications"), TS063 is C2021_OCC_10 (total 0, the nine
SOC 2020 major groups labelled "1. Managers, directors and senior officials" ... "9. Elementary occupations"),
TS060 is C2021_IND_88 (total 0, 87 detailed categories labelled with their SIC 2007 division numbers, "47 Retail
trade, ...", and the SIC sections as aggregates, "G: Wholesale and retail trade; repair of motor vehicles and
motorcycles", as the Nomis Census bulk files name their columns; the aggregates' codes, 1001-1021 for A-U, are
inferred from public code asking c2021_ind_88=1010,1011,1013 for J, K and M: unverified). TS060 is asked for every category (the dimension left out, so Nomis serves them all); the others
for each category by label, codes found at run time. Both TS060 and TS063 count residents aged 16+ in employment
by the industry / occupation of their job: where they live, not where they work.
"""

import re

from lmi_pipeline.defs import freshness
from lmi_pipeline.defs.sources.census import GEO_COLUMNS, VALUE_COLUMNS
from lmi_pipeline.sources.nomis_asset import nomis_source_asset
from lmi_pipeline.sources.nomis_source import NomisSource

TS067 = "NM_2084_1"
TS060 = "NM_2077_1"
TS063 = "NM_2080_1"
_TOTAL = re.compile(r"^total", re.I)
# TS067 categories (C2021_HIQUAL_8), by label. Nomis writes "Level 4 qualifications or above" (Trafford's ward
# file); "and above" is accepted too. "Other" may come with or without "qualifications".
TS067_QUALIFICATION = {
    "total": _TOTAL,
    "no_qualifications": re.compile(r"^no qualifications$", re.I),
    "level_1_entry": re.compile(r"^level 1 and entry level qualifications$", re.I),
    "level_2": re.compile(r"^level 2 qualifications$", re.I),
    "apprenticeship": re.compile(r"^apprenticeships?$", re.I),
    "level_3": re.compile(r"^level 3 qualifications$", re.I),
    "level_4_plus": re.compile(r"^level 4 qualifications (or|and) above$", re.I),
    "other": re.compile(r"^other( qualifications)?$", re.I),
}
# TS063 (C2021_OCC_10): SOC 2020 major groups, the number and a full stop before the name ("1. Managers, ...").
_SOC = ["managers, directors and senior officials", "professional occupations",
        "associate professional and technical occupations", "administrative and secretarial occupations",
        "skilled trades occupations", "caring, leisure and other service occupations",
        "sales and customer service occupations", "process, plant and machine operatives", "elementary occupations"]
TS063_OCCUPATION = {"total": _TOTAL, **{f"soc_{k + 1}": re.compile(rf"^({k + 1}\.?\s*)?{name}$", re.I)
                                         for k, name in enumerate(_SOC)}}
QUAL_SELECT = GEO_COLUMNS + ("C2021_HIQUAL_8", "C2021_HIQUAL_8_NAME") + VALUE_COLUMNS
IND_SELECT = GEO_COLUMNS + ("C2021_IND_88", "C2021_IND_88_NAME") + VALUE_COLUMNS
OCC_SELECT = GEO_COLUMNS + ("C2021_OCC_10", "C2021_OCC_10_NAME") + VALUE_COLUMNS

TS067_SOURCE = NomisSource(
    asset="raw_census_qualifications", role="census_qualifications", dataset=TS067,
    label="Census 2021 TS067 highest level of qualification", select=QUAL_SELECT,
    dimensions=(("c2021_hiqual_8", TS067_QUALIFICATION), ("measures", "20100")), date="latest")
TS060_SOURCE = NomisSource(
    asset="raw_census_industry", role="census_industry", dataset=TS060, label="Census 2021 TS060 industry",
    select=IND_SELECT, dimensions=(("measures", "20100"),), date="latest")
TS063_SOURCE = NomisSource(
    asset="raw_census_occupation", role="census_occupation", dataset=TS063, label="Census 2021 TS063 occupation",
    select=OCC_SELECT, dimensions=(("c2021_occ_10", TS063_OCCUPATION), ("measures", "20100")), date="latest")

raw_census_qualifications = nomis_source_asset(TS067_SOURCE, freshness_policy=freshness.DECENNIAL, description="""\
Nomis NM_2084_1 (Census 2021 TS067, highest level of qualification of usual residents aged 16+), exactly as
served (every column text): the configured districts' 2022 wards (the ward TYPE found by name at run time), the
districts and their benchmarks; the total and all seven categories (no qualifications, level 1 and entry level,
level 2, apprenticeship, level 3, level 4 or above, other).""")

raw_census_industry = nomis_source_asset(TS060_SOURCE, freshness_policy=freshness.DECENNIAL, description="""\
Nomis NM_2077_1 (Census 2021 TS060, industry of usual residents aged 16+ in employment the week before the
census), exactly as served (every column text), every category Nomis serves (the total, the detailed categories
labelled by SIC 2007 division, and the SIC section aggregates): the configured districts' 2022 wards, the districts
and their benchmarks. Residents by the industry they work in, wherever the job is.""")

raw_census_occupation = nomis_source_asset(TS063_SOURCE, freshness_policy=freshness.DECENNIAL, description="""\
Nomis NM_2080_1 (Census 2021 TS063, occupation of usual residents aged 16+ in employment the week before the
census), exactly as served (every column text): the total and the nine SOC 2020 major groups, for the configured
districts' 2022 wards, the districts and their benchmarks. Residents by the occupation of their job.""")
