"""A stand-in ONS Open Geography Portal: the ArcGIS REST services directory, layer info and FeatureServer
`query` over real and synthetic lookups.

The ward -> district -> county -> region lookups are the REAL ONS lookups bundled in
lmi_pipeline/geography/data (December 2022 and May 2024, every ward of England and Wales), served with
ONS's conventions as they are: a blank county for unitaries, E11 metropolitan counties and E13 Inner/Outer
London in 2022, CTYUA24 holding the district's own code for unitaries in 2024; blank codes come back as
JSON null and blank Welsh names as a single space, as ArcGIS writes them. So are the combined
authorities (LAD24 -> CAUTH24). The LSOA21 -> ward best-fit lookups are SYNTHETIC (world.py: made-up
LSOA codes for the world's districts).

The services directory (`GET services?f=json`) lists what is served, under ONS's real names
(WD22_LAD22_CTY22_OTH_UK_LU, WD24_LAD24_CTYUA_RGN_CTRY_UK_LU, LSOA21_WD22_LAD22_EW_LU_v3, ...), beside what
a client must not pick, as in the real directory: superseded publications (LSOA21_WD22_LAD22_EW_LU and
_v2 beside _v3; an older LAD23_CAUTH23_EN_LU), near-duplicate lookups (WD24_LAD24_UK_LU, a long-named
copy), boundary services (WD_MAY_2024_UK_BSC) and a vector tile service. Every listed FeatureServer answers
its layer info (`{service}/FeatureServer/0?f=json`, with `fields`) and queries. A test can withdraw a
ward year's lookups (`withdraw_lookup_year`) or publish a newer year (`add_lookup_year`, e.g. 2025 served
from the 2024 data under WD25/LAD25 field names): a year without a registered lookup, and one the pipeline
must discover.

Ward boundaries are REAL too: the bundled ONS *Wards (May 2024) Boundaries UK BSC* of England and Wales
(lmi_pipeline/geography/data/ward_boundaries_2024_bsc.geojson.gz, see its README), served as the FeatureServer
Wards_May_2024_Boundaries_UK_BSC in ArcGIS's own GeoJSON (f=geojson): a FeatureCollection with a `crs`
member naming EPSG:4326, each feature with its `id` and properties FID, WD24CD, WD24NM, WD24NMW (" " for
an English ward), LAD24CD, LAD24NM and GlobalID (a made-up but stable uuid: ONS's own are not bundled),
Polygon or MultiPolygon geometry, and `properties.exceededTransferLimit` on every page but the last. Its
maxRecordCount is small (BOUNDARY_MAX_RECORDS) so that a demo run pages through it. No 2022 boundaries are
bundled, so no 2022 boundary service is listed: the pipeline must get by without one.

Answers `where` clauses of the forms the pipeline sends (`FIELD IN ('a','b')`, `FIELD = 'a'`, `1=1`),
honours outFields, orderByFields, resultOffset/resultRecordCount and sets exceededTransferLimit, and
reports a bad query the ArcGIS way: HTTP 200 with an `error` object.
"""

from __future__ import annotations

import gzip
import json
import re
import uuid
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Callable

import lmi_pipeline.geography
from lmi_demo.world import World
from lmi_pipeline.geography.reference import reference

MAX_RECORDS = 2000
BOUNDARY_MAX_RECORDS = 50  # ONS's boundary layers allow 2,000; the demo's few hundred wards then page too
BOUNDARY_FILES = {2024: Path(lmi_pipeline.geography.__file__).parent / "data" / "ward_boundaries_2024_bsc.geojson.gz"}
BOUNDARY_SERVICE = {2024: "Wards_May_2024_Boundaries_UK_BSC"}
ARCGIS_VERSION = 11.3
SERVICES_PATH = "/ons/arcgis/rest/services/"  # where lmi_demo.server mounts this sim (for the listed urls)
# ONS's names for the lookups of each ward year (the ONS catalogue). The 2022 LSOA lookup is on its third
# publication; the first two are still listed.
WARD_SERVICE = {2022: "WD22_LAD22_CTY22_OTH_UK_LU", 2023: "WD23_LAD23_CTY23_OTH_UK_LU",
                2024: "WD24_LAD24_CTYUA_RGN_CTRY_UK_LU"}
LSOA_SERVICE = {2022: "LSOA21_WD22_LAD22_EW_LU_v3", 2023: "LSOA21_WD23_LAD23_EW_LU", 2024: "LSOA21_WD24_LAD24_EW_LU"}
SUPERSEDED = {"LSOA21_WD22_LAD22_EW_LU_v3": ("LSOA21_WD22_LAD22_EW_LU", "LSOA21_WD22_LAD22_EW_LU_v2")}
CAUTH_SERVICE = "LAD24_CAUTH24_EN_LU"
MONTH = {2022: ("December", "DEC"), 2024: ("May", "MAY")}  # the month of each bundled ward lookup
# A field of a lookup carrying its year: WD24CD, LAD24NMW, CTYUA24CD, RGN24NM, CAUTH24CD...
YEAR_FIELD = re.compile(r"^(WD|LAD|CTYUA|CTY|RGN|CTRY|CAUTH)(\d\d)(CD|NMW|NM)$")


@dataclass
class Served:
    """One listed service: its kind, the ward (or district) year it is for, and its rows and fields."""

    kind: str  # ward | lsoa | cauth | decoy | tiles | boundary
    year: int
    rows: Callable[[], list[dict]]
    fields: tuple[str, ...] = ()  # decoys: the fields they have (rows are cut to them); others: their rows' keys
    type: str = "FeatureServer"


class OnsGeoSim:
    def __init__(self, world: World, max_records: int = MAX_RECORDS, vintages: tuple[int, ...] = (2022, 2024)):
        self.world = world
        self.max_records = max_records
        self.catalogue: dict[str, Served] = {}  # in listing order
        self._rows: dict[int, list[dict]] = {}
        self._like: dict[int, int] = {}  # a published-later year -> the year whose data it serves
        for v in vintages:
            self._publish(v, WARD_SERVICE[v], LSOA_SERVICE[v])
        self.catalogue["LAD23_CAUTH23_EN_LU"] = Served("cauth", 2023, lambda: self._cauth_rows(2023))
        self.catalogue[CAUTH_SERVICE] = Served("cauth", 2024, lambda: self._cauth_rows(2024))

    # -- what is published ----------------------------------------------------------------------------
    def _publish(self, year: int, ward_service: str, lsoa_service: str) -> None:
        yy = f"{year % 100:02d}"
        month, mon = MONTH.get(self._like.get(year, year), ("May", "MAY"))
        ward_rows = lambda: self.ward_rows(year)  # noqa: E731
        short = (f"WD{yy}CD", f"WD{yy}NM", f"LAD{yy}CD", f"LAD{yy}NM", "ObjectId")
        self.catalogue[ward_service] = Served("ward", year, ward_rows)
        self.catalogue[f"WD{yy}_LAD{yy}_UK_LU"] = Served("decoy", year, ward_rows, short)
        self.catalogue[f"Ward_to_Local_Authority_District_{month}_{year}_Lookup_in_the_UK"] = Served(
            "decoy", year, ward_rows, short)
        self.catalogue[f"WD_{mon}_{year}_UK_BSC"] = Served(
            "decoy", year, ward_rows, (f"WD{yy}CD", f"WD{yy}NM", f"WD{yy}NMW", "BNG_E", "BNG_N", "LONG", "LAT",
                                       "GlobalID", "ObjectId"))
        self.catalogue[f"WD_{mon}_{year}_UK_BGC_VT"] = Served("tiles", year, lambda: [], type="VectorTileServer")
        if year in BOUNDARY_SERVICE and year not in self._like:
            self.catalogue[BOUNDARY_SERVICE[year]] = Served("boundary", year, lambda: self._boundary_rows(year))
        lsoa_rows = lambda: self._lsoa_rows(year)  # noqa: E731
        for old in SUPERSEDED.get(lsoa_service, ()):
            self.catalogue[old] = Served("lsoa", year, lsoa_rows)
        self.catalogue[lsoa_service] = Served("lsoa", year, lsoa_rows)

    def withdraw_lookup_year(self, year: int) -> None:
        """ONS lists no ward or LSOA -> ward lookup for `year`'s wards (not yet published, or retired).
        Its boundaries and the other near-duplicates stay listed, as they would."""
        for name in [n for n, s in self.catalogue.items() if s.kind in ("ward", "lsoa") and s.year == year]:
            del self.catalogue[name]

    def withdraw_service(self, name: str) -> None:
        del self.catalogue[name]

    def add_lookup_year(self, year: int, like: int = 2024, combined_authorities: bool = False) -> None:
        """ONS publishes `year`'s ward lookups (e.g. 2025): `like`'s wards under `year`'s service and field
        names (WD25_LAD25_CTYUA_RGN_CTRY_UK_LU with WD25CD, LAD25CD, CTYUA25CD...; LSOA21_WD25_LAD25_EW_LU),
        and with `combined_authorities` a LAD{yy}_CAUTH{yy}_EN_LU as well."""
        self._like[year] = like
        yy = f"{year % 100:02d}"
        county = "CTYUA" if any(k.startswith("CTYUA") for k in self.ward_rows(like)[0]) else "CTY"
        other = "RGN_CTRY" if county == "CTYUA" else "OTH"
        self._publish(year, f"WD{yy}_LAD{yy}_{county}{'' if county == 'CTYUA' else yy}_{other}_UK_LU",
                      f"LSOA21_WD{yy}_LAD{yy}_EW_LU")
        if combined_authorities:
            self.catalogue[f"LAD{yy}_CAUTH{yy}_EN_LU"] = Served("cauth", year, lambda: self._cauth_rows(year))

    def service_names(self, kind: str | None = None) -> list[str]:
        return [n for n, s in self.catalogue.items() if kind is None or s.kind == kind]

    # -- rows ---------------------------------------------------------------------------------------------
    def ward_rows(self, vintage: int) -> list[dict]:
        """The real lookup of a vintage, with ArcGIS's blanks; a test may edit it (e.g. rename a ward)."""
        if vintage not in self._rows:
            if vintage in self._like:
                self._rows[vintage] = [_renamed(r, vintage) for r in self.ward_rows(self._like[vintage])]
                return self._rows[vintage]
            renamed = {w.code: w.name for w in self.world.wards}
            yy = f"{vintage % 100:02d}"
            rows = []
            for i, r in enumerate(reference().rows(vintage), start=1):
                row = {k: _arcgis_blank(k, v) for k, v in r.items()}
                row[f"WD{yy}NM"] = renamed.get(row[f"WD{yy}CD"], row[f"WD{yy}NM"])
                rows.append({**row, "ObjectId": i})
            self._rows[vintage] = rows
        return self._rows[vintage]

    def _lsoa_rows(self, vintage: int) -> list[dict]:
        yy = f"{vintage % 100:02d}"
        assigned = self._like.get(vintage, vintage)
        rows = []
        for lsoa in self.world.lsoas:
            ward = self.world.by_code[self.world.lsoa_ward(lsoa, assigned)]
            lad = self.world.by_code[lsoa.lad_code]
            rows.append({"LSOA21CD": lsoa.code, "LSOA21NM": lsoa.name, "LSOA21NMW": "",
                         f"WD{yy}CD": ward.code, f"WD{yy}NM": ward.name, f"WD{yy}NMW": "",
                         f"LAD{yy}CD": lad.code, f"LAD{yy}NM": lad.name, f"LAD{yy}NMW": "",
                         "ObjectId": self.world.index[lsoa.code]})
        return rows

    def _cauth_rows(self, year: int) -> list[dict]:
        rows = [{**r, "ObjectId": i} for i, r in enumerate(reference().combined_authority_rows(), start=1)]
        return rows if year == 2024 else [_renamed(r, year) for r in rows]

    def _boundary_rows(self, year: int) -> list[dict]:
        """The bundled boundaries with the lookup's names (a test may have renamed a ward) as ArcGIS fields;
        the geometry rides along under `_geometry`, never a field."""
        yy = f"{year % 100:02d}"
        lookup = {r[f"WD{yy}CD"]: r for r in self.ward_rows(year)}
        rows = []
        for i, feature in enumerate(_bundled_boundaries(year), start=1):
            code = feature["properties"][f"WD{yy}CD"]
            ward = lookup.get(code, {})
            name = ward.get(f"WD{yy}NM", feature["properties"][f"WD{yy}NM"])
            rows.append({"FID": i, f"WD{yy}CD": code, f"WD{yy}NM": name,
                         f"WD{yy}NMW": ward.get(f"WD{yy}NMW") or " ",
                         f"LAD{yy}CD": feature["properties"][f"LAD{yy}CD"], f"LAD{yy}NM": ward.get(f"LAD{yy}NM"),
                         "GlobalID": str(uuid.uuid5(uuid.NAMESPACE_URL, f"lmi-demo/{BOUNDARY_SERVICE[year]}/{code}")),
                         "_geometry": feature["geometry"]})
        return rows

    def _rows_of(self, served: Served) -> list[dict]:
        rows = served.rows()
        if served.kind == "decoy":
            return [{f: r.get(f) for f in served.fields} for r in rows]
        return rows

    def _fields_of(self, served: Served) -> list[str]:
        if served.fields:
            return list(served.fields)
        rows = served.rows()
        return [f for f in rows[0] if not f.startswith("_")] if rows else ["ObjectId"]

    # -- requests -----------------------------------------------------------------------------------------
    def handle(self, path: str, args: dict[str, str]) -> tuple[int, str, bytes]:
        path = path.strip("/")
        if path == "":
            return self._directory(args)
        m = re.fullmatch(r"([\w]+)/(FeatureServer|VectorTileServer)(?:/(0)(/query)?)?", path)
        served = self.catalogue.get(m.group(1)) if m else None
        if served is None or served.type != m.group(2):
            return _error(400, "Invalid URL", ["Service not found"])
        if m.group(4) and served.kind == "boundary" and args.get("f") == "geojson":
            return self._query_geojson(self._rows_of(served), args)
        if m.group(4):
            return self._query(self._rows_of(served), args)
        if m.group(3) and served.kind == "boundary":
            return _json({**self._layer(m.group(1), served), "type": "Feature Layer", "objectIdField": "FID",
                          "geometryType": "esriGeometryPolygon", "maxRecordCount": BOUNDARY_MAX_RECORDS,
                          "extent": {"spatialReference": {"wkid": 27700, "latestWkid": 27700}}})
        if m.group(3):
            return _json(self._layer(m.group(1), served))
        return _json({"currentVersion": ARCGIS_VERSION, "serviceDescription": "", "layers": [],
                      "tables": [{"id": 0, "name": m.group(1)}] if served.type == "FeatureServer" else []})

    def _directory(self, args: dict[str, str]) -> tuple[int, str, bytes]:
        if args.get("f") != "json":
            return 200, "text/html", b"<html><body><h2>Folder: /</h2></body></html>"
        return _json({"currentVersion": ARCGIS_VERSION, "folders": [], "services": [
            {"name": n, "type": s.type, "url": f"{SERVICES_PATH}{n}/{s.type}"} for n, s in sorted(self.catalogue.items(), key=lambda ns: ns[0].lower())]})

    def _layer(self, name: str, served: Served) -> dict:
        fields = self._fields_of(served)
        return {
            "currentVersion": ARCGIS_VERSION, "id": 0, "name": name, "type": "Table", "objectIdField": "ObjectId",
            "fields": [{"name": f, "type": "esriFieldTypeOID" if f == "ObjectId" else "esriFieldTypeString",
                        "alias": f, "sqlType": "sqlTypeOther", "nullable": f != "ObjectId", "editable": True,
                        "domain": None, "defaultValue": None, **({} if f == "ObjectId" else {"length": 256})}
                       for f in fields],
            "maxRecordCount": self.max_records, "supportedQueryFormats": "JSON, geoJSON, PBF",
        }

    def _query_geojson(self, rows: list[dict], args: dict[str, str]) -> tuple[int, str, bytes]:
        """A boundary query with f=geojson, as ArcGIS answers it (see the module docstring)."""
        if args.get("outSR", "4326") not in ("4326", '{"wkid":4326}'):
            return _error(400, "Cannot perform query. Invalid query parameters.",
                          [f"'outSR' parameter is invalid (the demo serves WGS84 only): {args['outSR']}"])
        try:
            page, fields, more = self._select(rows, args, BOUNDARY_MAX_RECORDS)
        except _QueryError as exc:
            return _error(400, "Cannot perform query. Invalid query parameters.", [str(exc)])
        with_geometry = args.get("returnGeometry", "true").lower() != "false"
        doc = {"type": "FeatureCollection", "crs": {"type": "name", "properties": {"name": "EPSG:4326"}},
               "features": [{"type": "Feature", "id": r["FID"],
                             "geometry": r["_geometry"] if with_geometry else None,
                             "properties": {f: r[f] for f in fields}} for r in page]}
        if more:
            doc["properties"] = {"exceededTransferLimit": True}
        return _json(doc)

    def _select(self, rows: list[dict], args: dict[str, str], max_records: int):
        """The page a query asks for, its fields and whether more follow (_QueryError: a bad query)."""
        where = args.get("where", "").strip()
        try:
            rows = [r for r in rows if _matches(where, r)]
        except ValueError as exc:
            raise _QueryError(str(exc)) from None
        listed = [f for f in (rows[0] if rows else {}) if not f.startswith("_")]
        fields = [f.strip() for f in args.get("outFields", "*").split(",")]
        if fields == ["*"]:
            fields = listed
        else:
            unknown = [f for f in fields if rows and f not in listed]
            if unknown:
                raise _QueryError(f"Invalid field: {unknown[0]}")
        order = args.get("orderByFields", "").split(" ")[0]
        if order:
            rows.sort(key=lambda r: str(r.get(order, "")))
        offset = int(args.get("resultOffset", 0))
        count = min(int(args.get("resultRecordCount", max_records)), max_records)
        return rows[offset:offset + count], fields, offset + count < len(rows)

    def _query(self, rows: list[dict], args: dict[str, str]) -> tuple[int, str, bytes]:
        where = args.get("where", "").strip()
        try:
            rows = [r for r in rows if _matches(where, r)]
        except ValueError as exc:
            return _error(400, "Cannot perform query. Invalid query parameters.", [str(exc)])
        fields = [f.strip() for f in args.get("outFields", "*").split(",")]
        if fields != ["*"]:
            unknown = [f for f in fields if rows and f not in rows[0]]
            if unknown:
                return _error(400, "Cannot perform query. Invalid query parameters.", [f"Invalid field: {unknown[0]}"])
        order = args.get("orderByFields", "").split(" ")[0]
        if order:
            rows.sort(key=lambda r: str(r.get(order, "")))
        offset = int(args.get("resultOffset", 0))
        count = min(int(args.get("resultRecordCount", self.max_records)), self.max_records)
        page = rows[offset:offset + count]
        doc = {
            "objectIdFieldName": "ObjectId",
            "fields": [{"name": f, "type": "esriFieldTypeString"} for f in (fields if fields != ["*"] else list(rows[0]) if rows else [])],
            "features": [{"attributes": r if fields == ["*"] else {f: r[f] for f in fields}} for r in page],
        }
        if offset + count < len(rows):
            doc["exceededTransferLimit"] = True
        return _json(doc)


class _QueryError(ValueError):
    """A query ArcGIS would refuse (its message goes into the error body's details)."""


@cache
def _bundled_boundaries(year: int) -> list[dict]:
    with gzip.open(BOUNDARY_FILES[year], "rt", encoding="utf-8") as f:
        return json.load(f)["features"]


def _renamed(row: dict, year: int) -> dict:
    """A row with its year-carrying field names moved to `year` (WD24CD -> WD25CD), values unchanged."""
    yy = f"{year % 100:02d}"
    return {(f"{m.group(1)}{yy}{m.group(3)}" if (m := YEAR_FIELD.match(k)) else k): v for k, v in row.items()}


def _matches(where: str, row: dict) -> bool:
    if where in ("1=1", ""):
        return True
    m = re.fullmatch(r"(\w+)\s+IN\s*\(((?:\s*'[^']*'\s*,?)+)\)", where, flags=re.I)
    if m:
        values = re.findall(r"'([^']*)'", m.group(2))
        return _field(row, m.group(1)) in values
    m = re.fullmatch(r"(\w+)\s*=\s*'([^']*)'", where)
    if m:
        return _field(row, m.group(1)) == m.group(2)
    raise ValueError(f"'where' parameter is invalid: {where}")


def _arcgis_blank(column: str, value: str):
    """ArcGIS writes an empty Welsh name as a single space and an empty code as null."""
    if value.strip():
        return value
    return " " if column.endswith("NMW") else None


def _field(row: dict, name: str) -> str:
    if name not in row:
        raise ValueError(f"Invalid field: {name}")
    return str(row[name])


def _json(doc: dict) -> tuple[int, str, bytes]:
    return 200, "application/json", json.dumps(doc).encode()


def _error(code: int, message: str, details: list[str]) -> tuple[int, str, bytes]:
    return _json({"error": {"code": code, "message": message, "details": details}})
