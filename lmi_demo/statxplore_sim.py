"""A synthetic DWP Stat-Xplore: answers the Open Data API's POST table query in the documented format.

The answer has the shape of the real recorded responses (tests/fixtures/statxplore): `fields`, one per
dimension in the order asked, each with `items` ({"type": "RecodeItem", "uris": [...], "labels": [...]}),
and `cubes` {measure uri: {"values": nested lists, one level per field}}. It knows the UC_Monthly query the
pipeline makes (people by area x month x conditionality regime, for wards, districts and countries); anything else is an HTTP 400 with a JSON
error, as Stat-Xplore answers a query it cannot parse. A request without an APIKey header is refused (401).

The values are synthetic: "searching for work" follows the ward's synthetic claimant count (which, outside
legacy JSA, is the UC searching-for-work group), the other regimes are made-up multiples of it.
"""

from __future__ import annotations

import json

import numpy as np

from lmi_demo.world import World, _noise, code_key

TABLE_PATH = "table"
MONTHS_SERVED = 13  # the latest year and a month: the pipeline keeps only the newest
# Regime labels as Stat-Xplore writes them; AA, BC, CE and DF are the codes public scripts use, the two
# "working" codes are made up here.
REGIMES = [("AA", "Searching for work", 1.0), ("BC", "No work requirements", 1.15),
           ("EG", "Working - with requirements", 0.45), ("FH", "Working - no requirements", 0.6),
           ("DF", "Planning for work", 0.05), ("CE", "Preparing for work", 0.12)]
MONTH_NAMES = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
               "November", "December"]


def _error(message: str, status: int = 400) -> tuple[int, str, bytes]:
    return status, "application/json", json.dumps({"message": message}).encode()


class StatXploreSim:
    def __init__(self, world: World):
        self.world = world

    def handle(self, path: str, body: bytes | None, headers: dict[str, str]) -> tuple[int, str, bytes]:
        if path != TABLE_PATH:
            return _error(f"no such resource: {path}", 404)
        if not headers.get("apikey"):
            return _error("An API key is required (APIKey header).", 401)
        try:
            query = json.loads(body or b"")
            database, measure = query["database"], query["measures"][0]
            ward_field, date_field, regime_field = (d[0] for d in query["dimensions"])
            ward_uris = [m[0] for m in query["recodes"][ward_field]["map"]]
        except (ValueError, KeyError, IndexError, TypeError) as exc:
            return _error(f"the query could not be read: {exc!r}")
        if database != "str:database:UC_Monthly":
            return _error(f"unknown database {database}")
        wards = []  # the areas asked for: wards, then districts and countries
        for uri in ward_uris:
            area = self.world.by_code.get(uri.rsplit(":", 1)[-1])
            if area is None or area.level not in ("ward", "lad", "country"):
                return _error(f"Unknown value: {uri}")
            wards.append(area)
        months = self.world.months[-MONTHS_SERVED:]
        claimants = self.world.claimants["total"][[self.world.index[w.code] for w in wards]][:, -MONTHS_SERVED:]
        keys = np.array([code_key(w.code) % (1 << 40) for w in wards], dtype=np.uint64)[:, None, None]
        t = np.arange(len(months))[None, :, None]
        shares = np.array([s for _, _, s in REGIMES])[None, None, :]
        salt = np.arange(len(REGIMES))[None, None, :]
        people = np.round(claimants[:, :, None] * 0.92 * shares * (1 + 0.15 * _noise(keys, salt, t)))
        date_stem = date_field.replace("str:field:", "str:value:", 1) + ":C_UC_DATE:"
        regime_stem = regime_field.replace("str:field:", "str:value:", 1) + ":C_UC_CONDITIONALITY_REGIME:"
        fields = [
            {"uri": ward_field, "label": "Westminster Parliamentary Constituencies and Wards", "items": [
                {"type": "RecodeItem", "uris": [u], "labels": [w.name]} for u, w in zip(ward_uris, wards)]},
            {"uri": date_field, "label": "Month", "items": [
                {"type": "RecodeItem", "uris": [date_stem + m.replace("-", "")],
                 "labels": [f"{MONTH_NAMES[int(m[5:]) - 1]} {m[:4]}"]} for m in months]},
            {"uri": regime_field, "label": "Conditionality Regime", "items": [
                {"type": "RecodeItem", "uris": [regime_stem + code], "labels": [label]}
                for code, label, _ in REGIMES]},
        ]
        doc = {"query": query,
               "database": {"id": "UC_Monthly", "uri": database, "label": "People on Universal Credit",
                            "annotationKeys": []},
               "measures": [{"uri": measure, "label": "People on Universal Credit", "measure": measure,
                             "function": "COUNT"}],
               "fields": fields, "cubes": {measure: {"values": people.tolist()}}, "annotationMap": {}}
        return 200, "application/json", json.dumps(doc).encode()
