"""Progress since a baseline month for the focus wards: a partnership's measures of success."""

from datetime import date

import dagster as dg
import duckdb

from lmi_pipeline.project import ProjectResource
from lmi_pipeline.sql import load_sql
from lmi_pipeline.storage import WarehouseResource

PREVIEW_SQL = """
SELECT ward_name, indicator, strftime(baseline_period, '%Y-%m') AS baseline, baseline_value,
       strftime(latest_period, '%Y-%m') AS latest, latest_value, round(change, 1) AS change, direction
FROM focus_ward_progress WHERE indicator IN ('claimant_rate', 'claimant_rate_16_24')
ORDER BY lad_code, ward_name, indicator
"""


def baseline_date(month: str) -> date:
    """'2015-04' -> 2015-04-01."""
    year, mon = month.split("-")
    return date(int(year), int(mon), 1)


def build_focus_ward_progress(conn: duckdb.DuckDBPyConnection, baseline: date) -> None:
    conn.execute(load_sql(__file__, "focus_ward_progress"), {"baseline": baseline})


@dg.asset(group_name="analyses", kinds={"duckdb"}, deps=["ward_indicators", "indicator_catalogue"],
          pool="duckdb_writer")
def focus_ward_progress(project: ProjectResource, warehouse: WarehouseResource) -> dg.MaterializeResult:
    """Progress since the baseline month (lmi.toml [analysis] baseline_month) for each focus ward: every
    monthly indicator (claimant counts and rates, youth rates) then and in the latest month, the change,
    the range of change the nearest-5 rounding of both counts allows, and the same change for the district
    and England. `direction` is `rose` or `fell` only when the whole range is above or below zero,
    otherwise `within rounding`.
    """
    baseline = baseline_date(project.areas().baseline_month)
    with warehouse.get_connection() as conn:
        conn.execute("BEGIN")
        build_focus_ward_progress(conn, baseline)
        conn.execute("COMMIT")
        n = conn.execute("SELECT count(*) FROM focus_ward_progress").fetchone()[0]
        preview = conn.execute(PREVIEW_SQL).df()
    return dg.MaterializeResult(metadata={
        "dagster/row_count": n, "baseline_month": str(baseline)[:7],
        "preview": dg.MetadataValue.md(preview.to_markdown(index=False)),
    })
