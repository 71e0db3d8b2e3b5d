"""Earnings and jobs from Nomis for districts and benchmarks: ASHE resident analysis (NM_30_1) and jobs density
(NM_57_1). Both annual, published for local authorities and above only, never wards. In both, Nomis writes the
GSS code in GEOGRAPHY (tests/fixtures/nomis); areas are matched on GEOGRAPHY_CODE as everywhere.
"""

import re

from lmi_pipeline.defs import freshness
from lmi_pipeline.defs.sources.survey_estimates import COLUMNS, VALUE_COLUMNS
from lmi_pipeline.sources.nomis_asset import nomis_source_asset
from lmi_pipeline.sources.nomis_source import NomisSource

ASHE = "NM_30_1"
JOBS_DENSITY = "NM_57_1"
# Codes found by label (Nomis today: SEX 1 "Full Time Workers", PAY 1 "Weekly pay - gross", ITEM 2 "Median",
# MEASURES 20100 "Value" and 20701 "Confidence"). The real body in tests/fixtures/nomis shows SEX 7 "Total",
# PAY 7 "Annual pay - gross", ITEM 2 "Median", MEASURES 20100 "Value": the same dimensions, other codes.
ASHE_SEX = {"full_time": re.compile(r"^full time workers$", re.I)}
ASHE_PAY = {"weekly_pay_gross": re.compile(r"^weekly pay - gross$", re.I)}
ASHE_ITEMS = {"median": re.compile(r"^median$", re.I)}
ASHE_MEASURES = {"value": re.compile(r"^value$", re.I), "confidence": re.compile(r"^confidence$", re.I)}
# ITEM 1 "Total jobs", 3 "Jobs density" (the real body); measures 20100 "Value".
JOBS_ITEMS = {"total_jobs": re.compile(r"^total jobs$", re.I), "jobs_density": re.compile(r"^jobs density$", re.I)}
JOBS_MEASURES = {"value": re.compile(r"^value$", re.I)}
ASHE_SELECT = COLUMNS + ("SEX", "SEX_NAME", "PAY", "PAY_NAME", "ITEM", "ITEM_NAME") + VALUE_COLUMNS
JOBS_SELECT = COLUMNS + ("ITEM", "ITEM_NAME") + VALUE_COLUMNS

ASHE_SOURCE = NomisSource(
    asset="raw_ashe_earnings", role="ashe", dataset=ASHE, label="ASHE resident analysis", select=ASHE_SELECT,
    dimensions=(("sex", ASHE_SEX), ("pay", ASHE_PAY), ("item", ASHE_ITEMS), ("measures", ASHE_MEASURES)),
    time="first,latest")
JOBS_DENSITY_SOURCE = NomisSource(
    asset="raw_jobs_density", role="jobs_density", dataset=JOBS_DENSITY, label="jobs density", select=JOBS_SELECT,
    dimensions=(("item", JOBS_ITEMS), ("measures", JOBS_MEASURES)), time="first,latest")

raw_ashe_earnings = nomis_source_asset(ASHE_SOURCE, freshness_policy=freshness.ANNUAL, description="""\
Nomis NM_30_1 (Annual Survey of Hours and Earnings, resident analysis), exactly as served (every column
text): median gross weekly pay of full-time workers, with Nomis's confidence measure, every year, for the
configured districts and benchmarks. Suppressed cells arrive empty with their OBS_STATUS and stay that way.""")

raw_jobs_density = nomis_source_asset(JOBS_DENSITY_SOURCE, freshness_policy=freshness.ANNUAL, description="""\
Nomis NM_57_1 (jobs density), exactly as served (every column text): total jobs and jobs density (jobs per
resident aged 16-64), every year, for the configured districts and benchmarks.""")
