"""The Nomis observation status codelist, published for researchers reading an `obs_status`."""

import dagster as dg

from lmi_pipeline.database.storage import WarehouseResource
from lmi_pipeline.database.tidy import STATUS_TABLE


@dg.asset(group_name="warehouse", kinds={"duckdb"}, pool="duckdb_writer")
def obs_status_codes(warehouse: WarehouseResource) -> dg.MaterializeResult:
    """The Nomis observation status codes the pipeline understands (code, label) and which of them mean a
    suppressed or missing value (`is_suppressed`): the key to every table's `obs_status`. The same codelist
    the typed tables' `is_suppressed` is read from, and the rule for blank Nomis values.
    """
    with warehouse.get_connection() as conn:
        conn.register("status_codelist", STATUS_TABLE)
        conn.execute("CREATE OR REPLACE TABLE obs_status_codes AS SELECT * FROM status_codelist")
        conn.unregister("status_codelist")
    return dg.MaterializeResult(metadata={"dagster/row_count": STATUS_TABLE.num_rows})
