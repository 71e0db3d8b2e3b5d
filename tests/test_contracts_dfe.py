"""Contract tests: the DfE client and the NEET warehouse on real DfE files (tests/fixtures/dfe, see its README).

The two files are DfE's own NEET 16-17 dashboard extracts (2023 and 2025), byte for byte. Each is served as
`text/csv` from a local HTTP server (pytest-httpserver, 127.0.0.1) at the data catalogue's download path,
with the rest of EES (public API without the data set, publication, data-set-files listing) answered by the
emulator, and read through `DfeResource.neet_csv` -> `parse_csv` / `neet_schema`, and through a real Dagster
run of `raw_neet` and `neet_participation`. The expected values come from the files themselves, read with
Python's csv module; the checksum test keeps the files exactly as recorded.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from datetime import datetime, timezone
from pathlib import Path

import duckdb
import pytest
from werkzeug import Response as WResponse

from lmi_demo.dfe_sim import CATALOGUE_FILE, DfeSim
from lmi_demo.server import UpstreamSim
from lmi_pipeline.clients.dfe import NEET_SCHEMAS, DfeResource, neet_schema, parse_csv
from lmi_pipeline.clients.transport import Request, Response, UpstreamFormatError
from lmi_pipeline.database.sql import load_sql
from lmi_pipeline.defs.indicators import area_indicators
from lmi_pipeline.operations.runs import failure_messages
from tests.conftest import live_settings, make_project, sim_handler
from tests.sources_helpers import materialize_upstream_of

FIXTURES = Path(__file__).parent / "fixtures" / "dfe"
FILES = {2023: "dfe_ees__NEET_NK_16-17_LA_dashboard_UD_2023.csv", 2025: "dfe_ees__NEET_NK_16-17_LA_dashboard_UD_2025.csv"}
EAST_SUSSEX, KENT, BRISTOL = "E10000011", "E10000016", "E06000023"
SOUTH_EAST, ENGLAND = "E12000008", "E92000001"
DOWNLOAD = f"/dfe-content/api/data-set-files/{CATALOGUE_FILE[2026]}/download"
# The five NEET columns of the dashboard layout -> our measure (warehouse/neet.py); the file has no counts.
DASHBOARD_MEASURES = {"Cohort_DJFavg": "avg_cohort_count", "NEET_not_known_percent": "neet_nk_percent",
                      "NEET_percent": "neet_percent", "Notknown_percent": "nk_percent",
                      "annual_change_ppts_NEET_not_known": "annual_change_neet_nk_percent"}


# -- helpers ------------------------------------------------------------------------------------------------
def fixture_body(year: int) -> bytes:
    return (FIXTURES / FILES[year]).read_bytes()


def file_rows(body: bytes) -> list[dict[str, str]]:
    """The body as Python's csv module reads it: the independent oracle."""
    return list(csv.DictReader(io.StringIO(body.decode("utf-8"), newline="")))


def file_row(body: bytes, la_code: str = "", level: str = "Local authority", region: str = "") -> dict[str, str]:
    rows = [r for r in file_rows(body) if r["geographic_level"] == level and r["new_la_code"] == la_code
            and (not region or r["region_code"] == region)]
    assert len(rows) == 1, (la_code, level, region)
    return rows[0]


def with_cells(body: bytes, changes: dict[tuple[str, str], str]) -> bytes:
    """A copy of `body` with some cells replaced ((la code, column) -> new text), every other byte as it was."""
    lines = body.decode("utf-8").split("\n")
    header = next(csv.reader([lines[0]]))
    for i, line in enumerate(lines[1:], 1):
        if not line:
            continue
        cells = next(csv.reader([line]))
        mine = {col: text for (code, col), text in changes.items() if cells[header.index("new_la_code")] == code}
        if mine:
            for col, text in mine.items():
                cells[header.index(col)] = text
            out = io.StringIO()
            csv.writer(out, lineterminator="").writerow(cells)
            lines[i] = out.getvalue()
    return "\n".join(lines).encode("utf-8")


def serve_catalogue(httpserver, body: bytes) -> UpstreamSim:
    """EES as the emulator answers it with the NEET data set not on the public API, except that the data
    catalogue's download is `body` (text/csv)."""
    sim = UpstreamSim()
    sim.dfe = DfeSim(api_data_set=False)
    emulated = sim_handler(sim)

    def handler(request):
        if request.path == DOWNLOAD:
            sim.log.append(request.path)
            return WResponse(body, status=200, content_type="text/csv")
        return emulated(request)

    httpserver.expect_request(re.compile(".*")).respond_with_handler(handler)
    return sim


def dfe_for(httpserver, sim: UpstreamSim) -> DfeResource:
    urls = sim.base_urls(httpserver.url_for("/").rstrip("/"))
    return DfeResource(base_url=urls["DFE_BASE_URL"], content_url=urls["DFE_CONTENT_URL"], source_mode="live",
                       max_retries=0)


def run_neet(tmp_path, httpserver, body: bytes):
    sim = serve_catalogue(httpserver, body)
    settings = live_settings(make_project(tmp_path), sim, httpserver.url_for("/").rstrip("/"))
    result = materialize_upstream_of(settings, "neet_participation", raise_on_error=False)
    assert result.success, failure_messages(result)
    return sim, settings


# -- the files ----------------------------------------------------------------------------------------------
def test_fixtures_are_the_recorded_bytes():
    readme = (FIXTURES / "README.md").read_text()
    for name in FILES.values():
        listed = re.search(rf"`{re.escape(name)}`.*?`([0-9a-f]{{64}})`", readme).group(1)
        assert hashlib.sha256((FIXTURES / name).read_bytes()).hexdigest() == listed, name


@pytest.mark.parametrize("year", [2023, 2025])
def test_real_file_through_the_catalogue_route(httpserver, year):
    body = fixture_body(year)
    sim = serve_catalogue(httpserver, body)
    table, resp, source = dfe_for(httpserver, sim).neet_csv()
    assert source.kind == "catalogue" and resp.request.path == DOWNLOAD.split("/api/", 1)[1]
    assert resp.content_type.startswith("text/csv") and resp.body == body
    expected = file_rows(body)
    assert table.num_rows == len(expected) == {2023: 160, 2025: 161}[year]
    assert table.to_pylist() == expected  # every cell exactly as the file has it, as text
    layout, mapping = neet_schema(table.column_names, "real file")
    assert layout == "dashboard" and mapping == NEET_SCHEMAS["dashboard"]
    assert set(DASHBOARD_MEASURES) <= set(mapping.values()) and "Characteristic" not in table.column_names
    rows = table.to_pylist()
    es = next(r for r in rows if r["new_la_code"] == EAST_SUSSEX)
    assert es["NEET_not_known_percent"] == file_row(body, EAST_SUSSEX)["NEET_not_known_percent"]
    assert es["NEET_not_known_percent"] == {2023: "5.2", 2025: "5.8"}[year]  # as printed in the file
    assert next(r for r in rows if r["new_la_code"] == BRISTOL)["la_name"] == "Bristol, City of"  # quoted comma
    # c and z stay text, where and as often as the file has them (the context columns hold them)
    symbols = {(i, k) for i, r in enumerate(expected) for k, v in r.items() if v in ("c", "z")}
    assert symbols and symbols == {(i, k) for i, r in enumerate(rows) for k, v in r.items() if v in ("c", "z")}


def test_real_files_parse_without_http():
    """parse_csv and neet_schema on the bare bodies: the drifting context columns do not matter."""
    tables = {}
    for year in FILES:
        resp = Response(Request("dfe", "http://fixture", "file"), 200, "text/csv", fixture_body(year),
                        datetime.now(timezone.utc), "recorded")
        tables[year] = parse_csv(resp, FILES[year])
        assert neet_schema(tables[year].column_names, FILES[year])[0] == "dashboard"
    only_2023 = set(tables[2023].column_names) - set(tables[2025].column_names)
    only_2025 = set(tables[2025].column_names) - set(tables[2023].column_names)
    assert only_2023 == {"sess_overall_percent_pa_10_exact", "Age1617_ONS_population"}
    assert only_2025 == {"enrolments_pa_10_exact_percent"}


def test_renamed_dashboard_column_is_refused_by_name():
    body = fixture_body(2025).replace(b"NEET_not_known_percent", b"NEET_NK_percent", 1)
    resp = Response(Request("dfe", "http://fixture", "file"), 200, "text/csv", body, datetime.now(timezone.utc),
                    "recorded")
    with pytest.raises(UpstreamFormatError, match=r"closest is the dashboard layout, lacking \['NEET_not_known_percent'\]"
                                                  r".*NEET_COLUMNS"):
        neet_schema(parse_csv(resp, "renamed").column_names, "renamed")


# -- through the warehouse ----------------------------------------------------------------------------------
@pytest.mark.parametrize("year", [2023, 2025])
def test_real_file_through_the_warehouse(tmp_path, httpserver, year):
    body = fixture_body(year)
    sim, settings = run_neet(tmp_path, httpserver, body)
    assert DOWNLOAD in sim.log
    with duckdb.connect(str(settings.work_db), read_only=True) as conn:
        got = conn.execute("""SELECT area_code, area_level, year, period, age, characteristic_grouping, characteristic,
            measure, value, symbol, is_suppressed, rounding_base, schema_version FROM neet_participation
            ORDER BY ALL""").fetchall()
        figures = conn.execute(f"""SELECT area_code, indicator, value, numerator, denominator, obs_status
            FROM ({load_sql(area_indicators.__file__, 'figures_neet')}) ORDER BY ALL""").fetchall()
    sources = {EAST_SUSSEX: file_row(body, EAST_SUSSEX), KENT: file_row(body, KENT),
               SOUTH_EAST: file_row(body, level="Regional", region=SOUTH_EAST), ENGLAND: file_row(body, level="National")}
    levels = {EAST_SUSSEX: "county", KENT: "county", SOUTH_EAST: "region", ENGLAND: "country"}
    expected = sorted((code, levels[code], year, datetime(year, 1, 1).date(), "16-17", "Total", "Total", ours,
                       float(row[theirs]), None, False, None, "dashboard")
                      for code, row in sources.items() for theirs, ours in DASHBOARD_MEASURES.items())
    # one row per area and measure the file has, each its value; no count of NEET / not known is invented
    assert got == expected
    assert figures == sorted(
        [(code, "neet_nk_16_17", float(row["NEET_not_known_percent"]), None, float(row["Cohort_DJFavg"]), None)
         for code, row in sources.items()]
        + [(code, "neet_16_17", float(row["NEET_percent"]), None, float(row["Cohort_DJFavg"]), None)
           for code, row in sources.items()])


def test_symbols_in_the_neet_columns_become_null_with_the_symbol(tmp_path, httpserver):
    """The real 2025 file with two NEET cells set to symbols in memory (the real files have `c`/`z` only in
    their context columns): `c` is NULL and suppressed, `z` NULL and not suppressed, never zero."""
    body = with_cells(fixture_body(2025), {(EAST_SUSSEX, "NEET_not_known_percent"): "c",
                                          (KENT, "annual_change_ppts_NEET_not_known"): "z"})
    assert len(body) == len(fixture_body(2025)) - 4 and b"E10000011,East Sussex,16-17,11979,c," in body
    _, settings = run_neet(tmp_path, httpserver, body)
    with duckdb.connect(str(settings.work_db), read_only=True) as conn:
        cells = conn.execute("""SELECT area_code, measure, value, symbol, is_suppressed FROM neet_participation
            WHERE (area_code, measure) IN (('E10000011', 'neet_nk_percent'), ('E10000011', 'neet_percent'),
            ('E10000016', 'annual_change_neet_nk_percent')) ORDER BY ALL""").fetchall()
        headline = conn.execute(f"""SELECT value, numerator, obs_status FROM
            ({load_sql(area_indicators.__file__, 'figures_neet')}) WHERE area_code = ? AND indicator = 'neet_nk_16_17'""",
                                [EAST_SUSSEX]).fetchall()
    es = file_row(fixture_body(2025), EAST_SUSSEX)
    assert cells == [(EAST_SUSSEX, "neet_nk_percent", None, "c", True),
                     (EAST_SUSSEX, "neet_percent", float(es["NEET_percent"]), None, False),
                     (KENT, "annual_change_neet_nk_percent", None, "z", False)]
    assert headline == [(None, None, "c")]
