"""People on Universal Credit by conditionality regime (DWP Stat-Xplore), typed and tidy: wards, their districts
and countries."""

import dagster as dg

from lmi_pipeline.database.sql import load_sql
from lmi_pipeline.database.storage import WarehouseResource
from lmi_pipeline.defs.sources.uc_conditionality import create_empty_table


@dg.asset(group_name="warehouse", kinds={"duckdb"}, deps=["raw_uc_conditionality", "ward_lookup"],
          pool="duckdb_writer")
def uc_conditionality(warehouse: WarehouseResource) -> dg.MaterializeResult:
    """People on Universal Credit by conditionality regime (Stat-Xplore UC_Monthly), one row per area (wards of
    the newest boundaries, with their vintage; their districts and countries) x month x regime (`regime_id`: searching_for_work, working_with_requirements, working_no_requirements,
    no_work_requirements, planning_for_work, preparing_for_work), with the ward's boundary vintage. Empty when
    no Stat-Xplore key is set (the source is optional). DWP applies statistical disclosure control to
    Stat-Xplore counts, so small cells are approximate and regimes need not sum to the total.
    """
    with warehouse.get_connection() as conn:
        conn.execute("BEGIN")
        # A refresh skips the source while no key is set: in a new working database it was never created.
        create_empty_table(conn)
        conn.execute(load_sql(__file__, "uc_conditionality"))
        conn.execute("COMMIT")
        n, wards = conn.execute("SELECT count(*), count(DISTINCT area_code) FILTER (WHERE area_level = 'ward') "
                                "FROM uc_conditionality").fetchone()
    return dg.MaterializeResult(metadata={"dagster/row_count": n, "wards": wards})
