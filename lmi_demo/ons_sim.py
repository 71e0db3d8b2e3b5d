"""A stand-in ONS Open Geography Portal: ArcGIS FeatureServer `query` over real and synthetic lookups.

The ward -> district -> county -> region lookups are the REAL ONS lookups bundled in
lmi_pipeline/geography/data (December 2022 and May 2024, every ward of England and Wales), served with
ONS's conventions as they are: a blank county for unitaries, E11 metropolitan counties and E13 Inner/Outer
London in 2022, CTYUA24 holding the district's own code for unitaries in 2024; blank codes come back as
JSON null and blank Welsh names as a single space, as ArcGIS writes them. So are the combined
authorities (LAD24 -> CAUTH24). The LSOA21 -> ward best-fit lookups are SYNTHETIC (world.py: made-up
LSOA codes for the world's districts).

Answers `where` clauses of the forms the pipeline sends (`FIELD IN ('a','b')`, `FIELD = 'a'`, `1=1`),
honours outFields, orderByFields, resultOffset/resultRecordCount and sets exceededTransferLimit, and
reports a bad query the ArcGIS way: HTTP 200 with an `error` object.
"""

from __future__ import annotations

import json
import re

from lmi_demo.world import World
from lmi_pipeline.clients.ons_geo import COMBINED_AUTHORITY_LOOKUP, LSOA_WARD_LOOKUPS, WARD_LOOKUPS
from lmi_pipeline.geography.reference import reference

MAX_RECORDS = 2000


class OnsGeoSim:
    def __init__(self, world: World, max_records: int = MAX_RECORDS, vintages: tuple[int, ...] = (2022, 2024)):
        self.world = world
        self.max_records = max_records
        self.services = {WARD_LOOKUPS[v].service: (v, WARD_LOOKUPS[v]) for v in vintages}
        self.lsoa_services = {LSOA_WARD_LOOKUPS[v].service: (v, LSOA_WARD_LOOKUPS[v]) for v in vintages}
        self._rows: dict[int, list[dict]] = {}

    def ward_rows(self, vintage: int) -> list[dict]:
        """The real lookup of a vintage, with ArcGIS's blanks; a test may edit it (e.g. rename a ward)."""
        if vintage not in self._rows:
            renamed = {w.code: w.name for w in self.world.wards}
            spec = WARD_LOOKUPS[vintage]
            rows = []
            for i, r in enumerate(reference().rows(vintage), start=1):
                row = {k: _arcgis_blank(k, v) for k, v in r.items()}
                row[spec.ward_name] = renamed.get(row[spec.ward_code], row[spec.ward_name])
                rows.append({**row, "ObjectId": i})
            self._rows[vintage] = rows
        return self._rows[vintage]

    def handle(self, path: str, args: dict[str, str]) -> tuple[int, str, bytes]:
        m = re.fullmatch(r"([\w]+)/FeatureServer/0/query", path)
        if m and m.group(1) in self.services:
            vintage, _ = self.services[m.group(1)]
            rows = self.ward_rows(vintage)
        elif m and m.group(1) == COMBINED_AUTHORITY_LOOKUP.service:
            rows = [{**r, "ObjectId": i} for i, r in enumerate(reference().combined_authority_rows(), start=1)]
        elif m and m.group(1) in self.lsoa_services:
            vintage, lspec = self.lsoa_services[m.group(1)]
            rows = [self._lsoa_row(lspec, s) for s in self.world.lsoas]
        else:
            return _error(400, "Invalid URL", ["Service not found"])
        return self._query(rows, args)

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
        return 200, "application/json", json.dumps(doc).encode()

    def _lsoa_row(self, spec, lsoa) -> dict:
        ward = self.world.by_code[self.world.lsoa_ward(lsoa, spec.vintage)]
        lad = self.world.by_code[lsoa.lad_code]
        return {spec.lsoa_code: lsoa.code, spec.lsoa_name: lsoa.name, "LSOA21NMW": "",
                spec.ward_code: ward.code, spec.ward_name: ward.name, f"WD{spec.yy}NMW": "",
                spec.lad_code: lad.code, spec.lad_name: lad.name, f"LAD{spec.yy}NMW": "",
                "ObjectId": self.world.index[lsoa.code]}


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


def _error(code: int, message: str, details: list[str]) -> tuple[int, str, bytes]:
    return 200, "application/json", json.dumps({"error": {"code": code, "message": message, "details": details}}).encode()
