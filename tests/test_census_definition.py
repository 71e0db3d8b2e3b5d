"""The Census 2021 unemployment rate follows the ONS definition: economically active full-time students count
as active, and as unemployed where they are (the ONS "Census 2021 dictionary" sums the student and non-student
groups to count all the unemployed). The students-excluded rates stay as their own indicators.

Two layers, each on a small hand-made DuckDB file whose answers are worked by hand below:
- the warehouse (`census_economic_activity`) from raw Nomis rows: the real Kirklees TS066 body in
  tests/fixtures/nomis (its categories as the pipeline would ask for them) and RM024 rows with Nomis's labels;
- the figures (`figures_census.sql`) from a hand-made `census_economic_activity`.
"""

import csv
from datetime import date
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from lmi_pipeline.database.sql import load_sql
from lmi_pipeline.database.storage import WarehouseResource
from lmi_pipeline.defs.indicators import area_indicators
from lmi_pipeline.defs.sources.census import RM024_SELECT, RM024_STATUS, TS066_SELECT, TS066_STATUS
from lmi_pipeline.defs.warehouse.census import census_economic_activity
from lmi_pipeline.sources.codes import resolve_codes
from lmi_pipeline.sources.nomis_loading import raw_columns

FIXTURES = Path(__file__).parent / "fixtures" / "nomis"
KIRKLEES_TS066 = FIXTURES / "nomis_kirklees__NM_2083_1_TS066_economic_activity_E08000034_2021.csv"
KIRKLEES = "E08000034"
CENSUS_DAY = date(2021, 3, 1)

# RM024's C2021_EASTAT_7 labels as Nomis writes them (no space after the colon).
RM024_LABELS = {
    "0": "Total",
    "1": "Economically active (excluding full-time students):In employment",
    "2": "Economically active (excluding full-time students):Unemployed",
    "3": "Economically active and a full-time student:In employment",
    "4": "Economically active and a full-time student:Unemployed",
    "5": "Economically inactive (excluding full-time students)",
    "6": "Economically inactive and a full-time student",
}


def _kirklees_rows() -> list[dict]:
    with KIRKLEES_TS066.open(newline="", encoding="utf-8") as f:
        return [r for r in csv.DictReader(f) if r["MEASURES"] == "20100"]  # the pipeline asks for counts only


def _table(conn: duckdb.DuckDBPyConnection, name: str, columns: list[str], rows: list[dict]) -> None:
    conn.execute(f"CREATE TABLE {name} ({', '.join(f'{c} VARCHAR' for c in columns)})")
    conn.executemany(f"INSERT INTO {name} VALUES ({', '.join('?' for _ in columns)})",
                     [[r.get(c) for c in columns] for r in rows])


def test_student_groups_are_found_by_label_in_the_real_ts066_body():
    codelist = {r["C2021_EASTAT_20"]: r["C2021_EASTAT_20_NAME"] for r in _kirklees_rows()}
    codes = resolve_codes(codelist, TS066_STATUS, "TS066")
    assert (codes["active_excl_students"], codes["unemployed_excl_students"]) == ("1001", "7")
    assert (codes["active_students"], codes["unemployed_students"]) == ("1006", "14")
    rm = resolve_codes(RM024_LABELS, RM024_STATUS, "RM024")
    assert (rm["employed_excl_students"], rm["unemployed_excl_students"]) == ("1", "2")
    assert (rm["employed_students"], rm["unemployed_students"], rm["inactive_excl_students"]) == ("3", "4", "5")


@pytest.fixture
def warehouse_db(tmp_path):
    """Raw tables as the source assets leave them, then the warehouse asset itself.

    TS066: Kirklees (a district) as Nomis served it, only the categories the pipeline asks for.
    RM024, aged 16-24: Kirklees as published, and two 2021 LSOAs that the ONS lookup puts in one 2022 ward:
      LSOA 1: employed 60, unemployed 9, students employed 20, students unemployed 5, inactive 16, total 150
      LSOA 2: employed 50, unemployed 6, students employed 15, students unemployed 3, inactive 14, total 130
    """
    path = tmp_path / "w.duckdb"
    codelist = {r["C2021_EASTAT_20"]: r["C2021_EASTAT_20_NAME"] for r in _kirklees_rows()}
    asked = set(resolve_codes(codelist, TS066_STATUS, "TS066").values())
    ts066 = [{**r, "query_id": "q-ts066"} for r in _kirklees_rows() if r["C2021_EASTAT_20"] in asked]
    rm024 = []
    for code, name, gtype, cells in (
            (KIRKLEES, "Kirklees", "2022 local authorities: districts", [9000, 4000, 500, 1500, 300, 900]),
            ("E01000001", "LSOA 1", "2021 super output areas - lower layer", [150, 60, 9, 20, 5, 16]),
            ("E01000002", "LSOA 2", "2021 super output areas - lower layer", [130, 50, 6, 15, 3, 14])):
        for status, value in zip(("0", "1", "2", "3", "4", "5"), cells):
            rm024.append({"DATE": "2021", "GEOGRAPHY": code, "GEOGRAPHY_CODE": code, "GEOGRAPHY_NAME": name,
                          "GEOGRAPHY_TYPE": gtype, "C2021_AGE_7": "2", "C2021_AGE_7_NAME": "Aged 16 to 24 years",
                          "C_SEX_NAME": "All persons", "C2021_EASTAT_7": status,
                          "C2021_EASTAT_7_NAME": RM024_LABELS[status], "OBS_VALUE": str(value), "OBS_STATUS": "A",
                          "query_id": "q-rm024"})
    lookup = [{"lsoa_code": f"E0100000{i}", "lsoa_name": f"LSOA {i}", "ward_code": "E05000001",
               "ward_name": "Ward One", "ward_vintage": "2022", "source_query_id": "q-lookup"} for i in (1, 2)]
    with duckdb.connect(str(path)) as conn:
        _table(conn, "raw_census_economic_activity", raw_columns(TS066_SELECT), ts066)
        _table(conn, "raw_census_age_activity", raw_columns(RM024_SELECT), rm024)
        _table(conn, "lsoa_ward_lookup", list(lookup[0]), lookup)
        conn.execute("ALTER TABLE lsoa_ward_lookup ALTER ward_vintage TYPE INTEGER")
    census_economic_activity(context=dg.build_asset_context(), warehouse=WarehouseResource(database=str(path)))
    return path


def test_warehouse_keeps_the_student_groups(warehouse_db):
    with duckdb.connect(str(warehouse_db), read_only=True) as conn:
        kirklees = dict(conn.execute("""SELECT status, value FROM census_economic_activity
            WHERE area_code = ? AND age_band = '16+'""", [KIRKLEES]).fetchall())
        ward = dict(conn.execute("""SELECT status, value FROM census_economic_activity
            WHERE area_code = 'E05000001' AND age_band = '16-24'""").fetchall())
    # Kirklees as served: 1001 = 194117, 7 = 9786, 1006 = 8073, 14 = 2320.
    assert (kirklees["active_excl_students"], kirklees["unemployed_excl_students"]) == (194117, 9786)
    assert (kirklees["active_students"], kirklees["unemployed_students"]) == (8073, 2320)
    # The ward's LSOAs summed: employed 60+50 = 110, unemployed 9+6 = 15, students 20+15 = 35 and 5+3 = 8.
    assert ward == {"all_residents": 280, "employed_excl_students": 110, "unemployed_excl_students": 15,
                    "employed_students": 35, "unemployed_students": 8, "inactive_excl_students": 30}


def _figures(conn: duckdb.DuckDBPyConnection) -> dict[tuple[str, str], tuple]:
    sql = load_sql(area_indicators.__file__, "figures_census")
    rows = conn.execute(f"SELECT area_code, indicator, value, numerator, denominator, status, source_dataset "
                        f"FROM ({sql})").fetchall()
    return {(r[0], r[1]): r[2:] for r in rows}


def test_real_kirklees_rates_through_the_warehouse(warehouse_db):
    with duckdb.connect(str(warehouse_db), read_only=True) as conn:
        got = _figures(conn)
    # ONS definition: (9786 + 2320) / (194117 + 8073) = 12106 / 202190 = 5.987% -> 6.0.
    assert got[(KIRKLEES, "census_unemployment_rate")] == (6.0, 12106, 202190, "computed", "NM_2083_1")
    # Excluding students: 9786 / 194117 = 5.041% -> 5.0.
    assert got[(KIRKLEES, "census_unemployment_rate_excl_students")][:4] == (5.0, 9786, 194117, "computed")
    # 16-24, Kirklees published: (500 + 300) / (4000 + 500 + 1500 + 300) = 800 / 6300 = 12.70% -> 12.7.
    assert got[(KIRKLEES, "census_unemployment_rate_16_24")][:4] == (12.7, 800, 6300, "computed")
    # The ward from LSOAs: (15 + 8) / (110 + 15 + 35 + 8) = 23 / 168 = 13.69% -> 13.7; derived.
    ward = got[("E05000001", "census_unemployment_rate_16_24")]
    assert ward[:4] == (13.7, 23, 168, "derived") and "LSOA21 best fit" in ward[4]


CEA_COLUMNS = {"area_code": "VARCHAR", "area_name": "VARCHAR", "area_level": "VARCHAR", "ward_vintage": "INTEGER",
               "period": "DATE", "age_band": "VARCHAR", "status": "VARCHAR", "status_label": "VARCHAR",
               "value": "DOUBLE", "obs_status": "VARCHAR", "is_suppressed": "BOOLEAN", "geography_method": "VARCHAR",
               "lsoas": "BIGINT", "source_dataset": "VARCHAR", "source_query_id": "VARCHAR",
               "lookup_query_id": "VARCHAR"}
TS066_CELLS = ("all_residents", "active_excl_students", "unemployed_excl_students", "active_students",
               "unemployed_students", "inactive_retired")
RM024_CELLS = ("all_residents", "employed_excl_students", "unemployed_excl_students", "employed_students",
               "unemployed_students", "inactive_excl_students")
# area, level, 16+ cells (TS066_CELLS order), 16-24 cells (RM024_CELLS order), 16-24 method; None = suppressed.
AREAS = [
    ("E05000001", "ward", (1000, 600, 30, 40, 12, 200), (280, 110, 15, 35, 8, 30), "lsoa_best_fit"),
    ("E05000002", "ward", None, (200, 90, 10, 20, 5, 25), "published"),
    ("E07000001", "lad", (5000, 3000, 150, 200, 45, 900), (2000, 800, 100, 300, 50, 200), "published"),
    ("E10000001", "county", (9000, 5000, 250, None, 40, 1800), (4000, None, 100, 300, 50, 400), "published"),
]


@pytest.fixture
def figures(tmp_path):
    rows = []
    for code, level, adults, youth, method in AREAS:
        vintage = 2022 if level == "ward" else None
        for band, cells, names, dataset, how in (("16+", adults, TS066_CELLS, "NM_2083_1", "published"),
                                                 ("16-24", youth, RM024_CELLS, "NM_2124_1", method)):
            for status, value in zip(names, cells or ()):
                rows.append((code, code, level, vintage, CENSUS_DAY, band, status, status, value,
                             "A" if value is not None else "!", value is None, how,
                             2 if how == "lsoa_best_fit" else None, dataset, "q-" + dataset, None))
    with duckdb.connect(str(tmp_path / "f.duckdb")) as conn:
        conn.execute(f"CREATE TABLE census_economic_activity "
                     f"({', '.join(f'{c} {t}' for c, t in CEA_COLUMNS.items())})")
        conn.executemany(f"INSERT INTO census_economic_activity VALUES ({', '.join('?' * len(CEA_COLUMNS))})",
                         rows)
        yield _figures(conn)


def test_headline_rate_counts_students_as_ons_does(figures):
    # Ward: (30 + 12) / (600 + 40) = 42 / 640 = 6.5625% -> 6.6 (7 / 1001 alone would be 30 / 600 = 5.0).
    assert figures[("E05000001", "census_unemployment_rate")][:4] == (6.6, 42, 640, "computed")
    # District: (150 + 45) / (3000 + 200) = 195 / 3200 = 6.09375% -> 6.1.
    assert figures[("E07000001", "census_unemployment_rate")][:4] == (6.1, 195, 3200, "computed")


def test_excl_students_rates_are_kept_apart(figures):
    # 7 / 1001: ward 30 / 600 = 5.0; district 150 / 3000 = 5.0; county 250 / 5000 = 5.0.
    for code, unemployed, active in (("E05000001", 30, 600), ("E07000001", 150, 3000), ("E10000001", 250, 5000)):
        assert figures[(code, "census_unemployment_rate_excl_students")][:4] == (5.0, unemployed, active, "computed")
    # 16-24 excluding students, unemployed / (employed + unemployed): ward 15 / 125 = 12.0;
    # published ward 10 / 100 = 10.0; district 100 / 900 = 11.11% -> 11.1.
    assert figures[("E05000001", "census_unemployment_rate_16_24_excl_students")][:4] == (12.0, 15, 125, "derived")
    assert figures[("E05000002", "census_unemployment_rate_16_24_excl_students")][:4] == (10.0, 10, 100, "computed")
    assert figures[("E07000001", "census_unemployment_rate_16_24_excl_students")][:4] == (11.1, 100, 900, "computed")


def test_youth_rate_counts_students_and_says_its_footprint(figures):
    # Best-fit ward: (15 + 8) / (110 + 15 + 35 + 8) = 23 / 168 = 13.69% -> 13.7, derived, built from LSOAs.
    ward = figures[("E05000001", "census_unemployment_rate_16_24")]
    assert ward[:4] == (13.7, 23, 168, "derived") and "LSOA21 best fit" in ward[4]
    # Published ward: (10 + 5) / (90 + 10 + 20 + 5) = 15 / 125 = 12.0, computed, ONS's output-area footprint.
    published = figures[("E05000002", "census_unemployment_rate_16_24")]
    assert published[:4] == (12.0, 15, 125, "computed") and "output areas" in published[4]
    # District: (100 + 50) / (800 + 100 + 300 + 50) = 150 / 1250 = 12.0.
    assert figures[("E07000001", "census_unemployment_rate_16_24")][:4] == (12.0, 150, 1250, "computed")
    # The 16+ ward figure names its own footprint: ONS's ward aggregation of output areas.
    assert "output areas" in figures[("E05000001", "census_unemployment_rate")][4]


def test_inactivity_shares_are_computed_and_the_neet_proxy_stays_a_proxy(figures):
    # Retired: ward 200 / 1000 = 20.0; district 900 / 5000 = 18.0.
    assert figures[("E05000001", "census_inactive_retired")][:4] == (20.0, 200, 1000, "computed")
    assert figures[("E07000001", "census_inactive_retired")][:4] == (18.0, 900, 5000, "computed")
    # NEET proxy, ward: (15 + 30) / 280 = 16.07% -> 16.1.
    assert figures[("E05000001", "census_neet_proxy_16_24")][:4] == (16.1, 45, 280, "proxy")


def test_a_suppressed_input_gives_a_suppressed_rate_never_100(figures):
    # County 16-24: employed (excluding students) suppressed. Filling it with 0 would give 100 / (0 + 100) = 100%.
    for indicator in ("census_unemployment_rate_16_24", "census_unemployment_rate_16_24_excl_students"):
        assert figures[("E10000001", indicator)][0] is None, indicator
    # County 16+: active students suppressed, so the ONS rate cannot be formed; the excl-students one can
    # (250 / 5000 = 5.0, checked above), and is not passed off as the headline.
    assert figures[("E10000001", "census_unemployment_rate")][0] is None
