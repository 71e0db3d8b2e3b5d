"""The analyses on hand-made data: gap statuses and the priority weights, with answers worked by hand.

Each fixture is a small DuckDB file holding only the columns the analysis reads, so the expected values can
be checked on paper (z-scores use the population standard deviation, as stddev_pop does).
"""

from datetime import date
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from lmi_pipeline.defs.analyses.lmi_gaps import build_lmi_gaps
from lmi_pipeline.geography.areas import DEFAULT_PRIORITY_WEIGHTS, PRIORITY_COMPONENTS, AreasError, parse_areas
from lmi_pipeline.sources.upstream import UPSTREAMS
from tests.gap_tables import AREA_COLUMNS, CATALOGUE_COLUMNS, LOOKUP_COLUMNS, gap_row, make_table

AS_OF = date(2026, 11, 23)
OCT = date(2026, 10, 1)


# --- the gap matrix -------------------------------------------------------------------------------------------

# Alpha (a district in Shire county) with focus ward Focus and another ward; Uni, a unitary (no county), with
# focus ward Unifocus. Both in Region, England.
WARDS = [
    ("E05000001", "Focus", 2023, "E07000001", "Alpha", "E10000001", "Shire", "E12000001", "Region", "E92000001", "England", True, "Focus"),
    ("E05000002", "Other", 2023, "E07000001", "Alpha", "E10000001", "Shire", "E12000001", "Region", "E92000001", "England", False, None),
    ("E05000009", "Unifocus", 2023, "E06000001", "Uni", None, None, "E12000001", "Region", "E92000001", "England", True, "Unifocus"),
]
CATALOGUE = [
    # indicator, label, unit, status, source, frequency, reference_months, lag days
    ("monthly_ward", "Monthly at ward", "claimants", "official", "SRC1", "monthly", None, 16),
    ("monthly_stale", "Monthly, stopped in June", "%", "official", "SRC1", "monthly", None, 16),
    ("quarterly_lad", "Quarterly for districts", "%", "official", "SRC2", "quarterly", 1, 105),
    ("annual_county", "Annual for upper tiers", "%", "official", "SRC3", "annual", 2, 105),
    ("annual_region", "Annual for regions", "%", "official", "SRC3", "annual", 2, 105),
    ("national", "England only", "%", "official", "SRC4", "annual", None, 30),
    ("decennial_proxy", "Census proxy", "%", "proxy", "SRC5", "decennial", 1, 650),
    ("suppressed_ward", "Suppressed for wards", "%", "official", "SRC1", "monthly", None, 16),
    ("missing_one", "Never loaded", "%", "official", "SRC6", "monthly", None, 16),
]


def _figure(code, level, indicator, period, value, vintage=None, lower=None, upper=None, rounding=None,
            small=False, status="official"):
    return (code, level, vintage, indicator, period, value, lower, upper, "%", status, small, rounding, "q-" + indicator,
            "r1", None, "synthetic demo data")


def gaps_db(path: Path) -> duckdb.DuckDBPyConnection:
    conn = duckdb.connect(str(path))
    make_table(conn, "ward_lookup", LOOKUP_COLUMNS, WARDS)
    make_table(conn, "indicator_catalogue", CATALOGUE_COLUMNS,
               [(*row, "ward", "various", f"caveat of {row[0]}", "fresh", None) for row in CATALOGUE])
    everywhere = ["E05000001", "E05000002", "E05000009", "E07000001", "E06000001", "E10000001", "E12000001", "E92000001"]
    level = {"E05": "ward", "E07": "lad", "E06": "lad", "E10": "county", "E12": "region", "E92": "country"}
    rows = []
    for code in everywhere:
        lvl, vintage = level[code[:3]], (2023 if code.startswith("E05") else None)
        rows += [_figure(code, lvl, "monthly_ward", date(2026, 9, 1), 40, vintage, 38, 42, 5),
                 _figure(code, lvl, "monthly_ward", OCT, 15, vintage, 13, 17, 5, small=True),
                 _figure(code, lvl, "monthly_stale", date(2026, 6, 1), 2.5, vintage)]
        if lvl != "ward":
            rows.append(_figure(code, lvl, "quarterly_lad", date(2026, 6, 1), 4.0, lower=3.0, upper=5.0))
            rows.append(_figure(code, lvl, "suppressed_ward", OCT, 3.0))
        else:
            rows.append(_figure(code, lvl, "suppressed_ward", OCT, None, vintage))  # every ward figure suppressed
        if code.startswith(("E10", "E06", "E12", "E92")):  # upper tiers: counties and unitaries
            rows.append(_figure(code, lvl, "annual_county", date(2026, 1, 1), 6.0))
        if lvl in ("region", "country"):
            rows.append(_figure(code, lvl, "annual_region", date(2025, 1, 1), 7.0))
        if lvl == "country":
            rows.append(_figure(code, lvl, "national", date(2025, 1, 1), 8.0))
        rows.append(_figure(code, lvl, "decennial_proxy", date(2021, 3, 1), 9.0, 2022 if vintage else None,
                            status="proxy"))
    make_table(conn, "area_indicators", AREA_COLUMNS, rows)
    build_lmi_gaps(conn, AS_OF)
    return conn


@pytest.fixture
def gaps(tmp_path):
    conn = gaps_db(tmp_path / "gaps.duckdb")
    yield conn
    conn.close()


def test_one_row_per_focus_ward_and_district_per_catalogue_indicator(gaps):
    places = gaps.execute("SELECT DISTINCT place_level, place_code FROM lmi_gaps ORDER BY ALL").fetchall()
    assert places == [("lad", "E06000001"), ("lad", "E07000001"), ("ward", "E05000001"), ("ward", "E05000009")]
    assert gaps.execute("SELECT count(*) FROM lmi_gaps").fetchone()[0] == 4 * len(CATALOGUE)


@pytest.mark.parametrize("place,indicator,coverage,level", [
    ("E05000001", "monthly_ward", "available", "ward"),
    ("E05000001", "quarterly_lad", "lad_only", "lad"),
    ("E05000001", "annual_county", "county_only", "county"),
    ("E05000001", "annual_region", "region_only", "region"),
    ("E05000001", "national", "country_only", "country"),
    ("E05000001", "decennial_proxy", "proxy", "ward"),
    ("E05000001", "suppressed_ward", "lad_only", "lad"),
    ("E05000001", "missing_one", "missing", None),
    # A unitary has no county: its own (upper-tier) figure is the district's, one step up from its wards.
    ("E05000009", "annual_county", "lad_only", "lad"),
    ("E06000001", "annual_county", "available", "lad"),
    ("E07000001", "annual_county", "county_only", "county"),
    ("E07000001", "quarterly_lad", "available", "lad"),
    ("E07000001", "decennial_proxy", "proxy", "lad"),
])
def test_coverage_statuses(gaps, place, indicator, coverage, level):
    row = gap_row(gaps, place, indicator)
    assert (row["coverage"], row["available_level"]) == (coverage, level)


def test_ages_staleness_and_dated_snapshots(gaps):
    fresh = gap_row(gaps, "E05000001", "monthly_ward")
    # October 2026 + one month's period + one month, less a day, plus 16 days' lag: 16 December 2026.
    assert fresh["latest_period"] == OCT and fresh["age_months"] == 1
    assert fresh["next_release_due"] == date(2026, 12, 16) and not fresh["is_stale"] and not fresh["is_dated"]
    stale = gap_row(gaps, "E05000001", "monthly_stale")
    assert stale["next_release_due"] == date(2026, 8, 16) and stale["is_stale"] and stale["age_months"] == 5
    quarterly = gap_row(gaps, "E07000001", "quarterly_lad")  # June 2026 + 3 + 1 months - 1 day + 105 days
    assert quarterly["next_release_due"] == date(2027, 1, 13) and not quarterly["is_stale"]
    census = gap_row(gaps, "E05000001", "decennial_proxy")
    assert census["age_months"] == 68 and census["is_dated"] and not census["is_stale"]
    assert census["ward_vintage"] == 2022
    missing = gap_row(gaps, "E05000001", "missing_one")
    assert missing["latest_period"] is None and not missing["is_stale"] and not missing["is_dated"]


def test_limits_say_rounding_small_numbers_intervals_and_suppression(gaps):
    counts = gap_row(gaps, "E05000001", "monthly_ward")
    assert counts["rounding_base"] == 5 and counts["small_number"] and counts["latest_value"] == 15
    assert "nearest 5" in counts["limits"] and "small number" in counts["limits"]
    interval = gap_row(gaps, "E05000001", "quarterly_lad")
    assert "95% confidence interval" in interval["limits"] and interval["available_area_name"] == "Alpha"
    suppressed = gap_row(gaps, "E05000001", "suppressed_ward")
    assert suppressed["suppressed_at_place"] and "suppressed for this ward" in suppressed["limits"]
    assert "a proxy" in gap_row(gaps, "E05000001", "decennial_proxy")["limits"]


def test_gaps_to_fill_names_the_places(gaps):
    rows = gaps.execute("SELECT indicator, gap, place_level, places FROM lmi_gaps_to_fill").fetchall()
    got = {(i, g, lvl): p for i, g, lvl, p in rows}
    assert got[("annual_county", "only at county level", "ward")] == "Focus"
    assert got[("annual_county", "only at district level", "ward")] == "Unifocus"
    assert got[("annual_county", "only at county level", "lad")] == "Alpha"
    assert got[("missing_one", "missing", "ward")] == "Unifocus, Focus"  # by district code, then name
    assert got[("monthly_stale", "stale", "lad")] == "Uni, Alpha"
    assert ("decennial_proxy", "dated snapshot", "ward") in got and ("decennial_proxy", "proxy only", "ward") in got
    assert not any(i == "monthly_ward" for i, _, _ in got)  # nothing to fill
    first = gaps.execute("SELECT gap FROM lmi_gaps_to_fill LIMIT 1").fetchone()[0]
    assert first == "missing"  # worst first


def test_a_new_source_flows_in_without_code_changes(gaps):
    gaps.execute("INSERT INTO indicator_catalogue VALUES ('new_thing', 'A new source', '%', 'official', 'NEW', "
                 "'annual', NULL, 60, 'ward', 'ward', '', 'fresh', NULL)")
    gaps.execute("INSERT INTO area_indicators VALUES ('E05000001', 'ward', 2023, 'new_thing', DATE '2026-01-01', 1.0, "
                 "NULL, NULL, '%', 'official', false, NULL, 'q-new', 'r', NULL, 'synthetic demo data')")
    build_lmi_gaps(gaps, AS_OF)
    assert gap_row(gaps, "E05000001", "new_thing")["coverage"] == "available"
    assert gap_row(gaps, "E05000009", "new_thing")["coverage"] == "missing"


# --- priority wards -------------------------------------------------------------------------------------------

WARD_IND_COLUMNS = {"ward_code": "VARCHAR", "ward_name": "VARCHAR", "ward_vintage": "INTEGER", "lad_code": "VARCHAR",
                    "lad_name": "VARCHAR", "is_focus": "BOOLEAN", "indicator": "VARCHAR", "period": "DATE",
                    "value": "DOUBLE", "lad_value": "DOUBLE", "change_12m": "DOUBLE", "small_number": "BOOLEAN",
                    "status": "VARCHAR", "source_query_id": "VARCHAR", "denominator_query_id": "VARCHAR",
                    "data_label": "VARCHAR"}
# The ranking itself is tested in tests/test_priority.py; its configuration here.


@pytest.mark.parametrize("table,message", [
    ("youth_rate = 1", "not a component. Did you mean 'youth_claimant_rate'"),
    ("claimant_rate = -1", "must be a non-negative number"),
    ("claimant_rate = true", "must be a non-negative number"),
    ("claimant_rate = nan", "must be a non-negative number"),
    ("claimant_rate = 0", "every component weight 0"),
])
def test_bad_priority_weights_are_refused(tmp_path, table, message):
    import tomllib

    doc = tomllib.loads(f'[[local_authority]]\ncode = "E07000062"\n[priority_weights]\n{table}\n')
    with pytest.raises(AreasError, match=message.replace("(", r"\(").replace(")", r"\)")):
        parse_areas(doc)


def test_priority_weights_defaults_and_partial_tables():
    base = {"local_authority": [{"code": "E07000062"}]}
    assert parse_areas(base).priority_weights == DEFAULT_PRIORITY_WEIGHTS
    partial = parse_areas({**base, "priority_weights": {"youth_claimant_rate": 2}}).priority_weights
    assert partial == {c: (2.0 if c == "youth_claimant_rate" else 0.0) for c in PRIORITY_COMPONENTS}


# --- wiring -----------------------------------------------------------------------------------------------------

def test_assets_are_grouped_and_published_together():
    from lmi_pipeline.definitions import defs

    definitions = defs()
    specs = {s.key.to_user_string(): s for s in definitions.resolve_all_asset_specs()}
    for name in ("lmi_gaps", "priority_wards", "focus_ward_progress"):
        assert specs[name].group_name == "analyses"
    outputs = ["focus_ward_trend_charts", "youth_claimant_rate_ranking_charts", "lmi_gaps_chart",
               "ward_small_multiples", "lmi_report", "data_exports"]
    for name in outputs:
        assert specs[name].group_name == "publish"
    # A failed analysis, chart, report or export (any asset at all) must stop the publication of everything.
    # (The upstream observations are not materialised; every raw source depends on one.)
    graph = definitions.resolve_asset_graph()
    upstream = dg.AssetSelection.assets("published_database").upstream(include_self=False).resolve(graph)
    materialised = {k.to_user_string() for k in graph.get_all_asset_keys() if graph.get(k).is_materializable}
    observed = {k.to_user_string() for k in graph.get_all_asset_keys() if graph.get(k).is_observable}
    assert observed == {u.key.to_user_string() for u in UPSTREAMS}
    assert {k.to_user_string() for k in upstream} == materialised - {"published_database"}
    assert materialised | observed == set(specs)
    assert set(outputs + ["lmi_gaps", "priority_wards", "focus_ward_progress"]) <= set(specs)
    # The report embeds the chart assets' own outputs: it takes them as inputs and draws no chart itself.
    report = definitions.resolve_assets_def("lmi_report")
    assert {"focus_ward_trend_charts", "youth_claimant_rate_ranking_charts", "ward_small_multiples",
            "lmi_gaps_chart"} <= set(report.node_keys_by_input_name)


def test_a_source_that_failed_this_run_is_named_not_called_missing(gaps):
    """An indicator with no figures because its source failed this run (and nothing was held) is
    `not_available_this_run`, with the reason; one whose source is stale keeps its figures and says so."""
    gaps.execute("UPDATE indicator_catalogue SET source_outcome = 'unavailable', source_problem = "
                 "'raw_x unavailable: DfE refused the connection' WHERE indicator = 'missing_one'")
    gaps.execute("UPDATE indicator_catalogue SET source_outcome = 'stale', source_problem = 'raw_y stale: HTTP 503' "
                 "WHERE indicator = 'quarterly_lad'")
    build_lmi_gaps(gaps, AS_OF)
    assert gap_row(gaps, "E05000001", "missing_one")["coverage"] == "not_available_this_run"
    stale = gap_row(gaps, "E07000001", "quarterly_lad")
    assert stale["coverage"] == "available" and "not refreshed this run" in stale["limits"]
    rows = gaps.execute("SELECT gap, detail FROM lmi_gaps_to_fill WHERE indicator IN ('missing_one', 'quarterly_lad') "
                        "ORDER BY severity, gap").fetchall()
    assert ("not available this run", "its source failed this run and there is no earlier load to fall back on: "
            "raw_x unavailable: DfE refused the connection") in rows
    assert any(g == "not refreshed this run" and "HTTP 503" in d for g, d in rows)
    assert not any(g == "missing" for g, _ in rows)  # a failed source is not a gap to research
