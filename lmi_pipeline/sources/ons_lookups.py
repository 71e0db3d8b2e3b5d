"""Loading ONS Open Geography Portal lookups for the configured districts, as served, with provenance.

A lookup per ward boundary vintage (`VintageLookup`: wards, LSOA21 -> ward best fits) is discovered in
ONS's services directory for each vintage the Nomis datasets use. A vintage with no lookup listed is skipped
with a warning naming the year, the pattern and the nearest names listed; only when no vintage at all
could be looked up does the load fail (an empty lookup would hide the cause behind later errors).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

import dagster as dg
import pyarrow as pa

from lmi_pipeline.clients.ons_geo import ArcGisService, Discovery, OnsGeoResource
from lmi_pipeline.clients.transport import Fetched, UpstreamError
from lmi_pipeline.database.storage import WarehouseResource, quote_literal
from lmi_pipeline.sources.request_log import log_requests, query_id

WARD_VINTAGES_SQL = "SELECT DISTINCT ward_vintage FROM nomis_geographies WHERE level = 'ward' ORDER BY 1"


@dataclass(frozen=True)
class VintageLookup:
    """An ONS lookup fetched once per ward boundary vintage into one table."""

    table: str
    what: str  # what ONS calls it, for messages: "ward lookup"
    rows_are: str  # what one row is, for the log: "wards"
    schema: pa.Schema
    discover: Callable[[list[ArcGisService], int], Discovery]
    service: Callable[[OnsGeoResource, Discovery], Any]  # its fields, read from its layer
    order_by: Callable[[Any], str]
    row: Callable[[Any, dict], dict]  # a feature as a row, before its vintage, service and query id


@dataclass
class LookupLoad:
    rows: list[dict]
    found: list[Discovery]
    missing: list[Discovery]
    services: dict[int, Any]  # vintage -> the service read


def in_districts(field: str, lad_codes: list[str]) -> str:
    # Codes were validated against a strict pattern in lmi.toml; quoting is still done properly.
    return f"{field} IN ({','.join(quote_literal(c) for c in lad_codes)})"


def load_vintage_lookup(context: dg.AssetExecutionContext, ons_geo: OnsGeoResource, warehouse: WarehouseResource,
                        lad_codes: list[str], lookup: VintageLookup) -> LookupLoad:
    """Every vintage's lookup rows for the districts, written to the lookup's table with their requests."""
    with ons_geo.transport().collect() as fetched:
        found, missing = discovered(context, ons_geo, ward_vintages(warehouse), lookup.what, lookup.discover)
        rows: list[dict] = []
        services = {}
        for d in found:
            spec = services[d.year] = lookup.service(ons_geo, d)
            features, responses = ons_geo.query(spec.service, in_districts(spec.lad_code, lad_codes), spec.fields,
                                                order_by=lookup.order_by(spec))
            context.log.info(f"ONS {spec.service}: {len(features)} {lookup.rows_are}")
            qid = query_id(responses[0].request)
            rows += [{**lookup.row(spec, f), "ward_vintage": d.year, "source_service": spec.service, "query_id": qid}
                     for f in features]
    write(warehouse, lookup.table, rows, lookup.schema, fetched)
    return LookupLoad(rows, found, missing, services)


def write(warehouse: WarehouseResource, table: str, rows: list[dict], schema: pa.Schema,
          fetched: list[Fetched]) -> None:
    with warehouse.get_connection() as conn:
        conn.execute("BEGIN")
        conn.register("lookup", pa.Table.from_pylist(rows, schema=schema))
        conn.execute(f"CREATE OR REPLACE TABLE {table} AS SELECT * FROM lookup")
        conn.unregister("lookup")
        log_requests(conn, table, fetched)
        conn.execute("COMMIT")


def ward_vintages(warehouse: WarehouseResource) -> list[int]:
    with warehouse.get_connection() as conn:
        return [r[0] for r in conn.execute(WARD_VINTAGES_SQL).fetchall()]


def discovered(context: dg.AssetExecutionContext, ons_geo: OnsGeoResource, vintages: list[int], what: str,
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


def lookup_metadata(load: LookupLoad, base_url: str, **extra) -> dict:
    return {
        "dagster/row_count": len(load.rows),
        "services": {str(d.year): d.service for d in load.found},
        "missing_vintages": [d.year for d in load.missing],
        **({"missing": dg.MetadataValue.md("\n\n".join(d.missing_message(base_url) for d in load.missing))}
           if load.missing else {}),
        **extra,
    }
