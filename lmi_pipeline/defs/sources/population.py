"""Small-area mid-year population estimates from Nomis (NM_2014_1): the claimant rates' denominators."""

import re

from lmi_pipeline.defs import freshness
from lmi_pipeline.sources.nomis_asset import nomis_source_asset
from lmi_pipeline.sources.nomis_source import NomisSource

DATASET = "NM_2014_1"
AGE_BANDS = {
    "all": re.compile(r"^all ages$", re.I),
    "16-64": re.compile(r"^aged?\s*16\s*-\s*64$", re.I),
    "16-24": re.compile(r"^aged?\s*16\s*-\s*24$", re.I),
    "18-24": re.compile(r"^aged?\s*18\s*-\s*24$", re.I),
}
SELECT = ("DATE", "DATE_NAME", "GEOGRAPHY", "GEOGRAPHY_NAME", "GEOGRAPHY_CODE", "GEOGRAPHY_TYPE", "GENDER_NAME",
          "C_AGE", "C_AGE_NAME", "MEASURES_NAME", "OBS_VALUE", "OBS_STATUS", "OBS_STATUS_NAME")

POPULATION = NomisSource(
    asset="raw_population", role="population", dataset=DATASET, label="population estimates", select=SELECT,
    dimensions=(("gender", "0"), ("c_age", AGE_BANDS), ("measures", "20100")), time="first,latest",
    reports_small_areas=False,
)

raw_population = nomis_source_asset(
    POPULATION,
    # Mid-year estimates come once a year (small-area ones about a year after the district ones).
    freshness_policy=freshness.ANNUAL, description="""\
Nomis NM_2014_1 small-area mid-year population estimates, exactly as served (every column text).

Residents of all ages, 16-64, 16-24 and 18-24 for the same wards, districts and benchmarks as the
claimant count: the denominators of the claimant rates.""")
