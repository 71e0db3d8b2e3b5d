"""Nomis API client (https://www.nomisweb.co.uk/api/v01) as a Dagster resource.

Data:      GET dataset/{ID}.data.csv?geography=..&time=..&<dimension>=..&measures=..&select=..&RecordOffset=N
Metadata:  GET dataset/{ID}.def.sdmx.json, dataset/{ID}/{concept}.def.sdmx.json,
           dataset/{ID}/geography/TYPE.def.sdmx.json, dataset/{ID}/geography/{parent}TYPE{n}.def.sdmx.json

Guests get at most 25,000 rows a request and registered keys more (the exact cap is unpublished), so the
client always pages on RECORD_COUNT and checks that offsets are contiguous, that every page but the last is
full and that exactly RECORD_COUNT rows arrived: a row cap is never hit silently. RECORD_COUNT is the
server's word, so it is bounded (MAX_RECORDS rows, MAX_PAGES pages) before any loop is built on it, and a
page that repeats an earlier one is refused: a wrong count can never start an endless download.

Errors name the dataset, the areas (by GSS code and name, from the geography metadata this resource has
read) and the query, with the key shown as `uid=***`.
"""

from __future__ import annotations

import json
import logging
import re
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Iterator, Optional, Sequence
from urllib.parse import urlencode

import dagster as dg
import pyarrow as pa
import pyarrow.compute as pc
from pydantic import PrivateAttr

from lmi_pipeline.clients.base import UpstreamResource
from lmi_pipeline.clients.nomis_csv import REQUIRED_COLUMNS, parse_page
from lmi_pipeline.clients.transport import Request, Response, UpstreamError, UpstreamFormatError
from lmi_pipeline.settings import DEFAULT_NOMIS_URL

log = logging.getLogger("lmi_pipeline.nomis")

# What one query may promise in RECORD_COUNT. The largest load measured, the national claimant count, is
# 7.9 million rows in 316 pages of 25,000 (docs/performance.md); 100 million is over twelve times that. A
# count beyond it is wrong (or the query far wider than meant), and paging on it would run for hours.
MAX_RECORDS = 100_000_000
# Pages: 100 million rows in pages of 5,000. Nomis sets the page size (25,000 for guests, more with a key);
# a server answering a few rows a page would otherwise turn a large count into hundreds of thousands of requests.
MAX_PAGES = 20_000


@dataclass(frozen=True)
class NomisArea:
    nomis_id: str
    gss_code: str
    name: str
    type_code: str
    type_name: str


@dataclass(frozen=True)
class NomisQuery:
    """One data query. `geography` holds Nomis ids (resolved from metadata), never hard-coded."""

    dataset: str
    geography: tuple[str, ...]
    select: tuple[str, ...]
    dimensions: tuple[tuple[str, str], ...] = ()
    time: str | None = None  # "2013-01,latest": everything between, inclusive
    date: str | None = None  # exact dates, e.g. "latest" or "2021"
    label: str = ""

    def params(self) -> list[tuple[str, str]]:
        cols = list(dict.fromkeys([c.upper() for c in self.select] + list(REQUIRED_COLUMNS)))
        out = [("geography", ",".join(self.geography))]
        if self.time:
            out.append(("time", self.time))
        if self.date:
            out.append(("date", self.date))
        out += [(k, v) for k, v in self.dimensions]
        out.append(("select", ",".join(cols)))
        return out


@dataclass
class NomisResult:
    table: pa.Table
    responses: list[Response] = field(default_factory=list)
    record_count: int = 0


class NomisResource(UpstreamResource):
    """Nomis API over `requests`, with paging, retries, record/replay and format checks."""

    base_url: str = DEFAULT_NOMIS_URL
    uid: Optional[str] = None  # a registered user's key: sent, never logged or stored
    page_workers: int = 2  # concurrent page fetches: polite, and Nomis's concurrency limit is unpublished
    max_records: int = MAX_RECORDS  # the most rows one query's RECORD_COUNT may promise (see MAX_RECORDS)
    max_pages: int = MAX_PAGES  # the most pages one query may take (see MAX_PAGES)

    # Nomis id -> "E07000062 Hastings", and TYPE selector -> "2023 wards", from the metadata read so far, so
    # an error about a data query can say which areas it was for (the query itself holds numeric ids only).
    _area_names: dict = PrivateAttr(default_factory=dict)
    _type_names: dict = PrivateAttr(default_factory=dict)

    def request(self, path: str, params: Sequence[tuple[str, str]], label: str) -> Request:
        uid = self._uid()
        secrets = {"uid": uid} if uid else {}
        return Request("nomis", self.base_url, path, tuple(params), secrets, label)

    def secrets(self) -> list[str]:
        return [uid] if (uid := self._uid()) else []

    def _uid(self) -> str | None:
        uid = self.uid
        if isinstance(uid, dg.EnvVar):  # used outside a run (planning a refresh), Dagster has not resolved it
            uid = uid.get_value()
        return uid

    def get_json(self, path: str, params: Sequence[tuple[str, str]] = (), label: str = "") -> tuple[dict, Response]:
        response = self.transport().get(self.request(path, params, label or f"Nomis {path}"))
        try:
            return json.loads(response.body), response
        except ValueError:
            raise UpstreamFormatError(
                f"{response.request.describe()}: expected JSON metadata, got {response.body[:120]!r}"
            ) from None

    # -- metadata -------------------------------------------------------------------------------
    def codes(self, path: str, params: Sequence[tuple[str, str]] = (), label: str = "") -> list[dict]:
        doc, response = self.get_json(path, params, label)
        try:
            codelists = doc["structure"]["codelists"]
            if not codelists:
                return []
            return codelists["codelist"][0]["code"]
        except (KeyError, IndexError, TypeError):
            raise UpstreamFormatError(
                f"{response.request.describe()}: not an SDMX codelist (no structure.codelists.codelist[0].code)"
            ) from None

    def geography_types(self, dataset: str) -> list[tuple[str, str]]:
        """The geography TYPEs a dataset is published for, as (TYPEnnn, name)."""
        codes = self.codes(f"dataset/{dataset}/geography/TYPE.def.sdmx.json", label=f"Nomis {dataset} geography types")
        types = [(str(c["value"]), c["description"]["value"]) for c in codes]
        self._type_names.update(types)
        return types

    def areas(self, dataset: str, selector: str) -> list[NomisArea]:
        """Areas for a selector such as `TYPE480` or `{parent_id}TYPE{n}`, with their GSS codes."""
        codes = self.codes(f"dataset/{dataset}/geography/{selector}.def.sdmx.json",
                           label=f"Nomis {dataset} geography {self.describe_areas((selector,))}")
        areas = []
        for c in codes:
            notes = {a["annotationtitle"]: str(a["annotationtext"]) for a in c.get("annotations", {}).get("annotation", [])}
            areas.append(NomisArea(str(c["value"]), notes.get("GeogCode", ""), c["description"]["value"],
                                   notes.get("TypeCode", ""), notes.get("TypeName", "")))
        self._area_names.update({a.nomis_id: f"{a.gss_code} {a.name}".strip() for a in areas})
        return areas

    def describe_areas(self, geography: Sequence[str], labels: dict[str, str] | None = None, limit: int = 4) -> str:
        """A person's description of a `geography` parameter: "all 2023 wards in E07000062 Hastings, ...".

        Names come from `labels` (Nomis id -> "E07000062 Hastings (lad)", as sources know them) or else from
        the geography metadata this resource has read; failing both, the Nomis id is shown.
        """
        names = {**self._area_names, **{k: re.sub(r" \((ward|lad|county|region|country|lsoa)\)$", "", v)
                                        for k, v in (labels or {}).items()}}
        parts = []
        for part in sorted(geography, key=lambda g: "TYPE" not in g):  # the ward sets first: they matter most
            m = re.fullmatch(r"(\d+)?(TYPE\d+)", part)
            if m:
                kind = self._type_names.get(m.group(2), f"{m.group(2)} areas")
                parent = names.get(m.group(1), f"Nomis id {m.group(1)}") if m.group(1) else ""
                parts.append(f"all {kind} in {parent}" if parent else f"all {kind}")
            else:
                parts.append(names.get(part, f"Nomis id {part}"))
        more = f" and {len(parts) - limit} more" if len(parts) > limit else ""
        return ", ".join(parts[:limit]) + more

    def codelist(self, dataset: str, concept: str) -> dict[str, str]:
        codes = self.codes(f"dataset/{dataset}/{concept.lower()}.def.sdmx.json", label=f"Nomis {dataset} {concept} codes")
        return {str(c["value"]): c["description"]["value"] for c in codes}

    def dataset_release(self, dataset: str) -> dict[str, str]:
        """Name and release annotations (LastUpdated, NextUpdate, ...) of a dataset, for provenance."""
        doc, _ = self.get_json(f"dataset/{dataset}.def.sdmx.json", label=f"Nomis {dataset} definition")
        try:
            family = doc["structure"]["keyfamilies"]["keyfamily"][0]
        except (KeyError, IndexError, TypeError):
            raise UpstreamFormatError(f"Nomis {dataset} definition: no structure.keyfamilies.keyfamily[0]") from None
        notes = {a["annotationtitle"]: str(a["annotationtext"])
                 for a in family.get("annotations", {}).get("annotation", [])}
        return {"name": family.get("name", {}).get("value", dataset), **notes}

    # -- data -----------------------------------------------------------------------------------
    def iter_pages(self, query: NomisQuery, labels: dict[str, str] | None = None) -> Iterator[tuple[pa.Table, Response]]:
        """Yield validated all-text pages in order, until RECORD_COUNT rows have arrived.

        `labels` (Nomis id -> what a person calls the area) name the areas in any error."""
        path = f"dataset/{query.dataset}.data.csv"
        params = query.params()
        expected = params[-1][1].split(",")
        what = f"{query.label or f'Nomis {query.dataset}'} for {self.describe_areas(query.geography, labels)}"

        def page(number: int, offset: int) -> tuple[pa.Table, Response]:
            # The page number is in the label, so every error about a page says which one it was.
            req = self.request(path, params + [("RecordOffset", str(offset))], f"{what}, page {number}")
            resp = self.transport().get(req)
            return parse_page(resp, expected, req.describe()), resp

        first, resp = page(1, 0)
        total = _record_count(first, resp)
        page_size = first.num_rows  # the server's row cap (or everything, if it all fitted)
        self._check_bounds(total, page_size, resp)
        _check_offsets(first, 0, total, page_size, resp)
        log.info("%s: %d rows in %d page(s)", what, total, -(-total // page_size))
        yield first, resp
        received = first.num_rows
        seen = {_offset_span(first): 1}
        offsets = range(page_size, total, page_size)  # bounded by _check_bounds, and never held as a list
        workers = max(1, self.page_workers)
        # Read ahead by at most `workers` pages: fetching is ~10x faster than loading, and an unbounded
        # pool.map held every page of a national load in memory at once (3.4 GB; docs/performance.md).
        with ThreadPoolExecutor(max_workers=workers) as pool:
            ahead = deque(pool.submit(page, n, off) for n, off in enumerate(offsets[:workers], start=2))
            for n, offset in enumerate(offsets, start=2):
                table, resp = ahead.popleft().result()
                if n - 2 + workers < len(offsets):
                    ahead.append(pool.submit(page, n + workers, offsets[n - 2 + workers]))
                _check_not_repeated(table, n, seen, resp)
                _check_offsets(table, offset, total, page_size, resp)
                received += table.num_rows
                log.info("%s: page %d/%d", what, n, len(offsets) + 1)
                yield table, resp
        if received != total:  # unreachable if every page passed its checks; kept as the last line of defence
            raise UpstreamFormatError(f"{resp.request.describe()}: {received} rows arrived but RECORD_COUNT is "
                                      f"{total}. Never loading silently truncated data; run again.")

    def _check_bounds(self, total: int, page_size: int, resp: Response) -> None:
        """RECORD_COUNT, as page 1 declares it, within what any real query returns (before paging on it)."""
        what = resp.request.describe()
        if total > self.max_records:
            raise UpstreamFormatError(
                f"{what}: RECORD_COUNT is {total:,}, more rows than one query may return here ({self.max_records:,}, "
                "NomisResource.max_records; the national claimant count is 7.9 million). The count is wrong or the "
                "query is far wider than meant; nothing was loaded. If the query really is that large, raise "
                "max_records (MAX_RECORDS in lmi_pipeline/clients/nomis.py).")
        pages = -(-total // page_size)
        if pages > self.max_pages:
            raise UpstreamFormatError(
                f"{what}: RECORD_COUNT {total:,} in pages of {page_size:,} rows would take {pages:,} pages, more than "
                f"{self.max_pages:,} (NomisResource.max_pages). Nomis serves 25,000 rows a page to guests; a server "
                "answering this few rows a page is misbehaving. Nothing was loaded; try again later.")

    def fetch(self, query: NomisQuery, area_labels: dict[str, str] | None = None) -> NomisResult:
        """All pages of a query as one all-text table; every requested geography must be present.

        `area_labels` maps Nomis ids to what a person recognises ("E05011207 Gensing") for error messages.
        """
        tables, responses = [], []
        for table, resp in self.iter_pages(query, area_labels):
            tables.append(table)
            responses.append(resp)
        table = pa.concat_tables(tables, promote_options="permissive")
        pairs = table.group_by(["GEOGRAPHY", "GEOGRAPHY_CODE"]).aggregate([])
        got = set(zip(pairs["GEOGRAPHY"].to_pylist(), pairs["GEOGRAPHY_CODE"].to_pylist()))
        # Areas named from the metadata read so far, then as the caller knows them.
        labels = {**self._area_names, **(area_labels or {})}
        check_geographies(got, query, responses[0].request.describe(), labels)
        return NomisResult(table, responses, table.num_rows)


def _record_count(table: pa.Table, resp: Response) -> int:
    counts = pc.unique(table["RECORD_COUNT"]).to_pylist()  # whole numbers: parse_page refused anything else
    if len(counts) != 1:
        raise UpstreamFormatError(f"{resp.request.describe()}: RECORD_COUNT varies within a page: {counts[:5]}")
    return int(counts[0])


def _offset_span(table: pa.Table) -> tuple[int, int]:
    offsets = pc.cast(table["RECORD_OFFSET"], pa.int64())
    return pc.min(offsets).as_py(), pc.max(offsets).as_py()


def _check_not_repeated(table: pa.Table, number: int, seen: dict[tuple[int, int], int], resp: Response) -> None:
    """A page whose first and last RECORD_OFFSET are an earlier page's is that page again (a server ignoring
    RecordOffset). RECORD_OFFSET is the row's key, so a byte-identical page repeats it too: no body hash needed."""
    span = _offset_span(table)
    if span in seen:
        raise UpstreamFormatError(
            f"{resp.request.describe()}: page {number} repeats page {seen[span]} (RECORD_OFFSET {span[0]}..{span[1]} "
            "again): the server is not advancing through the result. Nothing was loaded; try again later.")
    seen[span] = number


def _check_offsets(table: pa.Table, start: int, total: int, page_size: int, resp: Response) -> None:
    """Rows must be exactly RECORD_OFFSET start..start+m-1 of the same RECORD_COUNT, where m is a full page
    (or the rest, on the last page); anything else is a truncation, and the next offset would skip rows."""
    what = resp.request.describe()
    if _record_count(table, resp) != total:
        raise UpstreamFormatError(
            f"{what}: RECORD_COUNT changed between pages ({total} then {_record_count(table, resp)}): the data "
            "was probably revised mid-download. Nothing was loaded; run again."
        )
    offsets = pc.cast(table["RECORD_OFFSET"], pa.int64())
    n, want = table.num_rows, min(page_size, total - start)
    lo, hi = pc.min(offsets).as_py(), pc.max(offsets).as_py()
    if n != want or lo != start or hi != start + n - 1 or pc.count_distinct(offsets).as_py() != n:
        raise UpstreamFormatError(
            f"{what}: page holds RECORD_OFFSET {lo}..{hi} ({n} rows) but {start}..{start + want - 1} of "
            f"RECORD_COUNT {total} were expected (pages of {page_size}): rows are missing, so a row cap or a cut "
            "was hit. Never loading silently truncated data; nothing was loaded; run again."
        )


# A GSS code as Nomis writes it in GEOGRAPHY_CODE (and, for some datasets, in GEOGRAPHY): E05011207.
GSS_CODE = re.compile(r"[A-Z]\d{8}")


def check_geographies(got: set[tuple[str, str]], query: NomisQuery, what: str, labels: dict[str, str],
                      expected: set[str] | None = None) -> None:
    """Every requested area must come back, or the run stops naming the missing ones.

    `got` holds the (GEOGRAPHY, GEOGRAPHY_CODE) pairs that arrived. An area asked for by GSS code is
    matched on GEOGRAPHY_CODE; one asked for by Nomis id on GEOGRAPHY, which holds that id in the claimant
    count and APS but the GSS code in the Census, BRES and business-count tables, so there the id is matched
    through its GSS code, read from the front of its label ("E05011207 Gensing", as query_areas and the
    geography metadata write them). `expected` adds ids that a `{parent}TYPEn` selector should have
    expanded to (from metadata).
    """
    wanted = {g for g in query.geography if "TYPE" not in g and "..." not in g} | (expected or set())
    geos, codes = {g for g, _ in got}, {c for _, c in got}
    missing = sorted(w for w in wanted if not _came_back(w, geos, codes, labels))
    if missing:
        if "; query " not in what:  # name the query too (path and parameters; the key is never part of them)
            what += f"; query dataset/{query.dataset}.data.csv?{urlencode(query.params(), safe=',:*|')}"
        more = f" and {len(missing) - 10} more" if len(missing) > 10 else ""
        raise UpstreamError(
            f"{what}: {len(missing)} requested area(s) did not come back: "
            f"{', '.join(_area_name(m, labels) for m in missing[:10])}{more} ({_how_matched(missing, geos, labels)}). "
            "The area may not be published for this dataset or vintage (a ward boundary change?); nothing was "
            "loaded. Check lmi.toml and the dataset's geography types."
        )


def _came_back(wanted: str, geos: set[str], codes: set[str], labels: dict[str, str]) -> bool:
    if GSS_CODE.fullmatch(wanted):  # asked for by GSS code
        return wanted in codes
    gss = _gss_of(wanted, labels)
    # GEOGRAPHY is the id itself, or (datasets that write GSS codes there) the id's GSS code. Never the
    # GSS code of a row whose GEOGRAPHY is another id: a ward in two vintages has one code and two ids.
    return wanted in geos or (bool(gss) and gss in geos)


def _how_matched(missing: list[str], geos: set[str], labels: dict[str, str]) -> str:
    """How the missing areas were looked for, so a reader can tell a missing area from a failed match."""
    ids = [m for m in missing if not GSS_CODE.fullmatch(m)]
    parts = ["GSS codes matched on GEOGRAPHY_CODE"] if len(ids) < len(missing) else []
    if ids and any(GSS_CODE.fullmatch(g) for g in geos):
        parts.append("Nomis ids matched through their GSS codes, as this dataset writes GSS codes in GEOGRAPHY")
        if any(not _gss_of(m, labels) for m in ids):
            parts.append("an id whose GSS code is not in its label cannot be matched in this dataset")
    elif ids:
        parts.append("Nomis ids matched on GEOGRAPHY")
    return "; ".join(parts)


def _gss_of(nomis_id: str, labels: dict[str, str]) -> str:
    first = labels.get(nomis_id, "").split(" ", 1)[0]
    return first if GSS_CODE.fullmatch(first) else ""


def _area_name(area: str, labels: dict[str, str]) -> str:
    if area in labels:
        return labels[area]
    return area if GSS_CODE.fullmatch(area) else f"Nomis id {area}"
