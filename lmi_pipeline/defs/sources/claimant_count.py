"""The claimant count from Nomis (NM_162_1): one monthly partition per month, revisions detected."""

import re

from lmi_pipeline.defs import freshness
from lmi_pipeline.defs.partitions import claimant_months
from lmi_pipeline.sources.nomis_asset import nomis_source_asset
from lmi_pipeline.sources.nomis_source import Monthly, NomisSource

DATASET = "NM_162_1"
# Age bands we need, found in the dataset's own `age` codelist by label (codes are not assumed).
AGE_BANDS = {
    "16+": re.compile(r"^all categories.*16\+?$", re.I),
    "16-24": re.compile(r"^aged?\s*16\s*-\s*24$", re.I),
    "18-24": re.compile(r"^aged?\s*18\s*-\s*24$", re.I),
}
SELECT = ("DATE", "DATE_NAME", "GEOGRAPHY", "GEOGRAPHY_NAME", "GEOGRAPHY_CODE", "GEOGRAPHY_TYPE", "GENDER_NAME",
          "AGE", "AGE_NAME", "MEASURE", "MEASURE_NAME", "MEASURES_NAME", "OBS_VALUE", "OBS_STATUS", "OBS_STATUS_NAME")

CLAIMANT_COUNT = NomisSource(
    asset="raw_claimant_count", role="claimant_count", dataset=DATASET, label="claimant count", select=SELECT,
    dimensions=(("gender", "0"), ("age", AGE_BANDS), ("measure", "1,2"), ("measures", "20100")),
    monthly=Monthly(row_key=("GEOGRAPHY_CODE", "GEOGRAPHY_TYPE", "AGE", "MEASURE"),
                    row_values=("OBS_VALUE", "OBS_STATUS"), area_key=("GEOGRAPHY_CODE", "GEOGRAPHY_TYPE")),
)

raw_claimant_count = nomis_source_asset(CLAIMANT_COUNT, partitions_def=claimant_months,
                                        freshness_policy=freshness.MONTHLY_MID_MONTH, description="""\
Nomis NM_162_1 claimant count, exactly as served (every column text), one monthly partition per month.

Wards of every configured district plus the districts and their benchmarks; all ages, 16-24 and
18-24; measure 1 (count) and 2 (proportion of residents aged 16-64), sexes combined. A run replaces
only its months. Each month's content hash is compared with the last load's, so silent upstream
revisions are detected and logged in `source_revisions`.""")
