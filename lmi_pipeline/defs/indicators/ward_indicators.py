import dagster as dg

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
        conn.execute(load_sql(__file__, "ward_indicators"))
        conn.execute("COMMIT")
        n, wards, indicators = conn.execute(
            "SELECT count(*), count(DISTINCT ward_code), count(DISTINCT indicator) FROM ward_indicators").fetchone()
        preview = conn.execute(PREVIEW_SQL).df()
    return dg.MaterializeResult(metadata={
        "dagster/row_count": n, "wards": wards, "indicators": indicators,
        "preview": dg.MetadataValue.md(preview.to_markdown(index=False)),
    })
