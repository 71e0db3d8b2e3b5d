"""Survey estimates from Nomis for districts and benchmarks: APS (NM_17_5) and model-based unemployment
(NM_127_1). Both are rolling 12-month estimates with 95% confidence intervals; never published for wards.
"""

import re

from lmi_pipeline.defs import freshness
from lmi_pipeline.sources.nomis_asset import nomis_source_asset
from lmi_pipeline.sources.nomis_source import NomisSource

APS = "NM_17_5"
MODEL = "NM_127_1"
APS_VARIABLES = {  # VARIABLE codes by label (Nomis: 83, 84, 45, 111)
    "unemployment_rate_16_plus": re.compile(r"^unemployment rate - aged 16\+$", re.I),
    "unemployment_rate_16_64": re.compile(r"^unemployment rate - aged 16-64$", re.I),
    "employment_rate_16_64": re.compile(r"^employment rate - aged 16-64$", re.I),
    "inactivity_rate_16_64": re.compile(r"^% who are economically inactive - aged 16-64$", re.I),
}
APS_MEASURES = {  # MEASURES codes by label (Nomis: 20599, 21001, 21002, 21003)
    "value": re.compile(r"^variable$", re.I), "numerator": re.compile(r"^numerator$", re.I),
    "denominator": re.compile(r"^denominator$", re.I), "confidence": re.compile(r"^confidence$", re.I),
}
MODEL_ITEMS = {"unemployment_rate": re.compile(r"^unemployment rate\b.*model based", re.I)}  # ITEM 2
MODEL_MEASURES = {"value": re.compile(r"^value$", re.I), "confidence": re.compile(r"^confidence$", re.I)}
COLUMNS = ("DATE", "DATE_NAME", "GEOGRAPHY", "GEOGRAPHY_NAME", "GEOGRAPHY_CODE", "GEOGRAPHY_TYPE")
VALUE_COLUMNS = ("MEASURES", "MEASURES_NAME", "OBS_VALUE", "OBS_STATUS", "OBS_STATUS_NAME")
APS_SELECT = COLUMNS + ("VARIABLE", "VARIABLE_NAME") + VALUE_COLUMNS
MODEL_SELECT = COLUMNS + ("ITEM", "ITEM_NAME") + VALUE_COLUMNS


APS_SOURCE = NomisSource(
    asset="raw_aps", role="aps", dataset=APS, label="Annual Population Survey", select=APS_SELECT,
    dimensions=(("variable", APS_VARIABLES), ("measures", APS_MEASURES)), time="first,latest")
MODEL_SOURCE = NomisSource(
    asset="raw_model_unemployment", role="model_unemployment", dataset=MODEL, label="model-based unemployment",
    select=MODEL_SELECT, dimensions=(("item", MODEL_ITEMS), ("measures", MODEL_MEASURES)), time="first,latest")

raw_aps = nomis_source_asset(APS_SOURCE, freshness_policy=freshness.QUARTERLY, description="""\
Nomis NM_17_5 (Annual Population Survey, percentages), exactly as served (every column text):
unemployment rate 16+ and 16-64, employment rate and inactivity rate 16-64, with numerator,
denominator and 95% confidence, every 12-month period, for the configured districts and benchmarks.
Suppressed cells arrive empty with their OBS_STATUS and stay that way.""")

raw_model_unemployment = nomis_source_asset(MODEL_SOURCE, freshness_policy=freshness.QUARTERLY, description="""\
Nomis NM_127_1 (model-based estimates of unemployment), exactly as served (every column text):
the unemployment rate (model based) with its 95% confidence, every 12-month period, for the
configured districts and benchmarks.""")
