"""The English Indices of Deprivation 2025 (MHCLG File 7) from LSOAs to wards, districts and England.

`figures_deprivation.sql` on a small hand-made DuckDB file whose answers are worked by hand below: the Employment
and Income rates weighted by File 7's population denominators, the IMD score weighted by total population, and
the share of LSOAs in England's most deprived decile. The File 7 download, its validation and the real values
are in test_iod_file7.py (a local HTTP server, a real-subset fixture).
"""

from datetime import date

import dagster as dg
import duckdb
import pytest

from lmi_pipeline.database.sql import load_sql
from lmi_pipeline.defs import checks
from lmi_pipeline.defs.indicators import area_indicators
from lmi_pipeline.defs.indicators import ward_indicators as ward_indicators_module
from lmi_pipeline.indicators.catalogue import catalogue_rows

REFERENCE_YEAR = date(2022, 1, 1)
SOURCE = "English Indices of Deprivation 2025 (MHCLG File 7), Employment domain, LSOA 2021, aggregated"
EMPLOYMENT, INCOME = "iod_employment_deprivation", "iod_income_deprivation"
IMD_SHARE, IMD_SCORE = "imd_share_lsoas_most_deprived_decile", "imd_average_score"

# iod_lsoa as the asset leaves it (only the columns the figures read), scores as published (rates 0-1):
# (lsoa, district, IMD score, IMD decile, Income rate, Employment rate, total population, working-age population)
IOD = [("E01000001", "E07000001", 10.0, 5, 0.200, 0.100, 2000, 1000),
       ("E01000002", "E07000001", 40.0, 1, 0.100, 0.154, 1000, 1000),
       ("E01000003", "E07000001", 30.0, 1, 0.300, 0.200, 2000, 1500),
       ("E01000004", "E07000001", 5.0, 10, 0.050, 0.046, 1000, 600),
       ("E01000005", "E07000002", 50.0, 1, 0.400, 0.300, 2000, 1000)]
# lsoa_ward_lookup: (lsoa, ward, ward name, vintage, district, district name)
LOOKUP = [
    # District Alpha, 2023 wards: A = LSOAs 1 and 2, B = LSOAs 3 and 4.
    ("E01000001", "E05000001", "Ward A", 2023, "E07000001", "Alpha"),
    ("E01000002", "E05000001", "Ward A", 2023, "E07000001", "Alpha"),
    ("E01000003", "E05000002", "Ward B", 2023, "E07000001", "Alpha"),
    ("E01000004", "E05000002", "Ward B", 2023, "E07000001", "Alpha"),
    # The same district on 2024 wards: C = LSOAs 1, 2 and 3, D = LSOA 4.
    ("E01000001", "E05000011", "Ward C", 2024, "E07000001", "Alpha"),
    ("E01000002", "E05000011", "Ward C", 2024, "E07000001", "Alpha"),
    ("E01000003", "E05000011", "Ward C", 2024, "E07000001", "Alpha"),
    ("E01000004", "E05000012", "Ward D", 2024, "E07000001", "Alpha"),
    # District Beta: one ward with LSOA 5 and an LSOA the file does not hold.
    ("E01000005", "E05000021", "Ward E", 2023, "E07000002", "Beta"),
    ("E01000099", "E05000021", "Ward E", 2023, "E07000002", "Beta"),
    # A Welsh district: Welsh LSOAs are not in the English indices.
    ("W01000001", "W05000001", "Ward Cymru", 2023, "W06000001", "Gwlad"),
    ("W01000002", "W05000001", "Ward Cymru", 2023, "W06000001", "Gwlad"),
]


FIGURES_SQL = (f"SELECT {', '.join(area_indicators.FIGURE_COLUMNS)} "  # what area_indicators selects from a source
               f"FROM ({load_sql(area_indicators.__file__, 'figures_deprivation')})")


@pytest.fixture
def db(tmp_path):
    conn = duckdb.connect(str(tmp_path / "f.duckdb"))
    conn.execute("CREATE TABLE iod_lsoa (lsoa_code VARCHAR, lad_code VARCHAR, imd_score DOUBLE, imd_decile INTEGER, "
                 "income_score DOUBLE, employment_score DOUBLE, population_total INTEGER, "
                 "population_working_age INTEGER, source_query_id VARCHAR)")
    conn.executemany("INSERT INTO iod_lsoa VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'q-iod')", IOD)
    conn.execute("CREATE TABLE lsoa_ward_lookup (lsoa_code VARCHAR, ward_code VARCHAR, ward_name VARCHAR, "
                 "ward_vintage BIGINT, lad_code VARCHAR, lad_name VARCHAR)")
    conn.executemany("INSERT INTO lsoa_ward_lookup VALUES (?, ?, ?, ?, ?, ?)", LOOKUP)
    # Both English districts are in one county and region (as area_indicators registers from the reference).
    conn.execute("""CREATE TABLE district_parents AS SELECT * FROM (VALUES
        ('E07000001', 'E10000001', 'County', 'E12000001', 'Region'),
        ('E07000002', 'E10000001', 'County', 'E12000001', 'Region'),
        ('W06000001', NULL, NULL, NULL, NULL)) AS t(lad_code, county_code, county_name, region_code, region_name)""")
    conn.execute("""CREATE TABLE districts AS SELECT * FROM (VALUES
        ('E07000001', 'Alpha', 'shire district', 'E10000001', NULL, 'E12000001', 'E92000001'),
        ('E07000002', 'Beta', 'shire district', 'E10000001', NULL, 'E12000001', 'E92000001'),
        ('W06000001', 'Gwlad', 'Welsh principal area', NULL, NULL, NULL, 'W92000004'))
        AS t(lad_code, lad_name, kind, county_code, combined_authority_code, region_code, country_code)""")
    conn.execute("""ALTER TABLE districts ADD COLUMN benchmarks STRUCT(level VARCHAR, code VARCHAR, name VARCHAR)[]""")
    conn.execute("""UPDATE districts SET benchmarks = [{'level': 'county', 'code': county_code, 'name': 'County'},
                  {'level': 'region', 'code': region_code, 'name': 'Region'},
                  {'level': 'country', 'code': country_code, 'name': 'England'}] WHERE country_code = 'E92000001'""")
    conn.execute("UPDATE districts SET benchmarks = [{'level': 'country', 'code': 'W92000004', 'name': 'Wales'}] "
                 "WHERE benchmarks IS NULL")
    yield conn
    conn.close()


@pytest.fixture
def every_figure(db) -> dict[tuple[str, int | None, str], dict]:
    cur = db.execute(FIGURES_SQL)
    names = [d[0] for d in cur.description]
    rows = [dict(zip(names, r)) for r in cur.fetchall()]
    got = {(r["area_code"], r["ward_vintage"], r["indicator"]): r for r in rows}
    assert len(got) == len(rows), "one row per area, ward vintage and indicator"
    return got


@pytest.fixture
def figures(every_figure) -> dict[tuple[str, int | None], dict]:
    """The Employment figures, by area and ward vintage."""
    return {(code, vintage): r for (code, vintage, indicator), r in every_figure.items() if indicator == EMPLOYMENT}


def test_a_ward_is_its_best_fit_lsoas_rate_weighted_by_working_age_population(figures):
    # Ward A (2023): LSOAs 1 and 2, 1,000 working-age each: (10.0 x 1000 + 15.4 x 1000) / 2000 = 12.7.
    # Ward B: (20.0 x 1500 + 4.6 x 600) / 2100 = 32,760 / 2100 = 15.6 (the simple mean would be 12.3).
    assert figures[("E05000001", 2023)]["value"] == pytest.approx(12.7)
    assert figures[("E05000002", 2023)]["value"] == pytest.approx(15.6)
    # Every ward vintage held: ward C (2024) = (10,000 + 15,400 + 30,000) / 3500 = 15.83 -> 15.8; ward D = LSOA 4.
    assert figures[("E05000011", 2024)]["value"] == pytest.approx(15.8)
    assert figures[("E05000012", 2024)]["value"] == pytest.approx(4.6)
    a = figures[("E05000001", 2023)]
    assert (a["area_name"], a["area_level"], a["indicator"], a["unit"], a["status"]) == (
        "Ward A", "ward", EMPLOYMENT, "%", "derived")
    assert a["period"] == REFERENCE_YEAR
    # The denominator is the working-age population the rate is weighted by (mid 2022); no count is implied.
    assert (a["denominator"], a["denominator_year"], a["denominator_query_id"]) == (2000, 2022, "q-iod")
    assert (a["lower"], a["upper"], a["rounding_base"], a["numerator"]) == (None,) * 4
    assert a["source_dataset"].startswith(SOURCE + " (to 2023 wards by LSOA best fit; ")
    assert "weighted by working-age population (mid 2022)" in a["source_dataset"]
    assert a["source_query_id"] == "q-iod"


def test_districts_and_england_weight_their_lsoas_by_working_age_population(figures):
    # Alpha: its four LSOAs once each, whatever the number of ward vintages:
    # (10,000 + 15,400 + 30,000 + 2,760) / 4100 = 14.19 -> 14.2.
    alpha = figures[("E07000001", None)]
    assert (alpha["value"], alpha["area_level"], alpha["area_name"], alpha["denominator"]) == (14.2, "lad", "Alpha", 4100)
    assert alpha["status"] == "derived" and "not MHCLG's own district summary" in alpha["source_dataset"]
    # England: every LSOA in the file, in a configured district or not: (58,160 + 30,000) / 5100 = 17.29 -> 17.3.
    england = figures[("E92000001", None)]
    assert (england["value"], england["area_level"], england["area_name"]) == (17.3, "country", "England")
    assert all(r["period"] == REFERENCE_YEAR and r["source_dataset"].startswith(SOURCE) for r in figures.values())


def test_income_imd_score_and_most_deprived_decile_share(every_figure):
    def value(code, vintage, indicator):
        return every_figure[(code, vintage, indicator)]["value"]

    # Income, weighted by total population: ward A (20.0 x 2000 + 10.0 x 1000) / 3000 = 16.67 -> 16.7;
    # B (30 x 2000 + 5 x 1000) / 3000 = 21.7; Alpha 11,500 / 6000 = 19.2; England 19,500 / 8000 = 24.375 -> 24.4.
    assert [value(c, v, INCOME) for c, v in [("E05000001", 2023), ("E05000002", 2023), ("E07000001", None),
                                             ("E92000001", None)]] == [16.7, 21.7, 19.2, 24.4]
    # IMD score, weighted by total population: A (10 x 2000 + 40 x 1000) / 3000 = 20.0; B (60,000 + 5,000) / 3000
    # = 21.7; England (20,000 + 40,000 + 60,000 + 5,000 + 100,000) / 8000 = 28.125 -> 28.1.
    assert [value(c, v, IMD_SCORE) for c, v in [("E05000001", 2023), ("E05000002", 2023), ("E92000001", None)]] == [
        20.0, 21.7, 28.1]
    # The share of LSOAs in IMD decile 1, each LSOA once: A 1 of 2, C (2024) 2 of 3, D 0 of 1, Alpha 2 of 4,
    # England 3 of 5.
    assert [value(c, v, IMD_SHARE) for c, v in [("E05000001", 2023), ("E05000011", 2024), ("E05000012", 2024),
                                                ("E07000001", None), ("E92000001", None)]] == [50.0, 66.7, 0.0, 50.0,
                                                                                             60.0]
    share = every_figure[("E05000001", 2023, IMD_SHARE)]
    assert (share["unit"], share["denominator"], share["numerator"], share["denominator_year"]) == ("%", None, None, None)
    assert every_figure[("E05000001", 2023, IMD_SCORE)]["unit"] == "score"
    assert every_figure[("E05000001", 2023, INCOME)]["denominator"] == 3000
    assert {r["status"] for r in every_figure.values()} == {"derived"}


def test_part_of_an_area_unscored_gives_no_value_and_wales_gets_no_row(every_figure, figures):
    # Ward E and Beta: one of their two LSOAs is not in the file, so no figure of part of the area is shown.
    for indicator in (EMPLOYMENT, INCOME, IMD_SHARE, IMD_SCORE):
        assert every_figure[("E05000021", 2023, indicator)]["value"] is None
        assert every_figure[("E07000002", None, indicator)]["value"] is None
    assert every_figure[("E05000021", 2023, EMPLOYMENT)]["denominator"] is None
    # The Welsh ward and district: no scored LSOA at all, so no row (England only).
    assert not [k for k in every_figure if k[0].startswith("W")]
    assert set(figures) == {("E05000001", 2023), ("E05000002", 2023), ("E05000011", 2024), ("E05000012", 2024),
                            ("E05000021", 2023), ("E07000001", None), ("E07000002", None), ("E10000001", None),
                            ("E12000001", None), ("E92000001", None)}
    assert len(every_figure) == 4 * len(figures)
    # The county and region of the districts: every LSOA File 7 places in their districts (as England: the file).
    for code, level in (("E10000001", "county"), ("E12000001", "region")):
        assert (figures[(code, None)]["area_level"], figures[(code, None)]["value"]) == (level, 17.3)


def test_an_empty_file_gives_no_figures(db):
    db.execute("DELETE FROM iod_lsoa")
    assert db.execute(FIGURES_SQL).fetchall() == []


def test_ward_indicators_benchmark_and_rank_it_and_the_blocking_checks_pass(db):
    """Through ward_indicators as area_indicators would feed it: the district and England values sit beside
    each ward, wards rank within their district and vintage, and the blocking checks find nothing."""
    db.execute(f"""CREATE TABLE area_indicators AS SELECT *, false AS small_number,
                   'synthetic demo data' AS data_label, 'IoD 2025' AS release,
                   NULL::TIMESTAMP AS retrieved_at FROM ({FIGURES_SQL})""")
    db.execute("""CREATE TABLE ward_lookup AS SELECT DISTINCT ward_code, ward_name,
                  ward_vintage::INTEGER AS ward_vintage, lad_code, lad_name, false AS is_focus FROM lsoa_ward_lookup""")
    ward_indicators_module.build_ward_indicators(db)
    got = {(r[0], r[1]): r[2:] for r in db.execute(
        "SELECT ward_code, ward_vintage, value, lad_value, country_value, county_value, change_12m, rank_in_lad, "
        "n_wards_in_lad FROM ward_indicators WHERE indicator = 'iod_employment_deprivation'").fetchall()}
    # Alpha's 2023 wards: B 15.6 ranks above A 12.7 (1 = most deprived); its 2024 wards rank apart: C 15.8, D 4.6.
    # The county holds all five English LSOAs, so it equals England here: (10 000 + 15 400 + 30 000 + 2 760 +
    # 30 000) / 5 100 = 17.3.
    assert got[("E05000001", 2023)] == (12.7, 14.2, 17.3, 17.3, None, 2, 2)
    assert got[("E05000002", 2023)] == (15.6, 14.2, 17.3, 17.3, None, 1, 2)
    assert got[("E05000011", 2024)][5:] == (1, 2) and got[("E05000012", 2024)][5:] == (2, 2)
    assert got[("E05000021", 2023)] == (None, None, 17.3, 17.3, None, None, 0)
    assert not [k for k in got if k[0].startswith("W")]
    for name in ("MISSING_BENCHMARKS_SQL", "BAD_RATES_SQL", "RANGES_CONTAIN_VALUES_SQL", "DUPLICATE_KEYS_SQL"):
        assert db.execute(getattr(checks, name)).fetchall() == [], name


def test_the_indicators_are_wired_in():
    assert "deprivation" in area_indicators.FIGURE_SOURCES
    catalogue = {r["indicator"]: r for r in catalogue_rows()}
    for name, unit in [(EMPLOYMENT, "%"), (INCOME, "%"), (IMD_SHARE, "%"), (IMD_SCORE, "score")]:
        entry = catalogue[name]
        assert (entry["unit"], entry["status"], entry["lowest_level"]) == (unit, "derived", "ward"), name
        assert (entry["frequency"], entry["reference_months"], entry["release_lag_days"]) == ("decennial", 12, 1034)
        assert "England only" in entry["caveats"] and "not an official ward statistic" in entry["caveats"]
        assert entry["source_assets"] == ["raw_iod"], name
    assert "weighted" in catalogue[EMPLOYMENT]["caveats"] and "mid 2022" in catalogue[EMPLOYMENT]["definition"]
    from lmi_pipeline.definitions import defs
    d = defs()
    specs = {s.key.to_user_string(): s for s in d.resolve_all_asset_specs()}
    assert (specs["raw_iod"].group_name, specs["iod_lsoa"].group_name) == ("sources", "warehouse")
    assert "iod_employment" not in specs
    assert dg.AssetKey("raw_iod") in {dep.asset_key for dep in specs["iod_lsoa"].deps}
    assert dg.AssetKey("iod_lsoa") in {dep.asset_key for dep in specs["area_indicators"].deps}
    assert dg.AssetKey("raw_iod") in {dep.asset_key for dep in specs["provenance"].deps}
