"""A synthetic DfE Explore Education Statistics (EES): the public API and the content API's data catalogue,
serving the NEET 16-17 file.

Public API (under /statistics/v1/; server.py routes /dfe/statistics/v1/), in its JSON shapes:
  GET publications?search=&page=&pageSize=           paged {paging, results: [{id, title, slug, ...}]}; pageSize 1-40
  GET publications/{id}/data-sets?page=&pageSize=     paged data sets (id, title, status, latestVersion); pageSize 1-20
  GET data-sets/{id}                                  one data set's summary
  GET data-sets/{id}/csv[?dataSetVersion=]            the data set as CSV (the release file's columns)
It lists only publications that have an API data set: with `api_data_set=False` the NEET publication is not
listed (and its data sets are 404), as for a publication whose release is only in the data catalogue.

Content API (under /api/; server.py routes /dfe-content/api/):
  GET publications/{slug}                             {id, slug, title, summary, latestRelease {id, slug, title}, ...}
  GET data-set-files?publicationId=&page=&pageSize=   the latest release's data files (latestOnly defaults to true),
                                                      paged, sorted by title; pageSize 1-40 (default 10)
  GET data-set-files/{dataSetFileId}/download         the data file as CSV
The list items follow EES's DataSetFileSummaryViewModel: {id (dataSetFileId), fileId, filename, fileSize, title,
content, theme, publication {id, title, slug}, release {id (the release version), title, slug}, latestData,
isSuperseded, published, lastUpdated, api? {id, version, name}, meta}. Besides the NEET file the release lists
other (non-NEET) files, so the client has to pick. API data set ids, dataSetFileIds and fileIds are distinct
GUIDs (all synthetic).

The catalogue file is the release's data file, the one the API data set is built from: its download is the
same bytes as the API data set's CSV (2026 column names; 2025 ones with `schema=2025`), so both routes give the
same numbers. DfE's dashboard extract layout (`Cohort_DJFavg`, `NEET_not_known_percent`, ...) is not
generated: the real files are served by the contract tests (tests/fixtures/dfe).

Errors are JSON problem details with a 4xx status. A pageSize out of range gets EES's validation body
(`{"type": ".../rfc9110#section-15.5.1", "title": "One or more validation errors occurred.", "status": 400,
"errors": [{"message": "Must be between 1 and 20.", "path": "pageSize", "code": "InclusiveBetween",
"detail": {"from": 1, "to": 20, "value": 40}}]}`); only that body is known verbatim, the others are alike.

The CSV follows "Participation in education, training and NEET age 16 to 17 by local authority":
the 2025 file's columns (Age, avgcohort, avgNEETNK, NEETNKprop, ...; age "16-17") or the 2026 file's
snake_case ones (age, avg_cohort_count, neet_nk_percent, ...; age "16 to 17"). Symbols: `c` suppressed,
`z` not applicable. National and regional counts are rounded to the nearest 10. Areas and codes are
real (every upper-tier local authority of England, from DfE's own file; DfE publishes no Welsh areas);
every number is SYNTHETIC DEMO DATA.
"""

from __future__ import annotations

import csv
import io
import json
import re

import numpy as np

from lmi_demo.world import _noise, code_key
from lmi_pipeline.geography.reference import DATA

PUBLICATION_ID = "5c7e4ad5-0000-4000-8000-5e7e0000de17"  # synthetic
PUBLICATION_TITLE = "Participation in education, training and NEET age 16 to 17 by local authority"
PUBLICATION_SLUG = "participation-in-education-training-and-neet-age-16-to-17-by-local-authority"
# Public API data set ids (the ids seen on EES pages; whether they are API or catalogue ids is unverified).
DATASET_2025 = "8162db7a-a24d-4b8e-bdfc-8da52819c1a8"
DATASET_2026 = "a7bc111a-9503-40df-99fa-764fcb13a2e9"
# Data catalogue ids of the NEET file (synthetic): dataSetFileId (the catalogue's id, in its URLs) and fileId
# (the file itself), by the last year the release covers; and the release versions.
CATALOGUE_FILE = {2025: "0d5e7a2c-3f41-4c55-9b1e-5e7e0dfe2025", 2026: "0d5e7a2c-3f41-4c55-9b1e-5e7e0dfe2026"}
CATALOGUE_FILE_ID = {2025: "f11e0000-6a2b-4d3c-8e4f-5e7e0dfe2025", 2026: "f11e0000-6a2b-4d3c-8e4f-5e7e0dfe2026"}
RELEASE_ID = {2025: "7e1ea5e0-1b2c-4d3e-8f40-5e7e0dfe2025", 2026: "7e1ea5e0-1b2c-4d3e-8f40-5e7e0dfe2026"}  # versions
RELEASE_SERIES_ID = {2025: "7e1ea500-1b2c-4d3e-8f40-5e7e0dfe2025", 2026: "7e1ea500-1b2c-4d3e-8f40-5e7e0dfe2026"}
NEET_FILENAME = "neet_nk_characteristics_la_2019_{last}.csv"  # synthetic: the real file name is not known
THEME = {"id": "7a3b2c1d-0000-4000-8000-5e7e000dfe00", "title": "Post-16 education and training (SYNTHETIC)"}
# The release's other data files: (title, filename); none is the NEET file (the scorecard is named neet_..., too).
OTHER_FILES = [("Participation in education and training by characteristics", "participation_characteristics.csv"),
               ("Participation in education and training by type of activity", "participation_activity_type.csv"),
               ("September Guarantee: offers of a place in education or training", "september_guarantee.csv"),
               ("Local authority scorecard", "neet_nk_la_scorecard.csv")]
GEO_COLUMNS = ["time_period", "time_identifier", "geographic_level", "country_code", "country_name", "region_code",
               "region_name", "old_la_code", "new_la_code", "la_name"]
COLUMNS_2025 = ["Age", "Characteristic_grouping", "Characteristic", "avgcohort", "avgNEETNK", "avgNEET", "avgNK",
                "NEETNKprop", "NEETprop", "Notknownprop", "annual_change_NEETNK"]
COLUMNS_2026 = ["age", "characteristic_grouping", "characteristic", "avg_cohort_count", "avg_neet_nk_count",
                "avg_neet_count", "avg_nk_count", "neet_nk_percent", "neet_percent", "nk_percent",
                "annual_change_neet_nk_percent"]
DFE_AREAS_FILE = DATA / "dfe_local_authorities.csv"


def dfe_areas() -> list[tuple[str, str, str, str, str | None, int, float]]:
    """England, its regions and every upper-tier local authority DfE publishes (real codes and names from
    DfE's own file), each with a SYNTHETIC cohort and NEET-or-not-known rate:
    (level, code, name, old LA number, region, cohort aged 16-17, NEET or not known %)."""
    with DFE_AREAS_FILE.open(encoding="utf-8", newline="") as f:
        las = list(csv.DictReader(f))
    regions = sorted({(r["region_code"], r["region_name"]) for r in las})
    rows = [("National", "E92000001", "England", "", None, 1_240_000, 5.4)]
    rows += [("Regional", code, name, "", None, 140_000, round(5.4 * float(np.exp(0.12 * _noise(code_key(code), 1))), 1))
             for code, name in regions]
    for r in las:
        key = code_key(r["new_la_code"])
        cohort = int(3_000 + 9_000 * (float(_noise(key, 2)) + 1))
        pct = 5.6 * float(np.exp(0.25 * _noise(key, 3)))
        rows.append(("Local authority", r["new_la_code"], r["la_name"], r["old_la_code"], r["region_code"], cohort,
                     round(pct, 1)))
    return rows


AREAS = dfe_areas()
REGIONS = {code: name for level, code, name, *_ in AREAS if level == "Regional"}
YEAR_SHIFT = {2019: 0.3, 2020: 0.5, 2021: 0.2, 2022: 0.0, 2023: 0.2, 2024: 0.4, 2025: 0.5, 2026: 0.3}
# A small breakdown cell the publisher suppresses: (area, year, age, characteristic) -> columns shown as c.
SUPPRESSED_CELLS = {("E10000011", 2021, "16", "Female"): ("nk_count", "nk_percent")}


class DfeSim:
    def __init__(self, schema: int = 2026, suppress: set[tuple[str, int]] | None = None, api_data_set: bool = True):
        """`schema` 2025 serves only the 2019-2025 data set with the old column names; 2026 serves both.
        `suppress`: (area code, year) whose headline (16-17, Total) NEET-or-not-known cells are `c`.
        `api_data_set`: whether the public API offers the NEET data set; if not, only the data catalogue has it."""
        self.schema = schema
        self.suppress = suppress or set()
        self.api_data_set = api_data_set
        self._cache: dict = {}

    # -- routing: public API --------------------------------------------------------------------
    def handle(self, path: str, args: dict[str, str]) -> tuple[int, str, bytes]:
        if path == "publications":
            if len(args.get("search", "xxx")) < 3:
                return _invalid("search", "MinimumLength", "Must be at least 3 characters.",
                                {"minLength": 3, "value": args.get("search", "")})
            listed = [p for p in PUBLICATIONS if self.api_data_set or p["id"] != PUBLICATION_ID]
            pubs = [p for p in listed if args.get("search", "").lower() in (p["title"] + p["summary"]).lower()]
            return _paged(pubs, args, default_size=20, max_size=40)
        m = re.fullmatch(r"publications/([\w-]+)/data-sets", path)
        if m:
            if m.group(1) != PUBLICATION_ID or not self.api_data_set:
                return _problem(404, "Not Found")
            return _paged([self._summary(d) for d in self._datasets()], args, default_size=10, max_size=20)
        m = re.fullmatch(r"data-sets/([\w-]+)(/csv)?", path)
        if m and m.group(1) in self._datasets() and self.api_data_set:
            if not m.group(2):
                return 200, "application/json", json.dumps(self._summary(m.group(1))).encode()
            wanted = args.get("dataSetVersion")
            if wanted and wanted.rstrip("*").rstrip(".") not in self._summary(m.group(1))["latestVersion"]["version"]:
                return _problem(404, "Not Found", f"Data set version {wanted} not found")
            return 200, "text/csv", self.csv(m.group(1))
        return _problem(404, "Not Found")

    # -- routing: content API (data catalogue) ---------------------------------------------------
    def handle_content(self, path: str, args: dict[str, str]) -> tuple[int, str, bytes]:
        last = self.last_year
        m = re.fullmatch(r"publications/([\w-]+)", path)
        if m:
            if m.group(1) != PUBLICATION_SLUG:
                return _problem(404, "Not Found")
            return 200, "application/json", json.dumps(self.content_publication()).encode()
        if path == "data-set-files":
            if len(args.get("searchTerm", "xxx")) < 3:
                return _invalid("searchTerm", "MinimumLength", "Must be at least 3 characters.",
                                {"minLength": 3, "value": args.get("searchTerm", "")})
            wanted = args.get("publicationId")
            files = [f for f in self.catalogue_files() if not wanted or f["publication"]["id"] == wanted]
            return _paged(files, args, default_size=10, max_size=40, max_page=9999)
        m = re.fullmatch(r"data-set-files/([\w-]+)/download", path)
        if m and m.group(1) == CATALOGUE_FILE[last]:
            return 200, "text/csv", self.csv(self._dataset_of(last))
        return _problem(404, "Not Found")

    @property
    def last_year(self) -> int:
        return max(self._datasets().values())

    def _dataset_of(self, last: int) -> str:
        return next(d for d, y in self._datasets().items() if y == last)

    def content_publication(self) -> dict:
        last = self.last_year
        pub = next(p for p in PUBLICATIONS if p["id"] == PUBLICATION_ID)
        return {"id": PUBLICATION_ID, "slug": PUBLICATION_SLUG, "title": PUBLICATION_TITLE, "summary": pub["summary"],
                "latestRelease": {"id": RELEASE_SERIES_ID[last], "slug": str(last),
                                  "title": str(last)},
                "nextReleaseDate": {"year": str(last + 1), "month": "6"}, "supersededByPublication": None,
                "theme": {**THEME, "slug": "post-16-education-and-training", "summary": ""},
                "contact": {"teamName": "SYNTHETIC", "teamEmail": "demo@example.invalid", "contactName": "",
                            "contactTelNo": None}}

    def catalogue_files(self) -> list[dict]:
        """The latest release's data files, as the catalogue lists them (sorted by title)."""
        last = self.last_year
        published = f"{last}-06-12T09:30:00Z"
        release = {"id": RELEASE_ID[last], "title": str(last), "slug": str(last)}
        publication = {"id": PUBLICATION_ID, "title": PUBLICATION_TITLE, "slug": PUBLICATION_SLUG}

        def item(n: int, title: str, filename: str, rows: int, extra: dict) -> dict:
            return {"id": f"0d5e7a2c-3f41-4c55-9b1e-5e7e0d{n:02d}{last}" if n else CATALOGUE_FILE[last],
                    "fileId": f"f11e0000-6a2b-4d3c-8e4f-5e7e0d{n:02d}{last}" if n else CATALOGUE_FILE_ID[last],
                    "filename": filename, "fileSize": f"{max(1, rows // 5000)} Mb", "title": title,
                    "content": f"{title}, 2019 to {last}. SYNTHETIC DEMO DATA.", "theme": THEME,
                    "publication": publication, "release": release, "latestData": True, "isSuperseded": False,
                    "published": published, "lastUpdated": published,
                    "meta": {"numDataFileRows": rows, "geographicLevels": ["Local authority", "National", "Regional"],
                             "timePeriodRange": {"from": "2019", "to": str(last)},
                             "filters": ["Age", "Characteristic"], "indicators": []}, **extra}

        neet_extra = {}
        if self.api_data_set:
            summary = self._summary(self._dataset_of(last))
            neet_extra = {"api": {"id": summary["id"], "version": summary["latestVersion"]["version"],
                                  "name": summary["title"]}}
        files = [item(0, "NEET and not known by characteristics", NEET_FILENAME.format(last=last),
                      len(self._rows(last)), neet_extra)]
        files += [item(n, title, filename, 1000 * n, {}) for n, (title, filename) in enumerate(OTHER_FILES, 1)]
        return sorted(files, key=lambda f: f["title"])

    def _datasets(self) -> dict[str, int]:
        """data set id -> last year it covers."""
        return {DATASET_2025: 2025} if self.schema == 2025 else {DATASET_2025: 2025, DATASET_2026: 2026}

    def _summary(self, dataset_id: str) -> dict:
        last = self._datasets()[dataset_id]
        summary = {
            "id": dataset_id, "title": "NEET and not known by characteristics",
            "summary": f"Young people aged 16 and 17 not in education, employment or training (NEET) or whose "
                       f"activity is not known, by local authority, 2019 to {last}. SYNTHETIC DEMO DATA.",
            "status": "Published",
            "latestVersion": {
                "version": "1.0" if last == 2026 else "1.2",
                "published": f"{last}-06-12T09:30:00Z",
                "totalResults": len(self._rows(last)),
                "timePeriods": {"start": "2019", "end": str(last)},
                "geographicLevels": ["Local authority", "National", "Regional"],
                "filters": ["Age", "Characteristic"],
                "indicators": ["Average cohort", "NEET or not known", "NEET", "Not known"],
                "file": {"id": dataset_id[::-1]},
            },
        }
        if last < max(self._datasets().values()):
            summary["supersedingDataSetId"] = DATASET_2026
        return summary

    # -- the CSV ------------------------------------------------------------------------------
    def csv(self, dataset_id: str) -> bytes:
        last = self._datasets()[dataset_id]
        names = COLUMNS_2025 if last == 2025 else COLUMNS_2026
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\r\n")
        writer.writerow(GEO_COLUMNS + names)
        for row in self._rows(last):
            writer.writerow(row)
        return buf.getvalue().encode("utf-8")

    def _rows(self, last: int) -> list[list[str]]:
        """The data set's rows (cached: a data set is asked for its summary several times a run)."""
        key = (last, frozenset(self.suppress))
        if key not in self._cache:
            self._cache[key] = self._make_rows(last)
        return self._cache[key]

    def _make_rows(self, last: int) -> list[list[str]]:
        old_style = last == 2025
        rows = []
        for k, (level, code, name, old_la, region, cohort, pct) in enumerate(AREAS):
            rounding = 10 if level != "Local authority" else 1
            previous: dict[tuple[str, str], float] = {}
            for year in range(2019, last + 1):
                for age, age_share, age_tilt in (("16-17", 1.0, 1.0), ("16", 0.5, 0.75), ("17", 0.5, 1.25)):
                    for group, char, share, tilt in (("Total", "Total", 1.0, 1.0), ("Gender", "Male", 0.51, 1.08),
                                                     ("Gender", "Female", 0.49, 0.92)):
                        p = (pct + YEAR_SHIFT[year] + 0.3 * float(_noise(k, year, 5))) * age_tilt * tilt
                        n_cohort = _round(cohort * age_share * share * (1 + 0.01 * (year - 2022)), rounding)
                        neet_nk = _round(n_cohort * p / 100, rounding)
                        neet = _round(neet_nk * (0.52 + 0.03 * float(_noise(k, year, 6))), rounding)
                        nk = neet_nk - neet
                        cells = {"cohort": n_cohort, "neet_nk_count": neet_nk, "neet_count": neet, "nk_count": nk,
                                 "neet_nk_percent": _pct(neet_nk, n_cohort), "neet_percent": _pct(neet, n_cohort),
                                 "nk_percent": _pct(nk, n_cohort)}
                        key = (age, char)
                        change = ("z" if key not in previous
                                  else f"{cells['neet_nk_percent'] - previous[key]:.1f}")
                        previous[key] = cells["neet_nk_percent"]
                        out = {c: (f"{v:.1f}" if c.endswith("percent") else str(int(v))) for c, v in cells.items()}
                        for c in SUPPRESSED_CELLS.get((code, year, age, char), ()):
                            out[c] = "c"
                        if (code, year) in self.suppress and age == "16-17" and char == "Total":
                            out["neet_nk_count"] = out["neet_nk_percent"] = "c"
                            change = "c"
                        geo = ["E92000001", "England",
                               code if level == "Regional" else (region or ""),
                               name if level == "Regional" else REGIONS.get(region or "", ""),
                               old_la, code if level == "Local authority" else "",
                               name if level == "Local authority" else ""]
                        age_label = age if old_style or age != "16-17" else "16 to 17"
                        rows.append([str(year), "Calendar year", level, *geo, age_label, group, char,
                                     out["cohort"], out["neet_nk_count"], out["neet_count"], out["nk_count"],
                                     out["neet_nk_percent"], out["neet_percent"], out["nk_percent"], change])
        return rows


def _round(x: float, base: int) -> float:
    return float(np.round(x / base) * base)


def _pct(count: float, cohort: float) -> float:
    return round(100 * count / cohort, 1) if cohort else 0.0


PUBLICATIONS = [
    {"id": "11111111-1111-4111-8111-000000000016", "title": "NEET age 16 to 24", "slug": "neet-statistics-annual-brief",
     "summary": "Young people not in education, employment or training (NEET), from the Labour Force Survey.",
     "lastPublished": "2026-03-05T09:30:00Z"},
    {"id": "11111111-1111-4111-8111-000000000018", "title": "Participation in education, training and employment age 16 to 18",
     "slug": "participation-in-education-and-training-and-employment",
     "summary": "Participation of 16 to 18 year olds; includes NEET estimates for England.",
     "lastPublished": "2026-06-26T09:30:00Z"},
    {"id": PUBLICATION_ID, "title": PUBLICATION_TITLE,
     "slug": "participation-in-education-training-and-neet-age-16-to-17-by-local-authority",
     "summary": "Participation and NEET of 16 and 17 year olds by local authority (NCCIS management information).",
     "lastPublished": "2026-06-12T09:30:00Z"},
]


def _paged(items: list[dict], args: dict[str, str], default_size: int, max_size: int,
           max_page: int | None = None) -> tuple[int, str, bytes]:
    try:
        page, size = int(args.get("page", 1)), int(args.get("pageSize", default_size))
    except ValueError:
        return _problem(400, "Bad Request", "page and pageSize must be whole numbers")
    if not 1 <= size <= max_size:
        return _invalid("pageSize", "InclusiveBetween", f"Must be between 1 and {max_size}.",
                        {"from": 1, "to": max_size, "value": size})
    if page < 1 or (max_page and page > max_page):
        return _invalid("page", "InclusiveBetween" if max_page else "GreaterThanOrEqual",
                        f"Must be between 1 and {max_page}." if max_page else "Must be greater than or equal to 1.",
                        {"from": 1, "to": max_page, "value": page} if max_page else {"comparisonValue": 1, "value": page})
    total = len(items)
    doc = {"paging": {"page": page, "pageSize": size, "totalResults": total, "totalPages": max(1, -(-total // size))},
           "results": items[(page - 1) * size: page * size]}
    return 200, "application/json", json.dumps(doc).encode()


def _invalid(path: str, code: str, message: str, detail: dict) -> tuple[int, str, bytes]:
    """EES's validation problem (HTTP 400), as the public API answers e.g. pageSize=40 on a 1-20 list."""
    doc = {"type": "https://tools.ietf.org/html/rfc9110#section-15.5.1", "title": "One or more validation errors occurred.",
           "status": 400, "errors": [{"message": message, "path": path, "code": code, "detail": detail}]}
    return 400, "application/problem+json", json.dumps(doc, separators=(",", ":")).encode()


def _problem(status: int, title: str, detail: str = "") -> tuple[int, str, bytes]:
    doc = {"type": "https://tools.ietf.org/html/rfc9110", "title": title, "status": status}
    if detail:
        doc["errors"] = [{"message": detail}]
    return status, "application/problem+json", json.dumps(doc).encode()
