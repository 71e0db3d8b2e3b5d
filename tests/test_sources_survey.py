"""APS (NM_17_5) and model-based unemployment (NM_127_1) through a real local HTTP server: confidence
intervals kept, suppressed cells NULL (never 0), small-sample estimates flagged."""

import duckdb
import pytest

from lmi_demo.server import UpstreamSim, serve
from lmi_demo.survey_sim import FORCED_SUPPRESSED
from tests.conftest import live_settings, make_project
from tests.sources_helpers import materialize_upstream_of, nomis_id, served_rows

HASTINGS, MAIDSTONE, EAST_SUSSEX, ENGLAND = "E07000062", "E07000110", "E10000011", "E92000001"


@pytest.fixture(scope="module")
def survey_run(tmp_path_factory):
    sim = UpstreamSim()
    with serve(sim) as root:
        settings = live_settings(make_project(tmp_path_factory.mktemp("survey")), sim, root)
        assert materialize_upstream_of(settings, "aps_estimates", "model_unemployment").success
    conn = duckdb.connect(str(settings.work_db), read_only=True)
    yield sim, conn
    conn.close()


def _served_aps(sim, code, type_code, date):
    rows = served_rows(sim, "NM_17_5", geography=nomis_id(sim, code, type_code), date=date, variable="83,45",
                       measures="20599,21001,21002,21003")
    return {(r["VARIABLE"], r["MEASURES"]): (r["OBS_VALUE"], r["OBS_STATUS"]) for r in rows}


def test_suppressed_aps_cell_stays_null_with_its_status(survey_run):
    sim, conn = survey_run
    assert (HASTINGS, "2024-06", 83) in FORCED_SUPPRESSED
    served = _served_aps(sim, HASTINGS, 424, "2024-06")
    assert served[("83", "20599")] == ("", "!") and served[("83", "21003")] == ("", "!")  # as Nomis serves it
    raw = conn.execute("""SELECT OBS_VALUE, OBS_STATUS FROM raw_aps WHERE GEOGRAPHY_CODE = ? AND DATE = '2024-06'
        AND VARIABLE = '83' AND MEASURES = '20599'""", [HASTINGS]).fetchall()
    assert raw == [("", "!")]  # kept as served, text
    row = conn.execute("""SELECT value, confidence, lower, upper, obs_status, is_suppressed FROM aps_estimates
        WHERE area_code = ? AND period = DATE '2024-06-01' AND variable = 'unemployment_rate_16_plus'""",
                       [HASTINGS]).fetchone()
    assert row == (None, None, None, None, "!", True)
    zeros = conn.execute("SELECT count(*) FROM aps_estimates WHERE is_suppressed AND value IS NOT NULL").fetchone()[0]
    assert zeros == 0


def test_aps_interval_is_value_plus_minus_confidence(survey_run):
    sim, conn = survey_run
    served = _served_aps(sim, EAST_SUSSEX, 423, "2026-06")
    value, conf = float(served[("83", "20599")][0]), float(served[("83", "21003")][0])
    numerator, denominator = float(served[("83", "21001")][0]), float(served[("83", "21002")][0])
    row = conn.execute("""SELECT value, confidence, lower, upper, numerator, denominator, period_name, area_level
        FROM aps_estimates WHERE area_code = ? AND period = DATE '2026-06-01'
        AND variable = 'unemployment_rate_16_plus'""", [EAST_SUSSEX]).fetchone()
    assert row[:2] == (value, conf) and row[2] == pytest.approx(value - conf) and row[3] == pytest.approx(value + conf)
    assert row[4:] == (numerator, denominator, "Jul 2025-Jun 2026", "county")
    england = conn.execute("""SELECT upper - lower FROM aps_estimates WHERE area_code = ? AND
        period = DATE '2026-06-01' AND variable = 'unemployment_rate_16_plus'""", [ENGLAND]).fetchone()[0]
    assert england < row[3] - row[2]  # a bigger sample, a narrower interval


def test_small_sample_estimates_are_flagged_not_dropped(survey_run):
    _, conn = survey_run
    flagged = conn.execute("""SELECT count(*), count(value), bool_and(NOT is_suppressed) FROM aps_estimates
        WHERE obs_status = '*'""").fetchone()
    assert flagged[0] > 0 and flagged[0] == flagged[1] and flagged[2]
    assert conn.execute("SELECT bool_and(is_unreliable = (obs_status = '*')) FROM aps_estimates").fetchone()[0]
    variables = {v for (v,) in conn.execute("SELECT DISTINCT variable FROM aps_estimates").fetchall()}
    assert variables == {"unemployment_rate_16_plus", "unemployment_rate_16_64", "employment_rate_16_64",
                         "inactivity_rate_16_64"}
    levels = conn.execute("SELECT DISTINCT area_level FROM aps_estimates ORDER BY 1").fetchall()
    assert [lvl for (lvl,) in levels] == ["country", "county", "lad", "region"]  # never wards


def test_model_based_estimate_and_interval_as_served(survey_run):
    sim, conn = survey_run
    rows = served_rows(sim, "NM_127_1", geography=nomis_id(sim, MAIDSTONE, 424), date="latest", item="2",
                       measures="20100,20701")
    served = {r["MEASURES"]: float(r["OBS_VALUE"]) for r in rows}
    row = conn.execute("""SELECT value, confidence, lower, upper, period FROM model_unemployment
        WHERE area_code = ? ORDER BY period DESC LIMIT 1""", [MAIDSTONE]).fetchone()
    assert row[:2] == (served["20100"], served["20701"])
    assert row[2] == pytest.approx(served["20100"] - served["20701"]) and row[4].isoformat() == "2026-06-01"
    items = conn.execute("SELECT DISTINCT item FROM model_unemployment").fetchall()
    assert items == [("unemployment_rate",)]
