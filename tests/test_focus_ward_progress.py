"""Progress since the baseline (table focus_ward_progress) on hand-made DuckDB files, with answers worked by hand.

The comparison is of 12-month means (the 12 months ending with the baseline month against the 12 ending with the
latest month); a change is `rose`/`fell` only when change -/+ (1.96 x SE + rounding of both means) excludes 0, where
SE = sd(month-on-month changes over the 24 months to the latest) / sqrt(12) (= sqrt(2) x noise_sd / sqrt(12), with
noise_sd = sd(changes) / sqrt(2)). Counts carry a +-2 range each month (rounded to 5), so the rounding of a
difference of two 12-month means of counts is +-4. stddev_samp divides by n - 1 (23 for 24 changes).

Months used throughout: baseline April 2015 -> baseline window May 2014 .. April 2015 (12 months). Latest month
October 2026 -> latest window November 2025 .. October 2026; noise from the 24 changes into November 2024 ..
October 2026, so the series are held from October 2024.
"""

from datetime import date
from math import sqrt
from pathlib import Path

import duckdb
import pytest

from lmi_pipeline.defs.analyses.focus_ward_progress import baseline_date, build_focus_ward_progress
from lmi_pipeline.geography.areas import parse_areas

BASE = date(2015, 4, 1)
OCT = date(2026, 10, 1)

COLUMNS = {"ward_code": "VARCHAR", "ward_name": "VARCHAR", "ward_vintage": "INTEGER", "lad_code": "VARCHAR",
           "lad_name": "VARCHAR", "is_focus": "BOOLEAN", "indicator": "VARCHAR", "period": "DATE", "value": "DOUBLE",
           "lower": "DOUBLE", "upper": "DOUBLE", "unit": "VARCHAR", "status": "VARCHAR", "small_number": "BOOLEAN",
           "lad_value": "DOUBLE", "country_value": "DOUBLE", "change_12m": "DOUBLE", "denominator_year": "INTEGER",
           "rounding_base": "INTEGER", "source_query_id": "VARCHAR", "denominator_query_id": "VARCHAR",
           "data_label": "VARCHAR"}


def month(d: date, k: int) -> date:
    """`d` moved by `k` months."""
    n = d.year * 12 + d.month - 1 + k
    return date(n // 12, n % 12 + 1, 1)


def months(first: date, last: date) -> list[date]:
    out = [first]
    while out[-1] < last:
        out.append(month(out[-1], 1))
    return out


BASE_WINDOW = months(date(2014, 5, 1), BASE)    # 12 months
NOISE_WINDOW = months(date(2024, 10, 1), OCT)   # 25 months: 24 changes
assert len(BASE_WINDOW) == 12 and len(NOISE_WINDOW) == 25


def series(code, name, indicator, values: dict, *, vintage=2023, focus=True, lad=None, country=None, small=False,
           half_width=None, status=None):
    """Rows of ward_indicators for one ward x indicator. Counts get the +-2 range of rounding to 5 (not below 0);
    rates get value +- `half_width`. `lad`/`country`: dicts of the district's / country's figure by month."""
    rate = indicator.startswith("claimant_rate")
    rows = []
    for period, value in values.items():
        if rate:
            lower, upper = value - half_width, value + half_width
        else:
            lower, upper = max(value - 2, 0), value + 2
        rows.append((code, name, vintage, "E07000001", "Alpha", focus, indicator, period, value, lower, upper,
                     "%" if rate else "claimants", status or ("official" if indicator != "claimant_rate_16_24" else "derived"),
                     small, (lad or {}).get(period), (country or {}).get(period), None,
                     min(period.year, 2024) if rate else None, 5, "q-cc-" + str(vintage),
                     "q-pop" if rate else None, "synthetic demo data"))
    return rows


def alternate(periods, even, odd):
    """`even` in the first month, `odd` in the next, and so on."""
    return {p: (even if i % 2 == 0 else odd) for i, p in enumerate(periods)}


# Seasonal pattern by calendar month (winter high, summer low); sums to 770 over a year.
SEASON = {1: 80, 2: 80, 3: 70, 4: 60, 5: 50, 6: 40, 7: 40, 8: 50, 9: 60, 10: 70, 11: 80, 12: 90}
assert sum(SEASON.values()) == 770


def progress_db(path: Path) -> duckdb.DuckDBPyConnection:
    conn = duckdb.connect(str(path))
    conn.execute("CREATE TABLE indicator_catalogue (indicator VARCHAR, label VARCHAR, frequency VARCHAR)")
    conn.executemany("INSERT INTO indicator_catalogue VALUES (?, ?, ?)",
                     [("claimant_count", "Claimants", "monthly"), ("claimant_count_16_24", "Young claimants", "monthly"),
                      ("claimant_rate", "Rate", "monthly"), ("census_unemployment_rate", "Census", "decennial")])
    rows = []
    # (a) Seasonal: the same seasonal pattern in both years, except April 2026 is 70 (not 60).
    seasonal = {p: SEASON[p.month] for p in BASE_WINDOW + NOISE_WINDOW}
    seasonal[date(2026, 4, 1)] = 70
    rows += series("E05000001", "Seasonal", "claimant_count", seasonal)
    # (b) Step: 30/40 alternating before, 50/60 alternating now.
    rows += series("E05000002", "Step", "claimant_count",
                   {**alternate(BASE_WINDOW, 30, 40), **alternate(NOISE_WINDOW, 50, 60)})
    # A clear fall: 40 every month then, 20 every month now.
    rows += series("E05000002", "Step", "claimant_count_16_24",
                   {**{p: 40 for p in BASE_WINDOW}, **{p: 20 for p in NOISE_WINDOW}})
    # (f) Step's claimant rate: 2.0% then, 2.8/3.2 alternating now (each +-0.1); district 2.9/3.1 then, 3.5 now;
    # country 2.5 then, 3.0 now.
    rows += series("E05000002", "Step", "claimant_rate", {**{p: 2.0 for p in BASE_WINDOW}, **alternate(NOISE_WINDOW, 2.8, 3.2)},
                   half_width=0.1, lad={**alternate(BASE_WINDOW, 2.9, 3.1), **{p: 3.5 for p in NOISE_WINDOW}},
                   country={**{p: 2.5 for p in BASE_WINDOW}, **{p: 3.0 for p in NOISE_WINDOW}})
    # A decennial indicator is not a progress measure.
    rows += series("E05000002", "Step", "census_unemployment_rate", {date(2021, 3, 1): 5.0}, half_width=0.0)
    # (c) Gappy: only October 2014 .. April 2015 of the baseline window (7 months).
    rows += series("E05000003", "Gappy", "claimant_count",
                   {**{p: 25 for p in BASE_WINDOW[5:]}, **{p: 25 for p in NOISE_WINDOW}})
    # New: nothing before 2024; small numbers.
    rows += series("E05000004", "New", "claimant_count", {p: 15 for p in NOISE_WINDOW}, small=True)
    # Patchy: a full baseline, but July 2026 is missing (e.g. suppressed): 11 of the latest 12 months.
    rows += series("E05000005", "Patchy", "claimant_count",
                   {p: 30 for p in BASE_WINDOW + NOISE_WINDOW if p != date(2026, 7, 1)})
    # A ward that is not a focus ward is not reported (but its months count for its boundary set's latest month).
    rows += series("E05000009", "Other", "claimant_count", {p: 10 for p in BASE_WINDOW + NOISE_WINDOW}, focus=False)
    # (d) Split: the same ward code on two boundary sets. On the 2022 set it is held for the baseline window (20)
    # and for April 2023 .. April 2025 (30), when that set stops; on the 2024 set only from November 2025 (100).
    rows += series("E05000010", "Split", "claimant_count",
                   {**{p: 20 for p in BASE_WINDOW}, **{p: 30 for p in months(date(2023, 4, 1), date(2025, 4, 1))}},
                   vintage=2022)
    rows += series("E05000010", "Split", "claimant_count", {p: 100 for p in months(date(2025, 11, 1), OCT)},
                   vintage=2024)
    conn.execute(f"CREATE TABLE ward_indicators ({', '.join(f'{c} {t}' for c, t in COLUMNS.items())})")
    conn.executemany(f"INSERT INTO ward_indicators VALUES ({', '.join('?' for _ in COLUMNS)})", rows)
    return conn


@pytest.fixture
def progress(tmp_path):
    conn = progress_db(tmp_path / "progress.duckdb")
    build_focus_ward_progress(conn, BASE)
    yield conn
    conn.close()


def row(conn, name, indicator="claimant_count", vintage=None) -> dict:
    sql = "SELECT * FROM focus_ward_progress WHERE ward_name = ? AND indicator = ?"
    args = [name, indicator]
    if vintage is not None:
        sql += " AND ward_vintage = ?"
        args.append(vintage)
    cur = conn.execute(sql, args)
    got = cur.fetchall()
    assert len(got) == 1, got
    return dict(zip([d[0] for d in cur.description], got[0]))


def test_one_row_per_focus_ward_boundary_set_and_monthly_indicator(progress):
    got = progress.execute("SELECT ward_name, ward_vintage, indicator FROM focus_ward_progress").fetchall()
    assert sorted(got) == sorted([
        ("Seasonal", 2023, "claimant_count"), ("Step", 2023, "claimant_count"),
        ("Step", 2023, "claimant_count_16_24"), ("Step", 2023, "claimant_rate"), ("Gappy", 2023, "claimant_count"),
        ("New", 2023, "claimant_count"), ("Patchy", 2023, "claimant_count"),
        ("Split", 2022, "claimant_count"), ("Split", 2024, "claimant_count")])  # no Other, no Census


def test_a_seasonal_ward_whose_12_month_means_hardly_move_shows_no_clear_change(progress):
    """(a) Seasonal. Baseline window May 2014 .. April 2015 holds each calendar month once: mean 770 / 12 = 64.17.
    Latest window November 2025 .. October 2026, April 70 not 60: mean 780 / 12 = 65.00; change 10 / 12 = +0.83.
    The 24 changes into November 2024 .. October 2026:
      +10 +10 -10 0 -10 -10 -10 -10 0 +10 +10 +10   (Nov 2024 .. Oct 2025; sum 0, squares 1000)
      +10 +10 -10 0 -10   0 -20 -10 0 +10 +10 +10   (Nov 2025 .. Oct 2026; April 70 -> 70, May 70 -> 50;
                                                      sum 0, squares 1200)
    mean 0, sd = sqrt(2200 / 23) = 9.780; SE = 9.780 / sqrt(12) = 2.823; 1.96 SE = 5.534; rounding +-4.
    Interval 0.83 - 9.53 = -8.70 to 0.83 + 9.53 = +10.37: spans 0, so no clear change.
    The same calendar month differs by +10 (April 2015 60, April 2026 70), and the old single-month comparison
    (April 2015 60 against October 2026 70, range +6 to +14) would have called it a rise: it was the season."""
    r = row(progress, "Seasonal")
    sd = sqrt(2200 / 23)
    assert r["months_in_baseline"] == 12 and r["months_in_latest"] == 12 and r["noise_changes"] == 24
    assert r["baseline_mean"] == pytest.approx(770 / 12) and r["latest_mean"] == pytest.approx(65)
    assert r["change"] == pytest.approx(10 / 12)
    assert r["noise_sd"] == pytest.approx(sd / sqrt(2)) and r["se_change"] == pytest.approx(sd / sqrt(12))
    assert r["change_lower"] == pytest.approx(10 / 12 - 4 - 1.96 * sd / sqrt(12))
    assert r["change_lower"] == pytest.approx(-8.700, abs=1e-3)
    assert r["change_upper"] == pytest.approx(10.367, abs=1e-3)
    assert r["direction"] == "no clear change"
    assert (r["baseline_value"], r["latest_same_month_value"], r["same_month_change"]) == (60, 70, 10)
    assert str(r["latest_same_month_period"]) == "2026-04-01" and r["latest_value"] == 70
    assert str(r["baseline_period"]) == "2015-04-01" and str(r["latest_period"]) == "2026-10-01"
    assert "12-month means" in r["test_used"] and "October 2026" in r["test_used"]
    assert "anywhere from -9 to +10" in r["caveats"]


def test_a_clear_step_change_rises_with_the_interval_worked_by_hand(progress):
    """(b) Step. Baseline window 30/40 alternating: mean 35 (April 2015, the 12th month, is 40). October 2024 .. October
    2026 alternate 50, 60, ..., 50: the latest window (November 2025 .. October 2026) is six 60s and six 50s, mean 55;
    change +20. The 24 changes are twelve +10 and twelve -10: mean 0, sd = sqrt(2400 / 23) = 10.215;
    noise_sd = 10.215 / sqrt(2) = 7.223; SE = sqrt(2) x 7.223 / sqrt(12) = 2.949; 1.96 SE = 5.780.
    Interval: (55 - 2) - (35 + 2) - 5.780 = +10.22 to (55 + 2) - (35 - 2) + 5.780 = +29.78: rose."""
    r = row(progress, "Step")
    sd = sqrt(2400 / 23)
    assert (r["baseline_mean"], r["latest_mean"], r["change"]) == (35, 55, 20)
    assert r["noise_sd"] == pytest.approx(7.2232, abs=1e-4) and r["se_change"] == pytest.approx(2.9488, abs=1e-4)
    assert r["change_lower"] == pytest.approx(16 - 1.96 * sd / sqrt(12))
    assert r["change_lower"] == pytest.approx(10.2203, abs=1e-4)
    assert r["change_upper"] == pytest.approx(29.7797, abs=1e-4)
    assert r["direction"] == "rose"
    assert r["lad_change"] is None and r["change_vs_lad"] is None  # the fixture holds no district count
    # Same month: April 2015 40 -> April 2026 (month 18 of October 2024 .. , even) 50.
    assert (r["baseline_value"], r["latest_same_month_value"]) == (40, 50)
    # Youth: 40 every month then, 20 now: change -20, no month-to-month variation (sd 0), so -24 to -16: fell.
    y = row(progress, "Step", "claimant_count_16_24")
    assert (y["change"], y["noise_sd"], y["change_lower"], y["change_upper"], y["direction"]) == (-20, 0, -24, -16, "fell")


def test_missing_months_give_no_baseline_figure_and_say_how_many(progress):
    """(c) Gappy holds 7 of the 12 baseline months; New none (and small numbers); Patchy all 12 baseline months but
    11 of the latest 12."""
    gappy = row(progress, "Gappy")
    assert gappy["direction"] == "no baseline figure" and gappy["months_in_baseline"] == 7
    assert gappy["baseline_mean"] is None and gappy["change"] is None and gappy["change_lower"] is None
    assert gappy["test_used"] is None
    assert gappy["baseline_value"] == 25  # April 2015 itself is held
    assert "only 7 of the 12 months to April 2015 held on these ward boundaries" in gappy["caveats"]
    new = row(progress, "New")
    assert new["direction"] == "no baseline figure" and new["months_in_baseline"] == 0 and new["baseline_value"] is None
    assert "no figures for the 12 months to April 2015" in new["caveats"]
    assert new["small_number"] and "small numbers" in new["caveats"]
    patchy = row(progress, "Patchy")
    assert patchy["direction"] == "too few recent months" and patchy["months_in_latest"] == 11
    assert patchy["baseline_mean"] == 30 and patchy["latest_mean"] is None and patchy["change"] is None
    assert "only 11 of the 12 months to October 2026 held" in patchy["caveats"]


def test_two_boundary_sets_give_two_rows_never_spliced(progress):
    """(d) Split, E05000010 on the 2022 and 2024 sets. 2022: its set's latest month is April 2025; baseline mean 20,
    latest (May 2024 .. April 2025) 30, change +10; constant since April 2023, so sd 0 and the interval is the
    rounding alone: +6 to +14, rose. 2024: nothing before November 2025, so no baseline figure (latest mean 100).
    A splice of the 2022 baseline with the 2024 months would have shown +80."""
    old = row(progress, "Split", vintage=2022)
    assert str(old["latest_period"]) == "2025-04-01"
    assert (old["baseline_mean"], old["latest_mean"], old["change"]) == (20, 30, 10)
    assert (old["noise_sd"], old["change_lower"], old["change_upper"], old["direction"]) == (0, 6, 14, "rose")
    assert old["source_query_id"] == "q-cc-2022" and old["baseline_source_query_id"] == "q-cc-2022"
    assert "figures on these ward boundaries end in April 2025" in old["caveats"]
    new = row(progress, "Split", vintage=2024)
    assert str(new["latest_period"]) == "2026-10-01"
    assert new["months_in_baseline"] == 0 and new["direction"] == "no baseline figure"
    assert new["latest_mean"] == 100 and new["change"] is None
    assert new["source_query_id"] == "q-cc-2024"


def test_a_baseline_before_universal_credit_full_service_is_flagged(tmp_path):
    """(e) April 2015 is before December 2018 (UC full service in every jobcentre): flag and caveat on every row.
    January 2019 is not (flag false), but its 12-month window (February 2018 .. January 2019) begins before, which the
    caveats say; November 2019's window (December 2018 .. November 2019) is wholly after."""
    conn = progress_db(tmp_path / "uc.duckdb")
    for baseline, flag, full, partial in [(BASE, True, True, False), (date(2019, 1, 1), False, False, True),
                                          (date(2019, 11, 1), False, False, False)]:
        build_focus_ward_progress(conn, baseline)
        got = conn.execute("SELECT baseline_period, baseline_before_uc_full_service, caveats "
                           "FROM focus_ward_progress").fetchall()
        assert {(p, f) for p, f, _ in got} == {(baseline, flag)}
        for _, _, caveats in got:
            assert ("Universal Credit changed what the claimant count measures" in caveats) is full
            assert ("so a change since then partly reflects the benefit system, not only the labour market"
                    in caveats) is full
            assert ("12 months averaged for the baseline begin before Universal Credit full service"
                    in (caveats or "")) is partial
    assert baseline_date("2018-12") == date(2018, 12, 1)


def test_rates_compare_with_the_district_by_12_month_means(progress):
    """(f) Step's claimant rate. Ward: 2.0 then; 2.8/3.2 alternating now, latest window mean 3.0; change +1.0.
    District: 2.9/3.1 then (mean 3.0), 3.5 now: lad_change +0.5, change_vs_lad = 1.0 - 0.5 = +0.5.
    Country: 2.5 then, 3.0 now: +0.5. Noise: 24 changes of +-0.4, sd = 0.4 x sqrt(24 / 23) = 0.4086;
    SE = 0.4086 / sqrt(12) = 0.1180; 1.96 SE = 0.2312. Rounding: each month +-0.1, so the difference +-0.2.
    Interval 1.0 - 0.2 - 0.2312 = +0.569 to 1.0 + 0.2 + 0.2312 = +1.431: rose."""
    r = row(progress, "Step", "claimant_rate")
    sd = 0.4 * sqrt(24 / 23)
    assert r["baseline_mean"] == pytest.approx(2.0) and r["latest_mean"] == pytest.approx(3.0)
    assert r["change"] == pytest.approx(1.0)
    assert r["lad_baseline_mean"] == pytest.approx(3.0) and r["lad_latest_mean"] == pytest.approx(3.5)
    assert r["lad_change"] == pytest.approx(0.5) and r["change_vs_lad"] == pytest.approx(0.5)
    assert r["country_change"] == pytest.approx(0.5)
    assert r["se_change"] == pytest.approx(sd / sqrt(12))
    assert r["change_lower"] == pytest.approx(0.8 - 1.96 * sd / sqrt(12))
    assert r["change_lower"] == pytest.approx(0.5688, abs=1e-4) and r["change_upper"] == pytest.approx(1.4312, abs=1e-4)
    assert r["direction"] == "rose"
    assert "+0.6 to +1.4 percentage points" in r["caveats"]
    assert "denominators are mid-2014/2015 and mid-2024 population estimates" in r["caveats"]


def test_the_configured_baseline_month_still_parses():
    """lmi.toml keeps baseline_month = "2015-04" (the report test expects it); a post-full-service month parses."""
    base = {"local_authority": [{"code": "E07000062"}]}
    assert parse_areas(base).baseline_month == "2015-04"
    assert parse_areas({**base, "analysis": {"baseline_month": "2018-12"}}).baseline_month == "2018-12"
