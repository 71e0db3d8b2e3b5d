"""ASHE resident analysis (NM_30_1) and jobs density (NM_57_1) through a real local HTTP server: codes found by
label, the served values kept exactly, suppressed cells NULL (never 0), districts and benchmarks only."""

import duckdb
import pytest

from lmi_demo.server import UpstreamSim, serve
from tests.conftest import live_settings, make_project
from tests.sources_helpers import materialize_upstream_of, nomis_id, served_rows

HASTINGS, MAIDSTONE, EAST_SUSSEX, ENGLAND = "E07000062", "E07000110", "E10000011", "E92000001"


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    sim = UpstreamSim()
    with serve(sim) as root:
        settings = live_settings(make_project(tmp_path_factory.mktemp("earnings")), sim, root)
        assert materialize_upstream_of(settings, "ashe_earnings", "jobs_density").success
    conn = duckdb.connect(str(settings.work_db), read_only=True)
    yield sim, conn
    conn.close()


def test_served_bodies_have_the_real_layout(run):
    sim, _ = run
    (row,) = served_rows(sim, "NM_30_1", geography=nomis_id(sim, MAIDSTONE, 424), date="latest", sex="1", pay="1",
                         item="2", measures="20100")
    # As in tests/fixtures/nomis: GEOGRAPHY the GSS code, PAY_TYPE "item", every column Nomis serves.
    assert (row["GEOGRAPHY"], row["GEOGRAPHY_CODE"]) == (MAIDSTONE, MAIDSTONE)
    assert (row["PAY_TYPE"], row["ITEM_TYPE"], row["SEX_TYPE"]) == ("item", "item", "sex")
    assert list(row)[:12] == ["DATE", "DATE_NAME", "DATE_CODE", "DATE_TYPE", "DATE_TYPECODE", "DATE_SORTORDER",
                              "GEOGRAPHY", "GEOGRAPHY_NAME", "GEOGRAPHY_CODE", "GEOGRAPHY_TYPE",
                              "GEOGRAPHY_TYPECODE", "GEOGRAPHY_SORTORDER"]
    jobs = served_rows(sim, "NM_57_1", geography=nomis_id(sim, MAIDSTONE, 424), date="latest")
    assert {r["ITEM_NAME"] for r in jobs} == {"Total jobs", "Jobs density"} and {r["DATE"] for r in jobs} == {"2023"}


def test_ashe_median_weekly_full_time_pay_as_served(run):
    sim, conn = run
    served = {r["MEASURES"]: r["OBS_VALUE"] for r in served_rows(
        sim, "NM_30_1", geography=nomis_id(sim, HASTINGS, 424), date="latest", sex="1", pay="1", item="2",
        measures="20100,20701")}
    row = conn.execute("""SELECT value, confidence, period, sex, pay, sex_label, pay_label, item_label, area_level
        FROM ashe_earnings WHERE area_code = ? ORDER BY year DESC LIMIT 1""", [HASTINGS]).fetchone()
    assert row[:2] == (float(served["20100"]), float(served["20701"]))
    assert row[2].isoformat() == "2025-04-01"
    assert row[3:] == ("full_time", "weekly_pay_gross", "Full Time Workers", "Weekly pay - gross", "Median", "lad")
    # Only the wanted codes were asked for: one item, one sex, one pay.
    assert conn.execute("SELECT DISTINCT item, sex, pay FROM ashe_earnings").fetchall() == [
        ("median", "full_time", "weekly_pay_gross")]
    levels = [lvl for (lvl,) in conn.execute("SELECT DISTINCT area_level FROM ashe_earnings ORDER BY 1").fetchall()]
    assert levels == ["country", "county", "lad", "region"]  # never wards
    assert conn.execute("SELECT count(*) FROM ashe_earnings WHERE is_suppressed AND value IS NOT NULL").fetchone()[0] == 0


def test_jobs_density_and_total_jobs_as_served(run):
    sim, conn = run
    served = {r["ITEM"]: float(r["OBS_VALUE"]) for r in served_rows(
        sim, "NM_57_1", geography=nomis_id(sim, EAST_SUSSEX, 423), date="latest", item="1,3", measures="20100")}
    row = conn.execute("""SELECT jobs_density, total_jobs, period, area_level FROM jobs_density
        WHERE area_code = ? ORDER BY year DESC LIMIT 1""", [EAST_SUSSEX]).fetchone()
    assert row[:2] == (served["3"], served["1"]) and row[2].isoformat() == "2023-01-01" and row[3] == "county"
    years = conn.execute("SELECT min(year), max(year) FROM jobs_density WHERE area_code = ?", [ENGLAND]).fetchone()
    assert years == (2019, 2023)
