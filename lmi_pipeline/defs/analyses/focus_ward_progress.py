"""Progress since a baseline month for the focus wards: a partnership's measures of success, judged on 12-month
averages against normal month-to-month variation and rounding (method in focus_ward_progress.sql)."""

from datetime import date

import dagster as dg
import duckdb

from lmi_pipeline.database.sql import load_sql
from lmi_pipeline.database.storage import WarehouseResource
from lmi_pipeline.project import ProjectResource

PREVIEW_SQL = """
SELECT ward_name, ward_vintage, indicator, strftime(baseline_period, '%Y-%m') AS baseline,
       round(baseline_mean, 1) AS baseline_mean, strftime(latest_period, '%Y-%m') AS latest,
       round(latest_mean, 1) AS latest_mean, round(change, 1) AS change, round(change_lower, 1) AS lower,
       round(change_upper, 1) AS upper, direction
FROM focus_ward_progress WHERE indicator IN ('claimant_rate', 'claimant_rate_16_24')
ORDER BY lad_code, ward_name, indicator, ward_vintage
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
    """Progress since the baseline month (lmi.toml [analysis] baseline_month) for each focus ward, on each
    boundary set (ward_vintage) it is held on, never splicing sets: every monthly indicator (claimant counts
    and rates, youth rates).

    Small-area claimant figures are not seasonally adjusted, so the change that drives `direction` is the mean
    of the 12 months ending with the latest month less the mean of the 12 months ending with the baseline month
    (all 12 months needed in each, else `no baseline figure` / `too few recent months`). The baseline month and
    the same calendar month of the latest year are carried beside it (`baseline_value`,
    `latest_same_month_value`) for reference.

    Test: sigma (`noise_sd`) = sd of the month-on-month changes over the 24 months to the latest month / sqrt(2);
    SE of the difference of two 12-month means = sqrt(2) * sigma / sqrt(12); the interval is change -/+
    (1.96 * SE + the rounding range of both means: +-4 for counts rounded to 5, each month's published range for
    rates). `direction` is `rose`/`fell` only when the interval excludes 0, else `no clear change`. District and
    country changes use the same 12-month means; `change_vs_lad` for rates. `baseline_before_uc_full_service`
    (baseline before December 2018) adds a caveat that Universal Credit changed what the claimant count measures.
    """
    baseline = baseline_date(project.areas().baseline_month)
    with warehouse.get_connection() as conn:
        conn.execute("BEGIN")
        build_focus_ward_progress(conn, baseline)
        conn.execute("COMMIT")
        n = conn.execute("SELECT count(*) FROM focus_ward_progress").fetchone()[0]
        preview = conn.execute(PREVIEW_SQL).df()
        directions = ", ".join(f"{d}: {k}" for d, k in conn.execute(
            "SELECT direction, count(*) FROM focus_ward_progress GROUP BY ALL ORDER BY ALL").fetchall())
    return dg.MaterializeResult(metadata={
        "dagster/row_count": n, "baseline_month": str(baseline)[:7], "directions": directions,
        "preview": dg.MetadataValue.md(preview.to_markdown(index=False)),
    })
