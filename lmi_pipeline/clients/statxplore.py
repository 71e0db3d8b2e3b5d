"""DWP Stat-Xplore Open Data API client (https://stat-xplore.dwp.gov.uk/webapi/rest/v1) as a Dagster resource.

Table:  POST table with a JSON query body ({"database", "measures", "recodes", "dimensions"}) and the header
        `APIKey: <key>` (a free Stat-Xplore account's Open Data API key; every request needs one).
Answer: {"query", "database", "measures", "fields": [{"uri", "label", "items": [{"type": "RecodeItem" |
        "Total", "uris": [...], "labels": [...]}]}], "cubes": {measure uri: {"values": nested lists, one
        level per field, in the order of `fields`}}, "annotationMap"}.

The API is rate-limited per hour (the `x-ratelimit*` headers; 429 when used up). The key is optional for the
pipeline as a whole: without STATXPLORE_API_KEY the resource says so (`has_key`) and asks nothing. The key
travels in `Request.secret_headers` only, so it is never logged, stored in a snapshot or provenance, or put
in an error message (shown as `APIKey: ***`).
"""

from __future__ import annotations

import itertools
import json
import re
from dataclasses import dataclass
from typing import Iterator, Optional

import dagster as dg

from lmi_pipeline.clients.base import UpstreamResource
from lmi_pipeline.clients.transport import Request, Response, UpstreamFormatError, UpstreamHTTPError
from lmi_pipeline.settings import DEFAULT_STATXPLORE_URL

KEY_VARIABLE = "STATXPLORE_API_KEY"


@dataclass(frozen=True)
class Item:
    """One item of a field: a value (or a recode grouping several) or the field's total."""

    code: str  # the last part of the value URI (E12000001, 201805; "a+b" for a group); "total" for a Total
    label: str
    is_total: bool


@dataclass(frozen=True)
class Cell:
    items: tuple[Item, ...]  # one per field, in the order of `fields`
    measure: str  # the measure URI
    value: Optional[float]


def item_of(raw: dict) -> Item:
    kind = raw.get("type", "")
    labels = [str(x) for x in raw.get("labels") or []]
    if kind == "Total":
        return Item("total", labels[0] if labels else "Total", True)
    uris = [str(u) for u in raw.get("uris") or []]
    if not uris:
        raise UpstreamFormatError(f"Stat-Xplore: an item of type {kind!r} has no value URIs: {raw!r:.200}")
    return Item("+".join(u.rsplit(":", 1)[-1] for u in uris), " + ".join(labels), False)


def cells(doc: dict, what: str = "Stat-Xplore table") -> Iterator[Cell]:
    """Every cell of a table response: each combination of the fields' items, for each measure's cube."""
    try:
        fields = doc["fields"]
        cubes = doc["cubes"]
        items = [[item_of(i) for i in f["items"]] for f in fields]
    except (KeyError, TypeError) as exc:
        raise UpstreamFormatError(f"{what}: the response lacks the documented fields/cubes/items ({exc!r})") from None
    for measure, cube in cubes.items():
        values = cube.get("values") if isinstance(cube, dict) else None
        if values is None:
            raise UpstreamFormatError(f"{what}: cube {measure} has no values")
        for index in itertools.product(*(range(len(i)) for i in items)):
            node = values
            try:
                for i in index:
                    node = node[i]
            except (IndexError, TypeError):
                raise UpstreamFormatError(f"{what}: cube {measure} does not match its fields' items "
                                          f"(no value at {list(index)})") from None
            if node is not None and not isinstance(node, (int, float)):
                raise UpstreamFormatError(f"{what}: cube {measure} holds {node!r:.40} where a number belongs")
            yield Cell(tuple(items[f][i] for f, i in enumerate(index)), measure,
                       None if node is None else float(node))


def period_of(code: str) -> str:
    """Stat-Xplore month codes (201805) as 2018-05; anything else as given."""
    return f"{code[:4]}-{code[4:]}" if re.fullmatch(r"\d{6}", code) else code


def field_index(doc: dict, uri: str, what: str) -> int:
    uris = [f.get("uri") for f in doc.get("fields") or []]
    if uri not in uris:
        raise UpstreamFormatError(f"{what}: the response has no field {uri} (it has {uris})")
    return uris.index(uri)


def tidy_rows(doc: dict, area_field: str, period_field: str, category_field: str,
              what: str = "Stat-Xplore table") -> list[dict]:
    """Tidy rows (area_code, area_name, period, category_code, category, value) of a one-measure table by
    area x period x category. Area and period totals are left out; the category total is kept (code
    "total"), as the denominator of a share."""
    a, p, c = (field_index(doc, uri, what) for uri in (area_field, period_field, category_field))
    rows = []
    for cell in cells(doc, what):
        area, period, category = cell.items[a], cell.items[p], cell.items[c]
        if area.is_total or period.is_total:
            continue
        rows.append({"area_code": area.code, "area_name": area.label, "period": period_of(period.code),
                     "category_code": category.code, "category": category.label, "value": cell.value})
    return rows


class StatXploreResource(UpstreamResource):
    """Stat-Xplore's table endpoint over the project transport (retries, record/replay, provenance)."""

    base_url: str = DEFAULT_STATXPLORE_URL
    api_key: Optional[str] = None  # the Open Data API key: sent as a header, never logged or stored

    def secrets(self) -> list[str]:
        return [key] if (key := self._key()) else []

    def _key(self) -> str | None:
        key = self.api_key
        if isinstance(key, dg.EnvVar):  # outside a run Dagster has not resolved it
            key = key.get_value()
        return key or None

    def has_key(self) -> bool:
        return self._key() is not None

    def request(self, query: dict, label: str = "") -> Request:
        key = self._key()
        if key is None:
            raise UpstreamHTTPError(f"Stat-Xplore: no API key; set {KEY_VARIABLE} to a Stat-Xplore account's Open "
                                    "Data API key (free) to load this source.")
        body = json.dumps(query, sort_keys=True, separators=(",", ":"))
        return Request("statxplore", self.base_url, "table", (), {}, label or "Stat-Xplore table",
                       method="POST", json_body=body, secret_headers={"APIKey": key})

    def table(self, query: dict, label: str = "") -> tuple[dict, Response]:
        """POST `query` to the table endpoint; the response as a JSON object. A refused key (401/403) or a
        used-up hourly allowance (429) is an UpstreamHTTPError saying what to do, without the key."""
        request = self.request(query, label)
        try:
            response = self.transport().get(request)
        except UpstreamHTTPError as exc:
            if exc.status in (401, 403):
                raise UpstreamHTTPError(
                    f"{request.describe()}: Stat-Xplore refused the API key (HTTP {exc.status}). Check that "
                    f"{KEY_VARIABLE} holds the Open Data API key shown on your Stat-Xplore account page (it can "
                    "be regenerated there), or unset it to skip this optional source.", exc.status) from None
            if exc.status == 429:
                raise UpstreamHTTPError(
                    f"{request.describe()}: Stat-Xplore's hourly request allowance for this key is used up "
                    "(HTTP 429). Nothing was loaded; run again in an hour.", exc.status) from None
            raise
        return response.json_object(), response
