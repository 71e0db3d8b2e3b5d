"""Nomis geography ids, resolved at run time from Nomis's own metadata.

Nomis keys data on its own numeric geography ids, and its ward TYPEs change with boundary vintages
(NM_162_1 moved to a newer ward vintage in 2026, and the ids changed with it). So nothing here is
hard-coded: each dataset's TYPE list is read, the newest ward and district types are picked by name,
and areas are matched to our GSS codes through the `GeogCode` annotation.
"""


import re
from dataclasses import dataclass

import dagster as dg
import pyarrow as pa

from lmi_pipeline.clients.nomis import NomisResource
from lmi_pipeline.clients.transport import UpstreamError
from lmi_pipeline.defs.sources.request_log import log_requests
from lmi_pipeline.project import ProjectResource
from lmi_pipeline.storage import WarehouseResource

# The Nomis datasets whose geographies we need, by the role they play here.
NOMIS_DATASETS = {"claimant_count": "NM_162_1", "population": "NM_2014_1"}

LEVEL_PATTERNS = {
    "ward": re.compile(r"\bwards?\b", re.I),
    "lad": re.compile(r"local authorit.*district", re.I),
    "county": re.compile(r"local authorit.*county", re.I),
    "region": re.compile(r"^regions?$", re.I),
    "country": re.compile(r"^countries$", re.I),
}
YEAR = re.compile(r"\b(19|20)(\d{2})\b")


@dataclass(frozen=True)
class GeoType:
    selector: str  # "TYPE424"
    name: str
    level: str
    vintage: "int | None"  # the year in the type's name: "2022 wards" -> 2022


def classify_types(types: list[tuple[str, str]]) -> dict[str, GeoType]:
    """Pick, for each level, the newest TYPE whose name says it is that level."""
    best: dict[str, GeoType] = {}
    for selector, name in types:
        for level, pattern in LEVEL_PATTERNS.items():
            if not pattern.search(name):
                continue
            m = YEAR.search(name)
            gt = GeoType(selector, name, level, int(m.group(0)) if m else None)
            if level == "ward" and gt.vintage is None:
                continue  # a ward type must say which boundaries it uses
            current = best.get(level)
            if current is None or (gt.vintage or 0) > (current.vintage or 0):
                best[level] = gt
    return best


@dg.asset(group_name="sources", kinds={"duckdb"}, pool="nomis_api")
def nomis_geographies(context: dg.AssetExecutionContext, nomis: NomisResource, project: ProjectResource,
                      warehouse: WarehouseResource) -> dg.MaterializeResult:
    """Nomis geography ids for every area we query, resolved from Nomis metadata at run time.

    One row per dataset x area: the configured districts and all their wards (newest ward vintage the
    dataset offers), plus every county, region and country Nomis lists, so benchmarks resolve without
    further requests. Joined to everything else on `gss_code`, never on names.
    """
    areas = project.areas()  # validates lmi.toml before the first network call
    mark = len(nomis.transport().fetched)
    rows: list[dict] = []
    for role, dataset in NOMIS_DATASETS.items():
        types = classify_types(nomis.geography_types(dataset))
        missing = [lvl for lvl in ("ward", "lad", "region", "country") if lvl not in types]
        if missing:
            raise UpstreamError(f"Nomis {dataset}: no geography type found for {missing}; Nomis may have "
                                "renamed its types. Check dataset/{dataset}/geography/TYPE.def.sdmx.json.")
        context.log.info(f"{dataset}: wards from '{types['ward'].name}' ({types['ward'].selector}), "
                         f"districts from '{types['lad'].name}'")
        listed = {}
        for level in ("lad", "county", "region", "country"):
            if level in types:
                for a in nomis.areas(dataset, types[level].selector):
                    listed.setdefault(a.gss_code, (level, a))
        for la in areas.local_authorities:
            if la.code not in listed or listed[la.code][0] != "lad":
                raise UpstreamError(
                    f"lmi.toml: local authority {la.code} is not among the districts Nomis {dataset} publishes "
                    f"('{types['lad'].name}'). Check the code is a current district/unitary GSS code."
                )
            lad = listed[la.code][1]
            for w in nomis.areas(dataset, f"{lad.nomis_id}{types['ward'].selector}"):
                rows.append(_row(role, dataset, "ward", w, types["ward"], la.code))
        for code, (level, a) in listed.items():
            rows.append(_row(role, dataset, level, a, types[level], a.gss_code if level == "lad" else None))
        for b in areas.benchmarks:
            if b not in listed:
                raise UpstreamError(f"lmi.toml: benchmark {b} is not an area Nomis {dataset} publishes.")

    table = pa.Table.from_pylist(rows)
    with warehouse.get_connection() as conn:
        conn.execute("BEGIN")
        conn.register("geographies", table)
        conn.execute("CREATE OR REPLACE TABLE nomis_geographies AS SELECT * FROM geographies")
        log_requests(conn, "nomis_geographies", nomis.transport().fetched[mark:],
                     datasets={f"dataset/{d}": d for d in NOMIS_DATASETS.values()})
        conn.execute("COMMIT")
    wards = sum(1 for r in rows if r["level"] == "ward")
    return dg.MaterializeResult(metadata={"dagster/row_count": len(rows), "wards": wards})


def _row(role: str, dataset: str, level: str, area, gtype: GeoType, lad_code: str | None) -> dict:
    return {
        "role": role, "dataset": dataset, "level": level, "gss_code": area.gss_code, "nomis_id": area.nomis_id,
        "nomis_name": area.name, "type_selector": gtype.selector, "type_name": gtype.name,
        "ward_vintage": gtype.vintage if level == "ward" else None, "lad_code": lad_code,
    }
