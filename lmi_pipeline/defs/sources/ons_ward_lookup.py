import dagster as dg
import pyarrow as pa

from lmi_pipeline.clients.ons_geo import WARD_LOOKUPS, OnsGeoResource
from lmi_pipeline.clients.transport import UpstreamError
from lmi_pipeline.defs import freshness
from lmi_pipeline.defs.sources.request_log import log_requests
from lmi_pipeline.project import ProjectResource
from lmi_pipeline.storage import WarehouseResource, quote_literal


@dg.asset(group_name="sources", kinds={"duckdb"}, deps=["nomis_geographies"], pool="ons_geo_api",
          freshness_policy=freshness.ANNUAL)
def ons_ward_lookup(context: dg.AssetExecutionContext, ons_geo: OnsGeoResource, project: ProjectResource,
                    warehouse: WarehouseResource) -> dg.MaterializeResult:
    """ONS Open Geography Portal ward -> district -> county -> region lookup, for the configured districts.

    Fetched for every ward boundary vintage the Nomis datasets use, so each ward row carries its vintage.
    Counties come back as the ONS pseudo-code E99999999 for unitary authorities; that is kept as is here.
    """
    areas = project.areas()
    with warehouse.get_connection() as conn:
        vintages = [r[0] for r in conn.execute(
            "SELECT DISTINCT ward_vintage FROM nomis_geographies WHERE level = 'ward' ORDER BY 1").fetchall()]
    mark = len(ons_geo.transport().fetched)
    rows = []
    for vintage in vintages:
        spec = WARD_LOOKUPS.get(vintage)
        if spec is None:
            raise UpstreamError(
                f"Nomis uses {vintage} wards, but no ONS ward lookup service is registered for that vintage. "
                "Add its service name to lmi_pipeline.clients.ons_geo.WARD_LOOKUPS."
            )
        # Codes were validated against a strict pattern in lmi.toml; quoting is still done properly.
        where = f"{spec.lad_code} IN ({','.join(quote_literal(c) for c in areas.lad_codes)})"
        features, _ = ons_geo.query(spec.service, where, spec.fields, order_by=spec.ward_code)
        context.log.info(f"ONS {spec.service}: {len(features)} wards")
        for f in features:
            rows.append({
                "ward_code": f[spec.ward_code], "ward_name": f[spec.ward_name], "ward_vintage": vintage,
                "lad_code": f[spec.lad_code], "lad_name": f[spec.lad_name],
                "county_code": f[spec.county_code], "county_name": f[spec.county_name],
                "region_code": f[spec.region_code], "region_name": f[spec.region_name],
                "source_service": spec.service,
            })
    with warehouse.get_connection() as conn:
        conn.execute("BEGIN")
        conn.register("lookup", pa.Table.from_pylist(rows))
        conn.execute("CREATE OR REPLACE TABLE ons_ward_lookup AS SELECT * FROM lookup")
        log_requests(conn, "ons_ward_lookup", ons_geo.transport().fetched[mark:])
        conn.execute("COMMIT")
    return dg.MaterializeResult(metadata={"dagster/row_count": len(rows), "vintages": str(vintages)})
