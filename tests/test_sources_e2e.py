"""End to end on the demo data: the synthetic snapshot is recorded through the real clients, then one
Dagster run replays it (no network) and produces every indicator for every configured ward; a few
cells are checked by hand against what the synthetic upstream serves."""

from collections import defaultdict

import duckdb
import pytest

from lmi_demo.dfe_sim import DATASET_2026
from lmi_demo.server import UpstreamSim
from lmi_demo.snapshot import build_demo_snapshot
from lmi_pipeline.indicators.catalogue import INDICATORS
from lmi_pipeline.operations.runs import failure_messages
from lmi_pipeline.settings import load_settings
from tests.conftest import make_project, run_pipeline
from tests.sources_helpers import nomis_id, served_neet, served_rows

GENSING, PARK_WOOD, HASTINGS, MAIDSTONE, EAST_SUSSEX = "E05011207", "E05005002", "E07000062", "E07000110", "E10000011"
WARDS = {HASTINGS: 16, MAIDSTONE: 26}
# IoD 2025: the demo's File 7 is synthetic, for the demo world's (made-up) LSOAs, so every ward has the figures,
# built from LSOAs by best fit on every ward vintage held (test_deprivation.py works them by hand).
DEPRIVATION = "iod_employment_deprivation"
IOD = {DEPRIVATION, "iod_income_deprivation", "imd_share_lsoas_most_deprived_decile", "imd_average_score"}
# Stat-Xplore needs a key, and this demo run has none: its UC figures are absent (test_earnings_jobs_e2e has a key).
KEYED = {i.indicator for i in INDICATORS if i.source_dataset.startswith("Stat-Xplore")}
WARD_INDICATORS = {i.indicator for i in INDICATORS if i.lowest_level == "ward"} - KEYED
AREA_ONLY = {i.indicator for i in INDICATORS if i.lowest_level != "ward"}


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    project = make_project(tmp_path_factory.mktemp("demo"))
    settings = load_settings({"LMI_SOURCE": "demo", "LMI_PROJECT_DIR": str(project)})
    build_demo_snapshot(settings)
    result = run_pipeline(settings, raise_on_error=False)
    assert result.success, failure_messages(result)
    conn = duckdb.connect(str(settings.published_db), read_only=True)
    yield UpstreamSim(), conn  # the same deterministic world the snapshot was recorded from
    conn.close()


def test_every_ward_indicator_for_every_configured_ward(demo):
    _, conn = demo
    assert {"census_unemployment_rate", "census_unemployment_rate_16_24", "census_inactive_long_term_sick",
            "census_inactive_looking_after_home", "census_inactive_other", "census_inactive_student",
            "census_inactive_retired", "census_neet_proxy_16_24", "claimant_rate"} <= WARD_INDICATORS
    rows = conn.execute("""SELECT indicator, lad_code, count(DISTINCT ward_code), count(value), count(*)
        FROM ward_indicators WHERE period = (SELECT max(period) FROM ward_indicators w2 WHERE w2.indicator = ward_indicators.indicator)
        GROUP BY ALL""").fetchall()
    found = defaultdict(dict)
    for indicator, lad, wards, values, n in rows:
        found[indicator][lad] = (wards, values, n)
    assert set(found) == WARD_INDICATORS  # and nothing else: survey and DfE figures are not ward figures
    for indicator in WARD_INDICATORS - IOD:
        for lad, n_wards in WARDS.items():
            if lad == MAIDSTONE and indicator.startswith(("claimant", "bres", "business", "population")):
                n_wards += 22  # the claimant count, BRES, business counts and population are on Maidstone's 2024 wards too
            assert found[indicator][lad] == (n_wards, n_wards, n_wards), (indicator, lad)
    # IoD is built by LSOA best fit on every ward vintage held (2022 and 2024): Hastings' 16 wards, unchanged, have a
    # row on each; Maidstone's 26 wards of 2022 and 22 of 2024 one each.
    for indicator in IOD:
        assert found[indicator] == {HASTINGS: (16, 32, 32), MAIDSTONE: (48, 48, 48)}, indicator
    census = conn.execute("""SELECT DISTINCT period, ward_vintage, change_12m FROM ward_indicators
        WHERE indicator LIKE 'census%'""").fetchall()
    assert [(p.isoformat(), v, c) for p, v, c in census] == [("2021-03-01", 2022, None)]  # a snapshot: no change


def test_area_level_indicators_live_in_area_indicators(demo):
    _, conn = demo
    held = conn.execute("""SELECT indicator, string_agg(DISTINCT area_code, ',' ORDER BY area_code)
        FROM area_indicators WHERE indicator IN (SELECT unnest($i)) GROUP BY 1""", {"i": sorted(AREA_ONLY)}).fetchall()
    held = dict(held)
    assert set(held) == AREA_ONLY
    for aps in ("aps_unemployment_rate", "aps_employment_rate", "aps_inactivity_rate"):
        assert {HASTINGS, MAIDSTONE, EAST_SUSSEX, "E10000016", "E12000008", "E92000001"} <= set(held[aps].split(","))
    # Model-based estimates exist for local authorities only: no region or England benchmark, and no error.
    assert held["model_unemployment_rate"] == f"{HASTINGS},{MAIDSTONE},{EAST_SUSSEX},E10000016"
    assert held["neet_nk_16_17"] == "E10000011,E10000016,E12000008,E92000001"  # upper tier, region, England
    catalogue = dict(conn.execute("SELECT indicator, status FROM indicator_catalogue").fetchall())
    assert catalogue["census_unemployment_rate_16_24"] == "derived" and catalogue["census_neet_proxy_16_24"] == "proxy"
    assert set(catalogue) == WARD_INDICATORS | AREA_ONLY | KEYED and IOD <= WARD_INDICATORS
    labels = conn.execute("SELECT DISTINCT data_label FROM area_indicators").fetchall()
    assert labels == [("synthetic demo data",)]
    deprivation = conn.execute(f"""SELECT DISTINCT area_level, status, data_label FROM area_indicators
        WHERE indicator = '{DEPRIVATION}' ORDER BY 1""").fetchall()
    # county and region: the configured districts' benchmarks, from the LSOAs File 7 places in them
    assert deprivation == [(level, "derived", "synthetic demo data")
                           for level in ("country", "county", "lad", "region", "ward")]


def test_census_cells_by_hand(demo):
    sim, conn = demo
    ts066 = {r["C2021_EASTAT_20"]: float(r["OBS_VALUE"]) for r in served_rows(
        sim, "NM_2083_1", geography=nomis_id(sim, GENSING, 153), date="latest", c2021_eastat_20="0,1001,7,1006,14,18")}
    hastings = {r["C2021_EASTAT_20"]: float(r["OBS_VALUE"]) for r in served_rows(
        sim, "NM_2083_1", geography=nomis_id(sim, HASTINGS, 154), date="latest", c2021_eastat_20="1001,7,1006,14")}
    rate = dict(((i, (v, n, d, lad, st)) for i, v, n, d, lad, st in conn.execute("""
        SELECT indicator, value, numerator, denominator, lad_value, status FROM ward_indicators WHERE ward_code = ?
        AND indicator IN ('census_unemployment_rate', 'census_unemployment_rate_excl_students',
                          'census_inactive_long_term_sick')""", [GENSING]).fetchall()))
    # The ONS definition counts economically active full-time students: (7 + 14) / (1001 + 1006).
    unemployed, active = ts066["7"] + ts066["14"], ts066["1001"] + ts066["1006"]
    lad_rate = round(100 * (hastings["7"] + hastings["14"]) / (hastings["1001"] + hastings["1006"]), 1)
    assert rate["census_unemployment_rate"] == (round(100 * unemployed / active, 1), unemployed, active, lad_rate,
                                                "computed")
    # Students excluded from both sides: 7 / 1001, a separate indicator.
    assert rate["census_unemployment_rate_excl_students"][:3] == (round(100 * ts066["7"] / ts066["1001"], 1),
                                                                  ts066["7"], ts066["1001"])
    assert rate["census_unemployment_rate"][0] != rate["census_unemployment_rate_excl_students"][0]
    assert rate["census_inactive_long_term_sick"][:3] == (round(100 * ts066["18"] / ts066["0"], 1), ts066["18"],
                                                          ts066["0"])
    # Park Wood aged 16-24: its six LSOAs as Nomis served them, summed, then ONS definition
    # (unemployed non-students + unemployed students) / (all four active groups); ours, so derived.
    lsoas = [s.code for s in sim.world.lsoas if s.ward_code == PARK_WOOD]
    cells = defaultdict(float)
    for r in served_rows(sim, "NM_2124_1", geography=",".join(nomis_id(sim, c, 151) for c in lsoas), date="latest",
                         c_sex="0", c2021_age_7="2", c2021_eastat_7="1,2,3,4"):
        cells[r["C2021_EASTAT_7"]] += float(r["OBS_VALUE"])
    row = conn.execute("""SELECT value, numerator, denominator, status, source_dataset FROM ward_indicators
        WHERE ward_code = ? AND indicator = 'census_unemployment_rate_16_24'""", [PARK_WOOD]).fetchone()
    active_16_24 = cells["1"] + cells["2"] + cells["3"] + cells["4"]
    assert row == (round(100 * (cells["2"] + cells["4"]) / active_16_24, 1), cells["2"] + cells["4"], active_16_24,
                   "derived", "NM_2124_1 (2021 LSOAs aggregated to 2022 wards by LSOA21 best fit)")


def test_survey_and_neet_cells_by_hand(demo):
    sim, conn = demo
    rows = served_rows(sim, "NM_17_5", geography=nomis_id(sim, MAIDSTONE, 424), date="latest", variable="83",
                       measures="20599,21003")
    served = {r["MEASURES"]: float(r["OBS_VALUE"]) for r in rows}
    aps = conn.execute("""SELECT value, lower, upper, status FROM area_indicators WHERE area_code = ?
        AND indicator = 'aps_unemployment_rate' AND period = DATE '2026-06-01'""", [MAIDSTONE]).fetchone()
    assert aps[0] == served["20599"] and aps[1] == pytest.approx(served["20599"] - served["21003"])
    assert aps[2] == pytest.approx(served["20599"] + served["21003"]) and aps[3] == "official"
    suppressed = conn.execute("""SELECT value, lower, upper, obs_status FROM area_indicators WHERE area_code = ?
        AND indicator = 'aps_unemployment_rate' AND period = DATE '2024-06-01'""", [HASTINGS]).fetchone()
    assert suppressed == (None, None, None, "!")
    neet = {r["time_period"]: r for r in served_neet(sim, DATASET_2026) if r["new_la_code"] == EAST_SUSSEX
            and r["age"] == "16 to 17" and r["characteristic"] == "Total"}
    got = conn.execute("""SELECT value, numerator, denominator, area_level FROM area_indicators WHERE area_code = ?
        AND indicator = 'neet_nk_16_17' AND period = DATE '2026-01-01'""", [EAST_SUSSEX]).fetchone()
    assert got == (float(neet["2026"]["neet_nk_percent"]), float(neet["2026"]["avg_neet_nk_count"]),
                   float(neet["2026"]["avg_cohort_count"]), "county")


def test_provenance_covers_the_new_sources(demo):
    _, conn = demo
    datasets = {d for (d,) in conn.execute("SELECT DISTINCT dataset FROM provenance").fetchall()}
    assert {"NM_2083_1", "NM_17_5", "NM_127_1", f"DfE EES {DATASET_2026}",
            "NM_2124_1 (2021 LSOAs; aggregated to wards by LSOA21 best fit)"} <= datasets
    missing = conn.execute("""SELECT count(*) FROM area_indicators WHERE source_query_id IS NULL OR data_label IS NULL
        OR retrieved_at IS NULL""").fetchone()[0]
    assert missing == 0
    assert conn.execute("SELECT DISTINCT source_mode FROM provenance").fetchall() == [("demo",)]
