"""DfE Explore Education Statistics (EES) public API client (https://api.education.gov.uk/statistics/v1).

    GET publications?search=..&page=..&pageSize=..        paged: {paging: {page, totalPages, ...}, results}
    GET publications/{publicationId}/data-sets?page=..     paged data set summaries
    GET data-sets/{dataSetId}                              summary: status, latestVersion {version, published, ...}
    GET data-sets/{dataSetId}/csv?dataSetVersion=..        the data set as CSV (the release file's columns)

Data sets are found by publication and data set title at run time (ids are not assumed), and the CSV is
fetched for the exact version the summary names, so provenance can say which version was loaded. Errors
come back as JSON problem details with a 4xx status; the shared transport raises them with the URL.
"""

from __future__ import annotations

import csv
import io
import json
import re
from typing import Optional

import pyarrow as pa
import pyarrow.csv as pacsv

from lmi_pipeline.clients.base import UpstreamResource
from lmi_pipeline.clients.transport import Request, Response, UpstreamError, UpstreamFormatError
from lmi_pipeline.settings import DEFAULT_DFE_URL

NEET_PUBLICATION = "Participation in education, training and NEET age 16 to 17 by local authority"
NEET_DATA_SET = re.compile(r"\bNEET\b.*characteristic", re.I)

# The NEET 16-17 file's columns: our name -> its name in the 2026 file and in the 2025 file.
NEET_COLUMNS = {
    "age": ("age", "Age"),
    "characteristic_grouping": ("characteristic_grouping", "Characteristic_grouping"),
    "characteristic": ("characteristic", "Characteristic"),
    "avg_cohort_count": ("avg_cohort_count", "avgcohort"),
    "avg_neet_nk_count": ("avg_neet_nk_count", "avgNEETNK"),
    "avg_neet_count": ("avg_neet_count", "avgNEET"),
    "avg_nk_count": ("avg_nk_count", "avgNK"),
    "neet_nk_percent": ("neet_nk_percent", "NEETNKprop"),
    "neet_percent": ("neet_percent", "NEETprop"),
    "nk_percent": ("nk_percent", "Notknownprop"),
    "annual_change_neet_nk_percent": ("annual_change_neet_nk_percent", "annual_change_NEETNK"),
}
NEET_GEO_COLUMNS = ("time_period", "time_identifier", "geographic_level", "country_code", "country_name",
                    "region_code", "region_name", "new_la_code", "la_name")
NEET_SCHEMAS = {"2026": {k: v[0] for k, v in NEET_COLUMNS.items()}, "2025": {k: v[1] for k, v in NEET_COLUMNS.items()}}


def neet_schema(columns: list[str], what: str) -> tuple[str, dict[str, str]]:
    """Which NEET file layout `columns` is ('2025' or '2026'), and our name -> the file's column name."""
    missing_geo = [c for c in NEET_GEO_COLUMNS if c not in columns]
    for version, mapping in NEET_SCHEMAS.items():
        if not missing_geo and all(c in columns for c in mapping.values()):
            return version, mapping
    closest = min(NEET_SCHEMAS.items(), key=lambda kv: sum(c not in columns for c in kv[1].values()))
    lacking = missing_geo + [c for c in closest[1].values() if c not in columns]
    raise UpstreamFormatError(
        f"{what}: the CSV has neither the 2025 nor the 2026 NEET column names; closest is the {closest[0]} "
        f"layout, lacking {lacking} (got {columns[:25]}). DfE may have renamed columns again: add the new "
        "names to lmi_pipeline.clients.dfe.NEET_COLUMNS."
    )


class DfeResource(UpstreamResource):
    """EES public API over the shared transport (retries, deadline, live / record / demo replay)."""

    base_url: str = DEFAULT_DFE_URL
    page_size: int = 20  # EES allows up to 40 per page
    neet_data_set_id: Optional[str] = None  # pin a data set; by default it is found by title

    def request(self, path: str, params: tuple[tuple[str, str], ...] = (), label: str = "") -> Request:
        return Request("dfe", self.base_url, path, params, label=label or f"DfE EES {path}")

    def get_json(self, path: str, params: tuple[tuple[str, str], ...] = (), label: str = "") -> dict:
        resp = self.transport().get(self.request(path, params, label))
        try:
            doc = json.loads(resp.body)
        except ValueError:
            raise UpstreamFormatError(f"{resp.request.describe()}: expected JSON, got {resp.body[:120]!r}") from None
        if not isinstance(doc, dict):
            raise UpstreamFormatError(f"{resp.request.describe()}: expected a JSON object, got {type(doc).__name__}")
        return doc

    def paged(self, path: str, params: tuple[tuple[str, str], ...] = (), label: str = "") -> list[dict]:
        """Every result of a paged list endpoint, following `paging.totalPages`."""
        results, page = [], 1
        while True:
            doc = self.get_json(path, params + (("page", str(page)), ("pageSize", str(self.page_size))), label)
            try:
                results += doc["results"]
                total_pages = int(doc["paging"]["totalPages"])
            except (KeyError, TypeError, ValueError):
                raise UpstreamFormatError(f"DfE EES {path}: not a paged list (no paging.totalPages / results)") from None
            if page >= total_pages:
                return results
            page += 1

    def find_publication(self, title: str) -> dict:
        found = self.paged("publications", (("search", title),), "DfE EES publications search")
        exact = [p for p in found if p.get("title", "").strip().lower() == title.lower()]
        if not exact:
            raise UpstreamError(f"DfE EES: no publication titled {title!r} (search found "
                                f"{[p.get('title') for p in found][:10]}). It may have been renamed; "
                                "set the data set id (DfeResource.neet_data_set_id) instead.")
        return exact[0]

    def find_data_set(self, publication: dict, title: re.Pattern) -> dict:
        """The publication's current data set whose title matches: published, not superseded, newest period."""
        sets = self.paged(f"publications/{publication['id']}/data-sets", label="DfE EES publication data sets")
        current = [d for d in sets if title.search(d.get("title", "")) and d.get("status") == "Published"
                   and not d.get("supersedingDataSetId")]
        if not current:
            raise UpstreamError(
                f"DfE EES: publication {publication.get('title')!r} has no current API data set titled like "
                f"{title.pattern!r} (it has {[(d.get('title'), d.get('status')) for d in sets]}). Not every EES "
                "release is on the API; set DfeResource.neet_data_set_id if the id is known.")
        return max(current, key=lambda d: str(d.get("latestVersion", {}).get("timePeriods", {}).get("end", "")))

    def data_set(self, data_set_id: str) -> dict:
        return self.get_json(f"data-sets/{data_set_id}", label=f"DfE EES data set {data_set_id}")

    def neet_data_set(self) -> dict:
        """The NEET 16-17 data set: the pinned id, or found by publication and title."""
        if self.neet_data_set_id:
            return self.data_set(self.neet_data_set_id)
        return self.find_data_set(self.find_publication(NEET_PUBLICATION), NEET_DATA_SET)

    def data_set_csv(self, data_set_id: str, version: str, label: str = "") -> tuple[pa.Table, Response]:
        """The data set version as an all-text Arrow table, with the response for provenance."""
        req = self.request(f"data-sets/{data_set_id}/csv", (("dataSetVersion", version),),
                           label or f"DfE EES data set {data_set_id} CSV")
        resp = self.transport().get(req)
        return parse_csv(resp, req.describe()), resp


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


def release_stamp(data_set: dict) -> str:
    """A data set's release, as provenance records it and refresh planning compares it."""
    version = data_set["latestVersion"]
    return f"version {version['version']} published {version.get('published', '?')}"
