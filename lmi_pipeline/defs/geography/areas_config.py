import json

import dagster as dg
import pyarrow as pa

from lmi_pipeline.database.storage import WarehouseResource
from lmi_pipeline.project import ProjectResource


@dg.asset(group_name="geography", kinds={"duckdb"}, pool="duckdb_writer")
def areas_config(context: dg.AssetExecutionContext, project: ProjectResource,
                 warehouse: WarehouseResource) -> dg.MaterializeResult:
    """The areas this run covers and the settings it used, as lmi.toml asks: every district (those listed,
    and every district of the counties and regions listed, expanded with the bundled ONS reference), why
    each is covered, the focus wards as written, the extra benchmarks, and the analysis settings.
    Everything downstream covers exactly these districts.
    """
    areas = project.areas()
    config = pa.table({
        "areas_file": [str(areas.path)],
        "source_mode": [project.source_mode],
        "lad_codes": [areas.lad_codes],
        "counties": [list(areas.counties)],
        "regions": [list(areas.regions)],
        "covered_because": [json.dumps(areas.covered_because)],
        "benchmarks": [list(areas.benchmarks)],
        "focus_wards": [json.dumps({la.code: list(la.focus_wards) for la in areas.local_authorities if la.focus_wards})],
        "start_month": [areas.start_month],
        "baseline_month": [areas.baseline_month],
        "small_number_threshold": [areas.small_number_threshold],
        "youth_age_band": [areas.youth_age_band],
    })
    with warehouse.get_connection() as conn:
        conn.execute("BEGIN")
        conn.register("config", config)
        conn.execute("CREATE OR REPLACE TABLE areas_config AS SELECT * FROM config")
        conn.unregister("config")
        conn.execute("COMMIT")
    context.log.info(f"{len(areas.lad_codes)} district(s): " + ", ".join(
        f"{code} ({why})" for code, why in areas.covered_because.items()))
    return dg.MaterializeResult(metadata={"districts": len(areas.lad_codes),
                                          "covered_because": dg.MetadataValue.json(areas.covered_because)})
