"""ONS Open Geography Portal lookups, fetched for the configured districts: wards (per boundary vintage),
LSOA21 -> ward best fits (per vintage) and combined authorities. Stored as served (codes, names and ONS's
blank conventions untouched); `ward_lookup` and `districts` read them.

Each lookup is discovered in ONS's services directory by name pattern (lmi_pipeline/clients/ons_geo.py),
and its field names are read from its layer. A ward vintage with no lookup listed is skipped with a warning
naming the year, the pattern and the nearest names listed, and recorded in the asset's `missing_vintages`
metadata; the other vintages still load. Only when no vintage at all could be looked up does the asset fail:
an empty lookup would leave nothing for `ward_lookup` to resolve and hide the cause behind later errors.
A service the directory lists but that then fails (an ArcGIS error, a changed layout) always fails the
asset: that is a fault upstream, not a lookup that does not exist yet.
"""

import dagster as dg
import pyarrow as pa

from lmi_pipeline.clients.ons_geo import (
    Discovery, OnsGeoResource, discover_combined_authority_lookup, discover_lsoa_ward_lookup, discover_ward_lookup,
)
from lmi_pipeline.clients.transport import UpstreamError
from lmi_pipeline.defs import freshness
from lmi_pipeline.sources.request_log import log_requests, query_id
from lmi_pipeline.project import ProjectResource
from lmi_pipeline.storage import WarehouseResource, quote_literal

WARD_SCHEMA = pa.schema([(c, pa.int64() if c == "ward_vintage" else pa.string()) for c in (
    "ward_code", "ward_name", "ward_vintage", "lad_code", "lad_name", "county_code", "county_name", "region_code",
    "region_name", "source_service", "query_id")])
LSOA_SCHEMA = pa.schema([(c, pa.int64() if c == "ward_vintage" else pa.string()) for c in (
    "lsoa_code", "lsoa_name", "ward_code", "ward_name", "ward_vintage", "lad_code", "lad_name", "source_service",
    "query_id")])
CA_SCHEMA = pa.schema([(c, pa.string()) for c in (
    "lad_code", "lad_name", "combined_authority_code", "combined_authority_name", "source_service", "query_id")])
WARD_VINTAGES_SQL = "SELECT DISTINCT ward_vintage FROM nomis_geographies WHERE level = 'ward' ORDER BY 1"


def _in_districts(field: str, lad_codes: list[str]) -> str:
    # Codes were validated against a strict pattern in lmi.toml; quoting is still done properly.
    return f"{field} IN ({','.join(quote_literal(c) for c in lad_codes)})"


def _write(warehouse: WarehouseResource, table: str, rows: list[dict], schema: pa.Schema, fetched) -> None:
    with warehouse.get_connection() as conn:
        conn.execute("BEGIN")
        conn.register("lookup", pa.Table.from_pylist(rows, schema=schema))
        conn.execute(f"CREATE OR REPLACE TABLE {table} AS SELECT * FROM lookup")
        conn.unregister("lookup")
        log_requests(conn, table, fetched)
        conn.execute("COMMIT")


def _vintages(warehouse: WarehouseResource) -> list[int]:
    with warehouse.get_connection() as conn:
        return [r[0] for r in conn.execute(WARD_VINTAGES_SQL).fetchall()]


def _discovered(context: dg.AssetExecutionContext, ons_geo: OnsGeoResource, vintages: list[int], what: str,
                discover) -> tuple[list[Discovery], list[Discovery]]:
    """Each vintage's lookup found in the services directory, and those with none listed (warned about)."""
    if not vintages:
        return [], []
    listing = ons_geo.services()
    found, missing = [], []
    for vintage in vintages:
        d = discover(listing, vintage)
        if d.service is None:
            context.log.warning(d.missing_message(ons_geo.base_url) + f" The {vintage} wards are not in this lookup; "
                                "the other vintages are loaded.")
            missing.append(d)
        else:
            if len(d.candidates) > 1:
                context.log.info(f"ONS {d.what} for {vintage} wards: {d.service} (also listed: "
                                 f"{', '.join(d.candidates[1:])})")
            found.append(d)
    if vintages and not found:
        raise UpstreamError(f"Nomis uses {', '.join(map(str, vintages))} wards, but the ONS services directory lists "
                            f"no {what} for any of them, so nothing could be loaded. "
                            + " ".join(d.missing_message(ons_geo.base_url) for d in missing))
    return found, missing


def _metadata(rows: list[dict], found: list[Discovery], missing: list[Discovery], base_url: str, **extra) -> dict:
    return {
        "dagster/row_count": len(rows),
        "services": {str(d.year): d.service for d in found},
        "missing_vintages": [d.year for d in missing],
        **({"missing": dg.MetadataValue.md("\n\n".join(d.missing_message(base_url) for d in missing))}
           if missing else {}),
        **extra,
    }


@dg.asset(group_name="geography", kinds={"duckdb"}, deps=["nomis_geographies"], pool="ons_geo_api",
          freshness_policy=freshness.ANNUAL)
def ons_ward_lookup(context: dg.AssetExecutionContext, ons_geo: OnsGeoResource, project: ProjectResource,
                    warehouse: WarehouseResource) -> dg.MaterializeResult:
    """ONS ward -> district -> county -> region lookups for the configured districts, one per ward boundary
    vintage the Nomis datasets use, as served: the county column keeps ONS's conventions (blank or
    E99999999 for unitaries, E11 metropolitan counties, E13 Inner/Outer London, or the district's own code
    in CTYUA lookups); `ward_lookup` and `districts` make sense of them.
    """
    lad_codes = project.areas().lad_codes
    mark = len(ons_geo.transport().fetched)
    rows = []
    found, missing = _discovered(context, ons_geo, _vintages(warehouse), "ward lookup", discover_ward_lookup)
    no_region = []
    for d in found:
        vintage = d.year
        spec = ons_geo.ward_lookup(d)
        if spec.region_code is None:
            no_region.append(vintage)
            context.log.warning(f"ONS {spec.service} has no RGN{vintage % 100:02d}CD/NM fields: the {vintage} wards' "
                                "region is left empty.")
        features, responses = ons_geo.query(spec.service, _in_districts(spec.lad_code, lad_codes), spec.fields,
                                            order_by=spec.ward_code)
        context.log.info(f"ONS {spec.service}: {len(features)} wards")
        qid = query_id(responses[0].request)
        rows += [{"ward_code": f[spec.ward_code], "ward_name": f[spec.ward_name], "ward_vintage": vintage,
                  "lad_code": f[spec.lad_code], "lad_name": f[spec.lad_name], "county_code": f[spec.county_code],
                  "county_name": f[spec.county_name],
                  "region_code": f[spec.region_code] if spec.region_code else None,
                  "region_name": f[spec.region_name] if spec.region_name else None,
                  "source_service": spec.service, "query_id": qid}
                 for f in features]
    _write(warehouse, "ons_ward_lookup", rows, WARD_SCHEMA, ons_geo.transport().fetched[mark:])
    return dg.MaterializeResult(metadata=_metadata(rows, found, missing, ons_geo.base_url,
                                                   **({"vintages_without_region": no_region} if no_region else {})))


@dg.asset(group_name="geography", kinds={"duckdb"}, deps=["nomis_geographies"], pool="ons_geo_api",
          freshness_policy=freshness.ANNUAL)
def ons_lsoa_ward_lookup(context: dg.AssetExecutionContext, ons_geo: OnsGeoResource, project: ProjectResource,
                         warehouse: WarehouseResource) -> dg.MaterializeResult:
    """ONS LSOA21 -> ward best-fit lookups for the configured districts, one per ward boundary vintage the
    Nomis datasets use (e.g. LSOA21_WD24_LAD24_EW_LU), as served. Used to aggregate LSOA-only Census
    tables to wards and to relate ward vintages (ward_vintage_bridge).
    """
    lad_codes = project.areas().lad_codes
    mark = len(ons_geo.transport().fetched)
    rows = []
    found, missing = _discovered(context, ons_geo, _vintages(warehouse), "LSOA21 -> ward lookup",
                                 discover_lsoa_ward_lookup)
    for d in found:
        vintage = d.year
        spec = ons_geo.lsoa_ward_lookup(d)
        features, responses = ons_geo.query(spec.service, _in_districts(spec.lad_code, lad_codes), spec.fields,
                                            order_by=spec.lsoa_code)
        context.log.info(f"ONS {spec.service}: {len(features)} LSOAs")
        qid = query_id(responses[0].request)
        rows += [{"lsoa_code": f[spec.lsoa_code], "lsoa_name": f[spec.lsoa_name], "ward_code": f[spec.ward_code],
                  "ward_name": f[spec.ward_name], "ward_vintage": vintage, "lad_code": f[spec.lad_code],
                  "lad_name": f[spec.lad_name], "source_service": spec.service, "query_id": qid} for f in features]
    _write(warehouse, "ons_lsoa_ward_lookup", rows, LSOA_SCHEMA, ons_geo.transport().fetched[mark:])
    return dg.MaterializeResult(metadata=_metadata(rows, found, missing, ons_geo.base_url))


@dg.asset(group_name="geography", kinds={"duckdb"}, deps=["areas_config"], pool="ons_geo_api",
          freshness_policy=freshness.ANNUAL)
def ons_combined_authorities(context: dg.AssetExecutionContext, ons_geo: OnsGeoResource, project: ProjectResource,
                             warehouse: WarehouseResource) -> dg.MaterializeResult:
    """ONS local authority district -> combined authority lookup for the configured districts, as served: the
    newest one the services directory lists (e.g. LAD24_CAUTH24_EN_LU). A district absent from it is in no
    combined authority. None listed at all fails the asset (districts would silently lose their benchmark)."""
    lad_codes = project.areas().lad_codes
    mark = len(ons_geo.transport().fetched)
    d = discover_combined_authority_lookup(ons_geo.services())
    if d.service is None:
        raise UpstreamError(d.missing_message(ons_geo.base_url))
    spec = ons_geo.combined_authority_lookup(d)
    features, responses = ons_geo.query(spec.service, _in_districts(spec.lad_code, lad_codes), spec.fields,
                                        order_by=spec.lad_code)
    qid = query_id(responses[0].request)
    rows = [{"lad_code": f[spec.lad_code], "lad_name": f[spec.lad_name], "combined_authority_code": f[spec.code],
             "combined_authority_name": f[spec.name], "source_service": spec.service, "query_id": qid} for f in features]
    context.log.info(f"ONS {spec.service}: {len(rows)} of {len(lad_codes)} districts are in a combined authority")
    _write(warehouse, "ons_combined_authorities", rows, CA_SCHEMA, ons_geo.transport().fetched[mark:])
    return dg.MaterializeResult(metadata={"dagster/row_count": len(rows), "service": spec.service,
                                          "also_listed": list(d.candidates[1:])})
