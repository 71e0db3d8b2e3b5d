"""Employment deprivation (English Indices of Deprivation 2025, Employment domain) from LSOAs to wards.

Two layers:
- `figures_deprivation.sql` on a small hand-made DuckDB file whose answers are worked by hand below;
- the `iod_employment` asset on the real bundled file (lmi_pipeline/geography/data/iod2025_employment_lsoa21.csv.gz):
  its row count, one real LSOA checked against MHCLG's published value, its provenance label, and the file's
  sha256 against the README that documents it.
"""

import hashlib
import re
from datetime import date

import dagster as dg
import duckdb
import pytest

from lmi_pipeline.database.sql import load_sql
from lmi_pipeline.database.storage import WarehouseResource
from lmi_pipeline.defs import checks
from lmi_pipeline.defs.geography.iod_employment import IOD_FILE, IOD_VINTAGE, QUERY_ID, iod_employment
from lmi_pipeline.defs.indicators import area_indicators
from lmi_pipeline.defs.indicators import ward_indicators as ward_indicators_module
from lmi_pipeline.defs.warehouse import provenance as provenance_module
from lmi_pipeline.indicators.catalogue import catalogue_rows

REFERENCE_YEAR = date(2022, 1, 1)
SOURCE = "English Indices of Deprivation 2025, Employment domain (MHCLG), LSOA 2021, aggregated"
README = IOD_FILE.parent / "README.md"

# iod_employment as the asset leaves it (only the columns the figures read), scores in %:
IOD = [("E01000001", 10.0), ("E01000002", 15.4), ("E01000003", 20.0), ("E01000004", 4.6), ("E01000005", 30.0)]
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
    conn.execute("CREATE TABLE iod_employment (lsoa_code VARCHAR, employment_score DOUBLE, source_query_id VARCHAR)")
    conn.executemany("INSERT INTO iod_employment VALUES (?, ?, 'q-iod')", IOD)
    conn.execute("CREATE TABLE lsoa_ward_lookup (lsoa_code VARCHAR, ward_code VARCHAR, ward_name VARCHAR, "
                 "ward_vintage BIGINT, lad_code VARCHAR, lad_name VARCHAR)")
    conn.executemany("INSERT INTO lsoa_ward_lookup VALUES (?, ?, ?, ?, ?, ?)", LOOKUP)
    yield conn
    conn.close()


@pytest.fixture
def figures(db) -> dict[tuple[str, int | None], dict]:
    cur = db.execute(FIGURES_SQL)
    names = [d[0] for d in cur.description]
    rows = [dict(zip(names, r)) for r in cur.fetchall()]
    got = {(r["area_code"], r["ward_vintage"]): r for r in rows}
    assert len(got) == len(rows), "one row per area and ward vintage"
    return got


def test_a_ward_is_the_simple_mean_of_its_best_fit_lsoas(figures):
    # Ward A (2023): LSOAs 1 and 2: (10.0 + 15.4) / 2 = 12.7. Ward B: (20.0 + 4.6) / 2 = 12.3.
    assert figures[("E05000001", 2023)]["value"] == pytest.approx(12.7)
    assert figures[("E05000002", 2023)]["value"] == pytest.approx(12.3)
    # Every ward vintage held: ward C (2024) = (10.0 + 15.4 + 20.0) / 3 = 15.133 -> 15.1; ward D = LSOA 4 = 4.6.
    assert figures[("E05000011", 2024)]["value"] == pytest.approx(15.1)
    assert figures[("E05000012", 2024)]["value"] == pytest.approx(4.6)
    a = figures[("E05000001", 2023)]
    assert (a["area_name"], a["area_level"], a["indicator"], a["unit"], a["status"]) == (
        "Ward A", "ward", "iod_employment_deprivation", "%", "derived")
    assert a["period"] == REFERENCE_YEAR
    assert (a["lower"], a["upper"], a["rounding_base"], a["numerator"], a["denominator"]) == (None,) * 5
    assert a["source_dataset"].startswith(SOURCE + " by LSOA best fit") and "2023 wards" in a["source_dataset"]
    assert a["source_query_id"] == "q-iod"


def test_districts_and_england_are_simple_means_of_their_lsoas(figures):
    # Alpha: its four LSOAs once each, whatever the number of ward vintages: (10 + 15.4 + 20 + 4.6) / 4 = 12.5.
    alpha = figures[("E07000001", None)]
    assert (alpha["value"], alpha["area_level"], alpha["area_name"]) == (12.5, "lad", "Alpha")
    assert alpha["status"] == "derived"
    # England: every LSOA in the file, in a configured district or not: (10 + 15.4 + 20 + 4.6 + 30) / 5 = 16.0.
    england = figures[("E92000001", None)]
    assert (england["value"], england["area_level"], england["area_name"]) == (16.0, "country", "England")
    assert all(r["period"] == REFERENCE_YEAR and r["source_dataset"].startswith(SOURCE) for r in figures.values())


def test_part_of_an_area_unscored_gives_no_value_and_wales_gets_no_row(figures):
    # Ward E and Beta: one of their two LSOAs has no score, so no mean of part of the area is shown.
    assert figures[("E05000021", 2023)]["value"] is None
    assert figures[("E07000002", None)]["value"] is None
    # The Welsh ward and district: no scored LSOA at all, so no row (England only).
    assert not [k for k in figures if k[0].startswith("W")]
    assert set(figures) == {("E05000001", 2023), ("E05000002", 2023), ("E05000011", 2024), ("E05000012", 2024),
                            ("E05000021", 2023), ("E07000001", None), ("E07000002", None), ("E92000001", None)}


def test_ward_indicators_benchmark_and_rank_it_and_the_blocking_checks_pass(db):
    """Through ward_indicators as area_indicators would feed it: the district and England values sit beside
    each ward, wards rank within their district and vintage, and the blocking checks find nothing."""
    db.execute(f"""CREATE TABLE area_indicators AS SELECT *, false AS small_number,
                   'bundled copy of published statistics' AS data_label, 'IoD 2025' AS release,
                   NULL::TIMESTAMP AS retrieved_at FROM ({FIGURES_SQL})""")
    db.execute("""CREATE TABLE ward_lookup AS SELECT DISTINCT ward_code, ward_name,
                  ward_vintage::INTEGER AS ward_vintage, lad_code, lad_name, false AS is_focus FROM lsoa_ward_lookup""")
    db.execute("""CREATE TABLE districts AS SELECT * FROM (VALUES
        ('E07000001', 'Alpha', 'shire district', 'E10000001', NULL, 'E12000001', 'E92000001'),
        ('E07000002', 'Beta', 'shire district', 'E10000001', NULL, 'E12000001', 'E92000001'),
        ('W06000001', 'Gwlad', 'Welsh principal area', NULL, NULL, NULL, 'W92000004'))
        AS t(lad_code, lad_name, kind, county_code, combined_authority_code, region_code, country_code)""")
    db.execute("""ALTER TABLE districts ADD COLUMN benchmarks STRUCT(level VARCHAR, code VARCHAR, name VARCHAR)[]""")
    db.execute("""UPDATE districts SET benchmarks = [{'level': 'county', 'code': county_code, 'name': 'County'},
                  {'level': 'region', 'code': region_code, 'name': 'Region'},
                  {'level': 'country', 'code': country_code, 'name': 'England'}] WHERE country_code = 'E92000001'""")
    db.execute("UPDATE districts SET benchmarks = [{'level': 'country', 'code': 'W92000004', 'name': 'Wales'}] "
               "WHERE benchmarks IS NULL")
    db.execute(load_sql(ward_indicators_module.__file__, "ward_indicators"))
    got = {(r[0], r[1]): r[2:] for r in db.execute(
        "SELECT ward_code, ward_vintage, value, lad_value, country_value, county_value, change_12m, rank_in_lad, "
        "n_wards_in_lad FROM ward_indicators WHERE indicator = 'iod_employment_deprivation'").fetchall()}
    # Alpha's 2023 wards: A 12.7 ranks above B 12.3 (1 = most deprived); its 2024 wards rank apart: C 15.1, D 4.6.
    assert got[("E05000001", 2023)] == (12.7, 12.5, 16.0, None, None, 1, 2)
    assert got[("E05000002", 2023)] == (12.3, 12.5, 16.0, None, None, 2, 2)
    assert got[("E05000011", 2024)][5:] == (1, 2) and got[("E05000012", 2024)][5:] == (2, 2)
    assert got[("E05000021", 2023)] == (None, None, 16.0, None, None, None, 0)
    assert not [k for k in got if k[0].startswith("W")]
    for name in ("MISSING_BENCHMARKS_SQL", "BAD_RATES_SQL", "RANGES_CONTAIN_VALUES_SQL", "DUPLICATE_KEYS_SQL"):
        assert db.execute(getattr(checks, name)).fetchall() == [], name


def test_the_indicator_is_wired_in():
    assert "deprivation" in area_indicators.FIGURE_SOURCES
    entry = {r["indicator"]: r for r in catalogue_rows()}["iod_employment_deprivation"]
    assert (entry["unit"], entry["status"], entry["lowest_level"]) == ("%", "derived", "ward")
    assert (entry["frequency"], entry["reference_months"], entry["release_lag_days"]) == ("decennial", 12, 1034)
    assert "England only" in entry["caveats"] and "not an official ward statistic" in entry["caveats"]
    from lmi_pipeline.definitions import defs
    d = defs()
    specs = {s.key.to_user_string(): s for s in d.resolve_all_asset_specs()}
    assert specs["iod_employment"].group_name == "geography"
    for downstream in ("area_indicators", "provenance"):
        assert dg.AssetKey("iod_employment") in {dep.asset_key for dep in specs[downstream].deps}, downstream


@pytest.fixture(scope="module")
def loaded(tmp_path_factory) -> str:
    path = str(tmp_path_factory.mktemp("iod") / "w.duckdb")
    result = iod_employment(warehouse=WarehouseResource(database=path))
    assert result.metadata["dagster/row_count"] == 33755
    return path


def test_the_asset_loads_every_english_lsoa_of_the_bundled_file(loaded):
    with duckdb.connect(loaded, read_only=True) as conn:
        n, distinct, english, vintages = conn.execute(
            "SELECT count(*), count(DISTINCT lsoa_code), count(*) FILTER (WHERE lsoa_code LIKE 'E01%'), "
            "string_agg(DISTINCT vintage, ',') FROM iod_employment").fetchone()
        # Hastings 005C: MHCLG's Employment score 0.237 (23.7 %), rank 4386 of 33,755, decile 2.
        spot = conn.execute("SELECT employment_score, employment_rank, employment_decile, source_query_id "
                            "FROM iod_employment WHERE lsoa_code = 'E01020977'").fetchone()
        # Rank 1, the most deprived LSOA on this domain: E01001762 at 0.978 (97.8 %).
        top = conn.execute("SELECT lsoa_code, employment_score FROM iod_employment "
                           "WHERE employment_rank = 1").fetchall()
    assert (n, distinct, english, vintages) == (33755, 33755, 33755, IOD_VINTAGE)
    assert spot == (23.7, 4386, 2, QUERY_ID)
    assert top == [("E01001762", 97.8)]


def test_its_provenance_says_real_bundled_data_not_live_nor_synthetic(loaded):
    digest = hashlib.sha256(IOD_FILE.read_bytes()).hexdigest()
    with duckdb.connect(loaded) as conn:
        conn.execute("CREATE TEMP VIEW resolved_periods AS SELECT NULL::VARCHAR AS query_id, "
                     "NULL::VARCHAR AS latest_period WHERE false")
        conn.execute("CREATE TEMP VIEW revisions AS SELECT NULL::VARCHAR AS query_id, "
                     "NULL::VARCHAR AS period WHERE false")
        conn.execute(load_sql(provenance_module.__file__, "provenance"), {"source_mode": "demo"})
        rows = conn.execute("SELECT query_id, source_asset, data_label, rows, sha256, release "
                            "FROM provenance").fetchall()
    # provenance hashes the concatenated page hashes; one page: sha256 of the file's sha256.
    assert rows == [(QUERY_ID, "iod_employment", "bundled copy of published statistics", 33755,
                     hashlib.sha256(digest.encode()).hexdigest(), "IoD 2025 (MHCLG, published 30 October 2025)")]


def test_the_bundled_file_matches_its_readme():
    digest = hashlib.sha256(IOD_FILE.read_bytes()).hexdigest()
    text = README.read_text(encoding="utf-8")
    section = text[text.index("**Employment deprivation (IoD 2025).**"):text.index("**Licence.**")]
    assert re.search(r"sha256 of the file: `([0-9a-f]{64})`", section).group(1) == digest
    assert "rows: 33,755" in section and "Open Government Licence v3.0" in section and "MHCLG" in section
