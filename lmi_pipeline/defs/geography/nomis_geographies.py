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

Requests: a dataset costs one request for its TYPE list and one per benchmark level; its wards cost one per
district and ward type, or, from NATIONAL_WARD_LISTS_FROM districts on, one per ward type for the whole
country, the wards then given to their districts by GSS code through the bundled ONS ward lookup of that
vintage (a district the lookup gives no ward of that type, e.g. one created after it, is still asked for
itself). `python -m benchmarks.geography_requests` counts them per scale.
"""


import re
from collections import defaultdict
from dataclasses import dataclass
from functools import cache

import dagster as dg
import pyarrow as pa

from lmi_pipeline.clients.nomis import NomisArea, NomisResource
from lmi_pipeline.clients.transport import UpstreamError
from lmi_pipeline.database.storage import WarehouseResource
from lmi_pipeline.defs import freshness
from lmi_pipeline.geography.reference import VINTAGES, reference
from lmi_pipeline.project import ProjectResource
from lmi_pipeline.sources.request_log import log_requests


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
    "census_qualifications": NomisDataset("NM_2084_1"),
    "census_industry": NomisDataset("NM_2077_1"),
    "census_occupation": NomisDataset("NM_2080_1"),
    "aps": NomisDataset("NM_17_5", None, all_benchmarks=False),
    "model_unemployment": NomisDataset("NM_127_1", None, all_benchmarks=False),
    "ashe": NomisDataset("NM_30_1", None, all_benchmarks=False),
    "jobs_density": NomisDataset("NM_57_1", None, all_benchmarks=False),
    # Workplace jobs and business sites: for wards where Nomis publishes them for wards, else districts and above
    # (never LSOA sums: BRES cells are rounded one by one, so sums of rounded LSOAs would pile up the rounding).
    "bres": NomisDataset("NM_189_1"),
    "business_counts": NomisDataset("NM_141_1"),
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
# From this many configured districts, a ward type is listed once for the country rather than per district:
# two lists of a few thousand wards instead of hundreds of small requests (at Nomis's polite 4 a second,
# ~700 requests a dataset nationally would take three minutes each).
NATIONAL_WARD_LISTS_FROM = 10


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


def newest_of_each_level(types: list[GeoType]) -> dict[str, GeoType]:
    """{level: the newest TYPE of that level} from all_types' list (newest vintage first)."""
    best: dict[str, GeoType] = {}
    for gt in types:
        best.setdefault(gt.level, gt)
    return best


COVERAGE_SCHEMA = pa.schema([("role", pa.string()), ("dataset", pa.string()), ("small_area_level", pa.string()),
                             ("outcome", pa.string()), ("problem", pa.string())])


@dg.multi_asset(
    specs=[
        dg.AssetSpec("nomis_geographies", group_name="geography", kinds={"duckdb"}, deps=["areas_config"],
                     freshness_policy=freshness.EVERY_REFRESH,
                     description="Nomis geography ids for every area we query, resolved from Nomis metadata at run "
                     "time: per dataset, the configured districts and their wards (newest ward vintage, plus older "
                     "vintages whose codes differ) or 2021 LSOAs where a table has no wards, and every county, "
                     "combined authority, region and country Nomis lists. Joined on gss_code, never on names."),
        dg.AssetSpec("nomis_dataset_coverage", group_name="geography", kinds={"duckdb"}, deps=["areas_config"],
                     description="Per Nomis dataset: the smallest areas it is fetched for here (ward, LSOA best fit "
                     "or district only, by what Nomis offers) and, where its geographies could not be resolved "
                     "this run, why (the source is then stale or unavailable, and nothing else is affected)."),
    ],
    pool="nomis_api",
    # Both tables come from the one set of metadata requests and are always written together (a coverage
    # row without its ids would be a lie); a selection of one of them reports just that one.
    can_subset=True,
)
def nomis_geographies(context: dg.AssetExecutionContext, nomis: NomisResource, project: ProjectResource,
                      warehouse: WarehouseResource):
    """Nomis geography ids per dataset (nomis_geographies) and what each dataset offers (nomis_dataset_coverage).

    A dataset is resolved on its own: if its metadata cannot be read or it lacks a district, region or
    country type, it is recorded as unresolved with the reason (its previous rows are kept, so its source can
    go on with its last good data) and every other dataset goes on. A dataset without wards degrades to
    2021 LSOAs (Census tables, aggregated to wards by best fit) or to districts only.
    """
    areas = project.areas()  # validates lmi.toml before the first network call
    with nomis.transport().collect() as fetched:
        rows, coverage = _resolve(context, nomis, areas)
    if not rows:
        raise UpstreamError("Nomis: no dataset's geographies could be resolved: "
                            + "; ".join(f"{r}: {c[2]}" for r, c in coverage.items()))
    with warehouse.get_connection() as conn:
        conn.execute("BEGIN")
        conn.register("geographies", pa.Table.from_pylist(rows))
        kept = _keep_previous(conn, [r for r, c in coverage.items() if c[1] == "unresolved"], areas.lad_codes)
        conn.execute("CREATE OR REPLACE TABLE nomis_geographies AS SELECT * FROM geographies"
                     + (" UNION ALL BY NAME SELECT * FROM previous_geographies" if kept else ""))
        conn.unregister("geographies")
        conn.register("coverage", pa.Table.from_pylist(
            [{"role": r, "dataset": NOMIS_DATASETS[r].dataset, "small_area_level": c[0], "outcome": c[1],
              "problem": c[2]} for r, c in coverage.items()], schema=COVERAGE_SCHEMA))
        conn.execute("CREATE OR REPLACE TABLE nomis_dataset_coverage AS SELECT * FROM coverage")
        conn.unregister("coverage")
        log_requests(conn, "nomis_geographies", fetched,
                     datasets={f"dataset/{d.dataset}": d.dataset for d in NOMIS_DATASETS.values()})
        conn.execute("COMMIT")
    for role, (level, outcome, problem) in coverage.items():
        if outcome == "unresolved":
            context.log.warning(f"Nomis {NOMIS_DATASETS[role].dataset} ({role}): geographies not resolved this run "
                                f"({problem}); its source keeps its last good data. Every other dataset goes on.")
        elif problem:
            context.log.warning(f"Nomis {NOMIS_DATASETS[role].dataset} ({role}): {problem}")
    wards = sum(1 for r in rows if r["level"] == "ward")
    vintages = sorted({r["ward_vintage"] for r in rows if r["ward_vintage"]})
    levels = {NOMIS_DATASETS[r].dataset: c[0] or c[1] for r, c in coverage.items()}
    selected = context.selected_asset_keys
    if dg.AssetKey("nomis_geographies") in selected:
        yield dg.MaterializeResult(asset_key="nomis_geographies", metadata={
            "dagster/row_count": len(rows), "wards": wards, "ward_vintages": str(vintages)})
    if dg.AssetKey("nomis_dataset_coverage") in selected:
        yield dg.MaterializeResult(asset_key="nomis_dataset_coverage", metadata={
            "dagster/row_count": len(coverage), "small_area_levels": dg.MetadataValue.json(levels)})


def _resolve(context, nomis: NomisResource, areas) -> tuple[list[dict], dict[str, tuple]]:
    """Every dataset's rows, and per dataset (small area level, resolved | unresolved, problem)."""
    typed, coverage = {}, {}
    for role, spec in NOMIS_DATASETS.items():
        try:
            typed[role] = all_types(nomis.geography_types(spec.dataset))
        except UpstreamError as exc:
            coverage[role] = (None, "unresolved", str(exc))
    newest_wards = [next(g.vintage for g in t if g.level == "ward") for t in typed.values()
                    if any(g.level == "ward" for g in t)]
    oldest_kept = min(newest_wards, default=0)
    rows: list[dict] = []
    for role, types in typed.items():
        spec = NOMIS_DATASETS[role]
        try:
            found, level = _dataset_rows(context, nomis, areas, role, spec, types, oldest_kept)
        except UpstreamError as exc:
            if str(exc).startswith("lmi.toml"):
                raise  # the configuration is wrong for every dataset: refuse, as before
            coverage[role] = (None, "unresolved", str(exc))
            continue
        rows += found
        coverage[role] = (level, "resolved", _degraded_note(spec, level))
    return rows, coverage


def _dataset_rows(context, nomis: NomisResource, areas, role: str, spec: NomisDataset, types: list[GeoType],
                  oldest_kept: int) -> tuple[list[dict], str | None]:
    """One dataset's rows, and the smallest level it is fetched for (ward, lsoa, lad; None for survey data)."""
    dataset = spec.dataset
    best = newest_of_each_level(types)
    needed = ["lad"] + (["region", "country"] if spec.all_benchmarks else [])
    missing = [lvl for lvl in needed if lvl not in best]
    if missing:
        raise UpstreamError(f"Nomis {dataset}: no geography type found for {missing} among "
                            f"{[g.name for g in types]}; Nomis may have renamed its types. Check "
                            f"dataset/{dataset}/geography/TYPE.def.sdmx.json.")
    small = None
    if spec.small_areas and "ward" in best:
        small = "ward"
    elif spec.small_areas == "ward_or_lsoa" and "lsoa" in best:
        small = "lsoa"
    elif spec.small_areas:
        small = "lad"  # neither wards nor LSOAs: the district figures only
    listed: dict[str, tuple[str, NomisArea]] = {}
    for level in ("lad", "county", "combined_authority", "region", "country"):
        if level in best:
            for a in nomis.areas(dataset, best[level].selector):
                listed.setdefault(a.gss_code, (level, a))
    ward_types = [g for g in types if g.level == "ward" and g.vintage >= oldest_kept] if small == "ward" else []
    national = (_national_ward_lists(nomis, dataset, ward_types)
                if len(areas.local_authorities) >= NATIONAL_WARD_LISTS_FROM else {})
    rows = []
    for la in areas.local_authorities:
        if la.code not in listed or listed[la.code][0] != "lad":
            raise UpstreamError(
                f"lmi.toml: local authority {la.code} is not among the districts Nomis {dataset} publishes "
                f"('{best['lad'].name}'). Check the code is a current district/unitary GSS code."
            )
        lad = listed[la.code][1]
        if small == "ward":
            for gt, found in _ward_vintages(nomis, dataset, lad, la.code, ward_types, national):
                rows += [_row(role, dataset, "ward", w, gt, la.code) for w in found]
        elif small == "lsoa":
            lsoas = nomis.areas(dataset, f"{lad.nomis_id}{best['lsoa'].selector}")
            rows += [_row(role, dataset, "lsoa", s, best["lsoa"], la.code) for s in lsoas]
    context.log.info(f"{dataset}: " + ("; ".join(sorted({f"{r['level']} from '{r['type_name']}'" for r in rows}))
                                       or "districts and above only"))
    for code, (level, a) in listed.items():
        rows.append(_row(role, dataset, level, a, best[level], a.gss_code if level == "lad" else None))
    unpublished = [b for b in areas.benchmarks if b not in listed]
    if unpublished and spec.all_benchmarks:
        raise UpstreamError(f"lmi.toml: benchmark {unpublished[0]} is not an area Nomis {dataset} publishes.")
    if unpublished:
        context.log.info(f"{dataset} is not published for {unpublished}; those benchmarks are left out.")
    return rows, small


def _degraded_note(spec: NomisDataset, level: str | None) -> str | None:
    if spec.small_areas and level == "lad":
        return "not published for wards or LSOAs: fetched for districts and above only, so it has no ward figures"
    if spec.small_areas == "ward" and level != "ward":
        return "not published for wards this run"
    return None


def _keep_previous(conn, roles: list[str], lad_codes: list[str]) -> bool:
    """Keep the previous rows of unresolved datasets (for the districts still configured) as the temp table
    `previous_geographies`; False if there are none."""
    if not roles or not conn.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name = 'nomis_geographies'"
                                     ).fetchone()[0]:
        return False
    conn.execute("CREATE OR REPLACE TEMP TABLE previous_geographies AS SELECT * FROM nomis_geographies "
                 "WHERE role IN (SELECT unnest($roles)) AND (lad_code IS NULL OR lad_code IN (SELECT unnest($lads)))",
                 {"roles": roles, "lads": lad_codes})
    return conn.execute("SELECT count(*) FROM previous_geographies").fetchone()[0] > 0


def _national_ward_lists(nomis: NomisResource, dataset: str,
                         ward_types: list[GeoType]) -> dict[str, dict[str, list[NomisArea]]]:
    """{TYPE selector: {district GSS code: its wards}} from one country-wide list per ward type, for the ward
    types whose vintage the bundled ONS lookup has (wards placed in districts by their GSS code)."""
    lists: dict[str, dict[str, list[NomisArea]]] = {}
    for gt in ward_types:
        if gt.vintage not in VINTAGES:
            continue
        district_of = _district_of_ward(gt.vintage)
        by_district: dict[str, list[NomisArea]] = defaultdict(list)
        for ward in nomis.areas(dataset, gt.selector):
            by_district[district_of.get(ward.gss_code, "")].append(ward)
        lists[gt.selector] = dict(by_district)
    return lists


@cache
def _district_of_ward(vintage: int) -> dict[str, str]:
    return {w.code: w.lad_code for w in reference().wards if w.vintage == vintage}


def _ward_vintages(nomis: NomisResource, dataset: str, lad: NomisArea, lad_code: str, ward_types: list[GeoType],
                   national: dict[str, dict[str, list[NomisArea]]]) -> list[tuple[GeoType, list[NomisArea]]]:
    """The district's wards in its newest ward type, and in each older type whose ward codes differ: from the
    country-wide list where there is one holding the district, else asked for the district itself."""
    kept: list[tuple[GeoType, list[NomisArea]]] = []
    for gt in ward_types:  # newest first
        found = national.get(gt.selector, {}).get(lad_code) or nomis.areas(dataset, f"{lad.nomis_id}{gt.selector}")
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
