"""The priority ranking on hand-made data: one boundary set per district, the same components for every
ward, rank intervals from the rounding simulation, the sensitivity table and the count-based view.

Each fixture is a small DuckDB file holding only the columns the analysis reads, so the expected values can
be checked on paper (z-scores use the population standard deviation, as stddev_pop does).
"""

from datetime import date
from pathlib import Path

import dagster as dg
import duckdb
import pandas as pd
import pytest

from lmi_pipeline.database.storage import WarehouseResource
from lmi_pipeline.defs.analyses.priority_wards import build_priority_wards
from lmi_pipeline.defs.analyses.priority_wards import priority_inputs as priority_inputs_asset
from lmi_pipeline.defs.analyses.priority_wards import priority_wards as priority_wards_asset
from lmi_pipeline.defs.analyses.priority_wards import ward_boundary_sets as ward_boundary_sets_asset
from lmi_pipeline.defs.analyses.rank_uncertainty import rank_intervals
from lmi_pipeline.geography.areas import AreasError, parse_areas
from lmi_pipeline.project import ProjectResource

OCT = date(2026, 10, 1)
CENSUS_DAY = date(2021, 3, 1)
WARD_IND_COLUMNS = {"ward_code": "VARCHAR", "ward_name": "VARCHAR", "ward_vintage": "INTEGER", "lad_code": "VARCHAR",
                    "lad_name": "VARCHAR", "is_focus": "BOOLEAN", "indicator": "VARCHAR", "period": "DATE",
                    "value": "DOUBLE", "lower": "DOUBLE", "upper": "DOUBLE", "lad_value": "DOUBLE",
                    "change_12m": "DOUBLE", "change_12m_lower": "DOUBLE", "change_12m_upper": "DOUBLE",
                    "small_number": "BOOLEAN", "status": "VARCHAR", "source_query_id": "VARCHAR",
                    "denominator_query_id": "VARCHAR", "data_label": "VARCHAR"}
BRIDGE_COLUMNS = {"from_ward_code": "VARCHAR", "from_vintage": "INTEGER", "to_ward_code": "VARCHAR",
                  "to_vintage": "INTEGER", "relationship": "VARCHAR"}
A, B = ("E07000001", "Alpha"), ("E07000002", "Beta")
# ward, name, district, youth rate, claimant rate, change on a year. District A by hand:
#   youth 10,10,20,20 -> mean 15, sd 5 -> z -1,-1,+1,+1; rate 2,4,4,2 -> z -1,+1,+1,-1;
#   change +0.5,-0.5,+0.5,-0.5 -> z +1,-1,+1,-1.
# District B: youth 5,7 -> z -1,+1; rate 1,3 -> z -1,+1; change 0,0 -> no variation (left out).
PRIORITY_WARDS = [
    ("E05000001", "W1", A, 10, 2, 0.5, True), ("E05000002", "W2", A, 10, 4, -0.5, False),
    ("E05000003", "W3", A, 20, 4, 0.5, False), ("E05000004", "W4", A, 20, 2, -0.5, False),
    ("E05000005", "W5", B, 5, 1, 0.0, False), ("E05000006", "W6", B, 7, 3, 0.0, True),
]
WEIGHTS = {"youth_claimant_rate": 0.4, "claimant_rate": 0.3, "claimant_rate_change_12m": 0.1,
           "census_unemployment_rate": 0.2, "employment_deprivation": 0.0}
LABEL = "synthetic demo data"


def make_table(conn, name: str, columns: dict[str, str], rows: list[tuple]) -> None:
    conn.execute(f"CREATE OR REPLACE TABLE {name} ({', '.join(f'{c} {t}' for c, t in columns.items())})")
    if rows:
        conn.executemany(f"INSERT INTO {name} VALUES ({', '.join('?' for _ in columns)})", rows)


def row(code, name, vintage, lad, indicator, value, *, period=OCT, lad_value=None, change=None, rng=None,
        focus=False, status="official"):
    """One ward_indicators row; `rng` is the half-width of a rounding range around the value (and the change)."""
    lower, upper = (value - rng, value + rng) if rng is not None and value is not None else (None, None)
    c_lower, c_upper = (change - 2 * rng, change + 2 * rng) if rng is not None and change is not None else (None, None)
    return (code, name, vintage, lad[0], lad[1], focus, indicator, period, value, lower, upper, lad_value,
            change, c_lower, c_upper, False, status, "q-" + indicator, "q-pop", LABEL)


def claimant_rows(wards, vintage=2023, rng=None):
    out = []
    for code, name, lad, youth, rate, chg, focus in wards:
        out.append(row(code, name, vintage, lad, "claimant_rate_16_24", youth, lad_value=14.0, rng=rng, focus=focus,
                       status="derived"))
        out.append(row(code, name, vintage, lad, "claimant_rate", rate, lad_value=3.0, change=chg, rng=rng, focus=focus))
    return out


def census_rows(census: dict[str, float], wards=PRIORITY_WARDS):
    out = []
    for code, value in census.items():
        ward = next((w for w in wards if w[0] == code), None) or wards[3]  # E05000044 -> W4 before its recode
        out.append(row(code, ward[1], 2022, ward[2], "census_unemployment_rate", value, period=CENSUS_DAY,
                       lad_value=5.0, focus=ward[6], status="computed"))
    return out


def build(path: Path, rows: list[tuple], bridge: list[tuple] | None = None, weights=WEIGHTS, band="16-24"):
    conn = duckdb.connect(str(path))
    make_table(conn, "ward_indicators", WARD_IND_COLUMNS, rows)
    make_table(conn, "area_indicators", {"area_code": "VARCHAR", "area_level": "VARCHAR", "indicator": "VARCHAR",
                                         "period": "DATE", "value": "DOUBLE"},
               [("E07000001", "lad", "claimant_rate", date(2025, 10, 1), 2.8),
                ("E07000002", "lad", "claimant_rate", date(2025, 10, 1), 3.0)])
    make_table(conn, "ward_vintage_bridge", BRIDGE_COLUMNS, bridge if bridge is not None else
               [("E05000044", 2022, "E05000004", 2023, "recoded")] +
               [(w[0], 2022, w[0], 2023, "unchanged") for w in PRIORITY_WARDS if w[0] != "E05000004"])
    build_priority_wards(conn, weights, band)
    return conn


def priority_db(path: Path, census: dict[str, float] | None = None) -> duckdb.DuckDBPyConnection:
    return build(path, claimant_rows(PRIORITY_WARDS) + census_rows(census or {}))


def _ranking(conn) -> dict[str, tuple]:
    return {r[0]: r[1:] for r in conn.execute(
        "SELECT ward_name, priority_rank, priority_score, is_top_priority, components_used, components_missing "
        "FROM priority_wards").fetchall()}


def test_priority_without_census_uses_the_rest(tmp_path):
    conn = priority_db(tmp_path / "p.duckdb")
    got = _ranking(conn)
    # District A: score = (0.4 z_youth + 0.3 z_rate + 0.1 z_change) / 0.8 (the Census has no figures), to 1 dp.
    # W1 -0.75 and W2 -0.25 sit on a rounding boundary, so the published 1 dp may go either way.
    expected = {"W1": (4, -0.75), "W2": (3, -0.25), "W3": (1, 1.0), "W4": (2, 0.0),
                # District B: the change has no variation, so (0.4 z_youth + 0.3 z_rate) / 0.7 = -1 and +1.
                "W5": (2, -1.0), "W6": (1, 1.0)}
    assert {w: (r[0], pytest.approx(r[1], abs=0.051)) for w, r in got.items()} == expected
    assert sorted(w for w, r in got.items() if r[2]) == ["W3", "W6"]
    assert got["W3"][3] == "youth_claimant_rate, claimant_rate, claimant_rate_change_12m"
    assert got["W3"][4] == "census_unemployment_rate (no figures), employment_deprivation (weight 0)"
    assert got["W6"][4] == ("claimant_rate_change_12m (no variation between wards), census_unemployment_rate "
                            "(no figures), employment_deprivation (weight 0)")
    w3 = conn.execute("SELECT youth_claimant_rate_z, claimant_rate_z, claimant_rate_change_12m_z, "
                      "lad_claimant_rate_change_12m, n_wards, reasons FROM priority_wards WHERE ward_name = 'W3'").fetchone()
    assert w3[:4] == (1.0, 1.0, 1.0, pytest.approx(0.2))
    assert w3[4] == 4
    assert w3[5].startswith("youth claimant rate (16-24) 20.0% (district 14.0%), ranked 1 of 4 wards; "
                            "claimant rate (16+) 4.0% (district 3.0%), ranked 1 of 4 wards; ")
    assert "+0.5 pts (district +0.2)" in w3[5]


def test_priority_picks_up_the_census_when_it_lands(tmp_path):
    # Census 8, 2, 2, 8 -> z +1, -1, -1, +1; W4's figure is under its 2022 code, recoded in 2023.
    conn = priority_db(tmp_path / "p.duckdb", {"E05000001": 8, "E05000002": 2, "E05000003": 2, "E05000044": 8})
    got = _ranking(conn)
    # (0.4 z_youth + 0.3 z_rate + 0.1 z_change + 0.2 z_census) / 1.0: -0.4, -0.4, 0.6, 0.2
    assert {w: got[w][:2] for w in ("W1", "W2", "W3", "W4")} == {"W1": (3, -0.4), "W2": (3, -0.4), "W3": (1, 0.6),
                                                                 "W4": (2, 0.2)}  # a tie shares its rank
    assert got["W4"][3].endswith("census_unemployment_rate")
    census = conn.execute("SELECT census_unemployment_rate, census_period FROM priority_wards WHERE ward_name = 'W4'").fetchone()
    assert census == (8.0, CENSUS_DAY)
    assert "Census 2021 unemployment rate 8.0% (district 5.0%) in March 2021" in conn.execute(
        "SELECT reasons FROM priority_wards WHERE ward_name = 'W1'").fetchone()[0]


def test_a_component_one_ward_lacks_is_left_out_for_every_ward(tmp_path):
    """W2 has no Census figure, so no ward of district A is scored on the Census: the scores are those
    without it (previously W1, W3 and W4 were scored on four components and W2 on three)."""
    conn = priority_db(tmp_path / "p.duckdb", {"E05000001": 8, "E05000003": 2, "E05000044": 8})
    got = _ranking(conn)
    assert {w: (got[w][0], pytest.approx(got[w][1], abs=0.051)) for w in ("W1", "W2", "W3", "W4")} == \
        {"W1": (4, -0.75), "W2": (3, -0.25), "W3": (1, 1.0), "W4": (2, 0.0)}
    assert {got[w][3] for w in ("W1", "W2", "W3", "W4")} == {"youth_claimant_rate, claimant_rate, claimant_rate_change_12m"}
    assert got["W1"][4].startswith("census_unemployment_rate (1 of 4 wards without a figure, so left out for every ward)")


# District C changed its boundaries: 2022 wards C1..C3 and 2024 wards N1..N3, both published for October.
# N1 is C1 recoded (same area), so it has C1's Census figure; N2 and N3 are new areas with none.
C = ("E07000003", "Gamma")
OLD = [("E05000101", "C1", C, 30, 5, 0.0, True), ("E05000102", "C2", C, 10, 3, 0.0, False),
       ("E05000103", "C3", C, 20, 1, 0.0, False)]
NEW = [("E05000201", "N1", C, 30, 5, 0.0, True), ("E05000202", "N2", C, 12, 2, 0.0, False),
       ("E05000203", "N3", C, 18, 2, 0.0, False)]
SWITCH_BRIDGE = [("E05000101", 2022, "E05000201", 2024, "recoded")]


def switch_rows(census_new_wards: bool = False):
    rows = claimant_rows(OLD, vintage=2022) + claimant_rows(NEW, vintage=2024)
    rows += census_rows({"E05000101": 9.0, "E05000102": 3.0, "E05000103": 6.0}, OLD)
    if census_new_wards:  # as if the Census had been published on the 2024 wards too
        rows += [row(code, name, 2024, C, "census_unemployment_rate", v, period=CENSUS_DAY, lad_value=5.0, focus=f,
                     status="computed") for (code, name, _, _, _, _, f), v in zip(NEW[1:], (4.0, 5.0))]
    return rows


def test_a_district_with_two_boundary_sets_is_ranked_on_one(tmp_path):
    conn = build(tmp_path / "p.duckdb", switch_rows(), SWITCH_BRIDGE)
    sets = conn.execute("SELECT ward_vintage, n_wards, has_complete_components, is_ranking_set, components_incomplete, "
                        "boundary_note FROM ward_boundary_sets ORDER BY ward_vintage").fetchall()
    # 2024 lacks the (weighted) Census for N2 and N3, so the 2022 set, complete, is ranked.
    assert [s[:4] for s in sets] == [(2022, 3, True, True), (2024, 3, False, False)]
    assert sets[1][4] == "census_unemployment_rate (2 of 3 wards without a figure)"
    assert sets[0][5] == sets[1][5]
    assert sets[0][5].startswith("Ward boundaries changed: the claimant count for October 2026 is published on "
                                 "2024 and 2022 wards. Rankings use the 2022 wards, the newest set with every component")
    ranked = conn.execute("SELECT ward_name, ward_vintage, priority_rank, n_wards FROM priority_wards ORDER BY 3").fetchall()
    # 2022 wards: youth 30,10,20 -> z 1.2247,-1.2247,0; rate 5,3,1 -> z 1.2247,0,-1.2247; change all 0 (left out);
    # Census 9,3,6 -> z 1.2247,-1.2247,0. Scores (0.4, 0.3, 0.2 over 0.9): C1 1.22, C2 -0.82, C3 -0.41.
    assert ranked == [("C1", 2022, 1, 3), ("C3", 2022, 2, 3), ("C2", 2022, 3, 3)]


def test_the_newest_set_is_ranked_once_it_has_every_component(tmp_path):
    conn = build(tmp_path / "p.duckdb", switch_rows(census_new_wards=True), SWITCH_BRIDGE)
    assert conn.execute("SELECT ward_vintage FROM ward_boundary_sets WHERE is_ranking_set").fetchall() == [(2024,)]
    assert conn.execute("SELECT count(*), min(ward_vintage), max(ward_vintage) FROM priority_wards").fetchone() == \
        (3, 2024, 2024)


def test_with_no_complete_set_the_newest_is_scored_on_what_all_its_wards_have(tmp_path):
    rows = [r for r in switch_rows() if not (r[0] == "E05000102" and r[6] == "census_unemployment_rate")]
    conn = build(tmp_path / "p.duckdb", rows, SWITCH_BRIDGE)
    assert conn.execute("SELECT ward_vintage, has_complete_components FROM ward_boundary_sets WHERE is_ranking_set"
                        ).fetchall() == [(2024, False)]
    used = conn.execute("SELECT DISTINCT components_used FROM priority_wards").fetchall()
    assert used == [("youth_claimant_rate, claimant_rate",)]
    note = conn.execute("SELECT any_value(boundary_note) FROM ward_boundary_sets").fetchone()[0]
    assert "the newest set (no set has every component for every ward)" in note


def test_weights_and_youth_band_come_from_lmi_toml(tmp_path):
    """The asset reads [priority_weights] and [analysis] youth_age_band: with youth claimants 18-24 alone,
    W1 (the only ward with an 18-24 rate above the others) is first in district A."""
    rows = claimant_rows(PRIORITY_WARDS)
    rows += [row(w[0], w[1], 2023, w[2], "claimant_rate_18_24", v, status="derived")
             for w, v in zip(PRIORITY_WARDS, (25, 10, 10, 10, 5, 7))]
    build(tmp_path / "p.duckdb", rows).close()
    areas = tmp_path / "lmi.toml"
    areas.write_text('[[local_authority]]\ncode = "E07000001"\n[analysis]\nyouth_age_band = "18-24"\n'
                     '[priority_weights]\nyouth_claimant_rate = 1\n')
    project = ProjectResource(areas_file=str(areas))
    warehouse = WarehouseResource(database=str(tmp_path / "p.duckdb"))
    priority_inputs_asset(project=project, warehouse=warehouse)
    ward_boundary_sets_asset(project=project, warehouse=warehouse)
    result = priority_wards_asset(project=project, warehouse=warehouse)
    assert isinstance(result, dg.MaterializeResult) and result.metadata["dagster/row_count"] == 6
    with duckdb.connect(str(tmp_path / "p.duckdb"), read_only=True) as conn:
        top = conn.execute("SELECT ward_name, youth_claimant_rate, reasons FROM priority_wards WHERE is_top_priority "
                           "AND lad_code = 'E07000001'").fetchall()
        missing = conn.execute("SELECT components_missing FROM priority_wards WHERE ward_name = 'W3'").fetchone()[0]
    assert [t[:2] for t in top] == [("W1", 25.0)]
    assert top[0][2].startswith("youth claimant rate (18-24) 25.0%")
    assert "claimant_rate (weight 0)" in missing


def test_a_youth_band_other_than_16_24_or_18_24_is_refused():
    with pytest.raises(AreasError, match="youth_age_band = '16-25' must be one of '16-24', '18-24'"):
        parse_areas({"local_authority": [{"code": "E07000062"}], "analysis": {"youth_age_band": "16-25"}})


def test_rank_interval_of_two_wards_within_rounding_of_each_other():
    """Two wards, one component: A = 10.2 and B = 10.0, each +-1. With two wards z is +-1, so A is first
    when 10.2 + a > 10.0 + b, a, b ~ U(-1, 1): P(a - b > -0.2) = 1 - (2 - 0.2)^2 / 8 = 0.595."""
    comps = pd.DataFrame({"lad_code": "E07000001", "ward_code": ["A", "B"], "ward_vintage": 2024,
                          "component": "youth_claimant_rate", "measure": "value", "weight": 1.0,
                          "value": [10.2, 10.0], "lower": [9.2, 9.0], "upper": [11.2, 11.0]})
    got = rank_intervals(comps).to_pandas().set_index("ward_code")
    assert got.loc["A", "share_top"] == pytest.approx(0.595, abs=0.03)  # SE of a 5,000-draw share: 0.007
    assert got.loc["A", "share_top"] + got.loc["B", "share_top"] == pytest.approx(1.0)
    assert (got["rank_low"].tolist(), got["rank_high"].tolist()) == ([1, 1], [2, 2])
    again = rank_intervals(comps).to_pandas().set_index("ward_code")
    assert again.loc["A", "share_top"] == got.loc["A", "share_top"]  # seeded: the same every run


def test_rank_intervals_without_rounding_are_the_ranks_and_are_published(tmp_path):
    # No ranges in priority_db: every draw is the point estimate, so each interval is the rank itself.
    conn = priority_db(tmp_path / "p.duckdb")
    got = conn.execute("SELECT ward_name, priority_rank, priority_rank_low, priority_rank_high, priority_share_top, "
                       "is_clear_top, simulation_draws FROM priority_wards WHERE lad_code = 'E07000001' "
                       "ORDER BY priority_rank").fetchall()
    assert got == [("W3", 1, 1, 1, 1.0, True, 5000), ("W4", 2, 2, 2, 0.0, False, 5000),
                   ("W2", 3, 3, 3, 0.0, False, 5000), ("W1", 4, 4, 4, 0.0, False, 5000)]


def test_a_lead_within_rounding_is_not_called_clear(tmp_path):
    # District A with +-3 rounding ranges on the rates: W3 and W4 share the top youth rate, so W3's lead
    # rests on the claimant rate and the change, both within rounding of W4's: no clear top.
    conn = build(tmp_path / "p.duckdb", claimant_rows(PRIORITY_WARDS, rng=3.0))
    w3 = conn.execute("SELECT priority_rank, priority_rank_low, priority_rank_high, priority_share_top, is_clear_top "
                      "FROM priority_wards WHERE ward_name = 'W3'").fetchone()
    assert w3[0] == 1 and w3[1] == 1 and w3[2] >= 3 and 0.2 < w3[3] < 0.9 and w3[4] is False


def test_sensitivity_names_the_top_ward_under_each_weighting(tmp_path):
    conn = priority_db(tmp_path / "p.duckdb")
    got = {r[0]: r[1:] for r in conn.execute(
        "SELECT scheme, top_wards, configured_top_rank, same_top_as_configured FROM priority_sensitivity "
        "WHERE lad_code = 'E07000001'").fetchall()}
    assert got["configured"] == ("W3 (E05000003)", 1, True)
    assert got["youth_only"] == ("W3 (E05000003), W4 (E05000004)", 1, True)  # youth 20, 20: a tie
    assert got["claimant_rate_only"] == ("W2 (E05000002), W3 (E05000003)", 1, True)  # rate 4, 4
    # Without the 16+ rate: (0.4 z_youth + 0.1 z_change) / 0.5 -> W3 (+1, +1) = 1.0 first.
    assert got["no_double_count"] == ("W3 (E05000003)", 1, True)
    # Equal weights over youth, rate and change (the Census has no figures): W3 1.0, W4 -1/3, W2 -1/3, W1 -1/3.
    assert got["equal"] == ("W3 (E05000003)", 1, True)
    assert got["census_only"] == (None, None, False)  # nothing to score on
    schemes = [r[0] for r in conn.execute("SELECT scheme FROM priority_sensitivity WHERE lad_code = 'E07000001' "
                                          "ORDER BY position").fetchall()]
    assert schemes[:3] == ["configured", "equal", "change_0.3"]


def test_count_view_ranks_where_most_people_are_affected(tmp_path):
    rows = claimant_rows(PRIORITY_WARDS)
    counts = {"E05000001": (120, 30), "E05000002": (40, 10), "E05000003": (35, 15), "E05000004": (60, 5)}
    for w in PRIORITY_WARDS[:4]:
        rows.append(row(w[0], w[1], 2023, w[2], "claimant_count", counts[w[0]][0]))
        rows.append(row(w[0], w[1], 2023, w[2], "claimant_count_16_24", counts[w[0]][1]))
    conn = build(tmp_path / "p.duckdb", rows)
    got = conn.execute("SELECT ward_name, claimant_count, claimant_count_rank, youth_claimant_count_rank, "
                       "is_top_by_count, is_top_priority FROM priority_wards WHERE lad_code = 'E07000001' "
                       "ORDER BY claimant_count_rank").fetchall()
    # W1 has the most claimants (120) though its rates put it last: the two views answer different questions.
    assert got == [("W1", 120, 1, 1, True, False), ("W4", 60, 2, 4, False, False), ("W2", 40, 3, 3, False, False),
                   ("W3", 35, 4, 2, False, True)]


def test_reasons_are_only_the_components_that_raise_the_score(tmp_path):
    """A component below the district's wards lowers a ward's score: it is listed under held_back_by, never as a
    reason for priority (W1 and W4 are each above the district on one component and below it on two)."""
    conn = priority_db(tmp_path / "p.duckdb")
    rows = {w: (r, h) for w, r, h in conn.execute("SELECT ward_name, reasons, held_back_by FROM priority_wards").fetchall()}
    assert rows["W1"] == ("change in the claimant rate on a year earlier +0.5 pts (district +0.2), ranked 1 of 4 wards",
                          ("youth claimant rate (16-24) 10.0% (district 14.0%), ranked 3 of 4 wards; "
                           "claimant rate (16+) 2.0% (district 3.0%), ranked 3 of 4 wards"))
    assert rows["W4"][0] == "youth claimant rate (16-24) 20.0% (district 14.0%), ranked 1 of 4 wards"
    assert rows["W3"][1] is None and rows["W3"][0].count("ranked 1 of 4") == 3
    assert rows["W5"][0] is None  # below the district on everything: no reason at all
