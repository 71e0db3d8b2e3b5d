"""A synthetic Nomis: answers the API's metadata and `.data.csv` requests in the documented formats.

It serves the demo snapshot, the tests' local HTTP server and the national-scale benchmark. Rows are
computed page by page from the row index (no full result is ever held), in Nomis's column layout:
every dimension X gives X, X_NAME, X_CODE, X_TYPE, X_TYPECODE, X_SORTORDER; text is quoted, numbers
are not; OBS_STATUS and RECORD_OFFSET/RECORD_COUNT are on every row. The values are synthetic.

What real bodies show (tests/fixtures/nomis) and the sim reproduces: GEOGRAPHY holds the Nomis id in the
claimant count and APS but the GSS code in the Census tables (`SimDataset.geography_is_gss`); a missing
figure is an empty OBS_VALUE with OBS_STATUS "Q", "These figures are missing."; labels are served as
Nomis writes them, stray spaces included.

Datasets: NM_162_1 and NM_2014_1 here; the Census tables (census_sim.py), the survey estimates
(survey_sim.py) and BRES and UK Business Counts (business_sim.py) register themselves with their own geography
types. Each dataset answers only for the types it offers, as Nomis does: the claimant count, population
estimates, BRES and business counts on 2022 and 2024 wards (a
district whose wards changed in 2023 has both sets, as after Nomis's 2026 switch), the Census on 2022
wards only. A unitary, metropolitan district or London borough is in both local-authority types
("county / unitary" and "district / unitary"), as on Nomis; `offer_ward_type` and `withdraw_ward_type`
let a test change what a dataset offers.
"""

from __future__ import annotations

import calendar
import io
import json
import re
from dataclasses import dataclass, field
from typing import Callable

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

from lmi_demo.world import DEMO_RELEASED, POPULATION_YEARS, Area, World, round5, synthetic_id
from lmi_pipeline.geography.reference import reference

PAGE_SIZE = 25_000  # the guest row cap

# Every ward TYPE the sim knows, by vintage. TYPE153 is Nomis's real "2022 wards"; the 2024 number is made
# up (the real one is not in public evidence): the pipeline finds types by name at run time.
WARD_TYPES = {2022: (153, "2022 wards"), 2024: (187, "2024 wards")}
UPPER_TIER = (423, "local authorities: county / unitary (as of April 2023)")
# Geography TYPEs offered by the labour-market datasets. The combined-authority TYPE number is made up.
GEO_TYPES = {
    "country": [(499, "countries")],
    "region": [(480, "regions")],
    "combined_authority": [(445, "combined authorities")],
    "county": [UPPER_TIER],
    "lad": [(424, "local authorities: district / unitary (as of April 2023)")],
    "ward": [WARD_TYPES[2022], WARD_TYPES[2024]],
}
STATUS_NAMES = {"A": "Normal Value", "X": "These figures are not available", "Q": "These figures are missing.",
                "!": "Estimate and confidence interval not available since the group sample size is zero or disclosive (0-2)",
                "*": "Estimate and confidence interval unreliable since the group sample size is small (3-9)"}


@dataclass
class Dim:
    name: str
    codes: list[int]
    labels: list[str]
    code_texts: list[str] | None = None  # the X_CODE column, where it is not the code (Census: "_7"); None: str(code)
    type_text: str | None = None  # the X_TYPE column, where it is not the name lower-cased (ASHE PAY: "item")


@dataclass
class SimDataset:
    id: str
    name: str
    dates: list[str]
    date_names: list[str]
    dims: list[Dim]
    values: Callable[..., tuple[np.ndarray, np.ndarray]]  # (value float with NaN, status str)
    description: str = ""
    measures: list[tuple[int, str]] = field(default_factory=lambda: [(20100, "Value")])
    geo_types: dict[str, list[tuple[int, str]]] | None = None  # level -> TYPEs offered; None: GEO_TYPES
    released: str = ""  # LastUpdated; "" uses the sim's release stamp
    # Nomis writes the GSS code in GEOGRAPHY (not its numeric id) for the Census 2021 tables (and BRES,
    # business counts, ASHE, ...); GEOGRAPHY_CODE is the GSS code everywhere.
    geography_is_gss: bool = False

    def dim(self, name: str) -> Dim:
        return next(d for d in self.dims if d.name == name)


def _month_name(m: str) -> str:
    y, mm = m.split("-")
    return f"{calendar.month_name[int(mm)]} {y}"


class NomisSim:
    def __init__(self, world: World, page_size: int = PAGE_SIZE, released: str = DEMO_RELEASED):
        self.world = world
        self.page_size = page_size
        self.released = released
        from lmi_demo.business_sim import business_datasets
        from lmi_demo.census_sim import census_datasets
        from lmi_demo.survey_sim import survey_datasets

        self.datasets = {d.id: d for d in (self._claimant_count(), self._population(), *census_datasets(world),
                                           *survey_datasets(world), *business_datasets(world))}
        self.extra_ward_types: dict[str, list[tuple[int, str]]] = {}
        self.withdrawn_ward_types: dict[str, set[int]] = {}
        self.withdrawn_levels: dict[str, set[str]] = {}  # dataset -> levels it no longer offers
        self.geo_index: dict[int, tuple[Area, int, str]] = {}  # nomis id -> (area, type code, type name)
        for a in world.areas + world.lsoas:  # every (area, TYPE) any dataset could offer
            types = self._types_for_level(a.level)
            if a.level == "lad" and not a.code.startswith("E07"):  # unitaries are upper tier too
                types = types + [UPPER_TIER]
            for code, name in types:
                if a.level != "ward" or a.in_vintage(int(name[:4])):
                    self._index(synthetic_id(str(code), a.code), (a, code, name))
        # Nomis disambiguates a ward name that more than one district uses with the district's name.
        seen: dict[str, set[str]] = {}
        for w in reference().wards:
            seen.setdefault(w.name, set()).add(w.lad_code)
        self.ambiguous_names = {n for n, lads in seen.items() if len(lads) > 1}

    def _index(self, nid: int, entry: tuple[Area, int, str]) -> None:
        """Give (area, TYPE) a made-up id of its own. Hashed ids collide at national scale (tens of thousands of
        LSOAs); real Nomis ids never do, so the next free id is taken rather than dropping an area."""
        while nid in self.geo_index:
            a, code, _ = self.geo_index[nid]
            if (a.code, code) == (entry[0].code, entry[1]):
                return
            nid += 1
        self.geo_index[nid] = entry

    def _types_for_level(self, level: str) -> list[tuple[int, str]]:
        if level == "ward":
            return list(WARD_TYPES.values())
        seen = dict(GEO_TYPES.get(level, []))
        for ds in self.datasets.values():
            seen.update(dict((ds.geo_types or {}).get(level, [])))
        return sorted(seen.items())

    def offer_ward_type(self, dataset_id: str, vintage: int) -> None:
        """Publish a dataset on another ward vintage too (Nomis moving a series to new wards)."""
        self.extra_ward_types.setdefault(dataset_id, []).append(WARD_TYPES[vintage])

    def withdraw_ward_type(self, dataset_id: str, vintage: int) -> None:
        """Stop publishing a dataset on a ward vintage (e.g. the claimant count only on its newest wards)."""
        self.withdrawn_ward_types.setdefault(dataset_id, set()).add(WARD_TYPES[vintage][0])

    def withdraw_geography_level(self, dataset_id: str, level: str) -> None:
        """Stop offering every TYPE of a level for a dataset (e.g. RM024 without LSOAs, so districts only)."""
        self.withdrawn_levels.setdefault(dataset_id, set()).add(level)

    def offered_types(self, ds: SimDataset) -> dict[str, list[tuple[int, str]]]:
        types = {level: list(t) for level, t in (ds.geo_types or GEO_TYPES).items()
                 if level not in self.withdrawn_levels.get(ds.id, set())}
        if ds.id in self.extra_ward_types:
            types["ward"] = types.get("ward", []) + self.extra_ward_types[ds.id]
        gone = self.withdrawn_ward_types.get(ds.id, set())
        types["ward"] = [t for t in types.get("ward", []) if t[0] not in gone]
        return types

    # -- datasets --------------------------------------------------------------------------------
    def _claimant_count(self) -> SimDataset:
        w = self.world
        ages = Dim("AGE", [0, 1, 2, 3, 4, 5, 11], ["All categories: Age 16+", "Age unknown (clerical claims)",
                                                   "Aged 16-24", "Aged 25-49", "Aged 50+", "Aged 16-17", "Aged 18-24"])
        measure = Dim("MEASURE", [1, 2, 3, 4], [
            "Claimant count", "Claimants as a proportion of residents aged 16-64",
            "Claimants as a proportion of economically active residents aged 16+",
            "Claimants as a proportion of the workforce"])
        gender = Dim("GENDER", [0, 1, 2], ["Total", "Male", "Female"])
        claimants = w.claimants
        years = np.array([int(m[:4]) for m in w.months]).clip(max=POPULATION_YEARS[-1])
        # Residents per area and year (a few hundred thousand calls at national scale), then spread over months.
        unique_years = sorted(set(years.tolist()))
        month_year = np.searchsorted(unique_years, years)
        pops = {band: np.round(w.population_table(band, unique_years))[:, month_year] for band in ("16-64", "16-24", "18-24")}
        gender_share = np.array([1.0, 0.58, 0.42])

        def values(area_i, date_i, dims):
            age = np.array(ages.codes)[dims["AGE"]]
            meas = np.array(measure.codes)[dims["MEASURE"]]
            share = gender_share[dims["GENDER"]]
            raw = np.where(age == 0, claimants["total"][area_i, date_i],
                  np.where(age == 2, claimants["16-24"][area_i, date_i],
                  np.where(age == 11, claimants["18-24"][area_i, date_i],
                  np.where(age == 1, 0.0,
                  np.where(age == 5, claimants["16-24"][area_i, date_i] * 0.06,
                           claimants["total"][area_i, date_i] * np.where(age == 3, 0.55, 0.30)))))) * share
            count = round5(raw)
            pop = np.where(age == 2, pops["16-24"][area_i, date_i],
                  np.where(age == 11, pops["18-24"][area_i, date_i], pops["16-64"][area_i, date_i]))
            rate = np.round(100 * count / pop, 1)
            is_ward = np.array([a.level in ("ward", "lsoa") for a in w.areas + w.lsoas])[area_i]
            # Proportions are published for all ages everywhere, and by age band above ward level only.
            rate_ok = (age == 0) | ((np.isin(age, [2, 11])) & ~is_ward)
            value = np.where(meas == 1, count, np.where((meas == 2) & rate_ok, rate, np.nan))
            # An unpublished figure is empty with status Q, as Nomis serves NM_162_1 measure 4 (not "X").
            status = np.where(np.isnan(value), "Q", "A")
            return value, status

        return SimDataset("NM_162_1", "Claimant count by sex and age", w.months, [_month_name(m) for m in w.months],
                          [gender, ages, measure], values,
                          "The Claimant Count - the stock of Universal Credit and Job Seekers Allowance claimants. "
                          "SYNTHETIC DEMO DATA served by lmi_demo.")

    def _population(self) -> SimDataset:
        w = self.world
        c_age = Dim("C_AGE", [200, 203, 250, 205], ["All Ages", "Aged 16 - 64", "Aged 16 - 24", "Aged 18 - 24"])
        gender = Dim("GENDER", [0, 1, 2], ["Total", "Male", "Female"])
        bands = {200: "all", 203: "16-64", 250: "16-24", 205: "18-24"}
        table = {b: w.population_table(b, POPULATION_YEARS) for b in bands.values()}

        def values(area_i, date_i, dims):
            age = np.array(c_age.codes)[dims["C_AGE"]]
            out = np.zeros(len(area_i))
            for code, band in bands.items():
                sel = age == code
                out[sel] = table[band][area_i[sel], date_i[sel]]
            out = np.round(out * np.array([1.0, 0.49, 0.51])[dims["GENDER"]])
            return out, np.full(len(out), "A")

        years = [str(y) for y in POPULATION_YEARS]
        return SimDataset("NM_2014_1", "Population estimates - small area based by single year of age",
                          years, years, [gender, c_age], values,
                          "Mid-year population estimates. SYNTHETIC DEMO DATA served by lmi_demo.")

    def _nomis_name(self, area: Area) -> str:
        if area.level == "ward" and area.name in self.ambiguous_names:
            return f"{area.name} ({self.world.by_code[area.lad_code].name})"
        return area.name

    # -- HTTP entry point ---------------------------------------------------------------------------
    def handle(self, path: str, args: dict[str, str]) -> tuple[int, str, bytes]:
        m = re.fullmatch(r"dataset/(NM_\d+_\d+)\.data\.csv", path)
        if m:
            return self._data(self._dataset(m.group(1)), args)
        m = re.fullmatch(r"dataset/(NM_\d+_\d+)\.def\.sdmx\.json", path)
        if m:
            return _json(self._definition(self._dataset(m.group(1))))
        m = re.fullmatch(r"dataset/(NM_\d+_\d+)/geography/(.+)\.def\.sdmx\.json", path)
        if m:
            return _json(self._geography(self._dataset(m.group(1)), m.group(2)))
        m = re.fullmatch(r"dataset/(NM_\d+_\d+)/(\w+)\.def\.sdmx\.json", path)
        if m:
            return _json(self._codelist(self._dataset(m.group(1)), m.group(2).upper()))
        return 404, "text/html", b"<html><body>Not found</body></html>"

    def _dataset(self, dataset_id: str) -> SimDataset:
        if dataset_id not in self.datasets:
            raise KeyError(dataset_id)
        return self.datasets[dataset_id]

    # -- metadata ---------------------------------------------------------------------------------
    def _definition(self, ds: SimDataset) -> dict:
        notes = [("Status", "Current"), ("SubDescription", ds.description), ("Units", "Persons"),
                 ("LastUpdated", ds.released or self.released), ("FirstReleased", "2015-06-17 09:30:00")]
        return {"structure": {"keyfamilies": {"keyfamily": [{
            "id": ds.id, "agencyid": "NOMIS", "version": 1.0,
            "name": {"value": ds.name, "lang": "en"},
            "annotations": {"annotation": [{"annotationtitle": t, "annotationtext": v} for t, v in notes]},
            "components": {"dimension": [{"conceptref": c, "codelist": f"CL_{ds.id[3:]}_{c}"}
                                         for c in ["GEOGRAPHY", *(d.name for d in ds.dims), "MEASURES"]],
                           "primarymeasure": {"conceptref": "OBS_VALUE"}},
        }]}}}

    def _geography(self, ds: SimDataset, selector: str) -> dict:
        if selector == "TYPE":
            present = {t for _, t, _ in self.geo_index.values()}
            seen = {c: n for types in self.offered_types(ds).values() for c, n in types if c in present}
            codes = [{"value": f"TYPE{c}", "description": {"value": n, "lang": "en"}} for c, n in sorted(seen.items())]
        else:
            codes = [_geo_code(a, t, n, i) for i, (a, t, n) in self._select_areas(selector, ds)]
        return _codelist_doc(f"CL_{ds.id[3:]}_GEOGRAPHY", codes)

    def _codelist(self, ds: SimDataset, concept: str) -> dict:
        if concept == "MEASURES":
            codes = [{"value": c, "description": {"value": n, "lang": "en"}} for c, n in ds.measures]
        else:
            dims = [d for d in ds.dims if d.name == concept]
            if not dims:
                return {"structure": {"codelists": None}}
            codes = [{"value": c, "description": {"value": n, "lang": "en"}} for c, n in zip(dims[0].codes, dims[0].labels)]
        return _codelist_doc(f"CL_{ds.id[3:]}_{concept}", codes)

    def _select_areas(self, selector: str, ds: SimDataset | None = None) -> list[tuple[int, tuple[Area, int, str]]]:
        """Resolve `TYPEn`, `{parent}TYPEn` or a Nomis id to (id, (area, type code, type name)).

        With `ds`, only the geography types that dataset is published for answer (as on Nomis).
        """
        if ds is not None:
            offered = {c for types in self.offered_types(ds).values() for c, _ in types}
            return [x for x in self._select_areas(selector) if x[1][1] in offered]
        m = re.fullmatch(r"(\d+)?TYPE(\d+)", selector)
        if m:
            parent = self.geo_index.get(int(m.group(1))) if m.group(1) else None
            type_code = int(m.group(2))
            out = []
            for nid, (a, t, n) in self.geo_index.items():
                if t != type_code:
                    continue
                if parent is not None and parent[0].code not in a.parents:
                    continue
                if parent is not None and parent[0].code == a.code:
                    continue
                out.append((nid, (a, t, n)))
            return sorted(out, key=lambda x: x[1][0].code)
        if selector.isdigit() and int(selector) in self.geo_index:
            return [(int(selector), self.geo_index[int(selector)])]
        return []

    # -- data --------------------------------------------------------------------------------------
    def _data(self, ds: SimDataset, args: dict[str, str]) -> tuple[int, str, bytes]:
        geos: list[tuple[int, tuple[Area, int, str]]] = []
        for part in args.get("geography", "").split(","):
            geos += self._select_areas(part.strip(), ds)
        dates = _select_dates(ds.dates, args.get("time"), args.get("date"))
        dim_sel = {}
        for d in ds.dims:
            wanted = args.get(d.name.lower())
            dim_sel[d.name] = (list(range(len(d.codes))) if wanted is None else
                               [d.codes.index(c) for c in _ints(wanted) if c in d.codes])
        measures = [i for i, (c, _) in enumerate(ds.measures) if args.get("measures") is None or c in _ints(args["measures"])]
        select = [c.strip().upper() for c in args["select"].split(",")] if args.get("select") else _all_columns(ds)
        shape = [len(dates), len(geos)] + [len(dim_sel[d.name]) for d in ds.dims] + [len(measures)]
        total = int(np.prod(shape))
        offset = int(args.get("RecordOffset", args.get("recordoffset", "0")) or 0)
        limit = min(self.page_size, int(args.get("RecordLimit", self.page_size)))
        rows = np.arange(offset, min(total, offset + limit))
        idx = np.unravel_index(rows, shape) if total else [np.array([], dtype=int)] * len(shape)
        table = self._render(ds, select, geos, dates, dim_sel, measures, idx, rows, total)
        buf = io.BytesIO()
        pacsv.write_csv(table, buf, pacsv.WriteOptions(include_header=True))
        return 200, "text/csv", buf.getvalue()

    def _render(self, ds, select, geos, dates, dim_sel, measures, idx, rows, total) -> pa.Table:
        n = len(rows)
        date_i = np.array(dates, dtype=int)[idx[0]] if n else np.array([], dtype=int)
        geo_pos = idx[1]
        ids = np.array([g[0] for g in geos], dtype=np.int64)[geo_pos] if n else np.array([], dtype=np.int64)
        geo_meta = [g[1] for g in geos]
        area_i = np.array([self.world.index[g[0].code] for g in geo_meta], dtype=int)[geo_pos] if n else np.array([], dtype=int)
        dim_i = {d.name: np.array(dim_sel[d.name], dtype=int)[idx[2 + k]] if n else np.array([], dtype=int)
                 for k, d in enumerate(ds.dims)}
        meas_i = np.array(measures, dtype=int)[idx[-1]] if n else np.array([], dtype=int)
        # Value models that depend on the statistic (APS value / numerator / confidence) read MEASURES.
        value, status = (ds.values(area_i, date_i, {**dim_i, "MEASURES": meas_i}) if n
                         else (np.array([]), np.array([], dtype=str)))

        def geo_col(f):
            return [f(*geo_meta[p]) for p in geo_pos]

        cols: dict[str, pa.Array] = {}
        for c in select:
            if c == "DATE" or c == "DATE_CODE":
                arr = pa.array(np.array(ds.dates, dtype=object)[date_i].tolist(), pa.string())
            elif c == "DATE_NAME":
                arr = pa.array(np.array(ds.date_names, dtype=object)[date_i].tolist(), pa.string())
            elif c == "DATE_TYPE":
                arr = pa.array(["date"] * n, pa.string())
            elif c in ("DATE_TYPECODE", "DATE_SORTORDER"):
                arr = pa.array(date_i if c == "DATE_SORTORDER" else np.zeros(n, dtype=int), pa.int64())
            elif c == "GEOGRAPHY" and ds.geography_is_gss:
                arr = pa.array(geo_col(lambda a, t, nm: a.code), pa.string())
            elif c == "GEOGRAPHY":
                arr = pa.array(ids, pa.int64())
            elif c == "GEOGRAPHY_NAME":
                arr = pa.array(geo_col(lambda a, t, nm: self._nomis_name(a)), pa.string())
            elif c == "GEOGRAPHY_CODE":
                arr = pa.array(geo_col(lambda a, t, nm: a.code), pa.string())
            elif c == "GEOGRAPHY_TYPE":
                arr = pa.array(geo_col(lambda a, t, nm: nm), pa.string())
            elif c == "GEOGRAPHY_TYPECODE":
                arr = pa.array(geo_col(lambda a, t, nm: t), pa.int64())
            elif c == "GEOGRAPHY_SORTORDER":
                arr = pa.array(geo_pos, pa.int64())
            elif c == "MEASURES":
                arr = pa.array(np.array([m[0] for m in ds.measures])[meas_i], pa.int64())
            elif c == "MEASURES_NAME":
                arr = pa.array(np.array([m[1] for m in ds.measures], dtype=object)[meas_i].tolist(), pa.string())
            elif c == "OBS_VALUE":
                arr = pa.array(value, pa.float64(), mask=np.isnan(value))
            elif c == "OBS_STATUS":
                arr = pa.array(status.tolist(), pa.string())
            elif c == "OBS_STATUS_NAME":
                arr = pa.array([STATUS_NAMES.get(s, "") for s in status], pa.string())
            elif c == "OBS_CONF":
                arr = pa.array(["F"] * n, pa.string())
            elif c == "OBS_CONF_NAME":
                arr = pa.array(["Free (free for publication)"] * n, pa.string())
            elif c == "URN":
                arr = pa.array([f"{ds.id}d{r}" for r in rows], pa.string())
            elif c == "RECORD_OFFSET":
                arr = pa.array(rows, pa.int64())
            elif c == "RECORD_COUNT":
                arr = pa.array(np.full(n, total), pa.int64())
            else:
                arr = self._dim_column(ds, c, dim_i, n)
            cols[c] = arr
        return pa.table(cols)

    def _dim_column(self, ds: SimDataset, column: str, dim_i: dict, n: int) -> pa.Array:
        for d in ds.dims:
            if column == d.name or column.startswith(d.name + "_"):
                pos = dim_i[d.name]
                suffix = column[len(d.name):]
                if suffix in ("", "_TYPECODE"):
                    return pa.array(np.array(d.codes)[pos] if suffix == "" else np.zeros(n, dtype=int), pa.int64())
                if suffix == "_NAME":
                    return pa.array(np.array(d.labels, dtype=object)[pos].tolist(), pa.string())
                if suffix == "_CODE":
                    texts = d.code_texts or [str(c) for c in d.codes]
                    return pa.array(np.array(texts, dtype=object)[pos].tolist(), pa.string())
                if suffix == "_TYPE":
                    return pa.array([d.type_text or d.name.lower()] * n, pa.string())
                if suffix == "_SORTORDER":
                    return pa.array(pos, pa.int64())
        # Nomis answers an unknown column with an error page; so do we (the client must catch it).
        raise UnknownColumn(column)


class UnknownColumn(KeyError):
    pass


def _all_columns(ds: SimDataset) -> list[str]:
    cols = ["DATE", "DATE_NAME", "DATE_CODE", "DATE_TYPE", "DATE_TYPECODE", "DATE_SORTORDER"]
    for d in ["GEOGRAPHY", *(d.name for d in ds.dims)]:
        cols += [d, f"{d}_NAME", f"{d}_CODE", f"{d}_TYPE", f"{d}_TYPECODE", f"{d}_SORTORDER"]
    return cols + ["MEASURES", "MEASURES_NAME", "OBS_VALUE", "OBS_STATUS", "OBS_STATUS_NAME", "OBS_CONF",
                   "OBS_CONF_NAME", "URN", "RECORD_OFFSET", "RECORD_COUNT"]


def _geo_code(area: Area, type_code: int, type_name: str, nomis_id: int) -> dict:
    notes = [("TypeName", type_name), ("TypeCode", type_code), ("GeogCode", area.code)]
    return {"value": nomis_id, "description": {"value": area.name, "lang": "en"},
            "annotations": {"annotation": [{"annotationtitle": t, "annotationtext": v} for t, v in notes]}}


def _codelist_doc(codelist_id: str, codes: list[dict]) -> dict:
    return {"structure": {"codelists": {"codelist": [{"agencyid": "NOMIS", "id": codelist_id, "code": codes,
                                                      "name": {"value": codelist_id, "lang": "en"}}]}}}


def _ints(text: str) -> list[int]:
    out: list[int] = []
    for part in text.split(","):
        part = part.strip()
        if "..." in part:
            lo, hi = part.split("...")
            out += list(range(int(lo), int(hi) + 1))
        elif part.lstrip("-").isdigit():
            out.append(int(part))
    return out


def _select_dates(all_dates: list[str], time: str | None, date: str | None) -> list[int]:
    """Nomis date forms: latest, first, latestMINUSn, explicit codes; `time=a,b` is everything between."""
    def pos(token: str) -> int:
        token = token.strip()
        m = re.fullmatch(r"latest(?:MINUS(\d+))?", token, flags=re.I)
        if m:
            return len(all_dates) - 1 - int(m.group(1) or 0)
        if token.lower() == "first":
            return 0
        return all_dates.index(token) if token in all_dates else -1

    if time:
        parts = [pos(t) for t in time.split(",")]
        if len(parts) == 2 and parts[0] >= 0 and parts[1] >= 0:
            return list(range(parts[0], parts[1] + 1))
        return [p for p in parts if p >= 0]
    if date:
        out = []
        for t in date.split(","):
            m = re.fullmatch(r"(.+?)-(latest.*|\d{4}-\d{2})", t.strip())
            if m and pos(m.group(1)) >= 0:
                out += list(range(pos(m.group(1)), pos(m.group(2)) + 1))
            elif pos(t) >= 0:
                out.append(pos(t))
        return out
    return [len(all_dates) - 1]


def _json(doc: dict) -> tuple[int, str, bytes]:
    return 200, "application/json", json.dumps(doc).encode()
