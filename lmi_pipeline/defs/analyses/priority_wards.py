"""Priority wards: where a hub or programme would reach the most need, by a transparent composite."""

import dagster as dg
import duckdb
import pyarrow as pa

from lmi_pipeline.project import ProjectResource
from lmi_pipeline.sql import load_sql
from lmi_pipeline.storage import WarehouseResource

TOP_SQL = """
SELECT lad_name, ward_name, priority_score, components_used, reasons
FROM priority_wards WHERE is_top_priority ORDER BY lad_code, ward_name
"""


def build_priority_wards(conn: duckdb.DuckDBPyConnection, weights: dict[str, float]) -> None:
    """Create `priority_wards` from ward_indicators, area_indicators and ward_vintage_bridge with these weights."""
    conn.register("priority_weight_config", pa.table({"component": list(weights),
                                                      "weight": [float(w) for w in weights.values()]}))
    try:
        conn.execute(load_sql(__file__, "priority_wards"))
    finally:
        conn.unregister("priority_weight_config")


@dg.asset(group_name="analyses", kinds={"duckdb"},
          deps=["ward_indicators", "area_indicators", "ward_vintage_bridge"], pool="duckdb_writer")
def priority_wards(project: ProjectResource, warehouse: WarehouseResource) -> dg.MaterializeResult:
    """Every ward of each configured district ranked by a documented composite of its youth claimant rate,
    claimant rate, change in the claimant rate over a year and Census 2021 unemployment rate, each
    standardised within the district (z-score) and weighted by lmi.toml [priority_weights]. A component
    with no figures (e.g. before the Census is loaded) drops out and the weights of the rest are
    renormalised; `components_used` says which counted. `is_top_priority` names the ward in each district
    that would most benefit from a hub or programme, and `reasons` gives its components against the district.
    """
    weights = project.areas().priority_weights
    with warehouse.get_connection() as conn:
        conn.execute("BEGIN")
        build_priority_wards(conn, weights)
        conn.execute("COMMIT")
        n = conn.execute("SELECT count(*) FROM priority_wards").fetchone()[0]
        top = conn.execute(TOP_SQL).df()
    return dg.MaterializeResult(metadata={
        "dagster/row_count": n, "weights": dg.MetadataValue.json(weights),
        "top_priority": dg.MetadataValue.md(top.to_markdown(index=False)),
    })
