"""DfE "Participation in education, training and NEET age 16 to 17 by local authority", via EES: the public
API data set, or the data catalogue file when the API does not offer it."""

import dagster as dg

from lmi_pipeline.clients.dfe import NEET_GEO_COLUMNS, NEET_SCHEMAS, DfeResource, neet_schema
from lmi_pipeline.database.storage import WarehouseResource
from lmi_pipeline.defs import freshness
from lmi_pipeline.sources.isolation import isolated_source
from lmi_pipeline.sources.request_log import log_requests, query_id
from lmi_pipeline.sources.upstream import by_dataset


@dg.asset(group_name="sources", kinds={"duckdb"}, pool="dfe_api",
          deps=[by_dataset("dfe", "neet-16-17").key], freshness_policy=freshness.ANNUAL)
# With no earlier load to keep, an empty table in the 2026 layout (so the warehouse builds empty tables).
@isolated_source([*dict.fromkeys([*NEET_GEO_COLUMNS, *NEET_SCHEMAS["2026"].values()]), "query_id"])
def raw_neet(context: dg.AssetExecutionContext, dfe: DfeResource, warehouse: WarehouseResource) -> dg.MaterializeResult:
    """DfE NEET and not known, 16-17 year olds, by local authority (upper tier), region and England:
    the DfE file exactly as served (every column text: the 2025 or 2026 column names, or the dashboard
    extract's), plus `query_id`. It comes from the EES public API data set when the API offers one (found by
    publication and title, fetched for the version the API names), else from the data catalogue file of the
    publication's latest release; provenance records which (`route`), with its ids and release. Symbols
    (`c`, `z`) are kept as text.
    """
    with dfe.transport().collect() as fetched:
        table, resp, source = dfe.neet_csv()
    schema, _ = neet_schema(table.column_names, resp.request.describe())
    prefix = source.path.rsplit("/", 1)[0]  # data-sets/{id} | data-set-files/{dataSetFileId}
    with warehouse.get_connection() as conn:
        conn.execute("BEGIN")
        conn.register("neet_csv", table)
        conn.execute("CREATE OR REPLACE TABLE raw_neet AS SELECT *, ?::VARCHAR AS query_id FROM neet_csv",
                     [query_id(resp.request)])
        conn.unregister("neet_csv")
        log_requests(conn, "raw_neet", fetched,
                     datasets={prefix: source.dataset, "data-set-files": "DfE EES data catalogue",
                               "publications": "DfE EES publications"},
                     releases={prefix: source.release}, rows={resp.request: table.num_rows})
        conn.execute("COMMIT")
    why = f" (not on the public API: {source.fallback_reason})" if source.fallback_reason else ""
    context.log.info(f"DfE NEET: {table.num_rows:,} rows, {schema} column names, {source.route}, "
                     f"{source.release}{why}")
    return dg.MaterializeResult(metadata={
        "dagster/row_count": table.num_rows, "schema": schema, "release": source.release, "route": source.route,
        "data_set": source.ids.get("data_set_id") or source.ids.get("data_set_file_id", ""),
        "latest_period": source.latest_period, "ids": dg.MetadataValue.json(source.ids),
    })
