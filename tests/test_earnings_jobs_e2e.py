"""End to end on the demo data: ASHE median weekly pay and jobs density, recorded from the synthetic Nomis and
replayed through one Dagster run, land in area_indicators for the configured districts with provenance, and in
lmi_gaps as held for the district only (never a ward figure) for every focus ward. The run is given a Stat-Xplore
key, so Universal Credit by conditionality (recorded from the synthetic Stat-Xplore) is loaded for wards too."""

import duckdb
import pytest

from lmi_demo.snapshot import build_demo_snapshot
from lmi_pipeline.clients.mhclg import FILE7_PATH
from lmi_pipeline.operations.runs import failure_messages
from lmi_pipeline.settings import load_settings
from tests.conftest import TEST_DISTRICTS, make_project, run_pipeline

NEW = ("ashe_median_weekly_pay_ft", "jobs_density")
UC_KEY = "sx-e2e-key-never-stored"
UC = ("uc_searching_for_work", "uc_working_with_requirements", "uc_working_no_requirements", "uc_no_work_requirements",
      "uc_planning_for_work", "uc_preparing_for_work", "uc_people")
# Park Wood's ward changed code in 2023 (Maidstone's new wards): lmi_gaps has a place for each code.
FOCUS_WARDS = {"Gensing", "Central St Leonards", "Castle", "Park Wood", "Park Wood & Mangravet"}


@pytest.fixture(scope="module")
def published(tmp_path_factory):
    project = make_project(tmp_path_factory.mktemp("earnings_demo"))
    settings = load_settings({"LMI_SOURCE": "demo", "LMI_PROJECT_DIR": str(project), "STATXPLORE_API_KEY": UC_KEY})
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


def test_with_a_key_uc_conditionality_is_held_for_every_focus_ward_on_the_newest_boundaries(published):
    newest = published.execute("SELECT max(ward_vintage) FROM ward_lookup").fetchone()[0]
    focus = dict(published.execute("SELECT ward_code, ward_name FROM ward_lookup WHERE is_focus AND ward_vintage = ?",
                                   [newest]).fetchall())
    rows = published.execute("""SELECT area_code, indicator, value, status, ward_vintage, data_label, area_level
        FROM area_indicators WHERE indicator LIKE 'uc_%'""").fetchall()
    assert {r[1] for r in rows} == set(UC)
    assert {r[4] for r in rows if r[6] == "ward"} == {newest} and {r[0] for r in rows} >= set(focus)
    # Each ward's district and England, the benchmarks a ward figure is read against (never a county or region).
    assert {r[0] for r in rows if r[6] != "ward"} == set(TEST_DISTRICTS) | {"E92000001"}
    assert {r[4] for r in rows if r[6] != "ward"} == {None}
    assert {r[5] for r in rows} == {"synthetic demo data"}
    by = {(r[0], r[1]): r for r in rows}
    for code in focus:
        regimes = [by[code, i][2] for i in UC[:-1]]
        assert all(v is not None and v >= 0 for v in regimes)
        assert by[code, "uc_people"][2] == sum(regimes) and by[code, "uc_people"][3] == "computed"
        assert by[code, "uc_searching_for_work"][3] == "official"
    gaps = published.execute("""SELECT place_code, status, held_status, indicator FROM lmi_need_gaps
        WHERE need_id = 'universal_credit_conditionality' AND place_level = 'ward'""").fetchall()
    held = {r[0]: r for r in gaps if r[1] == "held"}
    assert set(focus) <= set(held) and {held[c][3] for c in focus} == {"uc_searching_for_work"}
    lads = published.execute("""SELECT place_code FROM lmi_need_gaps WHERE need_id = 'universal_credit_conditionality'
        AND place_level = 'lad' AND status = 'held'""").fetchall()
    assert {r[0] for r in lads} == set(TEST_DISTRICTS)


def test_the_stat_xplore_key_is_nowhere_in_the_published_database(published):
    for table, in published.execute("SELECT table_name FROM duckdb_tables()").fetchall():
        text = published.execute(f'SELECT string_agg(CAST(t AS VARCHAR), \'|\') FROM "{table}" AS t').fetchone()[0]
        assert UC_KEY not in (text or ""), table


# -- Census 2021 TS067 qualifications, TS060 industry, TS063 occupation (2022 wards and benchmarks) ---------------
CENSUS_SKILLS = {"census_no_qualifications_pct": "NM_2084_1", "census_level4_plus_pct": "NM_2084_1",
                 "census_apprenticeship_pct": "NM_2084_1", "census_elementary_occupations_pct": "NM_2080_1",
                 "census_managers_professional_pct": "NM_2080_1", "census_industry_retail_pct": "NM_2077_1",
                 "census_industry_accommodation_food_pct": "NM_2077_1",
                 "census_industry_health_social_pct": "NM_2077_1", "census_industry_construction_pct": "NM_2077_1"}


def _focus_wards_2022(published) -> dict[str, str]:
    return dict(published.execute("""SELECT ward_code, ward_name FROM ward_lookup
        WHERE is_focus AND ward_vintage = 2022""").fetchall())


def test_census_skills_for_every_focus_ward_district_and_england_with_provenance(published):
    focus = _focus_wards_2022(published)
    assert set(focus.values()) == {"Gensing", "Central St Leonards", "Castle", "Park Wood"}
    rows = published.execute("""SELECT area_code, area_level, ward_vintage, indicator, value, numerator, denominator,
            unit, status, source_dataset, source_query_id, data_label, period FROM area_indicators
        WHERE indicator IN (SELECT unnest($i))""", {"i": list(CENSUS_SKILLS)}).fetchall()
    got = {(r[0], r[3]): r for r in rows}
    assert len(got) == len(rows)  # one figure per area and indicator
    for area in [*focus, *TEST_DISTRICTS, "E92000001"]:
        for indicator, dataset in CENSUS_SKILLS.items():
            code, level, vintage, _, value, num, den, unit, status, source, query_id, label, period = got[(area, indicator)]
            assert (unit, period.isoformat(), label) == ("%", "2021-03-01", "synthetic demo data")
            assert 0 < value < 100 and value == round(100 * num / den, 1), (area, indicator)
            assert status == ("computed" if indicator == "census_managers_professional_pct" else "official")
            assert source.startswith(dataset) and query_id
            assert (level, vintage) == (("ward", 2022) if area in focus else
                                        ("country", None) if area == "E92000001" else ("lad", None))
    # The shares use the right denominators: TS067 of residents 16+, TS060/TS063 of those in work (as TS066).
    ward = next(iter(focus))
    ts066 = dict(published.execute("""SELECT status, value FROM census_economic_activity
        WHERE area_code = ? AND age_band = '16+'""", [ward]).fetchall())
    assert got[(ward, "census_no_qualifications_pct")][6] == ts066["all_residents"]
    in_work = (ts066["active_excl_students"] - ts066["unemployed_excl_students"]
               + ts066["active_students"] - ts066["unemployed_students"])
    assert got[(ward, "census_elementary_occupations_pct")][6] == got[(ward, "census_industry_retail_pct")][6] \
        == in_work
    queries = {r[10] for r in rows}
    prov = dict(published.execute("""SELECT query_id, dataset FROM provenance WHERE query_id IN (SELECT unnest($q))""",
                                  {"q": list(queries)}).fetchall())
    assert set(prov) == queries and set(prov.values()) == set(CENSUS_SKILLS.values())


def test_census_skills_warehouse_keeps_every_category_on_2022_wards(published):
    counts = dict(published.execute("""SELECT topic, count(DISTINCT category) FROM census_skills_work
        GROUP BY topic""").fetchall())
    assert counts["qualification"] == 8 and counts["occupation"] == 10 and counts["industry"] > 22
    assert published.execute("""SELECT DISTINCT ward_vintage FROM census_skills_work WHERE area_level = 'ward'""") \
        .fetchall() == [(2022,)]
    # Sections add up: the published section aggregate equals the sum of its detailed categories (synthetic).
    bad = published.execute("""SELECT area_code, sic_section FROM census_skills_work WHERE topic = 'industry'
        GROUP BY area_code, area_level, ward_vintage, sic_section HAVING sic_section IS NOT NULL
           AND sum(value) FILTER (WHERE category_kind = 'section')
               <> sum(value) FILTER (WHERE category_kind = 'division')""").fetchall()
    assert bad == []
    sections = published.execute("""SELECT count(DISTINCT sic_section) FROM census_skills_work
        WHERE category_kind = 'section'""").fetchone()[0]
    assert sections == 21  # A-U, each served as an aggregate ("G: ...") beside its detailed categories
    assert published.execute("SELECT count(*) FROM census_skills_work WHERE category_kind = 'unclassified'") \
        .fetchone()[0] == 0


def test_qualifications_need_is_held_for_the_focus_wards(published):
    rows = published.execute("""SELECT place_code, place_name, status, indicator, held_status FROM lmi_need_gaps
        WHERE place_level = 'ward' AND need_id = 'qualifications'""").fetchall()
    focus = _focus_wards_2022(published)
    by_code = {r[0]: r for r in rows}
    for code in focus:
        assert by_code[code][2:] == ("held", "census_no_qualifications_pct", "official"), by_code[code]
    jobs = dict(published.execute("""SELECT place_code, status FROM lmi_need_gaps
        WHERE place_level = 'ward' AND need_id = 'jobs_and_sectors'""").fetchall())
    assert all(jobs[code] == "held" for code in focus)

# -- BRES (NM_189_1) and UK Business Counts (NM_141_1): published for wards, so held for the focus wards ----------
WARD_LEVEL = ("bres_employees_total", "bres_share_retail", "bres_share_accommodation_food", "business_local_units")
WARD_LEVEL_SOURCE = {"bres_employees_total": "NM_189_1", "bres_share_retail": "NM_189_1",
                     "bres_share_accommodation_food": "NM_189_1", "business_local_units": "NM_141_1"}


@pytest.mark.parametrize("indicator,unit,period", [("bres_employees_total", "employee jobs", "2024-01-01"),
                                                   ("bres_share_retail", "%", "2024-01-01"),
                                                   ("business_local_units", "local units", "2025-03-01")])
def test_ward_level_demand_for_focus_wards_districts_and_benchmarks_with_provenance(published, indicator, unit,
                                                                                    period):
    rows = published.execute("""SELECT a.area_code, a.area_name, a.area_level, a.ward_vintage, a.value, a.unit,
            a.status, a.source_dataset, a.source_query_id, a.data_label, a.release, a.period
        FROM area_indicators a WHERE a.indicator = ?
          AND a.period = (SELECT max(period) FROM area_indicators WHERE indicator = ?)""",
                             [indicator, indicator]).fetchall()
    assert rows and {r[11].isoformat() for r in rows} == {period}
    by_level: dict[str, set[str]] = {}
    for r in rows:
        by_level.setdefault(r[2], set()).add(r[0])
        assert (r[5], r[6], r[7]) == (unit, "official", WARD_LEVEL_SOURCE[indicator]), r
        assert r[4] is not None and r[4] > 0 and r[8] and r[9] == "synthetic demo data" and r[10], r
        assert (r[3] is not None) == (r[2] == "ward"), r  # every ward row names its boundary vintage, only wards
    assert set(TEST_DISTRICTS) <= by_level["lad"] and {"E12000008"} <= by_level["region"]
    assert by_level["country"] == {"E92000001"}
    focus = dict(published.execute("""SELECT ward_name, ward_code FROM ward_lookup WHERE is_focus""").fetchall())
    assert set(focus) == FOCUS_WARDS and set(focus.values()) <= by_level["ward"]
    # Maidstone's wards are held on both boundary sets, each row on its own vintage: 26 wards of 2022 and the
    # 2024 set, never one mixed list.
    vintages = dict(published.execute("""SELECT ward_vintage, count(DISTINCT area_code) FROM area_indicators
        WHERE indicator = ? AND area_level = 'ward' AND period = ?::DATE AND area_code IN
            (SELECT ward_code FROM ward_lookup WHERE lad_code = 'E07000110') GROUP BY 1""",
                                      [indicator, period]).fetchall())
    assert set(vintages) == {2022, 2024} and vintages[2022] == 26
    prov = published.execute("""SELECT count(*), count(*) FILTER (WHERE dataset = ?) FROM provenance
        WHERE query_id IN (SELECT source_query_id FROM area_indicators WHERE indicator = ?)""",
                             [WARD_LEVEL_SOURCE[indicator], indicator]).fetchone()
    assert prov[0] >= 1 and prov[0] == prov[1]


def test_ward_level_demand_reaches_ward_indicators_and_gaps_as_the_wards_own(published):
    rows = published.execute("""SELECT place_name, indicator, coverage, available_level, figure_status FROM lmi_gaps
        WHERE place_level = 'ward' AND indicator IN (SELECT unnest($i))""", {"i": list(WARD_LEVEL)}).fetchall()
    assert {r[0] for r in rows} == FOCUS_WARDS and len(rows) == len(FOCUS_WARDS) * len(WARD_LEVEL)
    for place, indicator, coverage, level, status in rows:
        assert (coverage, level, status) == ("available", "ward", "official"), (place, indicator)
    held = published.execute("""SELECT count(DISTINCT ward_code) FROM ward_indicators
        WHERE indicator = 'bres_employees_total' AND is_focus""").fetchone()[0]
    assert held == len(FOCUS_WARDS)


def test_need_gaps_hold_jobs_and_sectors_for_every_focus_ward(published):
    rows = published.execute("""SELECT place_name, status, held_status, available_level, indicator FROM lmi_need_gaps
        WHERE place_level = 'ward' AND need_id = 'jobs_and_sectors'""").fetchall()
    assert {r[0] for r in rows} == FOCUS_WARDS and len(rows) == len(FOCUS_WARDS)
    for place, status, held_status, level, indicator in rows:
        # The workplace-jobs headline is the need's first indicator: named whenever it is held for the ward.
        assert (status, held_status, level, indicator) == ("held", "official", "ward", "bres_employees_total"), place
    districts = published.execute("""SELECT DISTINCT status, indicator FROM lmi_need_gaps
        WHERE place_level = 'lad' AND need_id = 'jobs_and_sectors'""").fetchall()
    assert districts == [("held", "bres_employees_total")]

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
        assert release == "IoD 2025 (MHCLG, published 30 October 2025): " + FILE7_PATH and n > 100
    status = published.execute("SELECT outcome, upstream FROM source_status WHERE source_asset = 'raw_iod'").fetchone()
    assert status == ("fresh", "mhclg:IoD2025")


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
