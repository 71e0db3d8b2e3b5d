"""Charts after a ward boundary change, on a hand-made database: no line, bar or panel mixes two boundary sets.

Maidstone (E07000110) is published on two sets of wards, as Nomis does after a boundary change. "Park Wood" is a
ward name on both, under different codes (E05000001 on 2022 wards, E05000011 on 2024 wards); "Vale" keeps its
code on both (E05000003) with different figures, so keying by code alone would still mix the sets. Hastings
(E07000062) has one set and must read as before (no set in its names). Every value below is written by hand,
so each expected trace is one of these lists, whole.
"""

import re
from datetime import date

import duckdb
import pandas as pd
import pytest

from lmi_pipeline.defs.publish.charts import focus_rates_figure
from lmi_pipeline.defs.publish.ranking_charts import youth_ranking_charts
from lmi_pipeline.defs.publish.small_multiples import small_multiples_charts
from lmi_pipeline.defs.publish.trend_charts import focus_trend_charts

PERIODS = [date(2026, 8, 1), date(2026, 9, 1), date(2026, 10, 1)]
LABEL = "synthetic demo data"
MAIDSTONE, HASTINGS = "E07000110", "E07000062"

# (ward code, vintage): name, district, is_focus, focus_name, claimant rate by month, youth claimant rate by month
WARDS = {
    ("E05000001", 2022): ("Park Wood", MAIDSTONE, True, "Park Wood", [6.5, 7.0, 7.5], [8.0, 8.5, 9.0]),
    ("E05000002", 2022): ("Hill", MAIDSTONE, False, None, [2.1, 2.2, 2.3], [3.1, 3.6, 4.0]),
    ("E05000003", 2022): ("Vale", MAIDSTONE, False, None, [3.2, 3.4, 3.6], [5.2, 5.6, 6.0]),
    ("E05000011", 2024): ("Park Wood", MAIDSTONE, True, "Park Wood", [5.1, 5.3, 5.5], [7.1, 7.4, 8.0]),
    ("E05000012", 2024): ("Ridge", MAIDSTONE, False, None, [1.4, 1.6, 1.8], [2.2, 2.7, 3.0]),
    ("E05000003", 2024): ("Vale", MAIDSTONE, False, None, [2.6, 2.9, 3.3], [4.3, 4.7, 5.0]),
    ("E05000021", 2024): ("Castle", HASTINGS, True, "Castle", [4.4, 4.6, 4.8], [6.2, 6.6, 7.0]),
    ("E05000022", 2024): ("Gensing", HASTINGS, False, None, [3.3, 3.1, 3.5], [4.1, 4.6, 5.5]),
}
DISTRICTS = {MAIDSTONE: ("Maidstone", "Kent", [3.0, 3.2, 3.4], [4.0, 4.1, 4.2]),
             HASTINGS: ("Hastings", "East Sussex", [3.5, 3.6, 3.7], [5.0, 5.1, 5.2])}
ENGLAND = {"claimant_rate": [3.8, 3.8, 3.9], "claimant_rate_16_24": [4.5, 4.5, 4.6]}
REGION = {"claimant_rate": [3.1, 3.1, 3.2], "claimant_rate_16_24": [4.0, 4.0, 4.1]}
COUNTY = {"claimant_rate": [3.3, 3.3, 3.4], "claimant_rate_16_24": [4.2, 4.2, 4.3]}
# The ranking set is 2022 here, not the newest: as ward_boundary_sets chooses when the 2024 wards lack a
# component. Without the table, charts must fall back to the newest set with the latest month (2024).
NOTE = ("Ward boundaries changed: claimant counts are published on 2024 wards and on the earlier 2022 wards; "
        "rankings use the 2022 wards; the 2024 series is shown beside it, not joined to it.")
BOUNDARY_SETS = [(MAIDSTONE, "Maidstone", 2024, 3, PERIODS[-1], False, NOTE),
                 (MAIDSTONE, "Maidstone", 2022, 3, PERIODS[-1], True, NOTE),
                 (HASTINGS, "Hastings", 2024, 2, PERIODS[-1], True, None)]


def make_table(conn, name: str, columns: dict[str, str], rows: list[tuple]) -> None:
    conn.execute(f"CREATE TABLE {name} ({', '.join(f'{c} {t}' for c, t in columns.items())})")
    conn.executemany(f"INSERT INTO {name} VALUES ({', '.join('?' for _ in columns)})", rows)


def rank(code: str, vintage: int, indicator: int) -> tuple[int, int]:
    """Rank within the ward's own district and set, highest first (as ward_indicators ranks)."""
    lad = WARDS[(code, vintage)][1]
    peers = sorted((w[indicator][-1] for (c, v), w in WARDS.items() if w[1] == lad and v == vintage), reverse=True)
    return peers.index(WARDS[(code, vintage)][indicator][-1]) + 1, len(peers)


def build(path, with_sets: bool) -> str:
    conn = duckdb.connect(str(path))
    indicators = []
    for (code, vintage), (name, lad, focus, _, rates, youth) in WARDS.items():
        lad_name, _, lad_rates, lad_youth = DISTRICTS[lad]
        for indicator, values, lad_values, col in (("claimant_rate", rates, lad_rates, 4),
                                                   ("claimant_rate_16_24", youth, lad_youth, 5)):
            r, n = rank(code, vintage, col)
            for i, period in enumerate(PERIODS):
                v = values[i]
                indicators.append((code, name, vintage, lad, lad_name, focus, indicator, period, v, 10.0 * v, 1000.0,
                                   v - 0.5, v + 0.5, v < 3, lad_values[i], COUNTY[indicator][i], None,
                                   REGION[indicator][i], ENGLAND[indicator][i], r if i == 2 else None,
                                   n if i == 2 else None, "official", LABEL))
    make_table(conn, "ward_indicators", {
        "ward_code": "VARCHAR", "ward_name": "VARCHAR", "ward_vintage": "BIGINT", "lad_code": "VARCHAR",
        "lad_name": "VARCHAR", "is_focus": "BOOLEAN", "indicator": "VARCHAR", "period": "DATE", "value": "DOUBLE",
        "numerator": "DOUBLE", "denominator": "DOUBLE", "lower": "DOUBLE", "upper": "DOUBLE", "small_number": "BOOLEAN",
        "lad_value": "DOUBLE", "county_value": "DOUBLE", "combined_authority_value": "DOUBLE", "region_value": "DOUBLE",
        "country_value": "DOUBLE", "rank_in_lad": "BIGINT", "n_wards_in_lad": "BIGINT", "status": "VARCHAR",
        "data_label": "VARCHAR"}, indicators)
    lookup = [(code, name, vintage, lad, DISTRICTS[lad][0], DISTRICTS[lad][1], None, "South East", "England", focus,
               focus_name) for (code, vintage), (name, lad, focus, focus_name, _, _) in WARDS.items()]
    # Hastings' lookup also holds its 2022 wards, with no figures on them: a lookup set is not a published set.
    lookup.append(("E05000021", "Castle", 2022, HASTINGS, "Hastings", "East Sussex", None, "South East", "England",
                   True, "Castle"))
    make_table(conn, "ward_lookup", {
        "ward_code": "VARCHAR", "ward_name": "VARCHAR", "ward_vintage": "BIGINT", "lad_code": "VARCHAR",
        "lad_name": "VARCHAR", "county_name": "VARCHAR", "combined_authority_name": "VARCHAR",
        "region_name": "VARCHAR", "country_name": "VARCHAR", "is_focus": "BOOLEAN", "focus_name": "VARCHAR"}, lookup)
    make_table(conn, "districts", {"lad_code": "VARCHAR", "lad_name": "VARCHAR", "country_name": "VARCHAR"},
               [(lad, d[0], "England") for lad, d in DISTRICTS.items()])
    areas = [(lad, d[0], "lad", "claimant_rate", p, d[2][i], None, None, LABEL) for lad, d in DISTRICTS.items()
             for i, p in enumerate(PERIODS)]
    areas += [("E92000001", "England", "country", "claimant_rate", p, ENGLAND["claimant_rate"][i], None, None, LABEL)
              for i, p in enumerate(PERIODS)]
    make_table(conn, "area_indicators", {
        "area_code": "VARCHAR", "area_name": "VARCHAR", "area_level": "VARCHAR", "indicator": "VARCHAR",
        "period": "DATE", "value": "DOUBLE", "lower": "DOUBLE", "upper": "DOUBLE", "data_label": "VARCHAR"}, areas)
    make_table(conn, "provenance", {"data_label": "VARCHAR"}, [(LABEL,)])
    if with_sets:
        make_table(conn, "ward_boundary_sets", {
            "lad_code": "VARCHAR", "lad_name": "VARCHAR", "ward_vintage": "INTEGER", "n_wards": "INTEGER",
            "latest_period": "DATE", "is_ranking_set": "BOOLEAN", "boundary_note": "VARCHAR"}, BOUNDARY_SETS)
    conn.close()
    return str(path)


@pytest.fixture
def db(tmp_path):
    conn = duckdb.connect(build(tmp_path / "sets.duckdb", with_sets=True), read_only=True)
    yield conn
    conn.close()


@pytest.fixture
def old_db(tmp_path):
    """A database built before ward_boundary_sets existed."""
    conn = duckdb.connect(build(tmp_path / "old.duckdb", with_sets=False), read_only=True)
    yield conn
    conn.close()


def series(code: str, vintage: int, indicator: str = "claimant_rate") -> list[float]:
    return WARDS[(code, vintage)][4 if indicator == "claimant_rate" else 5]


# Every hand-made series differs from every other, so a trace's points name the one series they are.
assert len({tuple(w[i]) for w in WARDS.values() for i in (4, 5)}) == 2 * len(WARDS)


def ward_series_of(trace) -> set[tuple]:
    """Which hand-made ward series a trace's points are: exactly one, or none if it mixes (or invents) them."""
    months = [str(pd.Timestamp(x).date()) for x in trace.x]
    if months != [str(p) for p in PERIODS]:
        return set()
    return {key for key in WARDS for indicator in ("claimant_rate", "claimant_rate_16_24")
            if list(trace.y) == series(*key, indicator)}


def note_text(fig) -> str:
    """The annotations as read: a caveat wrapped onto two lines (<br>) reads as one sentence."""
    return " ".join(a.text.replace("<br>", " ") for a in fig.layout.annotations)


def ward_bars(chart):
    """(what places each bar, the label shown for it, its value), lowest bar first."""
    bar, axis = chart.fig.data[0], chart.fig.layout.yaxis
    names = dict(zip(axis.tickvals, axis.ticktext)) if axis.tickvals else {}
    return list(bar.y), [names.get(c, c) for c in bar.y], list(bar.x)


# --- rankings: one boundary set per district ------------------------------------------------------------------


def test_ranking_has_exactly_the_ranking_sets_wards(db):
    charts = {c.key: c for c in youth_ranking_charts(db)}
    assert set(charts) == {MAIDSTONE, HASTINGS}
    codes, names, values = ward_bars(charts[MAIDSTONE])
    # The 2022 wards, as ward_boundary_sets says, lowest first (highest at the top): Hill 4.0, Vale 6.0, Park Wood 9.0.
    assert codes == ["E05000002", "E05000003", "E05000001"]
    assert values == [4.0, 6.0, 9.0]
    assert names == ["Hill (2022 wards)", "Vale (2022 wards)", "<b>Park Wood (2022 wards)</b>"]
    assert charts[MAIDSTONE].ward_vintage == 2022
    assert "Maidstone (2022 wards)" in charts[MAIDSTONE].fig.layout.title.text
    assert NOTE in note_text(charts[MAIDSTONE].fig)
    # One set: named as before, no note about boundaries.
    codes, names, values = ward_bars(charts[HASTINGS])
    assert (codes, names, values) == (["E05000022", "E05000021"], ["Gensing", "<b>Castle</b>"], [5.5, 7.0])
    assert "wards)" not in charts[HASTINGS].fig.layout.title.text and "boundaries" not in note_text(charts[HASTINGS].fig)
    # The labels every chart keeps.
    note = note_text(charts[MAIDSTONE].fig)
    assert "SYNTHETIC DEMO DATA" in note and "Source: DWP claimant count" in note and "October 2026" in note
    assert "rounded to the nearest 5" in note and "not an official statistic" in note
    assert charts[MAIDSTONE].relative == f"charts/youth_claimant_rate_ranking_{MAIDSTONE}.html"


def test_ranking_without_the_table_uses_the_newest_set_with_the_latest_month(old_db):
    charts = {c.key: c for c in youth_ranking_charts(old_db)}
    codes, names, values = ward_bars(charts[MAIDSTONE])
    assert codes == ["E05000012", "E05000003", "E05000011"]  # Ridge 3.0, Vale 5.0, Park Wood 8.0 (2024 wards)
    assert values == [3.0, 5.0, 8.0]
    assert names == ["Ridge (2024 wards)", "Vale (2024 wards)", "<b>Park Wood (2024 wards)</b>"]
    note = note_text(charts[MAIDSTONE].fig)
    assert "Ward boundaries changed" in note and "rankings use the 2024 wards" in note and "2022" in note


# --- trend charts: each set its own line, never joined --------------------------------------------------------


def test_trend_charts_draw_old_and_new_series_as_separate_named_traces(db):
    charts = {c.key: c for c in focus_trend_charts(db)}
    assert set(charts) == {"E05000001", "E05000011", "E05000021"}
    for key, own, other in (("E05000011", ("E05000011", 2024), ("E05000001", 2022)),
                            ("E05000001", ("E05000001", 2022), ("E05000011", 2024))):
        fig = charts[key].fig
        wards = [t for t in fig.data if t.name and "Park Wood" in t.name]
        # Per panel (claimant rate, youth rate): the ward itself and the same focus ward on the other set.
        assert sorted(t.name for t in wards) == sorted([f"Park Wood ({own[1]} wards)", f"Park Wood ({other[1]} wards)"] * 2)
        for t in wards:
            expected = own if t.name == f"Park Wood ({own[1]} wards)" else other
            assert ward_series_of(t) == {expected}, t.name
            assert (t.line.dash == "longdash") == (expected == other)
        assert f"Park Wood (Maidstone, {own[1]} wards)" in fig.layout.title.text
        assert NOTE in note_text(fig)
        assert charts[key].relative == f"charts/trend_{key}.html" and charts[key].ward_vintage == own[1]
    # A district with one set reads as before: no set in its names, no note about boundaries.
    fig = charts["E05000021"].fig
    wards = [t for t in fig.data if t.name == "Castle"]
    assert len(wards) == 2 and [ward_series_of(t) for t in wards] == [{("E05000021", 2024)}] * 2
    assert not [t for t in fig.data if t.name and "wards)" in t.name]
    assert fig.layout.title.text.startswith("Castle (Hastings): claimant rates against Hastings, East Sussex")
    note = note_text(fig)
    assert "SYNTHETIC DEMO DATA" in note and "August 2026 to October 2026" in note
    assert "rounded to the nearest 5" in note and "boundaries" not in note


def test_focus_wards_chart_keeps_each_set_in_its_own_line(db):
    fig, n, _ = focus_rates_figure(db)
    lines = {t.name: t for t in fig.data if t.name}
    assert set(lines) == {"Park Wood (Maidstone, 2022 wards)", "Park Wood (Maidstone, 2024 wards)", "Castle (Hastings)",
                          "Maidstone (district)", "Hastings (district)", "England"}
    assert n == 6
    assert ward_series_of(lines["Park Wood (Maidstone, 2022 wards)"]) == {("E05000001", 2022)}
    assert ward_series_of(lines["Park Wood (Maidstone, 2024 wards)"]) == {("E05000011", 2024)}
    assert list(lines["Maidstone (district)"].y) == DISTRICTS[MAIDSTONE][2]
    note = note_text(fig)
    assert NOTE in note and "SYNTHETIC DEMO DATA" in note and "to October 2026" in note
    assert "rounded to the nearest 5" in note


# --- small multiples: one grid per set ------------------------------------------------------------------------


def panels(chart) -> list[tuple]:
    """Each panel's ward trace, as the hand-made series it draws."""
    return [next(iter(ward_series_of(t))) if len(ward_series_of(t)) == 1 else ("mixed", t.name)
            for t in chart.fig.data if t.name == "ward"]


def test_small_multiples_are_one_grid_per_set(db):
    charts = {c.key: c for c in small_multiples_charts(db)}
    assert set(charts) == {MAIDSTONE, f"{MAIDSTONE}_2024", HASTINGS}
    # The district's own grid is its ranking set (2022 here); the 2024 set is its own grid beside it.
    assert sorted(panels(charts[MAIDSTONE])) == [("E05000001", 2022), ("E05000002", 2022), ("E05000003", 2022)]
    assert sorted(panels(charts[f"{MAIDSTONE}_2024"])) == [("E05000003", 2024), ("E05000011", 2024),
                                                            ("E05000012", 2024)]
    assert charts[f"{MAIDSTONE}_2024"].relative == f"charts/small_multiples_{MAIDSTONE}_2024.html"
    assert charts[MAIDSTONE].relative == f"charts/small_multiples_{MAIDSTONE}.html"
    assert "Maidstone (2022 wards)" in charts[MAIDSTONE].fig.layout.title.text
    assert "Maidstone (2024 wards)" in charts[f"{MAIDSTONE}_2024"].fig.layout.title.text
    for chart in charts.values():
        note = note_text(chart.fig)
        assert "SYNTHETIC DEMO DATA" in note and "rounded to the nearest 5" in note
        assert (NOTE in note) == chart.key.startswith(MAIDSTONE)
    assert sorted(panels(charts[HASTINGS])) == [("E05000021", 2024), ("E05000022", 2024)]


def test_written_chart_html_keeps_the_sets_apart(db, tmp_path):
    """The published file carries the same traces (names escaped in Plotly's JSON)."""
    from lmi_pipeline.defs.publish.charts import write_chart

    chart = {c.key: c for c in focus_trend_charts(db)}["E05000011"]
    path = tmp_path / "trend.html"
    write_chart(chart.fig, path)
    html = path.read_text()
    assert '"name":"Park Wood (2024 wards)"' in html and '"name":"Park Wood (2022 wards)"' in html
    assert '"dash":"longdash"' in html and "SYNTHETIC DEMO DATA" in html
    title = re.search(r"<head><title>([^<]+)</title>", html)
    assert title and "Park Wood" in title.group(1) and "<" not in title.group(1), html[:500]
