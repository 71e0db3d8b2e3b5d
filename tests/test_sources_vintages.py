"""A ward-vintage switch inside one series, as real: Maidstone's 26 wards were replaced by 22 new ones in May
2024 (real ONS codes and names), and the synthetic Nomis publishes the claimant count and population
estimates on both sets, the Census on 2022 wards only. Both vintages stay queryable, figures never mix
boundaries, and the LSOA best-fit bridge relates the old wards to the new."""

import duckdb
import pytest

from lmi_demo.server import UpstreamSim, serve
from lmi_demo.world import World
from lmi_pipeline.operations.runs import failure_messages
from tests.conftest import TEST_DISTRICTS, live_settings, make_project, run_pipeline
from tests.sources_helpers import nomis_id, served_rows

PARK_WOOD_2022, PARK_WOOD_2024, GENSING = "E05005002", "E05015608", "E05011207"
MAIDSTONE = "E07000110"


@pytest.fixture(scope="module")
def switched(tmp_path_factory):
    world = World.for_districts(TEST_DISTRICTS)
    sim = UpstreamSim(world)
    with serve(sim) as root:
        settings = live_settings(make_project(tmp_path_factory.mktemp("switch")), sim, root)
        result = run_pipeline(settings, raise_on_error=False)
    assert result.success, failure_messages(result)
    conn = duckdb.connect(str(settings.published_db), read_only=True)
    yield sim, conn
    conn.close()


def test_both_vintages_are_queryable(switched):
    sim, conn = switched
    rows = conn.execute("""SELECT lad_code, ward_vintage, count(DISTINCT ward_code), count(DISTINCT period)
        FROM ward_indicators WHERE indicator = 'claimant_count' GROUP BY ALL ORDER BY ALL""").fetchall()
    n_months = len(sim.world.months)
    # Maidstone on both boundaries for the whole series; Hastings' codes did not change, so once.
    assert rows == [("E07000062", 2024, 16, n_months), (MAIDSTONE, 2022, 26, n_months), (MAIDSTONE, 2024, 22, n_months)]
    park_wood = conn.execute("""SELECT ward_code, ward_name, ward_vintage, focus_name, focus_match FROM ward_lookup
        WHERE lad_code = ? AND is_focus ORDER BY ward_vintage""", [MAIDSTONE]).fetchall()
    assert park_wood == [(PARK_WOOD_2022, "Park Wood", 2022, "Park Wood", "as named"),
                         (PARK_WOOD_2024, "Park Wood & Mangravet", 2024, "Park Wood", "most of its LSOAs (best fit)")]


def test_no_mixing_of_boundaries(switched):
    """Each Park Wood row is the figure Nomis serves for that vintage's ward; change and rank stay within it."""
    sim, conn = switched
    for code, type_code, vintage, n_wards in ((PARK_WOOD_2022, 153, 2022, 26), (PARK_WOOD_2024, 187, 2024, 22)):
        served = {r["DATE"]: float(r["OBS_VALUE"]) for r in served_rows(
            sim, "NM_162_1", geography=nomis_id(sim, code, type_code), date="2026-10,2025-10", gender="0", age="0",
            measure="1")}
        row = conn.execute("""SELECT value, change_12m, n_wards_in_lad, lad_value FROM ward_indicators
            WHERE ward_code = ? AND ward_vintage = ? AND indicator = 'claimant_count' AND period = DATE '2026-10-01'""",
                           [code, vintage]).fetchone()
        assert row[0] == served["2026-10"] and row[1] == served["2026-10"] - served["2025-10"]
        assert row[2] == n_wards
    old, moved = (conn.execute("""SELECT value FROM ward_indicators WHERE ward_code = ? AND indicator = 'claimant_count'
        AND period = DATE '2026-10-01'""", [c]).fetchone()[0] for c in (PARK_WOOD_2022, PARK_WOOD_2024))
    same_area = conn.execute("""SELECT relationship = 'recoded' FROM ward_vintage_bridge WHERE from_ward_code = ?
        AND to_ward_code = ?""", [PARK_WOOD_2022, PARK_WOOD_2024]).fetchone()[0]
    assert (old == moved) == same_area  # different areas, different counts: never one averaged or spliced series
    ranks = conn.execute("""SELECT ward_vintage, max(rank_in_lad) FROM ward_indicators WHERE lad_code = ?
        AND indicator = 'claimant_count' AND period = DATE '2026-10-01' GROUP BY 1 ORDER BY 1""", [MAIDSTONE]).fetchall()
    assert [v for v, _ in ranks] == [2022, 2024] and all(r <= n for (_, r), n in zip(ranks, (26, 22)))
    # Population estimates are published on both ward sets too: each derived youth rate divides claimants by
    # residents of the same boundaries, never new-boundary claimants by old-boundary residents.
    derived = conn.execute("""SELECT ward_vintage, count(value), count(DISTINCT denominator_query_id)
        FROM ward_indicators WHERE indicator = 'claimant_rate_16_24' AND ward_code IN (?, ?) GROUP BY 1 ORDER BY 1""",
                           [PARK_WOOD_2022, PARK_WOOD_2024]).fetchall()
    assert derived == [(2022, len(sim.world.months), 1), (2024, len(sim.world.months), 1)]
    pop = conn.execute("""SELECT DISTINCT w.denominator, p.value FROM ward_indicators w JOIN population p
        ON p.area_code = w.ward_code AND p.ward_vintage = w.ward_vintage AND p.year = w.denominator_year
       AND p.age_band = '16-24' WHERE w.ward_code = ? AND w.indicator = 'claimant_rate_16_24'""",
                       [PARK_WOOD_2024]).fetchall()
    assert pop and all(d == v for d, v in pop)
    dupes = conn.execute("""SELECT count(*) FROM (SELECT ward_code, ward_vintage, indicator, period FROM ward_indicators
        GROUP BY ALL HAVING count(*) > 1)""").fetchone()[0]
    assert dupes == 0


def test_bridge_relates_the_vintages(switched):
    """The bridge is what the LSOA best fits served imply: for each old ward, the new wards its LSOAs went to."""
    sim, conn = switched
    lsoas = [x for x in sim.world.lsoas if x.lad_code == MAIDSTONE]
    expected = {}
    for x in lsoas:
        pair = (x.ward_codes[2022], x.ward_codes[2024])
        expected[pair] = expected.get(pair, 0) + 1
    got = {(f, t): n for f, t, n in conn.execute("""SELECT from_ward_code, to_ward_code, shared_lsoas
        FROM ward_vintage_bridge WHERE lad_code = ? AND from_vintage = 2022 AND to_vintage = 2024""",
                                                  [MAIDSTONE]).fetchall()}
    assert got == expected
    park_wood = conn.execute("""SELECT to_ward_name, relationship FROM ward_vintage_bridge
        WHERE from_ward_code = ? AND to_vintage = 2024 ORDER BY shared_lsoas DESC LIMIT 1""", [PARK_WOOD_2022]).fetchone()
    assert park_wood[0] == "Park Wood & Mangravet" and park_wood[1] in ("merged into", "part of", "recoded")
    hastings = conn.execute("""SELECT DISTINCT relationship FROM ward_vintage_bridge WHERE lad_code = 'E07000062'""").fetchall()
    assert hastings == [("unchanged",)]


def test_census_stays_on_2022_wards(switched):
    _, conn = switched
    vintages = conn.execute("""SELECT DISTINCT ward_vintage FROM ward_indicators WHERE indicator LIKE 'census%'""").fetchall()
    assert vintages == [(2022,)]
    assert conn.execute("SELECT count(*) FROM ward_indicators WHERE indicator LIKE 'census%' AND ward_code = ?",
                        [PARK_WOOD_2024]).fetchone()[0] == 0


def test_lsoa_lookup_pages_through_arcgis(upstream, sim):
    """The LSOA21 -> ward lookup in ArcGIS's format, paged on exceededTransferLimit, for each vintage."""
    from lmi_pipeline.clients.ons_geo import OnsGeoResource, discover_lsoa_ward_lookup

    ons = OnsGeoResource(base_url=sim.base_urls(upstream)["ONS_GEO_BASE_URL"], source_mode="live", page_size=40,
                         backoff_seconds=0.01)
    spec = ons.lsoa_ward_lookup(discover_lsoa_ward_lookup(ons.services(), 2024))
    rows, responses = ons.query(spec.service, f"{spec.lad_code} IN ('E07000062','E07000110')", spec.fields,
                                order_by=spec.lsoa_code)
    served = [x for x in sim.world.lsoas if x.lad_code in TEST_DISTRICTS]
    assert len(rows) == len(served) and len(responses) == -(-len(served) // 40)
    assert set(rows[0]) == {"LSOA21CD", "LSOA21NM", "WD24CD", "WD24NM", "LAD24CD", "LAD24NM"}
    assert [r["LSOA21CD"] for r in rows] == sorted(r["LSOA21CD"] for r in rows)  # contiguous pages, in order
    park_wood = [r for r in rows if r["WD24CD"] == PARK_WOOD_2024]
    assert len(park_wood) == sum(x.ward_codes[2024] == PARK_WOOD_2024 for x in served) > 0
