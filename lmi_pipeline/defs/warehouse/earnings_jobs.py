"""ASHE resident earnings and jobs density, typed and tidy (districts and benchmarks, annual)."""

import dagster as dg

from lmi_pipeline.database.storage import WarehouseResource
from lmi_pipeline.database.tidy import build, label_table
from lmi_pipeline.defs.sources.earnings_jobs import (ASHE_ITEMS, ASHE_MEASURES, ASHE_PAY, ASHE_SEX, JOBS_ITEMS,
                                                     JOBS_MEASURES)


@dg.asset(group_name="warehouse", kinds={"duckdb"}, deps=["raw_ashe_earnings"], pool="duckdb_writer")
def ashe_earnings(warehouse: WarehouseResource) -> dg.MaterializeResult:
    """ASHE resident analysis (NM_30_1) for districts and benchmarks: one row per area x year (`period` = April
    of it, ASHE's reference date) x sex x pay x item: the median gross weekly pay of full-time workers living
    in the area, in pounds, with Nomis's confidence measure as served. A sample estimate: suppressed cells
    (`#`, `!`) stay NULL with their OBS_STATUS (`is_suppressed`); small-sample ones are flagged `is_unreliable`.
    """
    with warehouse.get_connection() as conn:
        conn.execute("BEGIN")
        n = build(conn, __file__, "ashe_earnings", ["area_code", "area_level", "year", "item"], "Nomis NM_30_1",
                  labels=label_table({"sex": ASHE_SEX, "pay": ASHE_PAY, "item": ASHE_ITEMS,
                                      "measures": ASHE_MEASURES}), unrecognised="item")
        conn.execute("COMMIT")
        suppressed = conn.execute("SELECT count(*) FROM ashe_earnings WHERE is_suppressed").fetchone()[0]
    return dg.MaterializeResult(metadata={"dagster/row_count": n, "suppressed": suppressed})


@dg.asset(group_name="warehouse", kinds={"duckdb"}, deps=["raw_jobs_density"], pool="duckdb_writer")
def jobs_density(warehouse: WarehouseResource) -> dg.MaterializeResult:
    """Jobs density (NM_57_1) for districts and benchmarks: one row per area x year (`period` = 1 January of
    it), the jobs located in the area (employees, self-employed, government-supported trainees and HM Forces)
    and the jobs density: those jobs per resident aged 16-64. It counts jobs, not people (one person can hold
    two), and where they are worked, not where the workers live.
    """
    with warehouse.get_connection() as conn:
        conn.execute("BEGIN")
        n = build(conn, __file__, "jobs_density", ["area_code", "area_level", "year"], "Nomis NM_57_1",
                  labels=label_table({"item": JOBS_ITEMS, "measures": JOBS_MEASURES}), unrecognised="item")
        conn.execute("COMMIT")
    return dg.MaterializeResult(metadata={"dagster/row_count": n})
