"""Ranges that contain their values, the change on a year with its rounding range, and the gap matrix across a
boundary switch: each on a hand-made DuckDB file holding only the columns the SQL reads, answers worked by hand.
"""

from datetime import date
from pathlib import Path

import duckdb
import pytest

from lmi_pipeline.database.sql import load_sql
from lmi_pipeline.database.storage import WarehouseResource
from lmi_pipeline.defs import checks
from lmi_pipeline.defs.analyses.lmi_gaps import build_lmi_gaps
from lmi_pipeline.defs.indicators import area_indicators as area_indicators_module
from lmi_pipeline.defs.indicators import ward_indicators as ward_indicators_module
from tests.gap_tables import AREA_COLUMNS as GAP_AREA_COLUMNS
from tests.gap_tables import CATALOGUE_COLUMNS, LOOKUP_COLUMNS, gap_row, make_table

OCT = date(2026, 10, 1)
OCT_BEFORE = date(2025, 10, 1)
AS_OF = date(2026, 11, 23)


# --- claimant rate ranges -------------------------------------------------------------------------------------

CLAIMANT_COLUMNS = {"area_code": "VARCHAR", "area_name": "VARCHAR", "area_level": "VARCHAR", "ward_vintage": "INTEGER",
                    "period": "DATE", "age_band": "VARCHAR", "measure": "VARCHAR", "value": "DOUBLE",
                    "rounding_base": "INTEGER", "obs_status": "VARCHAR", "source_dataset": "VARCHAR",
                    "source_query_id": "VARCHAR"}
POPULATION_COLUMNS = {"area_code": "VARCHAR", "area_level": "VARCHAR", "ward_vintage": "INTEGER", "age_band": "VARCHAR",
                      "year": "INTEGER", "value": "DOUBLE", "source_query_id": "VARCHAR"}


def _cc(code, age_band, measure, value):
    return (code, "Ward " + code[-1], "ward", 2024, OCT, age_band, measure, value, 5 if measure == "count" else None,
            "A", "NM_162_1", "q-cc")


# The mid-year estimates are for 2025 only, so October 2026 uses 2025 (the latest).
CLAIMANTS = [
    # W1: 65 claimants over 5,200 residents 16-64 = 1.25%, published by Nomis as 1.2.
    _cc("E05000001", "16+", "count", 65), _cc("E05000001", "16+", "rate", 1.2),
    # W2: 100 claimants; ours 2,000 residents (5.0%), but Nomis divided by its own estimate and published 4.4.
    _cc("E05000002", "16+", "count", 100), _cc("E05000002", "16+", "rate", 4.4),
    # W3: no claimants, 0.0%.
    _cc("E05000003", "16+", "count", 0), _cc("E05000003", "16+", "rate", 0.0),
    # W4: 1,000 claimants aged 16-24 over 30,770 residents 16-24 = 3.2499...%, which rounds to 3.2 here.
    _cc("E05000004", "16-24", "count", 1000),
    # W5: a suppressed count; W6: a rate with no denominator held.
    _cc("E05000005", "16+", "count", None), _cc("E05000005", "16+", "rate", None),
    _cc("E05000006", "16+", "count", 50), _cc("E05000006", "16+", "rate", 2.0),
]
POPULATION = [("E05000001", "ward", 2024, "16-64", 2025, 5200, "q-pop"),
              ("E05000002", "ward", 2024, "16-64", 2025, 2000, "q-pop"),
              ("E05000003", "ward", 2024, "16-64", 2025, 1000, "q-pop"),
              ("E05000004", "ward", 2024, "16-24", 2025, 30770, "q-pop"),
              ("E05000005", "ward", 2024, "16-64", 2025, 3000, "q-pop")]


@pytest.fixture
def claimant_figures(tmp_path):
    conn = duckdb.connect(str(tmp_path / "cc.duckdb"))
    make_table(conn, "claimant_count", CLAIMANT_COLUMNS, CLAIMANTS)
    make_table(conn, "population", POPULATION_COLUMNS, POPULATION)
    conn.execute("CREATE TABLE area_indicators AS "
                 + load_sql(area_indicators_module.__file__, "figures_claimant_count"))
    yield conn
    conn.close()


def _range(conn, code, indicator):
    return conn.execute("SELECT value, lower, upper FROM area_indicators WHERE area_code = ? AND indicator = ?",
                        [code, indicator]).fetchone()


def test_official_rate_range_contains_the_published_value(claimant_figures):
    value, lower, upper = _range(claimant_figures, "E05000001", "claimant_rate")
    # The count's range alone, 63/5,200 = 1.2115% to 67/5,200 = 1.2885%, misses the published 1.2.
    # Widened by the 0.05 of the 1 dp rounding: lower = least(1.2115 - 0.05, 1.2 - 0.05) = 1.15,
    # upper = greatest(1.2885 + 0.05, 1.2 + 0.05) = 1.3385.
    assert value == 1.2
    assert lower == pytest.approx(1.15) and upper == pytest.approx(67 / 5200 * 100 + 0.05)
    assert lower <= value <= upper


def test_official_rate_on_another_denominator_is_still_contained(claimant_figures):
    value, lower, upper = _range(claimant_figures, "E05000002", "claimant_rate")
    # Ours: 98/2,000 = 4.9% to 102/2,000 = 5.1%, nowhere near Nomis's 4.4. lower = least(4.9 - 0.05, 4.4 - 0.05)
    # = 4.35; upper = greatest(5.1 + 0.05, 4.4 + 0.05) = 5.15: the range spans both readings.
    assert (value, lower, upper) == (4.4, pytest.approx(4.35), pytest.approx(5.15))


def test_zero_rate_range_starts_at_zero(claimant_figures):
    # greatest(least(0 - 0.05, 0.0 - 0.05), 0) = 0; upper = greatest(2/1,000 = 0.2% + 0.05, 0.05) = 0.25.
    assert _range(claimant_figures, "E05000003", "claimant_rate") == (0.0, 0.0, pytest.approx(0.25))


def test_derived_youth_rate_range_contains_its_rounded_value(claimant_figures):
    value, lower, upper = _range(claimant_figures, "E05000004", "claimant_rate_16_24")
    # 1,000/30,770 = 3.2499% -> 3.2; the count's range 998/30,770 = 3.2434% to 1,002/30,770 = 3.2564% misses it.
    # Widened by 0.05: 3.1934 to 3.3064.
    assert value == 3.2
    assert lower == pytest.approx(99800 / 30770 - 0.05) and upper == pytest.approx(100200 / 30770 + 0.05)
    assert lower <= value <= upper


def test_no_half_ranges_for_suppressed_counts_or_missing_denominators(claimant_figures):
    assert _range(claimant_figures, "E05000005", "claimant_count") == (None, None, None)
    assert _range(claimant_figures, "E05000005", "claimant_rate") == (None, None, None)
    assert _range(claimant_figures, "E05000006", "claimant_rate") == (2.0, None, None)


def test_range_check_passes_these_figures_and_fails_a_value_outside(claimant_figures, tmp_path):
    claimant_figures.execute("CHECKPOINT")
    claimant_figures.close()
    warehouse = WarehouseResource(database=str(tmp_path / "cc.duckdb"))
    assert checks.ranges_contain_values(warehouse=warehouse).passed
    with duckdb.connect(str(tmp_path / "cc.duckdb")) as conn:
        # The old range of W1's rate: 1.2 lies below 63/5,200 = 1.2115.
        conn.execute("UPDATE area_indicators SET lower = 6300 / 5200, upper = 6700 / 5200 "
                     "WHERE area_code = 'E05000001' AND indicator = 'claimant_rate'")
        conn.execute("UPDATE area_indicators SET upper = NULL WHERE area_code = 'E05000003' AND indicator = 'claimant_count'")
    result = checks.ranges_contain_values(warehouse=warehouse)
    assert not result.passed and result.metadata["failing_rows"].value == 2


# --- change on a year, with its range -------------------------------------------------------------------------

AREA_COLUMNS = {"area_code": "VARCHAR", "area_name": "VARCHAR", "area_level": "VARCHAR", "ward_vintage": "INTEGER",
                "period": "DATE", "indicator": "VARCHAR", "value": "DOUBLE", "numerator": "DOUBLE",
                "denominator": "DOUBLE", "unit": "VARCHAR", "lower": "DOUBLE", "upper": "DOUBLE", "status": "VARCHAR",
                "rounding_base": "INTEGER", "obs_status": "VARCHAR", "source_dataset": "VARCHAR",
                "source_query_id": "VARCHAR", "denominator_query_id": "VARCHAR", "denominator_year": "INTEGER",
                "small_number": "BOOLEAN", "data_label": "VARCHAR", "release": "VARCHAR", "retrieved_at": "TIMESTAMP"}


def _fig(code, indicator, period, value, lower, upper, level="ward", vintage=2024):
    unit = "%" if "rate" in indicator else "claimants"
    return (code, code, level, vintage if level == "ward" else None, period, indicator, value, None, None, unit, lower,
            upper, "official", None, None, "SRC", "q", None, None, False, "synthetic demo data", "r", None)


CHANGES = [
    # W1's count: 10 (8 to 12) against 5 (3 to 7): change 5, from 8 - 7 = 1 to 12 - 3 = 9; a rise beyond rounding.
    _fig("E05000001", "claimant_count", OCT, 10, 8, 12), _fig("E05000001", "claimant_count", OCT_BEFORE, 5, 3, 7),
    # W2's count: 10 against 10: change 0, from 8 - 12 = -4 to 12 - 8 = 4; within rounding.
    _fig("E05000002", "claimant_count", OCT, 10, 8, 12), _fig("E05000002", "claimant_count", OCT_BEFORE, 10, 8, 12),
    # W1's rate: 2.0 (1.9 to 2.1) against 1.8 (1.7 to 1.9): change 0.2, from 1.9 - 1.9 = 0 to 2.1 - 1.7 = 0.4;
    # a range ending at 0 still allows no change, so within rounding.
    _fig("E05000001", "claimant_rate", OCT, 2.0, 1.9, 2.1), _fig("E05000001", "claimant_rate", OCT_BEFORE, 1.8, 1.7, 1.9),
    # W2's rate: 2.0 (1.9 to 2.2) against 2.1 with no range: change -0.1, no range.
    _fig("E05000002", "claimant_rate", OCT, 2.0, 1.9, 2.2), _fig("E05000002", "claimant_rate", OCT_BEFORE, 2.1, None, None),
    # A single Census snapshot: no change at all.
    _fig("E05000001", "census_rate", date(2021, 3, 1), 4.0, None, None),
]


@pytest.fixture
def changes(tmp_path):
    conn = duckdb.connect(str(tmp_path / "wi.duckdb"))
    make_table(conn, "area_indicators", AREA_COLUMNS, CHANGES)
    make_table(conn, "ward_lookup", {"ward_code": "VARCHAR", "ward_name": "VARCHAR", "ward_vintage": "INTEGER",
                                     "lad_code": "VARCHAR", "lad_name": "VARCHAR", "is_focus": "BOOLEAN"},
               [("E05000001", "W1", 2024, "E07000001", "Alpha", True), ("E05000002", "W2", 2024, "E07000001", "Alpha", False)])
    make_table(conn, "districts", {"lad_code": "VARCHAR", "kind": "VARCHAR", "county_code": "VARCHAR",
                                   "combined_authority_code": "VARCHAR", "region_code": "VARCHAR", "country_code": "VARCHAR"},
               [("E07000001", "shire district", "E10000001", None, "E12000001", "E92000001")])
    ward_indicators_module.build_ward_indicators(conn)
    yield conn
    conn.close()


@pytest.mark.parametrize("ward,indicator,expected", [
    ("E05000001", "claimant_count", (5, 1, 9, False)),
    ("E05000002", "claimant_count", (0, -4, 4, True)),
    ("E05000001", "claimant_rate", (0.2, 0.0, 0.4, True)),
    ("E05000002", "claimant_rate", (-0.1, None, None, None)),
    ("E05000001", "census_rate", (None, None, None, None)),
])
def test_change_12m_range_and_within_rounding(changes, ward, indicator, expected):
    row = changes.execute("""SELECT change_12m, change_12m_lower, change_12m_upper, change_12m_within_rounding
        FROM ward_indicators WHERE ward_code = ? AND indicator = ? ORDER BY period DESC LIMIT 1""",
                          [ward, indicator]).fetchone()
    assert row == tuple(pytest.approx(v) if isinstance(v, float) else v for v in expected)


# --- the gap matrix across a boundary switch ------------------------------------------------------------------

KENT = ("E10000016", "Kent", "E12000008", "South East", "E92000001", "England")
# Maidstone-like: focus ward Wood on 2022 boundaries became Wood & Mangrove in 2024 (the best fit); Castle kept
# its code. A second district, Other, has a focus ward also named Wood that was never redrawn.
GAP_WARDS = [
    ("E05000101", "Wood", 2022, "E07000110", "Maid", *KENT, True, "Wood"),
    ("E05000201", "Wood & Mangrove", 2024, "E07000110", "Maid", *KENT, True, "Wood"),
    ("E05000102", "Castle", 2022, "E07000110", "Maid", *KENT, True, "Castle"),
    ("E05000102", "Castle", 2024, "E07000110", "Maid", *KENT, True, "Castle"),
    ("E05000301", "Wood", 2024, "E07000111", "Other", *KENT, True, "Wood"),
]
GAP_CATALOGUE = [("monthly", "Claimant rate", "%", "official", "NM_162_1", "monthly", None, 16, "ward", "ward", "", "fresh", None),
                 ("census", "Census rate", "%", "official", "NM_2083_1", "decennial", 1, 650, "ward", "ward", "", "fresh", None)]


def _gap_fig(code, level, indicator, period, value, vintage=None):
    return (code, level, vintage, indicator, period, value, None, None, "%", "official", False, None, "q-" + indicator,
            "r1", None, "synthetic demo data")


GAP_FIGURES = [
    # Claimants on each ward's own boundaries (Wood until 2023, Wood & Mangrove from 2024).
    _gap_fig("E05000101", "ward", "monthly", date(2024, 4, 1), 3.0, 2022),
    _gap_fig("E05000201", "ward", "monthly", OCT, 3.5, 2024),
    _gap_fig("E05000102", "ward", "monthly", OCT, 2.5, 2024),
    _gap_fig("E05000301", "ward", "monthly", OCT, 1.5, 2024),
    # The Census on 2022 wards only, and for the districts.
    _gap_fig("E05000101", "ward", "census", date(2021, 3, 1), 6.0, 2022),
    _gap_fig("E05000102", "ward", "census", date(2021, 3, 1), 4.0, 2022),
    _gap_fig("E07000110", "lad", "monthly", OCT, 2.9), _gap_fig("E07000110", "lad", "census", date(2021, 3, 1), 5.0),
    _gap_fig("E07000111", "lad", "monthly", OCT, 2.0), _gap_fig("E07000111", "lad", "census", date(2021, 3, 1), 3.0),
]


@pytest.fixture
def switched(tmp_path: Path):
    conn = duckdb.connect(str(tmp_path / "gaps.duckdb"))
    make_table(conn, "ward_lookup", LOOKUP_COLUMNS, GAP_WARDS)
    make_table(conn, "indicator_catalogue", CATALOGUE_COLUMNS, GAP_CATALOGUE)
    make_table(conn, "area_indicators", GAP_AREA_COLUMNS, GAP_FIGURES)
    build_lmi_gaps(conn, AS_OF)
    yield conn
    conn.close()


def test_census_for_a_redrawn_focus_ward_is_held_on_its_other_boundaries(switched):
    row = gap_row(switched, "E05000201", "census")
    assert (row["coverage"], row["available_level"]) == ("ward_other_boundaries", "ward, 2022 boundaries")
    assert (row["available_area_code"], row["available_area_name"], row["ward_vintage"]) == ("E05000101", "Wood", 2022)
    assert row["latest_value"] == 6.0  # Wood's own Census figure, not Maid's 5.0
    assert "held for this focus ward on its 2022 boundaries (Wood)" in row["limits"]


@pytest.mark.parametrize("place,indicator,coverage,level,area", [
    ("E05000201", "monthly", "available", "ward", "E05000201"),  # its own claimants come first
    ("E05000101", "monthly", "available", "ward", "E05000101"),
    ("E05000101", "census", "available", "ward", "E05000101"),
    ("E05000102", "census", "available", "ward", "E05000102"),  # same code on both boundaries: its own
    ("E05000301", "census", "lad_only", "lad", "E07000111"),  # a Wood in another district is another place
    ("E07000110", "census", "available", "lad", "E07000110"),
])
def test_other_statuses_around_the_switch(switched, place, indicator, coverage, level, area):
    row = gap_row(switched, place, indicator)
    assert (row["coverage"], row["available_level"], row["available_area_code"]) == (coverage, level, area)


def test_gaps_to_fill_lists_other_boundaries_as_a_minorgap_row(switched):
    rows = switched.execute("SELECT indicator, gap, place_level, places, severity, detail FROM lmi_gaps_to_fill "
                            "WHERE indicator = 'census'").fetchall()
    got = {(i, g, lvl): (p, s, d) for i, g, lvl, p, s, d in rows}
    places, severity, detail = got[("census", "only on other ward boundaries", "ward")]
    assert places == "Wood & Mangrove" and severity == 3
    assert detail == ("held for this focus ward on other boundaries (Wood, ward, 2022 boundaries), "
                      "not on the boundaries this ward uses")
    assert got[("census", "only at district level", "ward")][0] == "Wood"  # only the other district's Wood



def test_ward_indicators_are_the_same_built_in_one_batch_or_one_indicator_at_a_time(changes):
    """Batches of indicators (ward_indicators.BATCH_ROWS, so a national build fits in memory) change no row:
    every change, benchmark and rank is within one indicator."""
    columns = "ward_code, ward_vintage, indicator, period, value, change_12m, change_12m_lower, change_12m_upper, " \
              "change_12m_within_rounding, rank_in_lad, n_wards_in_lad, lad_value, county_value"
    assert ward_indicators_module.indicator_batches(changes) == [["census_rate", "claimant_count", "claimant_rate"]]
    whole = changes.execute(f"SELECT {columns} FROM ward_indicators ORDER BY ALL").fetchall()
    assert ward_indicators_module.indicator_batches(changes, batch_rows=1) == [
        ["census_rate"], ["claimant_count"], ["claimant_rate"]]
    ward_indicators_module.build_ward_indicators(changes, batch_rows=1)
    assert changes.execute(f"SELECT {columns} FROM ward_indicators ORDER BY ALL").fetchall() == whole
    assert len(whole) == 9 and {r[5] for r in whole if r[2] == "claimant_count" and r[3] == OCT} == {5, 0}
