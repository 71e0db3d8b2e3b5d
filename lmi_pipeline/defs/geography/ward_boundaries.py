"""Generalised ward boundaries from the ONS Open Geography Portal, for the ward maps.

Boundaries are matched by GSS code, never by name: a boundary change issues new codes, so a code is one area
whatever the year of the boundary file it comes from. Each ward vintage held (`ward_lookup`) has its own ONS
boundary service (Wards_May_2024_Boundaries_UK_BGC, ...), discovered by name like the lookups; every service
found is asked for every ward code held, and a ward keeps the boundary of its own vintage where there is one,
else that of the newest vintage holding its code. A ward whose code no service holds has no row here: the
maps list it under the map (`ward_maps.wards_without_boundary`), never drop it silently.

Boundaries only draw the maps; no figure depends on them. So nothing about them fails the run: a vintage
with no service listed, or whose fetch fails (network, an ArcGIS error, a changed layout), is warned about and
recorded in the asset's metadata, and its wards are drawn with the boundaries of an earlier successful fetch
where this database holds them (a boundary file, once published, does not change), or else listed as having no
boundary. The report and the database are still published.
"""

import json
from dataclasses import replace

import dagster as dg
import pyarrow as pa

from lmi_pipeline.clients.ons_geo import Discovery, OnsGeoResource, discover_ward_boundaries
from lmi_pipeline.clients.transport import Fetched, UpstreamError
from lmi_pipeline.database.storage import WarehouseResource, quote_literal
from lmi_pipeline.defs import freshness
from lmi_pipeline.sources.request_log import log_requests, query_id

TABLE = "ward_boundaries"
CODES_PER_QUERY = 100  # ward codes per `IN (...)` query: ~1.3 KB of URL, well inside what ArcGIS accepts
ATTRIBUTION = ("Source: Office for National Statistics licensed under the Open Government Licence v3.0. "
               "Contains OS data © Crown copyright and database right {year}")
# As provenance.sql labels a query by its origin. Demo boundaries are the bundled copy of ONS's real file
# served by the stand-in portal, so they are labelled as bundled, not as synthetic figures.
DATA_LABEL = {"synthetic": "bundled copy of published statistics", "bundled": "bundled copy of published statistics",
              "recorded": "replayed recording of real responses", "live": "live official statistics"}

WARDS_HELD_SQL = "SELECT ward_code, ward_vintage, lad_code FROM ward_lookup ORDER BY ward_vintage, ward_code"
EARLIER_SQL = f"SELECT * FROM {TABLE} WHERE boundary_vintage = ?"
SCHEMA = pa.schema([
    ("ward_code", pa.string()), ("ward_name", pa.string()), ("boundary_vintage", pa.int64()), ("lad_code", pa.string()),
    ("geometry_type", pa.string()), ("geometry", pa.string()), ("source_service", pa.string()),
    ("query_id", pa.string()), ("retrieved_at", pa.timestamp("us", tz="UTC")), ("attribution", pa.string()),
    ("data_label", pa.string()),
])


def _in_list(field: str, codes: list[str]) -> str:
    return f"{field} IN ({','.join(quote_literal(c) for c in codes)})"


def _as_bundled(f: Fetched) -> Fetched:
    """A demo boundary query was answered from the bundled real file: provenance says so."""
    return replace(f, origin="bundled") if f.origin == "synthetic" and f.request.path.endswith("/query") else f


def fetch_vintage(ons_geo: OnsGeoResource, d: Discovery, codes: list[str], lad_of: dict[str, str]) -> list[dict]:
    """Every held code's boundary in `d`'s service (raises UpstreamError)."""
    spec = ons_geo.ward_boundaries(d)
    rows = []
    for start in range(0, len(codes), CODES_PER_QUERY):
        chunk = codes[start:start + CODES_PER_QUERY]
        features, responses = ons_geo.query_geojson(spec.service, _in_list(spec.ward_code, chunk), spec.fields,
                                                    order_by=spec.ward_code)
        first = responses[0]
        for f in features:
            if f["geometry"] is None:
                continue
            code = f[spec.ward_code]
            rows.append({
                "ward_code": code, "ward_name": f[spec.ward_name], "boundary_vintage": d.year,
                "lad_code": f[spec.lad_code] if spec.lad_code else lad_of.get(code),
                "geometry_type": f["geometry"]["type"], "geometry": json.dumps(f["geometry"], separators=(",", ":")),
                "source_service": spec.service, "query_id": query_id(first.request), "retrieved_at": first.retrieved_at,
                "attribution": ATTRIBUTION.format(year=d.year),
                "data_label": DATA_LABEL.get(_as_bundled(Fetched.of(first)).origin, first.origin),
            })
    return rows


def _rows(conn, sql: str, params: list) -> list[dict]:
    cursor = conn.execute(sql, params)
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row)) for row in cursor.fetchall()]


def choose(rows: list[dict], held: dict[str, set[int]]) -> list[dict]:
    """One boundary per ward code: of the code's own vintage (the newest, if held in several), else of the
    newest vintage whose file holds the code."""
    best: dict[str, dict] = {}
    for row in rows:
        own = row["boundary_vintage"] in held.get(row["ward_code"], set())
        rank = (own, row["boundary_vintage"])
        current = best.get(row["ward_code"])
        if current is None or rank > (current["boundary_vintage"] in held.get(row["ward_code"], set()),
                                       current["boundary_vintage"]):
            best[row["ward_code"]] = row
    return sorted(best.values(), key=lambda r: r["ward_code"])


@dg.asset(group_name="geography", kinds={"duckdb"}, deps=["ward_lookup"], pool="ons_geo_api",
          freshness_policy=freshness.ANNUAL)
def ward_boundaries(context: dg.AssetExecutionContext, ons_geo: OnsGeoResource,
                    warehouse: WarehouseResource) -> dg.MaterializeResult:
    """The generalised (BGC or BSC) boundary of every ward held, in WGS84 as GeoJSON text, from the ONS Open
    Geography Portal: matched by ward code, from the ward's own boundary vintage where ONS lists it, else
    from the newest one holding its code, with the boundary vintage, service, query and attribution. A ward
    with no boundary has no row (the maps list it). A failed boundary fetch never fails the run (see the
    module docstring): its wards are drawn from an earlier fetch, or listed as having none.
    """
    with warehouse.get_connection() as conn:
        wards = conn.execute(WARDS_HELD_SQL).fetchall()
        has_table = bool(conn.execute("SELECT count(*) FROM information_schema.tables WHERE table_name = ?",
                                      [TABLE]).fetchone()[0])
    held: dict[str, set[int]] = {}
    lad_of: dict[str, str] = {}
    for code, vintage, lad in wards:
        held.setdefault(code, set()).add(int(vintage))
        lad_of[code] = lad
    codes, vintages = sorted(held), sorted({v for vs in held.values() for v in vs}, reverse=True)
    rows: list[dict] = []
    services: dict[str, str] = {}
    not_listed: list[int] = []
    failed: dict[int, str] = {}
    with ons_geo.transport().collect() as fetched:
        try:
            listing = ons_geo.services() if codes else []
        except UpstreamError as exc:
            listing, failed = None, {v: str(exc) for v in vintages}
        for vintage in vintages if listing is not None else []:
            d = discover_ward_boundaries(listing, vintage)
            if d.service is None:
                context.log.warning(d.missing_message(ons_geo.base_url) + f" The {vintage} wards are drawn with another "
                                    "vintage's boundary of the same code where there is one, else listed without one.")
                not_listed.append(vintage)
                continue
            try:
                got = fetch_vintage(ons_geo, d, codes, lad_of)
            except UpstreamError as exc:
                failed[vintage] = str(exc)
                continue
            services[str(vintage)] = d.service
            context.log.info(f"ONS {d.service}: {len(got)} of {len(codes)} ward codes held have a boundary")
            rows += got
    kept: list[int] = []
    with warehouse.get_connection() as conn:
        for vintage, why in failed.items():
            earlier = _rows(conn, EARLIER_SQL, [vintage]) if has_table else []
            context.log.warning(f"ONS ward boundaries for {vintage} wards could not be fetched: {why} "
                                + (f"The {len(earlier)} boundaries fetched earlier are used." if earlier else
                                   "Their wards are drawn with another vintage's boundary of the same code where "
                                   "there is one, else listed without a boundary; the run goes on."))
            if earlier:
                kept.append(vintage)
                rows += [{k: r[k] for k in SCHEMA.names} for r in earlier]
        chosen = choose(rows, held)
        conn.execute("BEGIN")
        conn.register("boundaries", pa.Table.from_pylist(chosen, schema=SCHEMA))
        conn.execute(f"CREATE OR REPLACE TABLE {TABLE} AS SELECT * FROM boundaries")
        conn.unregister("boundaries")
        # Boundaries kept from an earlier fetch keep their provenance rows.
        log_requests(conn, TABLE, [_as_bundled(f) for f in fetched], keep_referenced_by=TABLE)
        conn.execute("COMMIT")
    missing = sorted(set(codes) - {r["ward_code"] for r in chosen})
    if missing:
        context.log.warning(f"{len(missing)} of {len(codes)} ward codes held have no boundary (listed under the maps): "
                            f"{', '.join(missing[:12])}{' ...' if len(missing) > 12 else ''}")
    return dg.MaterializeResult(metadata={
        "dagster/row_count": len(chosen), "services": services, "vintages_not_listed": not_listed,
        "vintages_failed": sorted(failed), "vintages_kept_from_earlier_fetch": kept,
        "wards_without_boundary": len(missing),
        **({"failures": dg.MetadataValue.md("\n\n".join(f"**{v}**: {w}" for v, w in failed.items()))} if failed else {}),
    })
