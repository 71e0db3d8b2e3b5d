"""Survey estimates from Nomis for districts and benchmarks: APS (NM_17_5) and model-based unemployment
(NM_127_1). Both are rolling 12-month estimates with 95% confidence intervals; never published for wards.
"""

import re

import dagster as dg

from lmi_pipeline.clients.nomis import NomisResource
from lmi_pipeline.defs import freshness
from lmi_pipeline.sources.isolation import isolated_source
from lmi_pipeline.sources.nomis_loading import raw_columns
from lmi_pipeline.defs.sources.nomis_source import NomisSource, load_source
from lmi_pipeline.sources.query_areas import GEOGRAPHY_DEPS
from lmi_pipeline.project import ProjectResource
from lmi_pipeline.storage import WarehouseResource

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


@dg.asset(group_name="sources", kinds={"duckdb"}, deps=GEOGRAPHY_DEPS, pool="nomis_api",
          metadata={"lmi/upstream": f"nomis:{APS}"}, freshness_policy=freshness.QUARTERLY)
@isolated_source(raw_columns(APS_SELECT))
def raw_aps(context: dg.AssetExecutionContext, nomis: NomisResource, project: ProjectResource,
            warehouse: WarehouseResource) -> dg.MaterializeResult:
    """Nomis NM_17_5 (Annual Population Survey, percentages), exactly as served (every column text):
    unemployment rate 16+ and 16-64, employment rate and inactivity rate 16-64, with numerator,
    denominator and 95% confidence, every 12-month period, for the configured districts and benchmarks.
    Suppressed cells arrive empty with their OBS_STATUS and stay that way.
    """
    project.areas()
    return load_source(context, nomis, warehouse, NomisSource(
        asset="raw_aps", role="aps", dataset=APS, label="Annual Population Survey",
        select=APS_SELECT,
        codes={"variable": APS_VARIABLES, "measures": APS_MEASURES}, time="first,latest"))


@dg.asset(group_name="sources", kinds={"duckdb"}, deps=GEOGRAPHY_DEPS, pool="nomis_api",
          metadata={"lmi/upstream": f"nomis:{MODEL}"}, freshness_policy=freshness.QUARTERLY)
@isolated_source(raw_columns(MODEL_SELECT))
def raw_model_unemployment(context: dg.AssetExecutionContext, nomis: NomisResource, project: ProjectResource,
                           warehouse: WarehouseResource) -> dg.MaterializeResult:
    """Nomis NM_127_1 (model-based estimates of unemployment), exactly as served (every column text):
    the unemployment rate (model based) with its 95% confidence, every 12-month period, for the
    configured districts and benchmarks.
    """
    project.areas()
    return load_source(context, nomis, warehouse, NomisSource(
        asset="raw_model_unemployment", role="model_unemployment", dataset=MODEL,
        label="model-based unemployment", select=MODEL_SELECT,
        codes={"item": MODEL_ITEMS, "measures": MODEL_MEASURES}, time="first,latest"))
