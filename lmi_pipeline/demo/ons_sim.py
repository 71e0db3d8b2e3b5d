"""A synthetic ONS Open Geography Portal: ArcGIS FeatureServer `query` over the world's ward lookups.

Serves the ward -> district -> county -> region lookups and the LSOA21 -> ward best-fit lookups for
each ward vintage; a ward appears in the vintages it exists in (the SYNTHETIC 2024 Maidstone wards only
in 2024). LSOA codes are SYNTHETIC (see world.py).

Answers `where` clauses of the forms the pipeline sends (`FIELD IN ('a','b')`, `FIELD = 'a'`, `1=1`),
honours outFields, orderByFields, resultOffset/resultRecordCount and sets exceededTransferLimit, and
reports a bad query the ArcGIS way: HTTP 200 with an `error` object.
"""

from __future__ import annotations

import json
import re

from lmi_pipeline.clients.ons_geo import LSOA_WARD_LOOKUPS, WARD_LOOKUPS
from lmi_pipeline.demo.world import World

MAX_RECORDS = 2000


class OnsGeoSim:
    def __init__(self, world: World, max_records: int = MAX_RECORDS, vintages: tuple[int, ...] = (2022, 2023, 2024)):
        self.world = world
        self.max_records = max_records
        self.services = {WARD_LOOKUPS[v].service: (v, WARD_LOOKUPS[v]) for v in vintages}
        self.lsoa_services = {LSOA_WARD_LOOKUPS[v].service: (v, LSOA_WARD_LOOKUPS[v]) for v in vintages}

    def handle(self, path: str, args: dict[str, str]) -> tuple[int, str, bytes]:
        m = re.fullmatch(r"([\w]+)/FeatureServer/0/query", path)
        if m and m.group(1) in self.services:
            vintage, spec = self.services[m.group(1)]
            rows = [self._row(spec, w) for w in self.world.wards if w.in_vintage(vintage)]
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

    def _row(self, spec, ward) -> dict:
        lad = self.world.by_code[ward.lad_code]
        county = self.world.by_code.get(ward.county_code)
        region = self.world.by_code.get(ward.region_code)
        return {
            spec.ward_code: ward.code, spec.ward_name: ward.name,
            spec.lad_code: lad.code, spec.lad_name: lad.name,
            spec.county_code: county.code if county else "E99999999",
            spec.county_name: county.name if county else "(pseudo) England (UA/MD/LB)",
            spec.region_code: region.code if region else "", spec.region_name: region.name if region else "",
            "ObjectId": self.world.index[ward.code],
        }

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


def _field(row: dict, name: str) -> str:
    if name not in row:
        raise ValueError(f"Invalid field: {name}")
    return str(row[name])


def _error(code: int, message: str, details: list[str]) -> tuple[int, str, bytes]:
    return 200, "application/json", json.dumps({"error": {"code": code, "message": message, "details": details}}).encode()
