"""LMI gap mapping by need: for each focus ward and district, what is held, what could be added, what is missing."""

import dagster as dg
import duckdb

from lmi_pipeline.database.sql import load_sql
from lmi_pipeline.database.storage import WarehouseResource

SUMMARY_SQL = "SELECT status, count(*) FROM lmi_need_gaps GROUP BY ALL ORDER BY status"


def build_lmi_need_gaps(conn: duckdb.DuckDBPyConnection) -> None:
    """Create `lmi_need_gaps` from lmi_needs and lmi_gaps."""
    conn.execute(load_sql(__file__, "lmi_need_gaps"))


@dg.asset(group_name="analyses", kinds={"duckdb"}, deps=["lmi_needs", "lmi_gaps"], pool="duckdb_writer")
def lmi_need_gaps(warehouse: WarehouseResource) -> dg.MaterializeResult:
    """LMI gap mapping by need: one row per focus ward and configured district x need in lmi_needs, with one
    status saying what a partnership can do about it: `held` (with `held_status`: official, computed, derived
    or proxy), `published_not_loaded` (an open source publishes it for places this small; `source_to_add` names
    it), `free_key` (e.g. DWP Stat-Xplore), `licensed_only` (e.g. job postings), `larger_area_only` (held or
    published only for the district, county, region or England), `not_published` (a line of enquiry for primary
    research), or `not_available_this_run`; with the latest period, next release and whether it is stale.
    """
    with warehouse.get_connection() as conn:
        conn.execute("BEGIN")
        build_lmi_need_gaps(conn)
        conn.execute("COMMIT")
        n = conn.execute("SELECT count(*) FROM lmi_need_gaps").fetchone()[0]
        summary = dict(conn.execute(SUMMARY_SQL).fetchall())
    return dg.MaterializeResult(metadata={"dagster/row_count": n, "statuses": dg.MetadataValue.json(summary)})
