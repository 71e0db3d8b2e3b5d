"""The LMI gap matrix: what is known about each focus ward and district, at what level, how fresh."""

from datetime import date

import dagster as dg
import duckdb

from lmi_pipeline.database.sql import load_sql
from lmi_pipeline.database.storage import WarehouseResource
from lmi_pipeline.defs.column_schema import column_schema

# A figure describing a period more than this many months before the run is flagged `is_dated` (e.g. the
# Census 2021 snapshot), even when its source is not due to publish again (so not stale).
DATED_AFTER_MONTHS = 24

SUMMARY_SQL = """
SELECT coverage, count(*) AS n FROM lmi_gaps GROUP BY ALL ORDER BY coverage
"""


def build_lmi_gaps(conn: duckdb.DuckDBPyConnection, as_of: date, dated_months: int = DATED_AFTER_MONTHS) -> None:
    """Create `lmi_gaps` and the `lmi_gaps_to_fill` view from indicator_catalogue, area_indicators and ward_lookup."""
    conn.execute(load_sql(__file__, "lmi_gaps"), {"as_of": as_of, "dated_months": dated_months})
    conn.execute(load_sql(__file__, "lmi_gaps_to_fill"))


@dg.asset(group_name="analyses", kinds={"duckdb"}, deps=["indicator_catalogue", "area_indicators", "ward_lookup"],
          pool="duckdb_writer", metadata=column_schema("lmi_gaps"))
def lmi_gaps(warehouse: WarehouseResource) -> dg.MaterializeResult:
    """The LMI gap matrix: one row per focus ward and per configured district x every indicator in the
    catalogue. `coverage` says whether the indicator is available for the place itself, only at district,
    county, region or country level (`lad_only`, `county_only`...), only as a proxy, or missing; with the
    latest period, its age in months, when the next release was due (`is_stale` once it is overdue),
    `is_dated` for old snapshots such as Census 2021, and the rounding and suppression limits. The view
    `lmi_gaps_to_fill` lists the gaps, with the places they affect. New sources appear with no code change.
    """
    with warehouse.get_connection() as conn:
        conn.execute("BEGIN")
        build_lmi_gaps(conn, date.today())
        conn.execute("COMMIT")
        n = conn.execute("SELECT count(*) FROM lmi_gaps").fetchone()[0]
        coverage = dict(conn.execute(SUMMARY_SQL).fetchall())
        gaps = conn.execute("SELECT gap, place_level, label, places FROM lmi_gaps_to_fill").df()
    return dg.MaterializeResult(metadata={
        "dagster/row_count": n, "coverage": dg.MetadataValue.json(coverage),
        "gaps_to_fill": dg.MetadataValue.md(gaps.to_markdown(index=False)),
    })
