"""DfE Explore Education Statistics (EES): the NEET 16-17 file, by the public API or the data catalogue.

Public API (https://api.education.gov.uk/statistics/v1): only publications that have an API data set.
    GET publications?search=..&page=..&pageSize=..        paged (pageSize 1-40): {paging: {page, totalPages, ...}, results}
    GET publications/{publicationId}/data-sets?page=..     paged (pageSize 1-20): Published / Deprecated data sets
    GET data-sets/{dataSetId}                              summary: status, latestVersion {version, published, ...}
    GET data-sets/{dataSetId}/csv?dataSetVersion=..        the data set as CSV (the release file's columns)

Content API (https://content.explore-education-statistics.service.gov.uk/api): the data catalogue of every
publication, whether or not it is on the public API.
    GET publications/{slug}                                {id, slug, title, latestRelease: {id, slug, title}, ...}
    GET data-set-files?publicationId=..&page=..&pageSize=..  paged (pageSize 1-40; latest release only by default):
                                                           {results: [{id (dataSetFileId), fileId, filename, title,
                                                           release {id, slug, title}, publication {...}, latestData,
                                                           isSuperseded, published, lastUpdated, api?}], paging}
    GET data-set-files/{dataSetFileId}/download            the release's data file as CSV

The public API is tried first. When it does not list the publication, or lists no current NEET data set
(`DfeNotOnApi`), the data catalogue file of the latest release is used instead; a transport failure
(connection refused, a 5xx after its retries) is not a reason to switch and is raised as it is. API data
set ids and catalogue ids (dataSetFileId, fileId) are different GUIDs: neither is assumed, both are found at
run time, and the route, ids and release stamp travel with the table so provenance can say which was loaded.
Errors come back as JSON problem details with a 4xx status; the shared transport raises them with the URL.

`paging` is the server's word: totalPages is bounded (MAX_PAGES) and must agree with totalResults and the
rows delivered, stay the same from page to page, and no page may repeat an earlier one. In the NEET file
every figure is a number or an EES symbol; a blank figure is refused (see check_neet_values).
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
from dataclasses import dataclass, field
from typing import Optional

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
from pydantic import Field

from lmi_pipeline.clients.base import UpstreamResource
from lmi_pipeline.clients.transport import Request, Response, UpstreamError, UpstreamFormatError
from lmi_pipeline.settings import DEFAULT_DFE_CONTENT_URL, DEFAULT_DFE_URL

NEET_PUBLICATION = "Participation in education, training and NEET age 16 to 17 by local authority"
NEET_PUBLICATION_SLUG = "participation-in-education-training-and-neet-age-16-to-17-by-local-authority"
NEET_DATA_SET = re.compile(r"\bNEET\b.*characteristic", re.I)
# A catalogue file whose title does not say "NEET ... characteristics" is still the NEET file if its name does.
NEET_FILE = re.compile(r"neet.*charac", re.I)

# The NEET 16-17 file's columns: our name -> its name in the 2026 file, the 2025 file and the DfE dashboard
# extract ("dashboard": data/UD_NEETNK_LA_dashboard*.csv of DfE's own dashboard, 16-17 headline only, with
# KS4 / attendance context columns that drift by year and are ignored). None: the layout has no such column;
# a count it lacks stays NULL (never derived), a characteristic it lacks is the 'Total' (warehouse/neet.py).
NEET_LAYOUTS = ("2026", "2025", "dashboard")
NEET_COLUMNS: dict[str, tuple[Optional[str], Optional[str], Optional[str]]] = {
    "age": ("age", "Age", "Age"),
    "characteristic_grouping": ("characteristic_grouping", "Characteristic_grouping", None),
    "characteristic": ("characteristic", "Characteristic", None),
    "avg_cohort_count": ("avg_cohort_count", "avgcohort", "Cohort_DJFavg"),
    "avg_neet_nk_count": ("avg_neet_nk_count", "avgNEETNK", None),
    "avg_neet_count": ("avg_neet_count", "avgNEET", None),
    "avg_nk_count": ("avg_nk_count", "avgNK", None),
    "neet_nk_percent": ("neet_nk_percent", "NEETNKprop", "NEET_not_known_percent"),
    "neet_percent": ("neet_percent", "NEETprop", "NEET_percent"),
    "nk_percent": ("nk_percent", "Notknownprop", "Notknown_percent"),
    "annual_change_neet_nk_percent": ("annual_change_neet_nk_percent", "annual_change_NEETNK",
                                      "annual_change_ppts_NEET_not_known"),
}
NEET_GEO_COLUMNS = ("time_period", "time_identifier", "geographic_level", "country_code", "country_name",
                    "region_code", "region_name", "new_la_code", "la_name")
NEET_SCHEMAS = {layout: {ours: names[i] for ours, names in NEET_COLUMNS.items() if names[i]}
                for i, layout in enumerate(NEET_LAYOUTS)}
# The NEET figures (our names): each cell is a number or an EES symbol (c, z, x, low, u, :), never blank.
NEET_FIGURES = tuple(c for c in NEET_COLUMNS if c not in ("age", "characteristic_grouping", "characteristic"))

# The most pages one EES list may take. EES lists about 450 publications in all (12 pages of 40); a
# publication has a handful of API data sets, a release a few dozen files. A totalPages beyond this is not
# a real list, and following it would make requests for ever.
MAX_PAGES = 50


def neet_schema(columns: list[str], what: str) -> tuple[str, dict[str, str]]:
    """Which NEET file layout `columns` is ('2026', '2025' or 'dashboard'), and our name -> the file's column
    name for the columns that layout has. Columns beyond those are ignored; a layout missing any of its own
    columns is refused, naming what is missing."""
    missing_geo = [c for c in NEET_GEO_COLUMNS if c not in columns]
    for version, mapping in NEET_SCHEMAS.items():
        if not missing_geo and all(c in columns for c in mapping.values()):
            return version, mapping
    closest = min(NEET_SCHEMAS.items(), key=lambda kv: sum(c not in columns for c in kv[1].values()))
    lacking = missing_geo + [c for c in closest[1].values() if c not in columns]
    raise UpstreamFormatError(
        f"{what}: the CSV has none of the known NEET column layouts ({', '.join(NEET_LAYOUTS)}); closest is the "
        f"{closest[0]} layout, lacking {lacking} (got {columns[:25]}). DfE may have renamed columns again: add the "
        "new names to lmi_pipeline.clients.dfe.NEET_COLUMNS."
    )


class DfeNotOnApi(UpstreamError):
    """The public API does not offer the publication, or no current data set of it: use the data catalogue.
    (Raised only from what the API answered, never for a transport failure.)"""


@dataclass(frozen=True)
class NeetSource:
    """Where the NEET file comes from this run: enough to fetch it and to say, in provenance, what it was."""

    kind: str  # "api" | "catalogue"
    route: str  # e.g. "public API data set <id> version <v>"
    release: str  # the release stamp provenance records and refresh planning compares
    title: str
    path: str  # the CSV's request path (under base_url for "api", content_url for "catalogue")
    params: tuple[tuple[str, str], ...]
    dataset: str  # what source_requests.dataset says for the CSV request
    latest_period: str = ""
    ids: dict[str, str] = field(default_factory=dict)
    fallback_reason: str = ""  # why the public API was not used


class DfeResource(UpstreamResource):
    """EES public API, with the data catalogue as fallback, over the shared transport (retries, deadline,
    live / record / demo replay)."""

    base_url: str = DEFAULT_DFE_URL
    content_url: str = DEFAULT_DFE_CONTENT_URL
    # Page sizes the services accept (a size out of range is an HTTP 400): publications 1-40, a publication's
    # data sets 1-20, data catalogue files 1-40.
    publications_page_size: int = Field(default=40, ge=1, le=40)
    data_sets_page_size: int = Field(default=20, ge=1, le=20)
    catalogue_page_size: int = Field(default=40, ge=1, le=40)
    neet_data_set_id: Optional[str] = None  # pin an API data set; by default it is found by title
    neet_publication_slug: str = NEET_PUBLICATION_SLUG  # the publication in the data catalogue
    max_pages: int = Field(default=MAX_PAGES, ge=1)  # per paged list (see MAX_PAGES)

    # -- requests -----------------------------------------------------------------------------------
    def request(self, path: str, params: tuple[tuple[str, str], ...] = (), label: str = "") -> Request:
        return Request("dfe", self.base_url, path, params, label=label or f"DfE EES {path}")

    def content_request(self, path: str, params: tuple[tuple[str, str], ...] = (), label: str = "") -> Request:
        return Request("dfe", self.content_url, path, params, label=label or f"DfE EES content {path}")

    def get_json(self, path: str | Request, params: tuple[tuple[str, str], ...] = (), label: str = "") -> dict:
        req = path if isinstance(path, Request) else self.request(path, params, label)
        return self.transport().get(req).json_object()

    def paged(self, path: str, params: tuple[tuple[str, str], ...] = (), label: str = "",
              page_size: Optional[int] = None, content: bool = False) -> list[dict]:
        """Every result of a paged list endpoint, following `paging.totalPages` (checked: see _Paging)."""
        size = page_size or (self.publications_page_size if path == "publications" else self.data_sets_page_size)
        make = self.content_request if content else self.request
        results: list[dict] = []
        paging = _Paging(size, self.max_pages)
        for page in range(1, self.max_pages + 1):
            req = make(path, params + (("page", str(page)), ("pageSize", str(size))), label)
            items, total_pages = paging.check(self.get_json(req), page, f"{req.describe()}: page {page}")
            results += items
            if page >= total_pages:
                paging.check_total(len(results), f"{req.describe()}: page {page}")
                return results
        raise AssertionError("unreachable: totalPages is at most max_pages")  # _Paging.check bounds it

    # -- public API ---------------------------------------------------------------------------------
    def find_publication(self, title: str) -> dict:
        found = self.paged("publications", (("search", title),), "DfE EES publications search",
                           page_size=self.publications_page_size)
        exact = [p for p in found if p.get("title", "").strip().lower() == title.lower()]
        if not exact:
            raise DfeNotOnApi(f"DfE EES public API: no publication titled {title!r} (search found "
                              f"{[p.get('title') for p in found][:10]}). It may have been renamed, or have no API "
                              "data set; set the data set id (DfeResource.neet_data_set_id) if one is known.")
        return exact[0]

    def find_data_set(self, publication: dict, title: re.Pattern) -> dict:
        """The publication's current data set whose title matches: published, not superseded, newest period."""
        sets = self.paged(f"publications/{publication['id']}/data-sets", label="DfE EES publication data sets",
                          page_size=self.data_sets_page_size)
        current = [d for d in sets if title.search(d.get("title", "")) and d.get("status") == "Published"
                   and not d.get("supersedingDataSetId")]
        if not current:
            raise DfeNotOnApi(
                f"DfE EES public API: publication {publication.get('title')!r} has no current API data set titled "
                f"like {title.pattern!r} (it has {[(d.get('title'), d.get('status')) for d in sets]}). Not every "
                "EES release is on the API; set DfeResource.neet_data_set_id if the id is known.")
        return max(current, key=lambda d: str(d.get("latestVersion", {}).get("timePeriods", {}).get("end", "")))

    def data_set(self, data_set_id: str) -> dict:
        return self.get_json(f"data-sets/{data_set_id}", label=f"DfE EES data set {data_set_id}")

    def neet_data_set(self) -> dict:
        """The NEET 16-17 API data set: the pinned id, or found by publication and title (DfeNotOnApi if the
        public API does not offer it)."""
        if self.neet_data_set_id:
            return self.data_set(self.neet_data_set_id)
        return self.find_data_set(self.find_publication(NEET_PUBLICATION), NEET_DATA_SET)

    def data_set_csv(self, data_set_id: str, version: str, label: str = "") -> tuple[pa.Table, Response]:
        """The data set version as an all-text Arrow table, with the response for provenance."""
        req = self.request(f"data-sets/{data_set_id}/csv", (("dataSetVersion", version),),
                           label or f"DfE EES data set {data_set_id} CSV")
        resp = self.transport().get(req)
        return parse_csv(resp, req.describe()), resp

    # -- data catalogue (content API) ---------------------------------------------------------------
    def catalogue_publication(self, slug: str) -> dict:
        pub = self.get_json(self.content_request(f"publications/{slug}", label=f"DfE EES publication {slug}"))
        if not pub.get("id"):
            raise UpstreamFormatError(f"DfE EES content API publications/{slug}: no publication id in {str(pub)[:160]}")
        return pub

    def catalogue_files(self, publication_id: str) -> list[dict]:
        """The data files of the publication's latest release (the catalogue's default, latestOnly)."""
        return self.paged("data-set-files", (("publicationId", publication_id),), "DfE EES data catalogue",
                          page_size=self.catalogue_page_size, content=True)

    def catalogue_neet_file(self, publication: dict) -> dict:
        """The latest release's NEET file: current data (latestData, not superseded), of this publication,
        titled like NEET ... characteristics (or, failing that, named like it)."""
        files = self.catalogue_files(publication["id"])

        def of_publication(f: dict) -> bool:
            pub = f.get("publication") or (f.get("release") or {}).get("publication") or {}
            return not pub.get("id") or pub.get("id") == publication["id"]

        current = [f for f in files if f.get("latestData", True) and not f.get("isSuperseded") and of_publication(f)]
        found = ([f for f in current if NEET_DATA_SET.search(f.get("title", ""))]
                 or [f for f in current if NEET_FILE.search(f.get("filename", ""))])
        if not found:
            raise UpstreamError(
                f"DfE EES data catalogue: publication {publication.get('title')!r} has no current data file titled "
                f"like {NEET_DATA_SET.pattern!r} or named like {NEET_FILE.pattern!r} (its latest release has "
                f"{[(f.get('title'), f.get('filename')) for f in files][:12]}). DfE may have renamed it: adjust "
                "NEET_DATA_SET / NEET_FILE in lmi_pipeline/clients/dfe.py.")
        if len(found) > 1:
            raise UpstreamError(
                f"DfE EES data catalogue: {len(found)} current files of {publication.get('title')!r} look like the "
                f"NEET file: {[(f.get('title'), f.get('filename')) for f in found]}. Tighten NEET_DATA_SET / "
                "NEET_FILE in lmi_pipeline/clients/dfe.py to pick one.")
        return found[0]

    # -- the NEET file, by whichever route serves it ------------------------------------------------
    def neet_source(self) -> NeetSource:
        """The public API data set if the API offers one, else the latest release's data catalogue file."""
        try:
            data_set = self.neet_data_set()
        except DfeNotOnApi as exc:
            return self._catalogue_source(str(exc))
        version = data_set["latestVersion"]
        return NeetSource(
            kind="api", route=f"public API data set {data_set['id']} version {version['version']}",
            release=release_stamp(data_set), title=data_set.get("title", ""),
            path=f"data-sets/{data_set['id']}/csv", params=(("dataSetVersion", version["version"]),),
            dataset=f"DfE EES {data_set['id']}",
            latest_period=str(version.get("timePeriods", {}).get("end", "")),
            ids={"data_set_id": data_set["id"], "data_set_version": version["version"]})

    def _catalogue_source(self, why: str) -> NeetSource:
        publication = self.catalogue_publication(self.neet_publication_slug)
        f = self.catalogue_neet_file(publication)
        release = f.get("release") or {}
        ids = {"data_set_file_id": f["id"], "file_id": str(f.get("fileId", "")), "filename": f.get("filename", ""),
               "release_id": str(release.get("id", "")), "release_slug": release.get("slug", ""),
               "publication_id": publication["id"]}
        if (f.get("api") or {}).get("id"):
            ids["api_data_set_id"] = f["api"]["id"]
        period = ((f.get("meta") or {}).get("timePeriodRange") or {}).get("to", "")
        return NeetSource(
            kind="catalogue",
            route=f"data catalogue file {f['id']} ({f.get('filename', '?')}) of release {release.get('slug', '?')}",
            release=catalogue_release_stamp(f), title=f.get("title", ""), path=f"data-set-files/{f['id']}/download",
            params=(), dataset=f"DfE EES data catalogue file {f['id']}", latest_period=str(period), ids=ids,
            fallback_reason=why)

    def neet_csv(self, source: Optional[NeetSource] = None) -> tuple[pa.Table, Response, NeetSource]:
        """The NEET file as an all-text Arrow table, the response, and where it came from."""
        source = source or self.neet_source()
        make = self.request if source.kind == "api" else self.content_request
        req = make(source.path, source.params,
                   f"DfE NEET 16-17 ({source.title}{', data catalogue' if source.kind == 'catalogue' else ''})")
        resp = self.transport().get(req)
        table = parse_csv(resp, req.describe())
        check_neet_values(table, req.describe())
        return table, resp, source

    def neet_release(self) -> str:
        """The NEET file's release stamp by whichever route serves it, as raw_neet records it (no download)."""
        return self.neet_source().release


def parse_csv(resp: Response, what: str) -> pa.Table:
    body = resp.body[3:] if resp.body.startswith(b"\xef\xbb\xbf") else resp.body
    head = body[:256].lstrip().lower()
    if not body.strip():
        raise UpstreamFormatError(f"{what}: empty body. Nothing was loaded; retry later.")
    if head.startswith((b"<", b"{", b"[")) or "html" in resp.content_type.lower():
        raise UpstreamFormatError(f"{what}: expected CSV, got {body[:160]!r}. Nothing was loaded.")
    names = next(csv.reader([body.split(b"\n", 1)[0].decode("utf-8", "replace").rstrip("\r")]))
    try:
        table = pacsv.read_csv(io.BytesIO(body), read_options=pacsv.ReadOptions(use_threads=False),
                               convert_options=pacsv.ConvertOptions(column_types={c: pa.string() for c in names},
                                                                    strings_can_be_null=False,
                                                                    quoted_strings_can_be_null=False))
    except pa.ArrowInvalid as exc:
        raise UpstreamFormatError(f"{what}: unreadable CSV ({exc}). Nothing was loaded.") from None
    if table.num_rows == 0:
        raise UpstreamFormatError(f"{what}: header only, no rows. Nothing was loaded; retry later.")
    return table


def check_neet_values(table: pa.Table, what: str) -> None:
    """Every NEET figure is a number or an EES symbol. EES marks a figure it does not give with a symbol
    (c suppressed, z not applicable, x not available, ...); a blank cell has none, so it is a cut or broken
    row, and the warehouse would publish it as a gap DfE never reported. Refused here, in the client, so the
    source degrades and keeps its last good load."""
    _, mapping = neet_schema(table.column_names, what)
    for ours in NEET_FIGURES:
        column = mapping.get(ours)
        if column is None:
            continue
        blank = pc.equal(pc.utf8_trim_whitespace(table[column]), "")
        if not pc.any(blank).as_py():
            continue
        i = pc.index(blank, True).as_py()
        row = {c: table[c][i].as_py() for c in NEET_GEO_COLUMNS}
        level = row["geographic_level"].lower()
        area = ((row["new_la_code"], row["la_name"]) if level == "local authority" else
                (row["region_code"], row["region_name"]) if level == "regional" else (row["country_code"], row["country_name"]))
        raise UpstreamFormatError(
            f"{what}: {column} is blank for {' '.join(a for a in area if a)} ({row['geographic_level']}), "
            f"time_period {row['time_period']} (row {i + 1} of the file, line {i + 2}), with no EES symbol saying why. "
            "A figure may be missing only as c, z, x, low, u or :; this row looks cut or broken, so nothing was "
            "loaded. Run again; if it persists, report it to DfE.")


def release_stamp(data_set: dict) -> str:
    """An API data set's release, as provenance records it and refresh planning compares it."""
    version = data_set["latestVersion"]
    return f"version {version['version']} published {version.get('published', '?')}"


def catalogue_release_stamp(data_set_file: dict) -> str:
    """A data catalogue file's release: the release slug, when it was published and, if the file was replaced
    since (an amendment), when it was last updated."""
    release = data_set_file.get("release") or {}
    published = data_set_file.get("published") or release.get("published") or "?"
    stamp = f"release {release.get('slug', '?')} published {published}"
    updated = data_set_file.get("lastUpdated")
    return stamp + (f" updated {updated}" if updated and updated != published else "")


class _Paging:
    """What EES's `paging` says, checked page by page, so a wrong count cannot make requests for ever or
    pass a short list: totalPages (and totalResults, when given) whole numbers within MAX_PAGES, agreeing
    with each other, the same on every page, and the rows delivered; each page the one asked for and new."""

    def __init__(self, size: int, max_pages: int) -> None:
        self.size, self.max_pages = size, max_pages
        self.declared: Optional[tuple[int, Optional[int]]] = None  # (totalPages, totalResults) of page 1
        self.seen: dict[str, int] = {}  # page fingerprint -> page number

    def check(self, doc: dict, page: int, what: str) -> tuple[list[dict], int]:
        paging, items = doc.get("paging"), doc.get("results")
        if not isinstance(paging, dict) or not isinstance(items, list):
            raise UpstreamFormatError(f"{what}: not a paged list (no paging.totalPages / results)")
        pages = _count(paging, "totalPages", what)
        results = _count(paging, "totalResults", what) if "totalResults" in paging else None
        if pages > self.max_pages:
            raise UpstreamFormatError(
                f"{what}: totalPages is {pages:,}, more than any EES list has (DfeResource.max_pages, {self.max_pages}). "
                "The count is wrong; following it would make requests for ever. Nothing was loaded; try again later.")
        if self.declared is None:
            self._agree(pages, results, what)
            self.declared = (pages, results)
        elif (pages, results) != self.declared:
            raise UpstreamFormatError(
                f"{what}: totalPages/totalResults changed between pages ({self.declared[0]}/{self.declared[1]} on page "
                f"1, now {pages}/{results}): the list changed while being read. Nothing was loaded; run again.")
        if paging.get("page", page) != page:
            raise UpstreamFormatError(f"{what}: the answer is page {paging.get('page')!r}, not the page asked for.")
        last = page >= pages
        expected = results - (page - 1) * self.size if results is not None and last else self.size
        if len(items) > self.size or (results is not None and len(items) != expected) or (not items and not last):
            raise UpstreamFormatError(
                f"{what}: {len(items)} results on page {page} of {pages} (pages of {self.size}"
                f"{f', {results} in all' if results is not None else ''}): fewer or more than declared, so the list "
                "would be cut or padded. Nothing was loaded; try again later.")
        self._not_repeated(items, page, what)
        return items, pages

    def check_total(self, delivered: int, what: str) -> None:
        results = self.declared[1] if self.declared else None
        if results is not None and delivered != results:  # unreachable if every page passed check()
            raise UpstreamFormatError(f"{what}: {delivered} results arrived but totalResults is {results}.")

    def _agree(self, pages: int, results: Optional[int], what: str) -> None:
        if results is None:
            return
        want = -(-results // self.size)
        if pages != want and not (results == 0 and pages in (0, 1)):  # an empty list is 0 or 1 (empty) pages
            raise UpstreamFormatError(
                f"{what}: totalPages is {pages} but totalResults {results} in pages of {self.size} is {want} "
                "page(s): the counts cannot both be true. Nothing was loaded; try again later.")

    def _not_repeated(self, items: list, page: int, what: str) -> None:
        """The same results (by content, or by the ids of the first and last) as an earlier page: a server
        ignoring `page`, which would list every result once per page."""
        if not items:
            return
        body = hashlib.sha256(json.dumps(items, sort_keys=True, default=str).encode()).hexdigest()
        first, last = (i.get("id") if isinstance(i, dict) else None for i in (items[0], items[-1]))
        ends = f"ids {first} .. {last}" if first is not None and last is not None else ""
        for key, why in ((body, "the same results"), (ends, f"the same first and last {ends}")):
            if key and key in self.seen:
                raise UpstreamFormatError(f"{what} repeats page {self.seen[key]} ({why}): the server is not "
                                          "advancing through the list. Nothing was loaded; try again later.")
        self.seen[body] = page
        if ends:
            self.seen[ends] = page


def _count(paging: dict, name: str, what: str) -> int:
    """A count in `paging`: a whole number, not negative (JSON true, 2.5 or "3" are not counts)."""
    value = paging.get(name)
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise UpstreamFormatError(f"{what}: paging.{name} is {value!r}, not a whole number of at least 0; "
                                  "nothing was loaded.")
    return value
