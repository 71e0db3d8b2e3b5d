"""End to end: a real Dagster run over a real local HTTP server into a real DuckDB file, then checks on numbers."""

import csv
import io

import duckdb
import pytest

from lmi_demo.server import UpstreamSim, serve
from lmi_pipeline.clients.nomis_csv import OBS_STATUS
from tests.conftest import live_settings, make_project, run_pipeline

HASTINGS_WARDS = 16  # the same codes on 2022 and 2024 boundaries
MAIDSTONE_WARDS = 26 + 22  # 26 wards until 2023, 22 new ones from May 2024: both sets are published


@pytest.fixture(scope="module")
def published(tmp_path_factory):
    """One full run against the synthetic upstream; yields (settings, read-only connection, sim)."""
    tmp = tmp_path_factory.mktemp("e2e")
    sim = UpstreamSim()
    with serve(sim) as root:
        settings = live_settings(make_project(tmp), sim, root)
        result = run_pipeline(settings)
    assert result.success
    conn = duckdb.connect(str(settings.published_db), read_only=True)
    yield settings, conn, sim
    conn.close()


def test_every_configured_ward_every_month_every_indicator(published):
    _, conn, sim = published
    n_months = len(sim.world.months)
    rows = conn.execute("""
        SELECT lad_code, indicator, count(DISTINCT ward_code), count(DISTINCT period), count(*)
        FROM ward_indicators WHERE indicator LIKE 'claimant%' GROUP BY ALL ORDER BY ALL""").fetchall()
    assert {r[1] for r in rows} == {"claimant_count", "claimant_rate", "claimant_count_16_24",
                                    "claimant_count_18_24", "claimant_rate_16_24", "claimant_rate_18_24"}
    for lad, _, wards, months, n in rows:
        assert wards == {"E07000062": HASTINGS_WARDS, "E07000110": MAIDSTONE_WARDS}[lad]
        assert months == n_months and n == wards * months
    focus = conn.execute("SELECT DISTINCT ward_name FROM ward_indicators WHERE is_focus ORDER BY 1").fetchall()
    # Park Wood on 2022 boundaries, and the 2024 ward holding most of it
    assert [f[0] for f in focus] == ["Castle", "Central St Leonards", "Gensing", "Park Wood", "Park Wood & Mangravet"]
    assert conn.execute("SELECT count(*) FROM ward_indicators WHERE ward_vintage IS NULL").fetchone()[0] == 0


def test_rates_equal_count_over_denominator(published):
    _, conn, _ = published
    official, derived = conn.execute("""
        SELECT max(abs(value - 100 * numerator / denominator)) FILTER (indicator = 'claimant_rate'),
               max(abs(value - round(100 * numerator / denominator, 1))) FILTER (indicator LIKE 'claimant_rate_%')
        FROM ward_indicators""").fetchone()
    assert official <= 0.05 + 1e-9  # Nomis publishes the rate to 1 dp
    assert derived == 0
    statuses = dict(conn.execute("SELECT indicator, any_value(status) FROM ward_indicators GROUP BY 1").fetchall())
    assert statuses["claimant_rate_16_24"] == "derived" and statuses["claimant_rate"] == "official"


def test_hand_checked_cell_against_the_raw_csv(published):
    """Gensing, October 2026: the count is what Nomis served; benchmarks and change are the right rows."""
    _, conn, sim = published
    ids = {a.code: i for i, (a, t, _) in sim.nomis.geo_index.items() if t in (187, 424, 423, 480, 499)}
    served = {}
    for code in ("E05011207", "E07000062", "E10000011", "E12000008", "E92000001"):
        _, _, body = sim.nomis.handle("dataset/NM_162_1.data.csv", {
            "geography": str(ids[code]), "date": "2026-10,2025-10", "gender": "0", "age": "0", "measure": "1,2"})
        for r in csv.DictReader(io.StringIO(body.decode())):
            served[(code, r["DATE"], r["MEASURE"])] = float(r["OBS_VALUE"])
    row = conn.execute("""
        SELECT value, numerator, lad_value, county_value, region_value, country_value, change_12m, lower, upper
        FROM ward_indicators WHERE ward_code = 'E05011207' AND indicator = ? AND period = DATE '2026-10-01'""",
        ["claimant_rate"]).fetchone()
    assert row[0] == served[("E05011207", "2026-10", "2")]
    assert row[1] == served[("E05011207", "2026-10", "1")]
    assert row[2:6] == tuple(served[(c, "2026-10", "2")] for c in ("E07000062", "E10000011", "E12000008", "E92000001"))
    assert row[6] == pytest.approx(served[("E05011207", "2026-10", "2")] - served[("E05011207", "2025-10", "2")])
    count = conn.execute("""SELECT value, lower, upper, small_number FROM ward_indicators
        WHERE ward_code = 'E05011207' AND indicator = 'claimant_count' AND period = DATE '2026-10-01'""").fetchone()
    assert count[0] % 5 == 0 and (count[1], count[2]) == (count[0] - 2, count[0] + 2)


def test_rank_within_district(published):
    _, conn, _ = published
    bad = conn.execute("""
        SELECT count(*) FROM ward_indicators w
        WHERE rank_in_lad = 1 AND value < (SELECT max(value) FROM ward_indicators v
              WHERE v.lad_code = w.lad_code AND v.ward_vintage = w.ward_vintage AND v.indicator = w.indicator
                AND v.period = w.period)""").fetchone()[0]
    assert bad == 0
    n = conn.execute("SELECT DISTINCT n_wards_in_lad FROM ward_indicators WHERE lad_code = 'E07000062' "
                     "AND indicator = 'claimant_count'").fetchall()
    assert n == [(HASTINGS_WARDS,)]


def test_small_numbers_flagged(published):
    _, conn, _ = published
    wrong = conn.execute("""SELECT count(*) FROM ward_indicators
        WHERE small_number IS DISTINCT FROM (numerator < 20)""").fetchone()[0]
    flagged = conn.execute("SELECT count(*) FROM ward_indicators WHERE small_number").fetchone()[0]
    assert wrong == 0 and flagged > 0


def test_provenance_on_every_figure(published):
    _, conn, _ = published
    missing = conn.execute("""SELECT count(*) FROM ward_indicators
        WHERE source_query_id IS NULL OR data_label IS NULL OR release IS NULL OR retrieved_at IS NULL""").fetchone()[0]
    assert missing == 0
    prov = conn.execute("""SELECT dataset, query_url, rows, latest_period, release FROM provenance
        WHERE source_asset = 'raw_claimant_count' AND rows IS NOT NULL""").fetchone()
    assert prov[0] == "NM_162_1" and "RecordOffset" not in prov[1] and prov[2] > 0
    assert prov[3] == "2026-10" and prov[4]


def test_published_file_is_readable_by_duckdb_1_4(published):
    settings, conn, _ = published
    tags = conn.execute("SELECT tags FROM duckdb_databases() WHERE NOT internal").fetchone()[0]
    assert tags["storage_version"].startswith("v1.4.0")


def test_published_file_holds_data_not_build_helpers(published):
    """The build's macros are TEMP and its lookup tables registered: none reaches researchers. The one
    codelist published on purpose, obs_status_codes, is the one every is_suppressed was read from."""
    _, conn, _ = published
    macros = conn.execute("SELECT function_name FROM duckdb_functions() WHERE function_type IN ('macro', 'table_macro') "
                          "AND database_name = current_database()").fetchall()
    assert macros == []
    tables = {r[0] for r in conn.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
    assert not tables & {"nomis_status", "labels", "status_codelist"}
    published_codes = conn.execute("SELECT code, label, is_suppressed FROM obs_status_codes ORDER BY code").fetchall()
    assert published_codes == sorted((c, label, missing) for c, (label, missing) in OBS_STATUS.items())
    wrong = conn.execute("""SELECT count(*) FROM claimant_count AS c JOIN obs_status_codes AS s ON s.code = c.obs_status
                            WHERE c.is_suppressed IS DISTINCT FROM s.is_suppressed""").fetchone()[0]
    assert wrong == 0


def test_without_a_stat_xplore_key_uc_is_available_with_a_key_and_nothing_was_asked(published):
    _, conn, sim = published
    assert not [p for p in sim.log if "statxplore" in p]
    assert conn.execute("SELECT outcome FROM source_status WHERE source_asset = 'raw_uc_conditionality'").fetchall() \
        == [("needs_key",)]
    gaps = conn.execute("""SELECT place_level, status, source_to_add FROM lmi_need_gaps
        WHERE need_id = 'universal_credit_conditionality'""").fetchall()
    assert gaps and {r[1] for r in gaps} == {"free_key"} and all("UC_Monthly" in r[2] for r in gaps)
    assert {r[0] for r in gaps} == {"ward", "lad"}
    assert conn.execute("SELECT count(*) FROM area_indicators WHERE indicator LIKE 'uc_%'").fetchone()[0] == 0
