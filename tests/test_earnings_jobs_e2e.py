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


# -- IoD 2025 File 7: Employment, Income and the overall IMD (the demo's File 7 is synthetic) ----------------------
IOD = {"iod_employment_deprivation": "%", "iod_income_deprivation": "%", "imd_share_lsoas_most_deprived_decile": "%",
       "imd_average_score": "score"}


def test_iod_domains_arrive_for_every_focus_ward_with_provenance_labelled_synthetic(published):
    rows = published.execute("""SELECT w.ward_name, w.ward_vintage, w.indicator, w.value, w.unit, w.status, w.period,
            w.lad_value, w.country_value, w.data_label, p.source_asset, p.service, p.query_url, p.data_label,
            p.rows, p.release
        FROM ward_indicators w JOIN provenance p ON p.query_id = w.source_query_id
        WHERE w.is_focus AND w.indicator IN (SELECT unnest($i))""", {"i": list(IOD)}).fetchall()
    assert {r[0] for r in rows} == FOCUS_WARDS
    assert {(r[0], r[2]) for r in rows} == {(w, i) for w in FOCUS_WARDS for i in IOD}  # every domain, every ward
    for (ward, vintage, indicator, value, unit, status, period, lad_value, country_value, label, asset, service, url,
         prov_label, n, release) in rows:
        assert value is not None and lad_value is not None and country_value is not None, (ward, indicator)
        assert (unit, status, period.isoformat()) == (IOD[indicator], "derived", "2022-01-01"), (ward, indicator)
        assert 0 <= value <= 100
        assert (label, prov_label, asset, service) == ("synthetic demo data", "synthetic demo data", "raw_iod", "mhclg")
        assert url.endswith("/media/691ded56d140bbbaa59a2a7d/"
                            "File_7_IoD2025_All_Ranks_Scores_Deciles_Population_Denominators.csv")
        assert release == "IoD 2025 (MHCLG, published 30 October 2025)" and n > 100
    status = published.execute("SELECT outcome, upstream FROM source_status WHERE source_asset = 'raw_iod'").fetchone()
    assert status == ("fresh", "mhclg:iod2025-file7")


def test_a_focus_ward_income_rate_is_its_lsoas_served_rates_weighted_by_population(published):
    """Gensing's Income deprivation, worked by hand from the synthetic File 7 the demo upstream serves and the
    LSOA best-fit lookup: sum(rate x total population) / sum(total population)."""
    import csv
    import io

    from lmi_demo.server import UpstreamSim
    from lmi_pipeline.clients.mhclg import FILE7_COLUMNS, FILE7_PATH

    served = UpstreamSim().handle("/mhclg/" + FILE7_PATH, {})[2].decode("utf-8")
    file7 = {r[FILE7_COLUMNS["lsoa_code"]]: r for r in csv.DictReader(io.StringIO(served))}
    lsoas = [r[0] for r in published.execute("""SELECT lsoa_code FROM lsoa_ward_lookup
        WHERE ward_code = 'E05011207' AND ward_vintage = 2022""").fetchall()]
    assert len(lsoas) >= 2 and set(lsoas) <= set(file7)
    pop = {c: int(file7[c][FILE7_COLUMNS["population_total"]]) for c in lsoas}
    rate = sum(float(file7[c][FILE7_COLUMNS["income_score"]]) * pop[c] for c in lsoas) / sum(pop.values())
    in_decile_1 = sum(file7[c][FILE7_COLUMNS["imd_decile"]] == "1" for c in lsoas)
    got = dict(published.execute("""SELECT indicator, value FROM ward_indicators
        WHERE ward_code = 'E05011207' AND ward_vintage = 2022""").fetchall())
    assert got["iod_income_deprivation"] == round(100 * rate, 1)
    assert got["imd_share_lsoas_most_deprived_decile"] == round(100 * in_decile_1 / len(lsoas), 1)
    denominator = published.execute("""SELECT denominator, denominator_year FROM ward_indicators
        WHERE ward_code = 'E05011207' AND ward_vintage = 2022 AND indicator = 'iod_income_deprivation'""").fetchone()
    assert denominator == (sum(pop.values()), 2022)


def test_the_deprivation_need_is_held_for_focus_wards_by_the_imd_headline(published):
    rows = published.execute("""SELECT place_name, status, held_status, available_level, indicator, data_label
        FROM lmi_need_gaps WHERE place_level = 'ward' AND need_id = 'deprivation'""").fetchall()
    assert {r[0] for r in rows} == FOCUS_WARDS
    for place, status, held, level, indicator, label in rows:
        assert (status, held, level, indicator, label) == (
            "held", "derived", "ward", "imd_share_lsoas_most_deprived_decile", "synthetic demo data"), place
    coverage = published.execute("""SELECT DISTINCT coverage FROM lmi_gaps
        WHERE place_level = 'ward' AND indicator IN (SELECT unnest($i))""", {"i": list(IOD)}).fetchall()
    assert coverage == [("available",)]
