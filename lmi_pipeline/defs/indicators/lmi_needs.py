"""lmi_needs: what a partnership asks of LMI and the published sources that answer it (needs.toml)."""

import dagster as dg
import pyarrow as pa

from lmi_pipeline.database.storage import WarehouseResource
from lmi_pipeline.indicators.needs import NEEDS_COLUMNS, needs_rows

CREATE_NEEDS = "CREATE OR REPLACE TABLE lmi_needs ({columns})".format(
    columns=", ".join(f"{name} {type_}" for name, type_, _ in NEEDS_COLUMNS))


@dg.asset(group_name="indicators", kinds={"duckdb"}, deps=["indicator_catalogue"], pool="duckdb_writer")
def lmi_needs(warehouse: WarehouseResource) -> dg.MaterializeResult:
    """The LMI needs catalogue (lmi_pipeline/indicators/needs.toml, checked against the indicator catalogue): one
    row per need x published source. A need is what a youth-employment or worklessness partnership asks of LMI
    (unemployment, youth unemployment, NEET, inactivity, worklessness, Universal Credit conditionality,
    qualifications, jobs and sectors, vacancies, earnings, apprenticeships and FE, school-leaver destinations,
    deprivation, young people); a source is who publishes what, at which lowest geography, how often, how it may
    be had (open, free key, licensed), whether lmi-pipeline loads it, and the publisher's page the facts were
    checked against. `lmi_need_gaps` reads it.
    """
    rows = needs_rows()
    with warehouse.get_connection() as conn:
        conn.execute("BEGIN")
        conn.execute(CREATE_NEEDS)
        conn.register("need_rows", pa.Table.from_pylist(rows))
        conn.execute(f"INSERT INTO lmi_needs SELECT {', '.join(n for n, _, _ in NEEDS_COLUMNS)} FROM need_rows")
        conn.unregister("need_rows")
        conn.execute("COMMIT")
    return dg.MaterializeResult(metadata={
        "dagster/row_count": len(rows), "needs": len({r["need_id"] for r in rows}),
        "loaded_sources": sum(1 for r in rows if r["loaded"]),
    })
