"""Each source stands alone: a failing upstream costs its own figures and nothing else.

`lmi run` in live mode against the local emulator, with one upstream refused (a closed port: connection
refused) or one Nomis dataset lacking geographies, checking the exit code, the printed summary, the
published tables, the gap matrix and the report.
"""

from __future__ import annotations

import re
import socket

import duckdb
import pytest

from lmi_demo.server import UpstreamSim
from lmi_pipeline.cli import main
from lmi_pipeline.operations.run_summary import EXIT_FRESH, EXIT_STALE
from tests.conftest import make_project
from tests.faults_support import SECRET, FaultServer

NEET = ("neet_16_17", "neet_nk_16_17")
NOMIS_INDICATORS = ("claimant_count", "claimant_rate", "claimant_rate_16_24", "census_unemployment_rate",
                    "census_unemployment_rate_16_24", "aps_unemployment_rate", "model_unemployment_rate")


def closed_port_url() -> str:
    """A URL on 127.0.0.1 where nothing listens: every request is refused."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/statistics/v1"


def lmi_run(monkeypatch, capsys, project, server: FaultServer, **env: str) -> tuple[int, str]:
    monkeypatch.chdir(project)
    home = project / ".dagster-home"
    home.mkdir(exist_ok=True)
    (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    for key, value in {"LMI_SOURCE": "live", "LMI_PROJECT_DIR": str(project), "NOMIS_UID": SECRET,
                       "NOMIS_MAX_REQUESTS_PER_SECOND": "0", "DAGSTER_HOME": str(home),
                       "UPSTREAM_BACKOFF_SECONDS": "0.01",  # the same 6 attempts, without 31 s of waiting
                       **server.sim.base_urls(server.root), **env}.items():
        monkeypatch.setenv(key, value)
    code = main(["run"])
    out = capsys.readouterr()
    return code, out.out + out.err


def published(project, sql: str, params=()):
    with duckdb.connect(str(project / "data" / "lmi.duckdb"), read_only=True) as conn:
        return conn.execute(sql, list(params)).fetchall()


def dfe_down() -> dict[str, str]:
    refused = closed_port_url()
    return {"DFE_BASE_URL": refused, "DFE_CONTENT_URL": refused.replace("/statistics/v1", "/api")}


def test_dfe_refused_publishes_every_nomis_indicator_and_keeps_the_last_neet(monkeypatch, capsys, tmp_path):
    project = make_project(tmp_path)
    with FaultServer(sim=UpstreamSim()) as server:
        code, out = lmi_run(monkeypatch, capsys, project, server)
        assert code == EXIT_FRESH, out
        neet_before = published(project, "SELECT indicator, area_code, period, value, release FROM area_indicators "
                                          "WHERE indicator IN ? ORDER BY ALL", [list(NEET)])
        assert neet_before
        code, out = lmi_run(monkeypatch, capsys, project, server, **dfe_down())
    assert code == EXIT_STALE, out
    # The summary: every source, its outcome and release; the stale one says why.
    assert re.search(r"raw_neet\s+dfe:neet-16-17\s+stale\s+release \S", out), out
    assert re.search(r"why: .*(refused|ConnectionError|Failed to establish)", out), out
    assert re.search(r"raw_claimant_count\s+nomis:NM_162_1\s+fresh\s+release ", out), out
    assert "published, with stale sources" in out and "exit 3" in out and SECRET not in out
    # Every Nomis indicator published; the NEET figures are those of the last good load, with their release.
    held = {r[0] for r in published(project, "SELECT DISTINCT indicator FROM area_indicators")}
    assert set(NOMIS_INDICATORS) <= held
    assert published(project, "SELECT indicator, area_code, period, value, release FROM area_indicators "
                              "WHERE indicator IN ? ORDER BY ALL", [list(NEET)]) == neet_before
    (status,) = published(project, "SELECT outcome, release, reason FROM source_status WHERE source_asset = 'raw_neet'")
    assert status[0] == "stale" and status[1] == neet_before[0][4]
    # The catalogue, the gap matrix and the report say so.
    assert published(project, "SELECT DISTINCT source_outcome FROM indicator_catalogue WHERE indicator IN ?",
                     [list(NEET)]) == [("stale",)]
    limits = published(project, "SELECT DISTINCT limits FROM lmi_gaps WHERE indicator = 'neet_16_17'")
    assert all("not refreshed this run" in (lim or "") for (lim,) in limits), limits
    assert published(project, "SELECT count(*) FROM lmi_gaps_to_fill WHERE gap = 'not refreshed this run' "
                              "AND indicator = 'neet_16_17'")[0][0] > 0
    report = (project / "assets" / "report" / "index.html").read_text()
    assert "Sources not refreshed this run" in report and "raw_neet" in report
    assert "its figures are from the last good load" in report


def test_dfe_refused_on_a_first_run_publishes_without_neet_and_says_why(monkeypatch, capsys, tmp_path):
    project = make_project(tmp_path)
    with FaultServer(sim=UpstreamSim()) as server:
        code, out = lmi_run(monkeypatch, capsys, project, server, **dfe_down())
    assert code == EXIT_STALE, out
    assert re.search(r"raw_neet\s+dfe:neet-16-17\s+unavailable\s+no release held", out), out
    assert published(project, "SELECT count(*) FROM area_indicators WHERE indicator IN ?", [list(NEET)]) == [(0,)]
    assert published(project, "SELECT count(*) FROM area_indicators WHERE indicator = 'claimant_rate'")[0][0] > 0
    coverage = published(project, "SELECT DISTINCT coverage FROM lmi_gaps WHERE indicator IN ?", [list(NEET)])
    assert coverage == [("not_available_this_run",)]
    (detail,) = published(project, "SELECT DISTINCT detail FROM lmi_gaps_to_fill WHERE gap = 'not available this run' "
                                   "AND indicator = 'neet_16_17'")
    assert "raw_neet unavailable:" in detail[0] and "DfE" in detail[0]
    report = (project / "assets" / "report" / "index.html").read_text()
    assert "there is no earlier load: its indicators are absent" in report


@pytest.mark.parametrize("offered", ["lsoa", "lad"])
def test_rm024_without_wards_degrades_and_says_which_level(monkeypatch, capsys, tmp_path, offered):
    """NM_2124_1 offered without ward types (as the demo serves it: LSOAs), or without LSOAs too."""
    sim = UpstreamSim()
    if offered == "lad":
        sim.nomis.withdraw_geography_level("NM_2124_1", "lsoa")
    project = make_project(tmp_path)
    with FaultServer(sim=sim) as server:
        code, out = lmi_run(monkeypatch, capsys, project, server)
    assert code == EXIT_FRESH, out
    (level,) = published(project, "SELECT small_area_level FROM nomis_dataset_coverage WHERE dataset = 'NM_2124_1'")
    assert level == (offered,)
    (catalogue,) = published(project, "SELECT source_geography, levels_available, status FROM indicator_catalogue "
                                      "WHERE indicator = 'census_unemployment_rate_16_24'")
    assert catalogue[0] == offered
    wards = published(project, "SELECT count(*) FROM area_indicators WHERE indicator = 'census_unemployment_rate_16_24' "
                               "AND area_level = 'ward'")[0][0]
    if offered == "lsoa":  # aggregated to wards by best fit, and labelled derived
        assert wards > 0 and catalogue[2] == "derived" and "ward" in catalogue[1]
    else:  # districts only: no ward figure is invented
        assert wards == 0 and "ward" not in catalogue[1] and "lad" in catalogue[1]
    # The other Nomis sources are untouched.
    assert published(project, "SELECT count(*) FROM area_indicators WHERE indicator = 'census_unemployment_rate' "
                              "AND area_level = 'ward'")[0][0] > 0
    assert re.search(r"raw_census_age_activity\s+nomis:NM_2124_1\s+fresh\s+.*smallest areas: " + offered, out), out


def test_a_ward_year_without_an_ons_lookup_fails_only_that_year(monkeypatch, capsys, tmp_path):
    """Nomis publishes the claimant count on 2022 and 2024 wards, but the ONS portal lists no 2024 lookup: the
    2024 wards cannot be placed in districts, so the run publishes on the 2022 wards alone, and says so."""
    sim = UpstreamSim()
    sim.ons.withdraw_lookup_year(2024)
    project = make_project(tmp_path)
    with FaultServer(sim=sim) as server:
        code, out = lmi_run(monkeypatch, capsys, project, server)
    assert code == EXIT_FRESH, out
    assert re.search(r"no .*2024.*WD24_LAD24", out, re.S) and "held but not shown by ward" in out, out
    assert published(project, "SELECT DISTINCT ward_vintage FROM ward_lookup") == [(2022,)]
    assert published(project, "SELECT DISTINCT ward_vintage FROM ward_indicators") == [(2022,)]
    park_wood_2022 = published(project, "SELECT count(*) FROM ward_indicators WHERE ward_code = 'E05005002' "
                                        "AND indicator = 'claimant_rate'")[0][0]
    assert park_wood_2022 > 0  # Maidstone's focus ward, on the boundaries that have a lookup
