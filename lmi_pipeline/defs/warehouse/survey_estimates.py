"""APS and model-based unemployment estimates, typed and tidy, with their confidence intervals."""

import dagster as dg

from lmi_pipeline.database.storage import WarehouseResource
from lmi_pipeline.database.tidy import build, label_table
from lmi_pipeline.defs.sources.survey_estimates import APS_MEASURES, APS_VARIABLES, MODEL_ITEMS, MODEL_MEASURES


@dg.asset(group_name="warehouse", kinds={"duckdb"}, deps=["raw_aps"], pool="duckdb_writer")
def aps_estimates(warehouse: WarehouseResource) -> dg.MaterializeResult:
    """Annual Population Survey (NM_17_5) for districts and benchmarks: one row per area x 12-month
    period (`period` = its last month) x variable (unemployment rate 16+ and 16-64, employment rate
    and inactivity rate 16-64). The estimate, its 95% confidence half-width and interval (`lower`,
    `upper`), numerator and denominator. Suppressed estimates stay NULL with their OBS_STATUS
    (`is_suppressed`); small-sample estimates are flagged `is_unreliable`.
    """
    with warehouse.get_connection() as conn:
        conn.execute("BEGIN")
        n = build(conn, __file__, "aps_estimates", ["area_code", "area_level", "period", "variable"], "Nomis NM_17_5",
                  labels=label_table({"variable": APS_VARIABLES, "measures": APS_MEASURES}), unrecognised="variable")
        conn.execute("COMMIT")
        suppressed = conn.execute("SELECT count(*) FROM aps_estimates WHERE is_suppressed").fetchone()[0]
    return dg.MaterializeResult(metadata={"dagster/row_count": n, "suppressed": suppressed})


@dg.asset(group_name="warehouse", kinds={"duckdb"}, deps=["raw_model_unemployment"], pool="duckdb_writer")
def model_unemployment(warehouse: WarehouseResource) -> dg.MaterializeResult:
    """ONS model-based unemployment rate (NM_127_1) for districts and benchmarks: one row per area x
    12-month period, with its 95% confidence half-width and interval. Model-based estimates borrow
    strength from the claimant count, so they are steadier than the district's raw APS estimate.
    """
    with warehouse.get_connection() as conn:
        conn.execute("BEGIN")
        n = build(conn, __file__, "model_unemployment", ["area_code", "area_level", "period", "item"], "Nomis NM_127_1",
                  labels=label_table({"item": MODEL_ITEMS, "measures": MODEL_MEASURES}), unrecognised="item")
        conn.execute("COMMIT")
    return dg.MaterializeResult(metadata={"dagster/row_count": n})
