"""A blank where a figure is required passes only when the publisher says the figure is missing
(docs/reliability.md, "Blank values").

Nomis: an empty OBS_VALUE is a missing figure only with an OBS_STATUS whose meaning is "missing" (Q "These
figures are missing", '-', '!', ...: the codes obs_status_codes marks is_suppressed). With a normal status (A)
it is a cut or broken row, which used to become a NULL count published beside an official rate, the checks
skipping NULLs. DfE: every NEET figure is a number or an EES symbol (c, z, x, low, u, :); a blank one has no
symbol. ONS: a lookup row without its key code cannot be placed. Each is refused by the client with the
dataset, the row (area, date) and the status or column named, so the source degrades and its last good
data stays. Bodies are served by a real local HTTP server in the exact layouts of the real files in
tests/fixtures (the Kirklees claimant count, DfE's dashboard extract), or of the synthetic upstream that
mirrors them (the pipeline runs).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import duckdb
import pytest
from werkzeug import Response as WResponse

from lmi_demo.dfe_sim import CATALOGUE_FILE, DfeSim
from lmi_demo.server import UpstreamSim
from lmi_pipeline.clients.dfe import DfeResource
from lmi_pipeline.clients.nomis import NomisQuery, NomisResource
from lmi_pipeline.clients.nomis_csv import OBS_STATUS
from lmi_pipeline.clients.ons_geo import OnsGeoResource
from lmi_pipeline.clients.transport import UpstreamFormatError
from lmi_pipeline.operations.runs import failure_messages
from lmi_pipeline.database.tidy import STATUS_TABLE
from tests.faults_support import (
    SECRET, Fault, FaultServer, copy_project, edit_cells, is_data, leftovers, published_baseline, run_through,
    source_status, table_digest,
)
from tests.conftest import sim_handler

FIXTURES = Path(__file__).parent / "fixtures"
CLAIMANT = (FIXTURES / "nomis" / "nomis_kirklees__NM_162_1_claimant_count_E08000034_Feb2026.csv").read_bytes()
DASHBOARD = (FIXTURES / "dfe" / "dfe_ees__NEET_NK_16-17_LA_dashboard_UD_2025.csv").read_bytes()
KIRKLEES_ID = "1774190688"
GENSING, EAST_SUSSEX = "E05011207", "E10000011"
MISSING = sorted(code for code, (_, missing) in OBS_STATUS.items() if missing)


# -- Nomis, the client, on the real claimant-count body ------------------------------------------------------
def fetch_claimant(httpserver, body: bytes):
    httpserver.expect_request("/nomis/dataset/NM_162_1.data.csv").respond_with_data(body, content_type="text/csv")
    nomis = NomisResource(base_url=httpserver.url_for("/nomis").rstrip("/"), source_mode="live", max_retries=0)
    header = tuple(c.strip('"') for c in body.split(b"\n", 1)[0].decode().split(","))
    query = NomisQuery("NM_162_1", (KIRKLEES_ID,), select=header, label="Nomis NM_162_1 blank-value test")
    return nomis.fetch(query, {KIRKLEES_ID: "E08000034 Kirklees"})


def claimant_count_blank(status: str) -> bytes:
    """The real body with MEASURE 1's count (13090, status A) blanked and its status set to `status`."""
    name = OBS_STATUS[status][0] if status in OBS_STATUS else ""
    body = edit_cells({"MEASURE": "1"}, {"OBS_VALUE": "", "OBS_STATUS": status, "OBS_STATUS_NAME": name})(CLAIMANT)
    assert body.count(f',"Value",,"{status}","{name}",'.encode()) == 1  # only that row changed, quoting as served
    assert body.replace(f',"Value",,"{status}","{name}",'.encode(), b',"Value",13090,"A","Normal Value",') == CLAIMANT
    return body


def test_the_missing_statuses_are_the_suppressed_codes_the_project_loads():
    """The rule reads the same codelist as nomis_status and obs_status_codes (tidy.STATUS_TABLE), so they cannot
    drift apart."""
    suppressed = {c for c, s in zip(STATUS_TABLE["code"].to_pylist(), STATUS_TABLE["is_suppressed"].to_pylist())
                  if s}
    assert set(MISSING) == suppressed and {"Q", "-", "!"} <= suppressed and "A" not in suppressed


@pytest.mark.parametrize("status", MISSING)
def test_a_blank_nomis_value_with_a_missing_status_is_kept_as_missing(httpserver, status):
    table = fetch_claimant(httpserver, claimant_count_blank(status)).table
    (row,) = [r for r in table.to_pylist() if r["MEASURE"] == "1"]
    assert (row["OBS_VALUE"], row["OBS_STATUS"]) == ("", status)


@pytest.mark.parametrize("status", sorted(set(OBS_STATUS) - set(MISSING)) + [""])
def test_a_blank_nomis_value_with_any_other_status_is_refused(httpserver, status):
    with pytest.raises(UpstreamFormatError) as err:
        fetch_claimant(httpserver, claimant_count_blank(status))
    message = str(err.value)
    meaning = OBS_STATUS[status][0] if status else "no status"
    assert message.startswith("Nomis NM_162_1 blank-value test for E08000034 Kirklees, page 1; query http://")
    assert "OBS_VALUE is empty for area E08000034 Kirklees, DATE 2026-02 (row 1 of the page, RECORD_OFFSET 0)" in message
    assert f"but its OBS_STATUS is {status or 'blank'!r} ({meaning}), which does not mean missing" in message
    assert f"only be empty with OBS_STATUS {', '.join(c for c, (_, m) in OBS_STATUS.items() if m)}" in message


# -- Nomis, through the pipeline: the source degrades, the last good data stays ---------------------------------
@pytest.fixture(scope="module")
def baseline(tmp_path_factory):
    return published_baseline(tmp_path_factory)


def _published(settings, sql: str, params=()):
    with duckdb.connect(str(settings.published_db), read_only=True) as conn:
        return conn.execute(sql, params).fetchall()


def _refused_and_last_good_kept(baseline, tmp_path, fault: Fault, asset: str, tables: list[str], pattern: str) -> str:
    with FaultServer(faults=[fault]) as server:
        settings = server.settings(copy_project(tmp_path, baseline), NOMIS_UID=SECRET)
        before = {t: table_digest(settings.published_db, t) for t in [asset, *tables]}
        held = source_status(settings.published_db, asset)
        result = run_through(settings, asset)
    assert fault.hits >= 1
    assert result.success, failure_messages(result)  # one source refused: the others publish
    outcome, reason, release = source_status(settings.published_db, asset)
    assert outcome == "stale" and re.search(pattern, reason, re.S), reason
    assert SECRET not in reason and release == held[2] and release  # the last good release, still named
    assert {t: table_digest(settings.published_db, t) for t in before} == before  # row for row as before
    (check,) = [e for e in result.get_asset_check_evaluations() if e.check_name == "source_is_current"]
    assert not check.passed
    assert leftovers(settings) == []
    return reason


def test_a_blank_claimant_count_with_a_normal_status_is_refused_and_the_last_good_data_stays(baseline, tmp_path):
    fault = Fault(is_data("NM_162_1"), ("mutate", edit_cells({"GEOGRAPHY_CODE": GENSING, "MEASURE": "1", "OBS_STATUS": "A"},
                                                             {"OBS_VALUE": ""})))
    reason = _refused_and_last_good_kept(
        baseline, tmp_path, fault, "raw_claimant_count", ["claimant_count", "area_indicators"],
        r"Nomis NM_162_1 \(claimant count, .*\) for .*, page \d+; query http://127\.0\.0\.1:\d+/.*uid=\*\*\*: OBS_VALUE is "
        r"empty for area E05011207 Gensing, DATE \d{4}-\d\d \(row \d+ of the page, RECORD_OFFSET \d+\) but its "
        r"OBS_STATUS is 'A' \(Normal value\), which does not mean missing")
    assert "nothing was loaded" in reason


def test_a_blank_claimant_count_marked_missing_is_published_as_missing(baseline, tmp_path):
    """The same blank with Nomis's own "missing" status is a real gap: loaded, NULL with its status."""
    fault = Fault(is_data("NM_162_1"), ("mutate", edit_cells(
        {"GEOGRAPHY_CODE": GENSING, "MEASURE": "1", "OBS_STATUS": "A"},
        {"OBS_VALUE": "", "OBS_STATUS": "Q", "OBS_STATUS_NAME": "These figures are missing."})))
    gensing_counts = ("SELECT strftime(period, '%Y-%m'), age_band, ward_vintage, value, obs_status, is_suppressed "
                      "FROM claimant_count WHERE area_code = ? AND measure = 'count'")
    with FaultServer(faults=[fault]) as server:
        settings = server.settings(copy_project(tmp_path, baseline), NOMIS_UID=SECRET)
        before = set(_published(settings, gensing_counts, [GENSING]))
        result = run_through(settings, "raw_claimant_count")
    assert result.success, failure_messages(result)
    assert source_status(settings.published_db, "raw_claimant_count")[0] == "fresh"
    after = set(_published(settings, gensing_counts, [GENSING]))
    assert fault.hits >= 1 and len(after) == len(before)
    changed = after - before  # one count per page the fault edited, now missing with Nomis's status
    assert len(changed) == fault.hits and {r[3:] for r in changed} == {(None, "Q", True)}
    assert all(r[3] is not None and r[4] == "A" for r in before if r[:3] in {c[:3] for c in changed})


# -- DfE: the NEET file -------------------------------------------------------------------------------------
def dashboard_with(changes: dict[str, str], la_code: str = EAST_SUSSEX) -> bytes:
    return edit_cells({"new_la_code": la_code}, changes)(DASHBOARD)


def neet_from(httpserver, body: bytes):
    """The NEET file as EES serves it when the public API lacks it (the emulator), the data catalogue's
    download being `body`; read through DfeResource.neet_csv."""
    sim = UpstreamSim()
    sim.dfe = DfeSim(api_data_set=False)
    emulated = sim_handler(sim)
    download = f"/dfe-content/api/data-set-files/{CATALOGUE_FILE[2026]}/download"

    def handler(request):
        return WResponse(body, content_type="text/csv") if request.path == download else emulated(request)

    httpserver.expect_request(re.compile(".*")).respond_with_handler(handler)
    urls = sim.base_urls(httpserver.url_for("/").rstrip("/"))
    dfe = DfeResource(base_url=urls["DFE_BASE_URL"], content_url=urls["DFE_CONTENT_URL"], source_mode="live",
                      max_retries=0)
    return dfe.neet_csv()


def test_a_blank_neet_figure_is_refused_naming_the_column_area_and_period(httpserver):
    with pytest.raises(UpstreamFormatError) as err:
        neet_from(httpserver, dashboard_with({"NEET_not_known_percent": ""}))
    message = str(err.value)
    assert re.match(r"DfE NEET 16-17 \(.*, data catalogue\); query http://.*/download: ", message), message
    assert "NEET_not_known_percent is blank for E10000011 East Sussex (Local authority), time_period 2025" in message
    assert "with no EES symbol saying why" in message and "nothing was loaded" in message


def test_a_neet_figure_with_a_symbol_or_a_blank_context_column_passes(httpserver):
    """`c` is DfE saying the figure is suppressed; a blank in a column we do not read is not a figure."""
    table, _, _ = neet_from(httpserver, dashboard_with({"NEET_not_known_percent": "c", "avg_att8": ""}))
    (es,) = [r for r in table.to_pylist() if r["new_la_code"] == EAST_SUSSEX]
    assert (es["NEET_not_known_percent"], es["avg_att8"]) == ("c", "")


def test_a_blank_neet_figure_degrades_the_source_and_the_last_good_data_stays(baseline, tmp_path):
    neet_file = lambda p, a: bool(re.search(r"/data-sets/[^/]+/csv$|/data-set-files/[^/]+/download$", p))  # noqa: E731
    fault = Fault(neet_file, ("mutate", edit_cells({"new_la_code": EAST_SUSSEX, "characteristic": "Total"},
                                                   {"neet_nk_percent": ""})))
    _refused_and_last_good_kept(
        baseline, tmp_path, fault, "raw_neet", ["neet_participation"],
        r"DfE NEET 16-17 .*; query http://127\.0\.0\.1:\d+/.*: neet_nk_percent is blank for E10000011 East Sussex "
        r"\(Local authority\), time_period \d{4} \(row \d+ of the file, line \d+\), with no EES symbol")


# -- ONS: a lookup row without its key -----------------------------------------------------------------------
@pytest.mark.parametrize("code", [None, "", "  "])
def test_an_ons_lookup_row_without_its_code_is_refused(httpserver, code):
    rows = [{"WD24CD": "E05000001", "WD24NM": "A", "LAD24CD": "E07000062", "CTYUA24CD": None},
            {"WD24CD": code, "WD24NM": "B", "LAD24CD": "E07000062", "CTYUA24CD": None}]
    httpserver.expect_request(re.compile(".*/query")).respond_with_data(
        json.dumps({"features": [{"attributes": r} for r in rows]}), content_type="application/json")
    ons = OnsGeoResource(base_url=httpserver.url_for("/ons"), source_mode="live", max_retries=0)
    with pytest.raises(UpstreamFormatError) as err:
        ons.query("WD24_LAD24_CTYUA_RGN_CTRY_UK_LU", "LAD24CD IN ('E07000062')",
                  ["WD24CD", "WD24NM", "LAD24CD", "CTYUA24CD"], order_by="WD24CD")
    assert re.search(rf"ONS geography WD24_LAD24_CTYUA_RGN_CTRY_UK_LU for .*: page 1 \(offset 0\): feature 2 has no "
                     rf"WD24CD \({re.escape(repr(code))}\); it is the lookup's key", str(err.value)), str(err.value)


def test_an_ons_lookup_row_without_a_county_is_ons_convention_and_passes(httpserver):
    """ONS leaves the county blank (null) for a unitary: not a key, so not refused."""
    row = {"WD24CD": "E05000001", "WD24NM": "A", "LAD24CD": "E06000023", "CTYUA24CD": None}
    httpserver.expect_request(re.compile(".*/query")).respond_with_json({"features": [{"attributes": row}]})
    ons = OnsGeoResource(base_url=httpserver.url_for("/ons"), source_mode="live", max_retries=0)
    rows, _ = ons.query("S", "1=1", list(row), order_by="WD24CD")
    assert rows == [row]
