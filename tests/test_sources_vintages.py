"""A ward-vintage switch inside one series: the synthetic Nomis moves NM_162_1 to "2024 wards", with
SYNTHETIC new Maidstone codes (E059xxxxx). Both vintages stay queryable, figures never mix boundaries,
and the LSOA best-fit bridge relates the old wards to the new."""

import duckdb
import pytest

from lmi_demo.server import UpstreamSim, serve
from lmi_demo.world import World
from lmi_pipeline.runs import failure_messages
from tests.conftest import live_settings, make_project, run_pipeline
from tests.sources_helpers import nomis_id, served_rows

PARK_WOOD_2023, SHEPWAY_SOUTH_2023, LEEDS_2023, GENSING = "E05005002", "E05005004", "E05004997", "E05011207"
MAIDSTONE = "E07000110"


@pytest.fixture(scope="module")
def switched(tmp_path_factory):
    world = World.default(maidstone_2024=True)
    sim = UpstreamSim(world)
    sim.nomis.offer_ward_type("NM_162_1", 2024)  # the claimant count moves; the other datasets do not
    with serve(sim) as root:
        settings = live_settings(make_project(tmp_path_factory.mktemp("switch")), sim, root)
        result = run_pipeline(settings, raise_on_error=False)
    assert result.success, failure_messages(result)
    codes = {w.name: w.code for w in world.wards if w.vintages == (2024,)}
    conn = duckdb.connect(str(settings.published_db), read_only=True)
    yield sim, conn, codes
    conn.close()


def test_both_vintages_are_queryable(switched):
    sim, conn, new = switched
    assert new["Park Wood"].startswith("E059")  # synthetic, clearly not a real code
    rows = conn.execute("""SELECT lad_code, ward_vintage, count(DISTINCT ward_code), count(DISTINCT period)
        FROM ward_indicators WHERE indicator = 'claimant_count' GROUP BY ALL ORDER BY ALL""").fetchall()
    n_months = len(sim.world.months)
    # Maidstone on both boundaries for the whole series; Hastings' codes did not change, so once.
    assert rows == [("E07000062", 2024, 16, n_months), (MAIDSTONE, 2023, 26, n_months), (MAIDSTONE, 2024, 25, n_months)]
    park_wood = conn.execute("""SELECT ward_code, ward_vintage, is_focus FROM ward_lookup
        WHERE ward_name = 'Park Wood' ORDER BY ward_vintage""").fetchall()
    assert park_wood == [(PARK_WOOD_2023, 2022, True), (PARK_WOOD_2023, 2023, True), (new["Park Wood"], 2024, True)]


def test_no_mixing_of_boundaries(switched):
    """Each Park Wood row is the figure Nomis serves for that vintage's ward; change and rank stay within it."""
    sim, conn, new = switched
    for code, type_code, vintage, n_wards in ((PARK_WOOD_2023, 177, 2023, 26), (new["Park Wood"], 187, 2024, 25)):
        served = {r["DATE"]: float(r["OBS_VALUE"]) for r in served_rows(
            sim, "NM_162_1", geography=nomis_id(sim, code, type_code), date="2026-10,2025-10", gender="0", age="0",
            measure="1")}
        row = conn.execute("""SELECT value, change_12m, n_wards_in_lad, lad_value FROM ward_indicators
            WHERE ward_code = ? AND ward_vintage = ? AND indicator = 'claimant_count' AND period = DATE '2026-10-01'""",
                           [code, vintage]).fetchone()
        assert row[0] == served["2026-10"] and row[1] == served["2026-10"] - served["2025-10"]
        assert row[2] == n_wards
    old, moved = (conn.execute("""SELECT value FROM ward_indicators WHERE ward_code = ? AND indicator = 'claimant_count'
        AND period = DATE '2026-10-01'""", [c]).fetchone()[0] for c in (PARK_WOOD_2023, new["Park Wood"]))
    assert old != moved  # different areas, different counts: never one averaged or spliced series
    ranks = conn.execute("""SELECT ward_vintage, max(rank_in_lad) FROM ward_indicators WHERE lad_code = ?
        AND indicator = 'claimant_count' AND period = DATE '2026-10-01' GROUP BY 1 ORDER BY 1""", [MAIDSTONE]).fetchall()
    assert [v for v, _ in ranks] == [2023, 2024] and all(r <= n for (_, r), n in zip(ranks, (26, 25)))
    # Population estimates stay on 2023 wards: no 2024-ward denominator, so no derived 2024-ward youth rate
    # (rather than one dividing new-boundary claimants by old-boundary residents).
    derived = conn.execute("""SELECT ward_vintage, count(value) FROM ward_indicators WHERE indicator = 'claimant_rate_16_24'
        AND ward_code IN (?, ?) GROUP BY 1 ORDER BY 1""", [PARK_WOOD_2023, new["Park Wood"]]).fetchall()
    assert derived[0][0] == 2023 and derived[0][1] == len(sim.world.months) and derived[1] == (2024, 0)
    dupes = conn.execute("""SELECT count(*) FROM (SELECT ward_code, ward_vintage, indicator, period FROM ward_indicators
        GROUP BY ALL HAVING count(*) > 1)""").fetchone()[0]
    assert dupes == 0


def test_bridge_relates_the_vintages(switched):
    _, conn, new = switched
    bridge = conn.execute("""SELECT from_ward_code, to_ward_code, to_ward_name, shared_lsoas, from_lsoas, to_lsoas,
        share_of_from, relationship FROM ward_vintage_bridge WHERE from_vintage = 2023 AND to_vintage = 2024
        AND from_ward_code IN (?, ?, ?) ORDER BY 1, 4 DESC""", [PARK_WOOD_2023, SHEPWAY_SOUTH_2023, LEEDS_2023]).fetchall()
    assert bridge == [
        (LEEDS_2023, new["Bearsted and Leeds"], "Bearsted and Leeds", 1, 1, 6, 1.0, "merged into"),
        (PARK_WOOD_2023, new["Park Wood"], "Park Wood", 4, 6, 5, round(4 / 6, 4), "part of"),
        (PARK_WOOD_2023, new["Shepway South"], "Shepway South", 2, 6, 5, round(2 / 6, 4), "part of"),
        (SHEPWAY_SOUTH_2023, new["Shepway South"], "Shepway South", 3, 4, 5, 0.75, "part of"),
        (SHEPWAY_SOUTH_2023, new["Park Wood"], "Park Wood", 1, 4, 5, 0.25, "part of"),
    ]
    hastings = conn.execute("""SELECT DISTINCT relationship FROM ward_vintage_bridge WHERE lad_code = 'E07000062'""").fetchall()
    assert hastings == [("unchanged",)]
    recoded = conn.execute("""SELECT count(*) FROM ward_vintage_bridge WHERE lad_code = ? AND from_vintage = 2023
        AND relationship = 'recoded'""", [MAIDSTONE]).fetchone()[0]
    assert recoded == 22  # the 26 old wards less Park Wood, Shepway South, Leeds and Bearsted: same LSOAs, new code


def test_census_stays_on_2022_wards(switched):
    _, conn, new = switched
    vintages = conn.execute("""SELECT DISTINCT ward_vintage FROM ward_indicators WHERE indicator LIKE 'census%'""").fetchall()
    assert vintages == [(2022,)]
    assert conn.execute("SELECT count(*) FROM ward_indicators WHERE indicator LIKE 'census%' AND ward_code = ?",
                        [new["Park Wood"]]).fetchone()[0] == 0


def test_lsoa_lookup_pages_through_arcgis(upstream, sim):
    """The LSOA21 -> ward lookup in ArcGIS's format, paged on exceededTransferLimit, for each vintage."""
    from lmi_pipeline.clients.ons_geo import LSOA_WARD_LOOKUPS, OnsGeoResource

    ons = OnsGeoResource(base_url=sim.base_urls(upstream)["ONS_GEO_BASE_URL"], source_mode="live", page_size=40,
                         backoff_seconds=0.01)
    spec = LSOA_WARD_LOOKUPS[2023]
    rows, responses = ons.query(spec.service, f"{spec.lad_code} IN ('E07000062','E07000110')", spec.fields,
                                order_by=spec.lsoa_code)
    assert len(responses) == 4 and len(rows) == 53 + 99  # Hastings' and Maidstone's real LSOA counts
    assert set(rows[0]) == {"LSOA21CD", "LSOA21NM", "WD23CD", "WD23NM", "LAD23CD", "LAD23NM"}
    assert [r["LSOA21CD"] for r in rows] == sorted(r["LSOA21CD"] for r in rows)  # contiguous pages, in order
    park_wood = [r for r in rows if r["WD23NM"] == "Park Wood"]
    assert len(park_wood) == 6 and {r["WD23CD"] for r in park_wood} == {PARK_WOOD_2023}
