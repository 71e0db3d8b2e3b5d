"""Upstream faults, end to end: a real Dagster run against a misbehaving local server (tests/faults_support.py).

Every case starts from a copy of one successful publication, breaks the upstream one way, runs, and asserts
the outcome, with a message naming the dataset, the areas and the query (the key shown as uid=***, never its
value): either the run succeeds after retrying; or the one source the fault is in degrades (the run publishes,
the source is stale with that message as its reason, and its raw table is row for row the last good load); or,
for wrong data and for the geography layer, the run fails and data/lmi.duckdb and every file under assets/ are
byte-identical to before. No temporary file is left beside them. docs/reliability.md lists each case.
"""

from __future__ import annotations

import csv
import io
import json
import re

import duckdb
import pytest

from lmi_demo.server import UpstreamSim
from lmi_pipeline.operations.runs import failure_messages
from tests.faults_support import (
    SECRET, Fault, FaultServer, copy_project, digest, is_data, is_ons, leftovers, published_baseline, run_through,
)

POP, CC = "NM_2014_1", "NM_162_1"
GENSING = "E05011207"


@pytest.fixture(scope="module")
def baseline(tmp_path_factory):
    return published_baseline(tmp_path_factory)


# -- body editors (what a broken upstream might send) ----------------------------------------------------
def edit_csv(fn):
    """A mutation that parses the CSV page, lets `fn(header, rows)` change it, and writes it back."""

    def mutate(body: bytes) -> bytes:
        rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
        header, data = fn(rows[0], rows[1:])
        out = io.StringIO()
        csv.writer(out, lineterminator="\n").writerows([header, *data])
        return out.getvalue().encode()

    return mutate


def set_col(name, value_of):
    def fn(header, rows):
        i = header.index(name)
        for n, r in enumerate(rows):
            r[i] = value_of(n, r[i])
        return header, rows
    return fn


def renumbered(header, rows, start=0):
    """RECORD_OFFSET and RECORD_COUNT made consistent again, as Nomis would serve a result of these rows."""
    off, cnt = header.index("RECORD_OFFSET"), header.index("RECORD_COUNT")
    for n, r in enumerate(rows):
        r[off], r[cnt] = str(start + n), str(len(rows))
    return header, rows


def drop_area(code):
    def fn(header, rows):
        i = header.index("GEOGRAPHY_CODE")
        return renumbered(header, [r for r in rows if r[i] != code])
    return fn


def duplicate_area(code, conflicting: bool):
    """The area served twice (as Nomis does for an area under two geography types); maybe with other values."""
    def fn(header, rows):
        i, v = header.index("GEOGRAPHY_CODE"), header.index("OBS_VALUE")
        extra = [list(r) for r in rows if r[i] == code]
        for r in extra:
            r[v] = str(float(r[v]) + 5) if conflicting else r[v]
        return renumbered(header, rows + extra)
    return fn


def cut_mid_row(body: bytes) -> bytes:
    """A complete HTTP response whose CSV stops partway through a row (the server's output was cut)."""
    lines = body.split(b"\n")
    half = len(lines) // 2
    return b"\n".join(lines[:half]) + b"\n" + lines[half][: len(lines[half]) // 2]


def drop_page_tail(rows_dropped: int):
    """The page at offset 1000 arrives short by `rows_dropped`: a row cap hit, or a silent cut."""
    def fn(header, rows):
        return header, rows[:-rows_dropped]
    return fn


def record_count(value_of):
    return set_col("RECORD_COUNT", lambda n, v: str(value_of(int(v))))


HTML = ("respond", 200, {"Content-Type": "text/html"},
        b"<!DOCTYPE html><html><body><h1>Nomis is undergoing maintenance</h1></body></html>")
JSON_ERROR = ("respond", 200, {"Content-Type": "application/json"},
              b'{"error": "Cannot create query: invalid geography"}')
HEADER_ONLY = ("mutate", lambda body: body.split(b"\n", 1)[0] + b"\n")

# id -> (asset run, dataset, faults, overrides, sim factory, message pattern)
FAILING = {
    # 1. rate limits
    "429-forever": ("raw_population", POP, [Fault(is_data(POP), ("respond", 429, {"Retry-After": "0"}, b"slow down"))],
                    {}, None, r"gave up after 4 attempts.*HTTP 429"),
    "429-retry-after-too-long": ("raw_population", POP, [Fault(is_data(POP), ("respond", 429, {"Retry-After": "3600"},
                                                                                b"come back later"))],
                                 {}, None, r"HTTP 429 asks us to wait 3600s \(Retry-After\)"),
    # 2. server and network faults
    "504-forever": ("raw_population", POP, [Fault(is_data(POP), ("respond", 504, {}, b"Gateway Timeout"))],
                    {}, None, r"gave up after 4 attempts.*HTTP 504"),
    "connection-reset": ("raw_population", POP, [Fault(is_data(POP), ("reset",))], {}, None,
                         r"gave up after 4 attempts.*ConnectionError"),
    "read-timeout": ("raw_population", POP, [Fault(is_data(POP), ("stall", 1.0))], {"read_timeout_seconds": 0.2}, None,
                     r"gave up after 4 attempts.*(ReadTimeout|timed out)"),
    "slow-drip-past-deadline": ("raw_population", POP, [Fault(is_data(POP), ("drip", 0.02))],
                                {"read_timeout_seconds": 1.0, "deadline_seconds": 0.3}, None,
                                r"gave up after 4 attempts.*after 0.3s \(the deadline\)"),
    "connection-closed-mid-body": ("raw_population", POP, [Fault(is_data(POP), ("cut", 0.5))], {}, None,
                                   r"gave up after 4 attempts.*(IncompleteRead|ProtocolError|ChunkedEncoding)"),
    # 3. bodies that are not the CSV asked for
    "body-cut-mid-row": ("raw_population", POP, [Fault(is_data(POP), ("mutate", cut_mid_row))], {}, None,
                         r"malformed or truncated|RECORD_COUNT varies|page holds RECORD_OFFSET"),
    "html-page-status-200": ("raw_population", POP, [Fault(is_data(POP), HTML)], {}, None,
                             r"HTML/XML page instead of CSV.*undergoing maintenance"),
    "empty-body": ("raw_population", POP, [Fault(is_data(POP), ("respond", 200, {"Content-Type": "text/csv"}, b""))],
                   {}, None, r"empty body"),
    "header-only-csv": ("raw_population", POP, [Fault(is_data(POP), HEADER_ONLY)], {}, None, r"header-only CSV"),
    "json-error-body": ("raw_population", POP, [Fault(is_data(POP), JSON_ERROR)], {}, None,
                        r"JSON instead of CSV: 'Cannot create query: invalid geography'"),
    # 4. changed columns and values
    "obs-value-renamed": ("raw_population", POP, [Fault(is_data(POP), ("mutate", lambda b: b.replace(
        b'"OBS_VALUE"', b'"OBS_VAL"', 1)))], {}, None, r"lacks columns \['OBS_VALUE'\]"),
    "geography-code-missing": ("raw_population", POP, [Fault(is_data(POP), ("mutate", edit_csv(
        lambda h, rows: ([c for c in h if c != "GEOGRAPHY_CODE"],
                         [[v for c, v in zip(h, r) if c != "GEOGRAPHY_CODE"] for r in rows]))))],
        {}, None, r"lacks columns \['GEOGRAPHY_CODE'\]"),
    "geography-code-blank": ("raw_population", POP, [Fault(is_data(POP), ("mutate", edit_csv(
        set_col("GEOGRAPHY_CODE", lambda n, v: "" if n == 7 else v))))],
        {}, None, r"GEOGRAPHY_CODE is blank for Nomis geography \d+ \(row 8"),
    "unknown-obs-status": ("raw_population", POP, [Fault(is_data(POP), ("mutate", edit_csv(
        set_col("OBS_STATUS", lambda n, v: "Z" if n == 3 else v))))],
        {}, None, r"unknown OBS_STATUS code\(s\) \['Z'\]"),
    "non-numeric-value": ("raw_population", POP, [Fault(is_data(POP), ("mutate", edit_csv(
        set_col("OBS_VALUE", lambda n, v: "12,3a" if n == 5 else v))))],
        {}, None, r"non-numeric OBS_VALUE '12,3a' for area E\d{8} \(row 6"),
    "duplicate-rows-conflicting": ("raw_population", POP, [Fault(is_data(POP), ("mutate", edit_csv(
        duplicate_area(GENSING, conflicting=True))))],
        {}, None, r"NM_2014_1: .*conflicting rows in population, e\.g\. \('E05011207'"),
    # 5. RECORD_COUNT against the rows that arrived
    "short-page-row-cap": ("raw_population", POP, [Fault(lambda p, a: is_data(POP)(p, a) and a.get("RecordOffset") == "1000",
                                                         ("mutate", edit_csv(drop_page_tail(100))))],
                           {}, lambda: UpstreamSim(page_size=1000),
                           r"page holds RECORD_OFFSET 1000\.\.1899 \(900 rows\) but 1000\.\.1999 .*row cap"),
    "record-count-below-rows": ("raw_population", POP, [Fault(is_data(POP), ("mutate", edit_csv(
        record_count(lambda v: v // 2))))], {}, None, r"page holds RECORD_OFFSET 0\.\.\d+ .* of RECORD_COUNT"),
    "record-count-changes-between-pages": ("raw_population", POP, [Fault(
        lambda p, a: is_data(POP)(p, a) and a.get("RecordOffset") == "2000", ("mutate", edit_csv(
            record_count(lambda v: v + 1))))], {}, lambda: UpstreamSim(page_size=1000),
        r"RECORD_COUNT changed between pages"),
    # 6. geography
    "requested-ward-missing": ("raw_population", POP, [Fault(is_data(POP), ("mutate", edit_csv(drop_area(GENSING))))],
                               {}, None, r"1 requested area\(s\) did not come back: E05011207 Gensing"),
    "ward-vintage-switched-mid-run": ("raw_claimant_count", CC, [Fault(is_data(CC), ("mutate", edit_csv(
        lambda h, rows: renumbered(h, [r for r in rows if r[h.index("GEOGRAPHY_TYPE")] != "2022 wards"]))))],
        {}, None, r"requested area\(s\) did not come back: E05\d{6} "),
    "ons-lookup-error-object": ("ons_ward_lookup", "_OTH_UK_LU", [Fault(is_ons, (
        "respond", 200, {"Content-Type": "application/json"},
        b'{"error": {"code": 500, "message": "Unable to complete operation.", "details": []}}'))],
        {}, None, r"ArcGIS error 500: Unable to complete operation"),
    "ons-more-pages-promised-none-sent": ("ons_ward_lookup", "_OTH_UK_LU", [Fault(is_ons, (
        "respond", 200, {"Content-Type": "application/json"},
        b'{"features": [], "exceededTransferLimit": true}'))],
        {}, None, r"exceededTransferLimit is true but the page at offset 0 is empty"),
}


# Faults in wrong data or in the geography layer still fail the run: nothing is published. Every other
# fault is in one source, which degrades (sources/isolation.py): the run publishes, that source keeps its
# last good data and says why.
RUN_FAILS = {"duplicate-rows-conflicting", "ons-lookup-error-object", "ons-more-pages-promised-none-sent"}


def _table_digest(db, table: str) -> str:
    with duckdb.connect(str(db), read_only=True) as conn:
        cols = [r[0] for r in conn.execute("SELECT column_name FROM information_schema.columns WHERE table_name = ? "
                                           "ORDER BY ordinal_position", [table]).fetchall()]
        return conn.execute(f"SELECT md5(string_agg(row_text, '|' ORDER BY row_text)) FROM (SELECT concat_ws(',', "
                            f"{', '.join(cols)}) AS row_text FROM {table})").fetchone()[0]


def _status(db, asset: str):
    with duckdb.connect(str(db), read_only=True) as conn:
        return conn.execute("SELECT outcome, reason, release FROM source_status WHERE source_asset = ?",
                            [asset]).fetchone()


def _check_message(message: str, asset: str, dataset: str, sent_key: bool) -> None:
    assert dataset in message  # the dataset (or ONS service)
    if "did not come back" in message:  # found after loading: the missing areas, and the query's parameters
        assert f"query dataset/{dataset}.data.csv?geography=" in message and sent_key
    elif asset != "ons_ward_lookup" and "conflicting rows" not in message:
        assert "query http://127.0.0.1:" in message and "uid=***" in message and sent_key  # the query, key masked
        assert "all TYPE187 areas in E07000062 Hastings" in message
    elif asset == "ons_ward_lookup":
        assert re.search(r"LAD\d\dCD IN \('E07000062','E07000110'\)", message)  # the areas, as ONS names them
    assert SECRET not in message


@pytest.mark.parametrize("case", sorted(FAILING))
def test_fault_is_named_and_no_published_figure_changes(case, baseline, tmp_path):
    asset, dataset, faults, overrides, make_sim, pattern = FAILING[case]
    with FaultServer(sim=make_sim() if make_sim else UpstreamSim(), faults=faults) as server:
        settings = server.settings(copy_project(tmp_path, baseline), NOMIS_UID=SECRET)
        before, raw_before = digest(settings), _table_digest(settings.published_db, asset)
        held = _status(settings.published_db, asset)
        result = run_through(settings, asset, **overrides)
        sent_key = any(f"uid={SECRET}" in p for p in server.requests(dataset))
    if case in RUN_FAILS:  # wrong data, or the geography everything hangs on: nothing is published
        assert not result.success
        messages = failure_messages(result)
        assert len(messages) == 1, messages
        assert re.search(pattern, messages[0], re.S), messages[0]
        _check_message(messages[0], asset, dataset, sent_key)
        assert digest(settings) == before and leftovers(settings) == []
        return
    # One source failed: the run publishes, that source is stale with the reason, and its data is as before.
    assert result.success, failure_messages(result)
    outcome, reason, release = _status(settings.published_db, asset)
    assert outcome == "stale" and re.search(pattern, reason, re.S), reason
    _check_message(reason, asset, dataset, sent_key)
    assert release == held[2] and release  # the last good release, still named
    assert _table_digest(settings.published_db, asset) == raw_before  # the last good load, row for row
    (check,) = [e for e in result.get_asset_check_evaluations() if e.check_name == "source_is_current"]
    assert not check.passed and check.severity.value == "WARN"
    assert leftovers(settings) == []


def test_vintage_switch_without_an_ons_lookup_is_refused(baseline, tmp_path):
    """Nomis moves the claimant count to 2024 wards, but the ONS portal has no 2024 lookup (yet)."""
    sim = UpstreamSim()  # the claimant count is on 2024 wards (as well as 2022)
    missing = Fault(lambda p, a: "WD24_" in p, ("respond", 200, {"Content-Type": "application/json"}, json.dumps(
        {"error": {"code": 400, "message": "Invalid URL", "details": ["Service not found"]}}).encode()))
    with FaultServer(sim=sim, faults=[missing]) as server:
        settings = server.settings(copy_project(tmp_path, baseline), NOMIS_UID=SECRET)
        before = digest(settings)
        result = run_through(settings, "ons_ward_lookup", upstream=True)
    (message,) = failure_messages(result)
    assert message.startswith("ons_ward_lookup: UpstreamFormatError")
    assert "WD24_LAD24_CTYUA_RGN_CTRY_UK_LU" in message and "Service not found" in message
    assert "update WARD_LOOKUPS" in message  # what to do
    assert digest(settings) == before and leftovers(settings) == []


# -- faults that a retry or the warehouse absorbs: the run succeeds ---------------------------------------
def _published_population(settings, code=GENSING):
    with duckdb.connect(str(settings.published_db), read_only=True) as conn:
        return conn.execute("SELECT count(*), count(DISTINCT year) FROM population WHERE area_code = ? "
                            "AND age_band = '16-64'", [code]).fetchone()


def test_429_with_retry_after_then_success(baseline, tmp_path):
    waited = Fault(is_data(POP), ("respond", 429, {"Retry-After": "1"}, b"slow down"), times=2)
    with FaultServer(faults=[waited]) as server:
        settings = server.settings(copy_project(tmp_path, baseline), NOMIS_UID=SECRET)
        result = run_through(settings, "raw_population")
        pages = server.requests(f"{POP}.data.csv?geography")
    assert result.success, failure_messages(result)
    assert waited.hits == 2 and len(pages) == 3  # two refusals, then the page
    assert _published_population(settings) == (14, 14)


def test_5xx_burst_then_success(baseline, tmp_path):
    """500, 502, 503 in a row (within the retry budget of 3), then the page: the run carries on."""
    burst = [Fault(is_data(POP), ("respond", status, {}, b"oops"), times=1) for status in (500, 502, 503)]
    with FaultServer(faults=burst) as server:
        settings = server.settings(copy_project(tmp_path, baseline), NOMIS_UID=SECRET)
        result = run_through(settings, "raw_population")
    assert result.success, failure_messages(result)
    assert [f.hits for f in burst] == [1, 1, 1]
    assert _published_population(settings) == (14, 14)


def test_identical_duplicate_rows_are_collapsed(baseline, tmp_path):
    """An area served twice with the same values (Nomis does this for an area under two types) counts once."""
    dup = Fault(is_data(POP), ("mutate", edit_csv(duplicate_area(GENSING, conflicting=False))))
    with FaultServer(faults=[dup]) as server:
        settings = server.settings(copy_project(tmp_path, baseline), NOMIS_UID=SECRET)
        result = run_through(settings, "raw_population")
    assert result.success, failure_messages(result)
    assert dup.hits == 1 and _published_population(settings) == (14, 14)
