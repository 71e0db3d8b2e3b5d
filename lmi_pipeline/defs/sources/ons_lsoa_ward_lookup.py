import dagster as dg
import pyarrow as pa

from lmi_pipeline.clients.ons_geo import LSOA_WARD_LOOKUPS, OnsGeoResource
from lmi_pipeline.clients.transport import UpstreamError
from lmi_pipeline.defs import freshness
from lmi_pipeline.defs.sources.request_log import log_requests, query_id
from lmi_pipeline.project import ProjectResource
from lmi_pipeline.storage import WarehouseResource, quote_literal

SCHEMA = pa.schema([(c, pa.int64() if c == "ward_vintage" else pa.string()) for c in (
    "lsoa_code", "lsoa_name", "ward_code", "ward_name", "ward_vintage", "lad_code", "lad_name", "source_service",
    "query_id")])


@dg.asset(group_name="sources", kinds={"duckdb"}, deps=["nomis_geographies"], pool="ons_geo_api",
          freshness_policy=freshness.ANNUAL)
def ons_lsoa_ward_lookup(context: dg.AssetExecutionContext, ons_geo: OnsGeoResource, project: ProjectResource,
                         warehouse: WarehouseResource) -> dg.MaterializeResult:
    """ONS Open Geography Portal LSOA21 -> ward best-fit lookups for the configured districts, one per
    ward boundary vintage the Nomis datasets use (e.g. LSOA21_WD23_LAD23_EW_LU), as fetched.

    Used to aggregate LSOA-only Census tables to wards and to relate ward vintages (ward_vintage_bridge).
    """
    areas = project.areas()
    with warehouse.get_connection() as conn:
        vintages = [r[0] for r in conn.execute(
            "SELECT DISTINCT ward_vintage FROM nomis_geographies WHERE level = 'ward' ORDER BY 1").fetchall()]
    mark = len(ons_geo.transport().fetched)
    rows = []
    for vintage in vintages:
        spec = LSOA_WARD_LOOKUPS.get(vintage)
        if spec is None:
            raise UpstreamError(
                f"Nomis uses {vintage} wards, but no ONS LSOA21 -> ward lookup service is registered for that "
                "vintage. Add its service name to lmi_pipeline.clients.ons_geo.LSOA_WARD_LOOKUPS."
            )
        where = f"{spec.lad_code} IN ({','.join(quote_literal(c) for c in areas.lad_codes)})"
        features, responses = ons_geo.query(spec.service, where, spec.fields, order_by=spec.lsoa_code)
        qid = query_id(responses[0].request)
        context.log.info(f"ONS {spec.service}: {len(features)} LSOAs")
        rows += [{"lsoa_code": f[spec.lsoa_code], "lsoa_name": f[spec.lsoa_name], "ward_code": f[spec.ward_code],
                  "ward_name": f[spec.ward_name], "ward_vintage": vintage, "lad_code": f[spec.lad_code],
                  "lad_name": f[spec.lad_name], "source_service": spec.service, "query_id": qid} for f in features]
    with warehouse.get_connection() as conn:
        conn.execute("BEGIN")
        conn.register("lookup", pa.Table.from_pylist(rows, schema=SCHEMA))
        conn.execute("CREATE OR REPLACE TABLE ons_lsoa_ward_lookup AS SELECT * FROM lookup")
        log_requests(conn, "ons_lsoa_ward_lookup", ons_geo.transport().fetched[mark:])
        conn.execute("COMMIT")
    return dg.MaterializeResult(metadata={"dagster/row_count": len(rows), "vintages": str(vintages)})
