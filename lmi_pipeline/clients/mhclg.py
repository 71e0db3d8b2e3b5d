"""MHCLG's English Indices of Deprivation 2025: File 7, downloaded from GOV.UK's asset host.

GET {base}/media/691ded56d140bbbaa59a2a7d/File_7_IoD2025_All_Ranks_Scores_Deciles_Population_Denominators.csv

File 7 ("All ranks, scores, deciles and population denominators") is one CSV with a row for every 2021 LSOA in
England (33,755) and 56 columns: the LSOA code and name, its district (2024), then score, rank and decile of the
overall Index of Multiple Deprivation (IMD), of the seven domains, of the two supplementary income indices
(IDACI, IDAOPI) and of the six sub-domains, then four population denominators (mid-2022). Rank 1 and decile 1
are the most deprived. The Income and Employment scores are rates (a proportion, 0-1, three decimal places);
the IMD score is a combined score, not a rate.

Facts checked, and how (the file itself could not be fetched offline):
- the URL: the gov.uk statistics page "english-indices-of-deprivation-2025" links the asset; several public
  repositories download File 7 from media/691ded56d140bbbaa59a2a7d/ (found with the code search), and the R
  package humaniverse/IMD (data-raw/query_urls.R @ 2f6c9050) from an earlier asset id,
  media/68ff5daabcb10f6bf9bef911/, the same file name (MHCLG re-uploaded the file; the later id is the default
  here, and `file7_path` pins another).
- the column headers we read, exactly: humaniverse/IMD data-raw/imd2025_england_lsoa21.R selects them by name
  ("LSOA code (2021)", "Index of Multiple Deprivation (IMD) Score", "Income Score (rate)", ...); the population
  headers ("Total population: mid 2022", "Working age population 18-66 (for use with Employment Deprivation
  Domain): mid 2022") and the order of all 56 columns are from a public schema generator that checks its list
  against the real file's header (FILE7_HEADERS below). One published header is truncated ("... most deprived
  10% of LSO", the Children and Young People sub-domain decile); we never read it, and match by name, not place.
- unverified: whether the file starts with a UTF-8 byte-order mark (both are read), its line endings, and the
  number of decimal places of every score (the rates come with three in humaniverse's copy).

The body is validated before anything is loaded (`parse_file7`): a CSV, not an HTML page; every header we use
present by name; every LSOA code an English 2021 one (E01 + 6 digits), once; ranks within 1..33,755, deciles
1..10, rates within 0-1, population denominators positive whole numbers; and, for the real file, 33,755 rows.
A body that fails raises `UpstreamFormatError` naming the file and what was wrong, so the source degrades (the
last good load is kept) and nothing wrong is published.
"""

from __future__ import annotations

import csv
import io
import re

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from lmi_pipeline.clients.base import UpstreamResource
from lmi_pipeline.clients.transport import Request, Response, UpstreamFormatError
from lmi_pipeline.settings import DEFAULT_MHCLG_URL

FILE7_NAME = "File_7_IoD2025_All_Ranks_Scores_Deciles_Population_Denominators.csv"
FILE7_PATH = "media/691ded56d140bbbaa59a2a7d/" + FILE7_NAME
FILE7_TITLE = "English Indices of Deprivation 2025, File 7 (all ranks, scores, deciles and population denominators)"
PUBLICATION_URL = "https://www.gov.uk/government/statistics/english-indices-of-deprivation-2025"
RELEASE = "IoD 2025 (MHCLG, published 30 October 2025)"


def file7_release(path: str = FILE7_PATH) -> str:
    """The release stamp of File 7 at `path`: a GOV.UK asset is never replaced in place (a new release is a new
    address), so the release and the address name what was published. Recorded with the download and observed
    without a request, so a refresh downloads it only when it changes."""
    return f"{RELEASE}: {path}"


ENGLISH_LSOAS_2021 = 33_755  # LSOA 2021 in England (IoD 2019 used 32,844 LSOA 2011)
LSOA_CODE = re.compile(r"^E01[0-9]{6}$")

_RANK = "Rank (where 1 is most deprived)"
_DECILE = "Decile (where 1 is most deprived 10% of LSOAs)"


def _domain(name: str, score: str = "Score") -> list[str]:
    return [f"{name} {score}", f"{name} {_RANK}", f"{name} {_DECILE}"]


# The 56 headers of File 7, in the published order (see the module docstring for how they were checked).
FILE7_HEADERS: list[str] = [
    "LSOA code (2021)", "LSOA name (2021)", "Local Authority District code (2024)",
    "Local Authority District name (2024)",
    *_domain("Index of Multiple Deprivation (IMD)"), *_domain("Income", "Score (rate)"),
    *_domain("Employment", "Score (rate)"), *_domain("Education, Skills and Training"),
    *_domain("Health Deprivation and Disability"), *_domain("Crime"), *_domain("Barriers to Housing and Services"),
    *_domain("Living Environment"),
    *_domain("Income Deprivation Affecting Children Index (IDACI)", "Score (rate)"),
    *_domain("Income Deprivation Affecting Older People (IDAOPI)", "Score (rate)"),
    # Truncated in the published file, as here: "... 10% of LSO".
    "Children and Young People Sub-domain Score", f"Children and Young People Sub-domain {_RANK}",
    "Children and Young People Sub-domain Decile (where 1 is most deprived 10% of LSO",
    *_domain("Adult Skills Sub-domain"), *_domain("Geographical Barriers Sub-domain"),
    *_domain("Wider Barriers Sub-domain"), *_domain("Indoors Sub-domain"), *_domain("Outdoors Sub-domain"),
    "Total population: mid 2022", "Dependent Children aged 0-15: mid 2022",
    "Older population aged 60 and over: mid 2022",
    "Working age population 18-66 (for use with Employment Deprivation Domain): mid 2022",
]

# What we load: our column name -> File 7's header. Read by name, so a reordered file still loads.
FILE7_COLUMNS: dict[str, str] = {
    "lsoa_code": "LSOA code (2021)",
    "lsoa_name": "LSOA name (2021)",
    "lad_code": "Local Authority District code (2024)",
    "imd_score": "Index of Multiple Deprivation (IMD) Score",
    "imd_rank": f"Index of Multiple Deprivation (IMD) {_RANK}",
    "imd_decile": f"Index of Multiple Deprivation (IMD) {_DECILE}",
    "income_score": "Income Score (rate)",
    "income_rank": f"Income {_RANK}",
    "income_decile": f"Income {_DECILE}",
    "employment_score": "Employment Score (rate)",
    "employment_rank": f"Employment {_RANK}",
    "employment_decile": f"Employment {_DECILE}",
    "population_total": "Total population: mid 2022",
    "population_0_15": "Dependent Children aged 0-15: mid 2022",
    "population_60_plus": "Older population aged 60 and over: mid 2022",
    "population_working_age": "Working age population 18-66 (for use with Employment Deprivation Domain): mid 2022",
}
RANKS = ("imd_rank", "income_rank", "employment_rank")
DECILES = ("imd_decile", "income_decile", "employment_decile")
RATES = ("income_score", "employment_score")
POPULATIONS = ("population_total", "population_0_15", "population_60_plus", "population_working_age")
_INTEGER = re.compile(r"^[0-9]+$")
_NUMBER = re.compile(r"^-?[0-9]+(\.[0-9]+)?$")


class MhclgResource(UpstreamResource):
    """MHCLG's IoD 2025 File 7 from GOV.UK's asset host, over the shared transport (retries, deadline,
    live / record / demo replay). `base_url` points the demo and the tests at 127.0.0.1."""

    base_url: str = DEFAULT_MHCLG_URL
    file7_path: str = FILE7_PATH
    # The real file has one row per English 2021 LSOA. The demo's synthetic file covers the demo areas only,
    # so the count is not asked of a synthetic body; 0 turns the check off (a test's small body).
    expected_lsoas: int = ENGLISH_LSOAS_2021

    def file7_request(self) -> Request:
        return Request("mhclg", self.base_url, self.file7_path, (), label=f"MHCLG IoD 2025 {FILE7_NAME}")

    def file7(self) -> tuple[pa.Table, Response]:
        """File 7 as an all-text Arrow table of FILE7_COLUMNS (our names), validated, with the response."""
        resp = self.transport().get(self.file7_request())
        synthetic = resp.origin == "synthetic" or self.record_origin == "synthetic"
        return parse_file7(resp, expected_rows=0 if synthetic else self.expected_lsoas), resp


def parse_file7(resp: Response, expected_rows: int = ENGLISH_LSOAS_2021) -> pa.Table:
    """The body as a table of FILE7_COLUMNS (text, our names), or UpstreamFormatError saying what is wrong."""
    what = f"{FILE7_NAME} ({resp.request.url})"
    body = resp.body[3:] if resp.body.startswith(b"\xef\xbb\xbf") else resp.body
    head = body[:256].lstrip().lower()
    if not body.strip():
        raise UpstreamFormatError(f"{what}: empty body. Nothing was loaded; the last good load is kept.")
    if head.startswith((b"<", b"{", b"[")) or "html" in resp.content_type.lower():
        raise UpstreamFormatError(f"{what}: expected MHCLG's CSV, got {body[:120]!r} (an HTML or JSON page: "
                                  "the file may have moved; check the publication page " + PUBLICATION_URL
                                  + "). Nothing was loaded.")
    first = body.split(b"\n", 1)[0].decode("utf-8", "replace").rstrip("\r")
    names = next(csv.reader([first]))
    missing = [h for h in FILE7_COLUMNS.values() if h not in names]
    if missing:
        raise UpstreamFormatError(
            f"{what}: not File 7 as published: {len(missing)} expected column(s) missing: "
            + "; ".join(repr(m) for m in missing[:6]) + (" ..." if len(missing) > 6 else "")
            + f". Its header: {first[:200]!r}. Nothing was loaded.")
    if len(set(names)) != len(names):
        raise UpstreamFormatError(f"{what}: a column header appears twice. Nothing was loaded.")
    try:
        table = pacsv.read_csv(io.BytesIO(body), read_options=pacsv.ReadOptions(use_threads=False),
                               convert_options=pacsv.ConvertOptions(
                                   column_types={c: pa.string() for c in names},
                                   include_columns=list(FILE7_COLUMNS.values()),
                                   strings_can_be_null=False, quoted_strings_can_be_null=False))
    except pa.ArrowInvalid as exc:
        raise UpstreamFormatError(f"{what}: unreadable CSV ({exc}). Nothing was loaded.") from None
    table = table.rename_columns(list(FILE7_COLUMNS))
    problems = _problems(table, expected_rows)
    if problems:
        raise UpstreamFormatError(f"{what}: {'; '.join(problems)}. Nothing was loaded; the last good load is kept.")
    return table


def _whole(column: pa.ChunkedArray, low: int, high: int | None = None) -> pa.ChunkedArray:
    """True where the text is a whole number within low..high (vectorised, no row loop)."""
    ok = pc.match_substring_regex(column, _INTEGER.pattern)
    value = pc.cast(pc.if_else(ok, column, "0"), pa.int64())
    ok = pc.and_(ok, pc.greater_equal(value, low))
    return pc.and_(ok, pc.less_equal(value, high)) if high is not None else ok


def _number(column: pa.ChunkedArray, low: float, high: float) -> pa.ChunkedArray:
    """True where the text is a decimal number within low..high."""
    ok = pc.match_substring_regex(column, _NUMBER.pattern)
    value = pc.cast(pc.if_else(ok, column, "0"), pa.float64())
    return pc.and_(ok, pc.and_(pc.greater_equal(value, low), pc.less_equal(value, high)))


def _problems(table: pa.Table, expected_rows: int) -> list[str]:
    """What is wrong with the table, at most one sentence a check, each naming an example (vectorised checks)."""
    n = table.num_rows
    out = []
    if n == 0:
        return ["header only, no rows"]
    if expected_rows and n != expected_rows:
        out.append(f"{n:,} rows, expected {expected_rows:,} (one per 2021 LSOA in England)")
    codes = table["lsoa_code"]
    at = pc.index(pc.match_substring_regex(codes, LSOA_CODE.pattern), False).as_py()
    if at >= 0:
        out.append(f"{codes[at].as_py()!r} is not an English 2021 LSOA code (E01 and six digits)")
    counts = pc.value_counts(codes)
    twice = counts.filter(pc.greater(counts.field("counts"), 1))
    if len(twice):
        out.append(f"LSOA listed more than once: {twice.field('values')[0].as_py()}")
    top = max(n, ENGLISH_LSOAS_2021)  # ranks are national, whatever part of England the file holds
    checks = [(c, _whole(table[c], 1, top), f"not a rank within 1..{top:,}") for c in RANKS]
    checks += [(c, _whole(table[c], 1, 10), "not a decile 1..10") for c in DECILES]
    checks += [(c, _number(table[c], 0, 1), "not a rate within 0-1") for c in RATES]
    checks += [("imd_score", _number(table["imd_score"], 0, 100), "not a score within 0-100")]
    # A total or working-age population is never 0; a student LSOA may have no dependent children.
    checks += [(c, _whole(table[c], 1), "not a positive whole number")
               for c in ("population_total", "population_working_age")]
    checks += [(c, _whole(table[c], 0), "not a whole number") for c in ("population_0_15", "population_60_plus")]
    for column, ok, why in checks:
        at = pc.index(ok, False).as_py()
        if at >= 0:
            out.append(f"{column} {table[column][at].as_py()!r} (LSOA {codes[at].as_py()}): {why}")
    return out
