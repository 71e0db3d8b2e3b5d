"""Nomis geography ids, resolved at run time from Nomis's own metadata.

Nomis keys data on its own numeric geography ids, and its ward TYPEs change with boundary vintages
(NM_162_1 moved to a newer ward vintage in 2026, and the ids changed with it). So nothing here is
hard-coded: each dataset's TYPE list is read, types are classified by name ("2022 wards", "local
authorities: district / unitary ...", "2021 super output areas - lower layer"), and areas are matched
to our GSS codes through the `GeogCode` annotation.

Ward vintages: a dataset is read on its newest ward type, and also on each older ward type (back to the
oldest vintage any dataset here is published on, i.e. the Census's 2022 wards) in which a configured
district's ward codes differ. So when Nomis moves a series to new wards, the old boundaries stay
queryable beside the new; a vintage with identical codes adds nothing (same code, same area) and is skipped.
"""


import re
from dataclasses import dataclass

import dagster as dg
import pyarrow as pa

from lmi_pipeline.clients.nomis import NomisArea, NomisResource
from lmi_pipeline.clients.transport import UpstreamError
from lmi_pipeline.defs import freshness
from lmi_pipeline.defs.sources.request_log import log_requests
from lmi_pipeline.project import ProjectResource
from lmi_pipeline.storage import WarehouseResource


@dataclass(frozen=True)
class NomisDataset:
    dataset: str
    # "ward": published for wards; "ward_or_lsoa": wards if Nomis publishes them, else 2021 LSOAs (to be
    # aggregated to wards by best fit); None: districts and above only (survey estimates).
    small_areas: str | None = "ward"
    # Survey estimates are published for districts, but not always for every benchmark level (model-based
    # unemployment: districts and counties only): a benchmark they lack is skipped, not an error.
    all_benchmarks: bool = True


# The Nomis datasets whose geographies we need, by the role they play here.
NOMIS_DATASETS = {
    "claimant_count": NomisDataset("NM_162_1"),
    "population": NomisDataset("NM_2014_1"),
    "census_economic_activity": NomisDataset("NM_2083_1"),
    "census_age_activity": NomisDataset("NM_2124_1", "ward_or_lsoa"),
    "aps": NomisDataset("NM_17_5", None, all_benchmarks=False),
    "model_unemployment": NomisDataset("NM_127_1", None, all_benchmarks=False),
}

LEVEL_PATTERNS = {
    "ward": re.compile(r"\bwards?\b", re.I),
    "lsoa": re.compile(r"lower layer|\blsoas?\b", re.I),
    "lad": re.compile(r"local authorit.*district", re.I),
    "county": re.compile(r"local authorit.*count(y|ies)", re.I),
    "combined_authority": re.compile(r"combined authorit", re.I),
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


def all_types(types: list[tuple[str, str]]) -> list[GeoType]:
    """Every TYPE whose name says which level it is, newest vintage first. Ward types must carry a year."""
    out = []
    for selector, name in types:
        for level, pattern in LEVEL_PATTERNS.items():
            if pattern.search(name):
                m = YEAR.search(name)
                gt = GeoType(selector, name, level, int(m.group(0)) if m else None)
                if level != "ward" or gt.vintage is not None:
                    out.append(gt)
                break
    return sorted(out, key=lambda g: -(g.vintage or 0))


def classify_types(types: list[tuple[str, str]]) -> dict[str, GeoType]:
    """Pick, for each level, the newest TYPE whose name says it is that level."""
    best: dict[str, GeoType] = {}
    for gt in all_types(types):
        best.setdefault(gt.level, gt)
    return best


@dg.asset(group_name="geography", kinds={"duckdb"}, deps=["areas_config"], pool="nomis_api",
          freshness_policy=freshness.EVERY_REFRESH)
def nomis_geographies(context: dg.AssetExecutionContext, nomis: NomisResource, project: ProjectResource,
                      warehouse: WarehouseResource) -> dg.MaterializeResult:
    """Nomis geography ids for every area we query, resolved from Nomis metadata at run time.

    One row per dataset x area: the configured districts and their wards (the newest ward vintage the
    dataset offers, plus older vintages whose ward codes differ, so both sides of a boundary change stay
    queryable), or their 2021 LSOAs where a Census table is not published for wards; plus every county,
    combined authority, region and country Nomis lists, so benchmarks resolve without further requests. Joined to everything
    else on `gss_code`, never on names.
    """
    areas = project.areas()  # validates lmi.toml before the first network call
    mark = len(nomis.transport().fetched)
    typed = {role: all_types(nomis.geography_types(spec.dataset)) for role, spec in NOMIS_DATASETS.items()}
    newest_wards = [next(g.vintage for g in t if g.level == "ward") for t in typed.values()
                    if any(g.level == "ward" for g in t)]
    oldest_kept = min(newest_wards, default=0)
    rows: list[dict] = []
    for role, spec in NOMIS_DATASETS.items():
        dataset, types = spec.dataset, typed[role]
        best = {}
        for gt in types:
            best.setdefault(gt.level, gt)
        needed = ["lad"] + (["region", "country"] if spec.all_benchmarks else [])
        needed += ["ward"] if spec.small_areas == "ward" else []
        if spec.small_areas == "ward_or_lsoa" and "ward" not in best:
            needed.append("lsoa")
        missing = [lvl for lvl in needed if lvl not in best]
        if missing:
            raise UpstreamError(f"Nomis {dataset}: no geography type found for {missing} among "
                                f"{[g.name for g in types]}; Nomis may have renamed its types. Check "
                                f"dataset/{dataset}/geography/TYPE.def.sdmx.json.")
        listed: dict[str, tuple[str, NomisArea]] = {}
        for level in ("lad", "county", "combined_authority", "region", "country"):
            if level in best:
                for a in nomis.areas(dataset, best[level].selector):
                    listed.setdefault(a.gss_code, (level, a))
        for la in areas.local_authorities:
            if la.code not in listed or listed[la.code][0] != "lad":
                raise UpstreamError(
                    f"lmi.toml: local authority {la.code} is not among the districts Nomis {dataset} publishes "
                    f"('{best['lad'].name}'). Check the code is a current district/unitary GSS code."
                )
            lad = listed[la.code][1]
            if spec.small_areas and "ward" in best:
                wards = [g for g in types if g.level == "ward" and g.vintage >= oldest_kept]
                for gt, found in _ward_vintages(nomis, dataset, lad, wards):
                    rows += [_row(role, dataset, "ward", w, gt, la.code) for w in found]
            elif spec.small_areas == "ward_or_lsoa":
                lsoas = nomis.areas(dataset, f"{lad.nomis_id}{best['lsoa'].selector}")
                rows += [_row(role, dataset, "lsoa", s, best["lsoa"], la.code) for s in lsoas]
        context.log.info(f"{dataset}: " + "; ".join(sorted({f"{r['level']} from '{r['type_name']}'" for r in rows
                                                            if r["dataset"] == dataset})))
        for code, (level, a) in listed.items():
            rows.append(_row(role, dataset, level, a, best[level], a.gss_code if level == "lad" else None))
        unpublished = [b for b in areas.benchmarks if b not in listed]
        if unpublished and spec.all_benchmarks:
            raise UpstreamError(f"lmi.toml: benchmark {unpublished[0]} is not an area Nomis {dataset} publishes.")
        if unpublished:
            context.log.info(f"{dataset} is not published for {unpublished}; those benchmarks are left out.")

    table = pa.Table.from_pylist(rows)
    with warehouse.get_connection() as conn:
        conn.execute("BEGIN")
        conn.register("geographies", table)
        conn.execute("CREATE OR REPLACE TABLE nomis_geographies AS SELECT * FROM geographies")
        log_requests(conn, "nomis_geographies", nomis.transport().fetched[mark:],
                     datasets={f"dataset/{d.dataset}": d.dataset for d in NOMIS_DATASETS.values()})
        conn.execute("COMMIT")
    wards = sum(1 for r in rows if r["level"] == "ward")
    vintages = sorted({r["ward_vintage"] for r in rows if r["ward_vintage"]})
    return dg.MaterializeResult(metadata={"dagster/row_count": len(rows), "wards": wards,
                                          "ward_vintages": str(vintages)})


def _ward_vintages(nomis: NomisResource, dataset: str, lad: NomisArea,
                   ward_types: list[GeoType]) -> list[tuple[GeoType, list[NomisArea]]]:
    """The district's wards in its newest ward type, and in each older type whose ward codes differ."""
    kept: list[tuple[GeoType, list[NomisArea]]] = []
    for gt in ward_types:  # newest first
        found = nomis.areas(dataset, f"{lad.nomis_id}{gt.selector}")
        codes = {w.gss_code for w in found}
        if found and all(codes != {w.gss_code for w in k} for _, k in kept):
            kept.append((gt, found))
    return kept


def _row(role: str, dataset: str, level: str, area, gtype: GeoType, lad_code: str | None) -> dict:
    return {
        "role": role, "dataset": dataset, "level": level, "gss_code": area.gss_code, "nomis_id": area.nomis_id,
        "nomis_name": area.name, "type_selector": gtype.selector, "type_name": gtype.name,
        "ward_vintage": gtype.vintage if level == "ward" else None, "lad_code": lad_code,
    }
