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
    OnsGeoResource, discover_combined_authority_lookup, discover_lsoa_ward_lookup, discover_ward_lookup,
)
from lmi_pipeline.clients.transport import UpstreamError
from lmi_pipeline.defs import freshness
from lmi_pipeline.project import ProjectResource
from lmi_pipeline.sources.ons_lookups import (
    VintageLookup, in_districts, load_vintage_lookup, lookup_metadata, write,
)
from lmi_pipeline.sources.request_log import query_id
from lmi_pipeline.database.storage import WarehouseResource

WARD_SCHEMA = pa.schema([(c, pa.int64() if c == "ward_vintage" else pa.string()) for c in (
    "ward_code", "ward_name", "ward_vintage", "lad_code", "lad_name", "county_code", "county_name", "region_code",
    "region_name", "source_service", "query_id")])
LSOA_SCHEMA = pa.schema([(c, pa.int64() if c == "ward_vintage" else pa.string()) for c in (
    "lsoa_code", "lsoa_name", "ward_code", "ward_name", "ward_vintage", "lad_code", "lad_name", "source_service",
    "query_id")])
CA_SCHEMA = pa.schema([(c, pa.string()) for c in (
    "lad_code", "lad_name", "combined_authority_code", "combined_authority_name", "source_service", "query_id")])

WARDS = VintageLookup(
    table="ons_ward_lookup", what="ward lookup", rows_are="wards", schema=WARD_SCHEMA,
    discover=discover_ward_lookup, service=OnsGeoResource.ward_lookup, order_by=lambda s: s.ward_code,
    row=lambda s, f: {"ward_code": f[s.ward_code], "ward_name": f[s.ward_name], "lad_code": f[s.lad_code],
                      "lad_name": f[s.lad_name], "county_code": f[s.county_code], "county_name": f[s.county_name],
                      "region_code": f[s.region_code] if s.region_code else None,
                      "region_name": f[s.region_name] if s.region_name else None})
LSOAS = VintageLookup(
    table="ons_lsoa_ward_lookup", what="LSOA21 -> ward lookup", rows_are="LSOAs", schema=LSOA_SCHEMA,
    discover=discover_lsoa_ward_lookup, service=OnsGeoResource.lsoa_ward_lookup, order_by=lambda s: s.lsoa_code,
    row=lambda s, f: {"lsoa_code": f[s.lsoa_code], "lsoa_name": f[s.lsoa_name], "ward_code": f[s.ward_code],
                      "ward_name": f[s.ward_name], "lad_code": f[s.lad_code], "lad_name": f[s.lad_name]})


@dg.asset(group_name="geography", kinds={"duckdb"}, deps=["nomis_geographies"], pool="ons_geo_api",
          freshness_policy=freshness.ANNUAL)
def ons_ward_lookup(context: dg.AssetExecutionContext, ons_geo: OnsGeoResource, project: ProjectResource,
                    warehouse: WarehouseResource) -> dg.MaterializeResult:
    """ONS ward -> district -> county -> region lookups for the configured districts, one per ward boundary
    vintage the Nomis datasets use, as served: the county column keeps ONS's conventions (blank or
    E99999999 for unitaries, E11 metropolitan counties, E13 Inner/Outer London, or the district's own code
    in CTYUA lookups); `ward_lookup` and `districts` make sense of them.
    """
    load = load_vintage_lookup(context, ons_geo, warehouse, project.areas().lad_codes, WARDS)
    no_region = [vintage for vintage, spec in load.services.items() if spec.region_code is None]
    for vintage in no_region:
        context.log.warning(f"ONS {load.services[vintage].service} has no RGN{vintage % 100:02d}CD/NM fields: the "
                            f"{vintage} wards' region is left empty.")
    return dg.MaterializeResult(metadata=lookup_metadata(
        load, ons_geo.base_url, **({"vintages_without_region": no_region} if no_region else {})))


@dg.asset(group_name="geography", kinds={"duckdb"}, deps=["nomis_geographies"], pool="ons_geo_api",
          freshness_policy=freshness.ANNUAL)
def ons_lsoa_ward_lookup(context: dg.AssetExecutionContext, ons_geo: OnsGeoResource, project: ProjectResource,
                         warehouse: WarehouseResource) -> dg.MaterializeResult:
    """ONS LSOA21 -> ward best-fit lookups for the configured districts, one per ward boundary vintage the
    Nomis datasets use (e.g. LSOA21_WD24_LAD24_EW_LU), as served. Used to aggregate LSOA-only Census
    tables to wards and to relate ward vintages (ward_vintage_bridge).
    """
    load = load_vintage_lookup(context, ons_geo, warehouse, project.areas().lad_codes, LSOAS)
    return dg.MaterializeResult(metadata=lookup_metadata(load, ons_geo.base_url))


@dg.asset(group_name="geography", kinds={"duckdb"}, deps=["areas_config"], pool="ons_geo_api",
          freshness_policy=freshness.ANNUAL)
def ons_combined_authorities(context: dg.AssetExecutionContext, ons_geo: OnsGeoResource, project: ProjectResource,
                             warehouse: WarehouseResource) -> dg.MaterializeResult:
    """ONS local authority district -> combined authority lookup for the configured districts, as served: the
    newest one the services directory lists (e.g. LAD24_CAUTH24_EN_LU). A district absent from it is in no
    combined authority. None listed at all fails the asset (districts would silently lose their benchmark)."""
    lad_codes = project.areas().lad_codes
    with ons_geo.transport().collect() as fetched:
        d = discover_combined_authority_lookup(ons_geo.services())
        if d.service is None:
            raise UpstreamError(d.missing_message(ons_geo.base_url))
        spec = ons_geo.combined_authority_lookup(d)
        features, responses = ons_geo.query(spec.service, in_districts(spec.lad_code, lad_codes), spec.fields,
                                            order_by=spec.lad_code)
    qid = query_id(responses[0].request)
    rows = [{"lad_code": f[spec.lad_code], "lad_name": f[spec.lad_name], "combined_authority_code": f[spec.code],
             "combined_authority_name": f[spec.name], "source_service": spec.service, "query_id": qid} for f in features]
    context.log.info(f"ONS {spec.service}: {len(rows)} of {len(lad_codes)} districts are in a combined authority")
    write(warehouse, "ons_combined_authorities", rows, CA_SCHEMA, fetched)
    return dg.MaterializeResult(metadata={"dagster/row_count": len(rows), "service": spec.service,
                                          "also_listed": list(d.candidates[1:])})
