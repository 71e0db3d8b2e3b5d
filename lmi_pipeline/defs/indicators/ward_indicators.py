import dagster as dg
import duckdb

from lmi_pipeline.database.sql import load_sql
from lmi_pipeline.database.storage import WarehouseResource
from lmi_pipeline.defs.column_schema import column_schema

PREVIEW_SQL = """
SELECT ward_name, indicator, strftime(period, '%Y-%m') AS period, value, lad_value, country_value, rank_in_lad,
       status, data_label
FROM ward_indicators
WHERE is_focus AND period = (SELECT max(period) FROM ward_indicators) AND indicator IN ('claimant_rate', 'claimant_rate_16_24')
ORDER BY lad_code, indicator, rank_in_lad
"""


# Ward rows per batch of indicators: all of them at once spilled 7.5 GB under the 1 GB memory limit nationally;
# one claimant-count indicator has 1.7 million ward rows there, so a batch is about one such indicator.
BATCH_ROWS = 2_000_000
WARD_ROWS_SQL = """
SELECT indicator, count(*) FROM area_indicators WHERE area_level = 'ward' GROUP BY indicator ORDER BY indicator
"""


def indicator_batches(conn: duckdb.DuckDBPyConnection, batch_rows: int = BATCH_ROWS) -> list[list[str]]:
    """The indicators in batches of about `batch_rows` ward rows (an indicator is never split); one empty
    batch when there are no ward rows, so the table is still made."""
    batches: list[list[str]] = [[]]
    size = 0
    for indicator, n in conn.execute(WARD_ROWS_SQL).fetchall():
        if batches[-1] and size + n > batch_rows:
            batches.append([])
            size = 0
        batches[-1].append(indicator)
        size += n
    return batches


def build_ward_indicators(conn: duckdb.DuckDBPyConnection, batch_rows: int = BATCH_ROWS) -> None:
    """ward_indicators.sql over each batch of indicators, the first batch making the table."""
    query = load_sql(__file__, "ward_indicators")
    for i, batch in enumerate(indicator_batches(conn, batch_rows)):
        into = "CREATE OR REPLACE TABLE ward_indicators AS" if i == 0 else "INSERT INTO ward_indicators"
        conn.execute(f"{into}\n{query}", {"indicators": batch})


@dg.asset(group_name="indicators", kinds={"duckdb"}, deps=["area_indicators", "ward_lookup", "districts", "ward_vintage_bridge"],
          pool="duckdb_writer", metadata=column_schema("ward_indicators"))
def ward_indicators(warehouse: WarehouseResource) -> dg.MaterializeResult:
    """Ward indicators: one row per ward x indicator x month, with value, numerator, denominator, unit,
    the rounding range, official/derived status and small-number flag; the district, county, region and
    England values; the change on the same month a year earlier; the rank within the district (1 = highest);
    and the provenance of the figure (dataset, query id, release, retrieval time, data label).
    """
    with warehouse.get_connection() as conn:
        conn.execute("BEGIN")
        build_ward_indicators(conn)
        conn.execute("COMMIT")
        n, wards, indicators = conn.execute(
            "SELECT count(*), count(DISTINCT ward_code), count(DISTINCT indicator) FROM ward_indicators").fetchone()
        preview = conn.execute(PREVIEW_SQL).df()
    return dg.MaterializeResult(metadata={
        "dagster/row_count": n, "wards": wards, "indicators": indicators,
        "preview": dg.MetadataValue.md(preview.to_markdown(index=False)),
    })
