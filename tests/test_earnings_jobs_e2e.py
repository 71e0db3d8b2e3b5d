"""End to end on the demo data: ASHE median weekly pay and jobs density, recorded from the synthetic Nomis and
replayed through one Dagster run, land in area_indicators for the configured districts with provenance, and in
lmi_gaps as held for the district only (never a ward figure) for every focus ward."""

import duckdb
import pytest

from lmi_demo.snapshot import build_demo_snapshot
from lmi_pipeline.operations.runs import failure_messages
from lmi_pipeline.settings import load_settings
from tests.conftest import TEST_DISTRICTS, make_project, run_pipeline

NEW = ("ashe_median_weekly_pay_ft", "jobs_density")
# Park Wood's ward changed code in 2023 (Maidstone's new wards): lmi_gaps has a place for each code.
FOCUS_WARDS = {"Gensing", "Central St Leonards", "Castle", "Park Wood", "Park Wood & Mangravet"}


@pytest.fixture(scope="module")
def published(tmp_path_factory):
    project = make_project(tmp_path_factory.mktemp("earnings_demo"))
    settings = load_settings({"LMI_SOURCE": "demo", "LMI_PROJECT_DIR": str(project)})
    build_demo_snapshot(settings)
    result = run_pipeline(settings, raise_on_error=False)
    assert result.success, failure_messages(result)
    conn = duckdb.connect(str(settings.published_db), read_only=True)
    yield conn
    conn.close()


@pytest.mark.parametrize("indicator,unit,period", [("ashe_median_weekly_pay_ft", "£", "2025-04-01"),
                                                   ("jobs_density", "jobs per resident 16-64", "2023-01-01")])
def test_new_indicators_for_every_district_with_provenance(published, indicator, unit, period):
    rows = published.execute("""SELECT area_code, area_level, value, unit, status, source_dataset, source_query_id,
            data_label, release FROM area_indicators
        WHERE indicator = ? AND period = (SELECT max(period) FROM area_indicators WHERE indicator = ?)""",
                             [indicator, indicator]).fetchall()
    by_area = {r[0]: r for r in rows}
    assert set(TEST_DISTRICTS) <= set(by_area)
    assert {"E12000008", "E92000001"} <= set(by_area)  # region and England benchmarks
    assert {r[1] for r in rows} <= {"lad", "county", "region", "country"}  # never wards
    for lad in TEST_DISTRICTS:
        _, level, value, got_unit, status, dataset, query_id, label, release = by_area[lad]
        assert (level, got_unit, status) == ("lad", unit, "official") and value is not None and value > 0
        assert dataset == {"ashe_median_weekly_pay_ft": "NM_30_1", "jobs_density": "NM_57_1"}[indicator]
        assert query_id and label == "synthetic demo data" and release
    assert str(rows[0][0]) and published.execute("SELECT max(period) FROM area_indicators WHERE indicator = ?",
                                                 [indicator]).fetchone()[0].isoformat() == period
    prov = published.execute("""SELECT count(*) FROM provenance WHERE query_id IN
        (SELECT source_query_id FROM area_indicators WHERE indicator = ?)""", [indicator]).fetchone()[0]
    assert prov >= 1
    assert published.execute("SELECT count(*) FROM ward_indicators WHERE indicator = ?", [indicator]).fetchone()[0] == 0


def test_focus_wards_hold_them_for_their_district_only(published):
    rows = published.execute("""SELECT place_name, indicator, coverage, available_level, available_area_code, lad_code
        FROM lmi_gaps WHERE place_level = 'ward' AND indicator IN (SELECT unnest($i))""", {"i": list(NEW)}).fetchall()
    assert {r[0] for r in rows} == FOCUS_WARDS and len(rows) == len(FOCUS_WARDS) * len(NEW)  # one per place
    for place, indicator, coverage, level, area, lad in rows:
        assert (coverage, level, area) == ("lad_only", "lad", lad), (place, indicator)
    catalogue = dict(published.execute("""SELECT indicator, source_outcome FROM indicator_catalogue
        WHERE indicator IN (SELECT unnest($i))""", {"i": list(NEW)}).fetchall())
    assert catalogue == {i: "fresh" for i in NEW}
