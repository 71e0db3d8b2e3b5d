"""BRES open access (NM_189_1) and UK Business Counts local units (NM_141_1) through a real local HTTP server:
codes found by label, wards asked for on the ward types the dataset offers (each row keeping its vintage), the
served values kept exactly (rounded counts not re-rounded, Nomis's industry percentage not recomputed)."""

import duckdb
import pytest

from lmi_demo.business_sim import TOTAL
from lmi_demo.server import UpstreamSim, serve
from tests.conftest import live_settings, make_project
from tests.sources_helpers import materialize_upstream_of, nomis_id, served_rows

HASTINGS, MAIDSTONE, EAST_SUSSEX, ENGLAND = "E07000062", "E07000110", "E10000011", "E92000001"
GENSING = "E05011207"  # a Hastings ward, the same code on 2022 and 2024 boundaries


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    sim = UpstreamSim()
    with serve(sim) as root:
        settings = live_settings(make_project(tmp_path_factory.mktemp("business")), sim, root)
        assert materialize_upstream_of(settings, "bres_employees", "business_counts").success
    conn = duckdb.connect(str(settings.work_db), read_only=True)
    yield sim, conn
    conn.close()


def test_served_bodies_have_the_real_layout(run):
    sim, _ = run
    rows = served_rows(sim, "NM_189_1", geography=nomis_id(sim, HASTINGS, 424), date="latest",
                       industry=str(TOTAL), employment_status="1")
    # As in tests/fixtures/nomis: GEOGRAPHY the GSS code, two MEASURE rows (Count, Industry percentage).
    assert {(r["GEOGRAPHY"], r["GEOGRAPHY_CODE"]) for r in rows} == {(HASTINGS, HASTINGS)}
    assert {r["MEASURE_NAME"]: r["MEASURE_TYPE"] for r in rows} == {"Count": "percent", "Industry percentage": "percent"}
    assert {(r["INDUSTRY_NAME"], r["INDUSTRY_TYPE"], r["EMPLOYMENT_STATUS_NAME"], r["EMPLOYMENT_STATUS_TYPE"])
            for r in rows} == {("Total", "industry", "Employees", "Employment")}
    ubc = served_rows(sim, "NM_141_1", geography=nomis_id(sim, HASTINGS, 424), date="latest",
                      employment_sizeband="0", legal_status="0")
    assert [(r["INDUSTRY_NAME"], r["EMPLOYMENT_SIZEBAND_TYPE"], r["LEGAL_STATUS_TYPE"]) for r in ubc] == [
        ("Total", "employment sizeband", "legal status")]


def test_bres_ward_and_district_figures_as_served(run):
    sim, conn = run
    for code, type_code, level in ((GENSING, 187, "ward"), (HASTINGS, 424, "lad"), (EAST_SUSSEX, 423, "county")):
        served = {r["MEASURE"]: float(r["OBS_VALUE"]) for r in served_rows(
            sim, "NM_189_1", geography=nomis_id(sim, code, type_code), date="latest", industry=str(TOTAL),
            employment_status="1", measures="20100")}
        row = conn.execute("""SELECT employees, industry_share, period, area_level FROM bres_employees
            WHERE area_code = ? AND industry = 'total' ORDER BY year DESC, ward_vintage DESC LIMIT 1""",
                           [code]).fetchone()
        assert row == (served["1"], served["2"], row[2], level) and row[1] == 100.0
        assert row[2].isoformat() == "2024-01-01"


def test_bres_broad_groups_keep_nomis_shares_and_ward_vintages(run):
    sim, conn = run
    industries = [i for (i,) in conn.execute("SELECT DISTINCT industry FROM bres_employees ORDER BY 1").fetchall()]
    assert len(industries) == 19 and "total" in industries and "retail" in industries
    served = {r["INDUSTRY_NAME"]: r["OBS_VALUE"] for r in served_rows(
        sim, "NM_189_1", geography=nomis_id(sim, HASTINGS, 424), date="latest", industry="163577863",
        employment_status="1", measure="2")}
    assert list(served) == ["7 : Retail (Part G)"]
    share = conn.execute("""SELECT industry_share, industry_label FROM bres_employees WHERE area_code = ?
        AND industry = 'retail' AND year = 2024""", [HASTINGS]).fetchone()
    assert share == (float(served["7 : Retail (Part G)"]), "7 : Retail (Part G)")
    # Maidstone's wards changed in 2024: its old and new wards each keep their own vintage, never mixed.
    vintages = dict(conn.execute("""SELECT ward_vintage, count(DISTINCT area_code) FROM bres_employees
        WHERE area_level = 'ward' AND area_code IN (SELECT ward_code FROM ward_lookup WHERE lad_code = ?)
        GROUP BY 1""", [MAIDSTONE]).fetchall())
    assert set(vintages) == {2022, 2024} and vintages[2022] == 26 and vintages[2024] > 0
    assert conn.execute("SELECT count(*) FROM bres_employees WHERE area_level = 'ward' AND ward_vintage IS NULL"
                        ).fetchone()[0] == 0
    assert conn.execute("SELECT count(*) FROM bres_employees WHERE employees IS NULL AND NOT is_suppressed"
                        ).fetchone()[0] == 0


def test_business_counts_local_units_as_served(run):
    sim, conn = run
    served = {r["DATE"]: float(r["OBS_VALUE"]) for r in served_rows(
        sim, "NM_141_1", geography=nomis_id(sim, GENSING, 187), industry=str(TOTAL), employment_sizeband="0",
        legal_status="0", time="first,latest")}
    # Hastings's ward codes are the same on both ward types, so they are asked for on the newest only.
    assert conn.execute("SELECT DISTINCT ward_vintage FROM business_counts WHERE area_code = ?", [GENSING]
                        ).fetchall() == [(2024,)]
    got = dict(conn.execute("SELECT year, local_units FROM business_counts WHERE area_code = ?", [GENSING]).fetchall())
    assert got == {int(y): v for y, v in served.items()} and min(got) == 2019 and max(got) == 2025
    assert all(v % 5 == 0 for v in got.values())
    row = conn.execute("""SELECT period, rounding_base, industry, employment_sizeband, legal_status, area_level
        FROM business_counts WHERE area_code = ? AND year = 2025""", [ENGLAND]).fetchone()
    assert row[0].isoformat() == "2025-03-01" and row[1:] == (5, "total", "total", "total", "country")
    # Only the totals were asked for: one row per area, vintage and year.
    assert conn.execute("SELECT count(*) FROM business_counts WHERE area_code = ? AND year = 2025",
                        [HASTINGS]).fetchone()[0] == 1


def test_without_wards_on_nomis_the_district_figures_are_loaded_and_the_coverage_says_so(tmp_path):
    # Should Nomis publish UK Business Counts for no ward type, the source is loaded at the lowest level it has.
    sim = UpstreamSim()
    for vintage in (2022, 2024):
        sim.nomis.withdraw_ward_type("NM_141_1", vintage)
    with serve(sim) as root:
        settings = live_settings(make_project(tmp_path), sim, root)
        assert materialize_upstream_of(settings, "business_counts").success
    with duckdb.connect(str(settings.work_db), read_only=True) as conn:
        levels = {lvl for (lvl,) in conn.execute("SELECT DISTINCT area_level FROM business_counts").fetchall()}
        assert "ward" not in levels and {"lad", "region", "country"} <= levels
        level, note = conn.execute("""SELECT small_area_level, problem FROM nomis_dataset_coverage
            WHERE dataset = 'NM_141_1'""").fetchone()
        assert level == "lad" and "not published for wards" in note
