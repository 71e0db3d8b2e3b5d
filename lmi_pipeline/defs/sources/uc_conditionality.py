"""DWP Stat-Xplore: people on Universal Credit by conditionality regime, for wards, their districts and countries
(optional: needs a key)."""

import dagster as dg
import pyarrow as pa

from lmi_pipeline.clients.statxplore import StatXploreResource, tidy_rows
from lmi_pipeline.database.storage import WarehouseResource, quote_ident
from lmi_pipeline.sources import uc_conditionality as uc
from lmi_pipeline.sources.isolation import isolated_source, record
from lmi_pipeline.sources.request_log import log_requests, query_id


def create_empty_table(conn) -> None:
    """The raw table with no rows, as it stands until a keyed run loads it."""
    conn.execute(f"CREATE TABLE IF NOT EXISTS {quote_ident(uc.ASSET)} ("
                 + ", ".join(f"{quote_ident(c)} VARCHAR" for c in uc.COLUMNS) + ")")


@isolated_source(uc.COLUMNS, upstream=uc.UPSTREAM)
def _load(context: dg.AssetExecutionContext, statxplore: StatXploreResource,
          warehouse: WarehouseResource) -> dg.MaterializeResult:
    with warehouse.get_connection() as conn:
        # Stat-Xplore holds one ward set (its current one): older boundaries' codes would be refused.
        wards, lads, countries = conn.execute(
            "SELECT list(DISTINCT ward_code ORDER BY ward_code), list(DISTINCT lad_code ORDER BY lad_code), "
            "list(DISTINCT country_code ORDER BY country_code) FROM ward_lookup "
            "WHERE ward_vintage = (SELECT max(ward_vintage) FROM ward_lookup)").fetchone()
    with statxplore.transport().collect() as fetched:
        query = uc.conditionality_query(wards or [], lads or [], countries or [])
        doc, response = statxplore.table(query, "Stat-Xplore UC_Monthly (conditionality regime)")
    what = response.request.describe()
    rows = uc.latest_month(tidy_rows(doc, uc.WARD_FIELD, uc.DATE_FIELD, uc.REGIME_FIELD, what))
    qid = query_id(response.request)
    table = pa.Table.from_pylist(
        [{"area_code": r["area_code"], "area_name": r["area_name"], "period": r["period"],
          "regime_code": r["category_code"], "regime": r["category"],
          "people": None if r["value"] is None else f"{r['value']:g}", "query_id": qid} for r in rows],
        schema=pa.schema([(c, pa.string()) for c in uc.COLUMNS]))
    latest = rows[0]["period"] if rows else ""
    with warehouse.get_connection() as conn:
        conn.execute("BEGIN")
        conn.register("uc_rows", table)
        conn.execute(f"CREATE OR REPLACE TABLE {quote_ident(uc.ASSET)} AS SELECT * FROM uc_rows")
        conn.unregister("uc_rows")
        log_requests(conn, uc.ASSET, fetched, datasets={"table": "UC_Monthly"}, rows={response.request: len(rows)})
        conn.execute("COMMIT")
    context.log.info(f"Stat-Xplore UC_Monthly: {len(rows):,} rows for {len(wards or []):,} wards, their districts "
                     f"and countries, {latest}")
    return dg.MaterializeResult(metadata={"dagster/row_count": len(rows), "latest_period": latest,
                                          "route": "Stat-Xplore Open Data API", "geography_level": "ward"})


@dg.asset(group_name="sources", kinds={"duckdb"}, deps=["ward_lookup", "statxplore_uc_monthly"])
def raw_uc_conditionality(context: dg.AssetExecutionContext, statxplore: StatXploreResource,
                          warehouse: WarehouseResource) -> dg.MaterializeResult:
    """DWP Stat-Xplore UC_Monthly: people on Universal Credit by conditionality regime, for the wards of the
    newest boundaries in ward_lookup, their districts and countries, latest month (every column text). Optional: with no STATXPLORE_API_KEY nothing is requested,
    nothing fails, the table is left as it is (created empty the first time) and source_status records
    outcome `needs_key`, so the gap mapping shows the need as `free_key`.
    """
    if not statxplore.has_key():
        with warehouse.get_connection() as conn:
            conn.execute("BEGIN")
            create_empty_table(conn)
            record(conn, uc.ASSET, uc.UPSTREAM, "needs_key", uc.NEEDS_KEY_REASON, context.run.run_id)
            conn.execute("COMMIT")
        context.log.info(f"{uc.ASSET}: skipped, no Stat-Xplore key. {uc.NEEDS_KEY_REASON}")
        return dg.MaterializeResult(metadata={"outcome": "needs_key", "reason": uc.NEEDS_KEY_REASON,
                                              "dagster/row_count": 0})
    return _load(context, statxplore=statxplore, warehouse=warehouse)
