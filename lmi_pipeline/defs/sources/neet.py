"""DfE "Participation in education, training and NEET age 16 to 17 by local authority", via the EES API."""

import dagster as dg

from lmi_pipeline.clients.dfe import DfeResource, neet_schema, release_stamp
from lmi_pipeline.defs import freshness
from lmi_pipeline.defs.sources.request_log import log_requests, query_id
from lmi_pipeline.project import ProjectResource
from lmi_pipeline.storage import WarehouseResource


@dg.asset(group_name="sources", kinds={"duckdb"}, pool="dfe_api", metadata={"lmi/upstream": "dfe:neet-16-17"},
          freshness_policy=freshness.ANNUAL)
def raw_neet(context: dg.AssetExecutionContext, dfe: DfeResource, project: ProjectResource,
             warehouse: WarehouseResource) -> dg.MaterializeResult:
    """DfE NEET and not known, 16-17 year olds, by local authority (upper tier), region and England:
    the EES data set's CSV exactly as served (every column text, either the 2025 or the 2026 column
    names), plus `query_id`. The data set is found by publication and title at run time, and its CSV is
    fetched for the version the API names, which provenance records. Symbols (`c`, `z`) are kept as text.
    """
    project.areas()
    mark = len(dfe.transport().fetched)
    data_set = dfe.neet_data_set()
    version = data_set["latestVersion"]
    table, resp = dfe.data_set_csv(data_set["id"], version["version"], f"DfE NEET 16-17 ({data_set['title']})")
    schema, _ = neet_schema(table.column_names, resp.request.describe())
    release = release_stamp(data_set)
    prefix = f"data-sets/{data_set['id']}"
    with warehouse.get_connection() as conn:
        conn.execute("BEGIN")
        conn.register("neet_csv", table)
        conn.execute("CREATE OR REPLACE TABLE raw_neet AS SELECT *, ?::VARCHAR AS query_id FROM neet_csv",
                     [query_id(resp.request)])
        conn.unregister("neet_csv")
        log_requests(conn, "raw_neet", dfe.transport().fetched[mark:],
                     datasets={prefix: f"DfE EES {data_set['id']}", "publications": "DfE EES publications"},
                     releases={prefix: release}, rows={resp.request: table.num_rows})
        conn.execute("COMMIT")
    context.log.info(f"DfE NEET: {table.num_rows:,} rows, {schema} column names, {release}")
    return dg.MaterializeResult(metadata={
        "dagster/row_count": table.num_rows, "schema": schema, "release": release, "data_set": data_set["id"],
        "latest_period": str(version.get("timePeriods", {}).get("end", "")),
    })
