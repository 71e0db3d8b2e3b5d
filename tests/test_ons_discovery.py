"""ONS lookups are discovered in the portal's services directory by name pattern, not read from a registry:
the right service among near-duplicates and superseded versions, field names from the layer's info, a new
ward year with no code change, and a year ONS does not list failing only its own lookup. Against a real
local HTTP server answering as the ArcGIS REST services directory does (lmi_demo/ons_sim.py)."""

from __future__ import annotations

import json
import logging
import re

import dagster as dg
import duckdb
import pytest
from werkzeug import Request as WRequest
from werkzeug import Response as WResponse

from lmi_demo.server import ONS_PREFIX, UpstreamSim
from lmi_pipeline.clients.ons_geo import (
    ArcGisService, OnsGeoResource, discover_combined_authority_lookup, discover_lsoa_ward_lookup,
    discover_ward_lookup, lsoa_ward_lookup_spec, ward_lookup_spec,
)
from lmi_pipeline.clients.transport import UpstreamFormatError
from lmi_pipeline.operations.runs import failure_messages
from tests.conftest import TEST_DISTRICTS, fast_resources, live_settings, make_project

ONS_ASSETS = ("ons_ward_lookup", "ons_lsoa_ward_lookup", "ons_combined_authorities")
REAL = {2022: "WD22_LAD22_CTY22_OTH_UK_LU", 2023: "WD23_LAD23_CTY23_OTH_UK_LU", 2024: "WD24_LAD24_CTYUA_RGN_CTRY_UK_LU"}
# A slice of the real directory as ONS lists it: the lookups, with what sits beside them.
LISTING = [
    "Ward_to_Local_Authority_District_May_2024_Lookup_in_the_UK", "WD_MAY_2024_UK_BSC", "WD_MAY_2024_UK_BFC_v2",
    "WD24_LAD24_UK_LU", "WD24_LAD24_EW_LU", "WD24_PCON24_LAD24_UTLA24_UK_LU", "WD24_LAD24_CTYUA_RGN_CTRY_UK_LU",
    "WD23_LAD23_CTY23_OTH_UK_LU", "WD23_LAD23_UK_LU_v2", "WD22_LAD22_UK_LU", "WD22_LAD22_CTY22_OTH_UK_LU",
    "WD_DEC_2022_UK_BGC", "LSOA21_WD22_LAD22_EW_LU", "LSOA21_WD22_LAD22_EW_LU_v3", "LSOA21_WD22_LAD22_EW_LU_v2",
    "LSOA21_WD23_LAD23_EW_LU", "LSOA21_WD24_LAD24_EW_LU", "LSOA21_MSOA21_LAD22_EW_LU", "OA21_LSOA21_MSOA21_LAD22_EW_LU",
    "LAD23_CAUTH23_EN_LU", "LAD24_CAUTH24_EN_LU", "LAD24_CAUTH24_EN_LU_v2", "CAUTH_MAY_2024_EN_BFC",
]


def _listing(*extra: ArcGisService) -> list[ArcGisService]:
    return [ArcGisService(n, "FeatureServer") for n in LISTING] + list(extra)


# -- discovery on a listing ----------------------------------------------------------------------------
def test_the_real_lookup_is_picked_among_near_duplicates():
    listing = _listing()
    assert {y: discover_ward_lookup(listing, y).service for y in REAL} == REAL
    assert {y: discover_lsoa_ward_lookup(listing, y).service for y in REAL} == {
        2022: "LSOA21_WD22_LAD22_EW_LU_v3", 2023: "LSOA21_WD23_LAD23_EW_LU", 2024: "LSOA21_WD24_LAD24_EW_LU"}
    ca = discover_combined_authority_lookup(listing)
    assert (ca.service, ca.year) == ("LAD24_CAUTH24_EN_LU_v2", 2024)  # the newest year, its highest version
    assert ca.candidates == ("LAD24_CAUTH24_EN_LU_v2", "LAD24_CAUTH24_EN_LU", "LAD23_CAUTH23_EN_LU")


def test_the_highest_version_wins_whatever_the_order():
    for order in (1, -1):
        names = ["WD24_LAD24_CTYUA_RGN_CTRY_UK_LU_v2", "WD24_LAD24_CTYUA_RGN_CTRY_UK_LU",
                 "WD24_LAD24_CTYUA_RGN_CTRY_UK_LU_v10", "WD24_LAD24_CTYUA_RGN_CTRY_UK_LU_v3"][::order]
        found = discover_ward_lookup([ArcGisService(n, "FeatureServer") for n in names], 2024)
        assert found.service == "WD24_LAD24_CTYUA_RGN_CTRY_UK_LU_v10"  # 10 > 3 > 2 (numbers, not text)
        assert found.candidates[-1] == "WD24_LAD24_CTYUA_RGN_CTRY_UK_LU"


def test_only_feature_services_count_and_a_pin_overrides_the_pattern():
    tiles = ArcGisService("WD25_LAD25_CTYUA_RGN_CTRY_UK_LU", "VectorTileServer")
    assert discover_ward_lookup(_listing(tiles), 2025).service is None  # no FeatureServer: no query to make
    pinned = discover_ward_lookup(_listing(), 2024, pins={2024: "WD24_LAD24_UK_LU"})
    assert (pinned.service, pinned.pin) == ("WD24_LAD24_UK_LU", "WD24_LAD24_UK_LU")
    unlisted = discover_ward_lookup(_listing(), 2024, pins={2024: "WD24_GONE_LU"})
    assert unlisted.service is None and "pinned for it, WD24_GONE_LU, is not listed" in unlisted.missing_message("X")


def test_a_year_nobody_lists_names_the_year_the_pattern_and_the_nearest_names():
    missing = discover_ward_lookup(_listing(), 2026)
    assert missing.service is None
    message = missing.missing_message("https://example.invalid/services")
    assert message.startswith("No ONS ward lookup for 2026 wards")
    assert r"^WD26_LAD26_(CTY26|CTYUA(26)?)_(OTH|RGN)_.*_LU(_v\d+)?$" in message
    assert "Nearest names listed: WD24_LAD24_CTYUA_RGN_CTRY_UK_LU" in message and "WARD_LOOKUPS" in message


def test_field_names_come_from_the_layer_not_the_service_name():
    ward = ward_lookup_spec("WD24_X_LU", 2024, ["wd24cd", "wd24nm", "lad24cd", "lad24nm", "CTYUA24CD", "CTYUA24NM",
                                                "ObjectId"])
    assert (ward.ward_code, ward.county_code, ward.region_code) == ("wd24cd", "CTYUA24CD", None)  # no region: NULL
    assert ward.fields == ["wd24cd", "wd24nm", "lad24cd", "lad24nm", "CTYUA24CD", "CTYUA24NM"]
    with pytest.raises(UpstreamFormatError, match=r"WD24_X_LU: its layer has no field LAD24NM \(it has "):
        ward_lookup_spec("WD24_X_LU", 2024, ["WD24CD", "WD24NM", "LAD24CD", "CTY24CD", "CTY24NM"])
    with pytest.raises(UpstreamFormatError, match=r"no field CTY24CD or CTYUA24CD"):
        ward_lookup_spec("WD24_X_LU", 2024, ["WD24CD", "WD24NM", "LAD24CD", "LAD24NM"])
    lsoa = lsoa_ward_lookup_spec("LSOA21_WD24_LAD24_EW_LU", 2024, ["LSOA21CD", "LSOA21NM", "WD24CD", "WD24NM",
                                                                  "LAD24CD", "LAD24NM"])
    assert lsoa.fields == ["LSOA21CD", "LSOA21NM", "WD24CD", "WD24NM", "LAD24CD", "LAD24NM"]


# -- the client against the emulated portal -----------------------------------------------------------
DIRECTORY_ERROR = {"error": {"code": 400, "message": "Unable to process request.", "details": ["Token Required"]}}


@pytest.fixture
def portal(httpserver, sim):
    """Root URL of a local server answering from `sim`; `portal.broken_directory = True` makes the services
    directory answer with an ArcGIS error body (HTTP 200), as ArcGIS reports errors."""

    class Portal(str):
        broken_directory = False

    def handler(request: WRequest) -> WResponse:
        if root.broken_directory and request.path == ONS_PREFIX:
            return WResponse(json.dumps(DIRECTORY_ERROR), status=200, content_type="application/json")
        status, ctype, body = sim.handle(request.path, dict(request.args.items()))
        return WResponse(body, status=status, content_type=ctype)

    httpserver.expect_request(re.compile(".*")).respond_with_handler(handler)
    root = Portal(httpserver.url_for("/").rstrip("/"))
    return root


def _client(sim: UpstreamSim, root: str) -> OnsGeoResource:
    return OnsGeoResource(base_url=sim.base_urls(root)["ONS_GEO_BASE_URL"], source_mode="live", backoff_seconds=0.01)


def test_the_client_reads_the_directory_and_the_layer_fields(portal, sim):
    ons = _client(sim, portal)
    with ons.transport().collect() as fetched:  # the same transport: logged like any request
        listing = ons.services()
        names = [s.name for s in listing]
        assert {"WD24_LAD24_UK_LU", "WD_MAY_2024_UK_BSC", "LSOA21_WD22_LAD22_EW_LU_v2", "LAD23_CAUTH23_EN_LU"} <= set(names)
        assert {s.type for s in listing} == {"FeatureServer", "VectorTileServer"}
        ward = ons.ward_lookup(discover_ward_lookup(listing, 2024))
        assert (ward.service, ward.county_code, ward.region_code) == (REAL[2024], "CTYUA24CD", "RGN24CD")
        old = ons.ward_lookup(discover_ward_lookup(listing, 2022))
        assert (old.service, old.county_code, old.region_code) == (REAL[2022], "CTY22CD", "RGN22CD")
        lsoa = ons.lsoa_ward_lookup(discover_lsoa_ward_lookup(listing, 2022))
        assert lsoa.service == "LSOA21_WD22_LAD22_EW_LU_v3"
        rows, _ = ons.query(lsoa.service, f"{lsoa.lad_code} IN ('E07000110')", lsoa.fields, order_by=lsoa.lsoa_code)
        assert rows and set(rows[0]) == {"LSOA21CD", "LSOA21NM", "WD22CD", "WD22NM", "LAD22CD", "LAD22NM"}
    paths = [f.request.path for f in fetched]
    assert paths[:3] == ["", f"{REAL[2024]}/FeatureServer/0", f"{REAL[2022]}/FeatureServer/0"]


def test_a_directory_error_body_is_refused(portal, sim):
    portal.broken_directory = True
    with pytest.raises(UpstreamFormatError) as exc:
        _client(sim, portal).services()
    message = str(exc.value)
    assert message.startswith("ONS services directory; query http://")
    assert "ArcGIS error 400: Unable to process request. ['Token Required']" in message
    assert "No ONS lookup can be discovered without it; nothing was loaded" in message


def test_a_body_that_is_not_a_directory_is_refused(httpserver):
    httpserver.expect_request(ONS_PREFIX).respond_with_json({"currentVersion": 11.3, "folders": []})
    ons = OnsGeoResource(base_url=httpserver.url_for(ONS_PREFIX).rstrip("/"), source_mode="live", backoff_seconds=0.01)
    with pytest.raises(UpstreamFormatError, match=r"no `services` list .* not an ArcGIS services directory"):
        ons.services()


# -- the assets, in real Dagster runs ----------------------------------------------------------------
def _run(settings, selection, instance=None):
    from lmi_pipeline.definitions import defs

    return dg.materialize(list(defs().assets), selection=selection, resources=fast_resources(settings),
                          instance=instance or dg.DagsterInstance.ephemeral(), raise_on_error=False)


def _lookups(settings, instance=None):
    """nomis_geographies and what it needs, then the three ONS lookups: a quick geography-only run."""
    ons = dg.AssetSelection.assets(*ONS_ASSETS)
    return _run(settings, (ons | ons.upstream()).required_multi_asset_neighbors(), instance)


def _query(settings, sql: str, params=()):
    with duckdb.connect(str(settings.work_db), read_only=True) as conn:
        return conn.execute(sql, list(params)).fetchall()


def _metadata(result, asset: str) -> dict:
    (mat,) = [m for m in result.asset_materializations_for_node(asset)]
    return {k: v.value for k, v in mat.metadata.items()}


def _warnings(instance, result) -> list[str]:
    return [e.user_message for e in instance.all_logs(result.run_id) if e.level == logging.WARNING]


@pytest.fixture
def settings(portal, sim, tmp_path):
    return live_settings(make_project(tmp_path), sim, portal)


def test_the_assets_load_what_discovery_picks(settings, sim):
    result = _lookups(settings)
    assert result.success, failure_messages(result)
    assert _query(settings, "SELECT ward_vintage, source_service, count(*) > 0, count(region_code) = count(*) "
                            "FROM ons_ward_lookup GROUP BY ALL ORDER BY 1") == [
        (2022, REAL[2022], True, True), (2024, REAL[2024], True, True)]
    assert _query(settings, "SELECT DISTINCT ward_vintage, source_service FROM ons_lsoa_ward_lookup ORDER BY 1") == [
        (2022, "LSOA21_WD22_LAD22_EW_LU_v3"), (2024, "LSOA21_WD24_LAD24_EW_LU")]
    assert _query(settings, "SELECT DISTINCT source_service FROM ons_combined_authorities") in ([], [("LAD24_CAUTH24_EN_LU",)])
    meta = _metadata(result, "ons_ward_lookup")
    assert meta["services"] == {"2022": REAL[2022], "2024": REAL[2024]} and meta["missing_vintages"] == []
    assert _metadata(result, "ons_combined_authorities")["service"] == "LAD24_CAUTH24_EN_LU"
    queried = {m.group(1) for p in sim.log if (m := re.match(rf"{ONS_PREFIX}(\w+)/FeatureServer/0/query", p))}
    assert queried == {REAL[2022], REAL[2024], "LSOA21_WD22_LAD22_EW_LU_v3", "LSOA21_WD24_LAD24_EW_LU",
                       "LAD24_CAUTH24_EN_LU"}  # never a decoy or a superseded version
    # Provenance: each asset logged the directory and the layer info it read, with its queries.
    logged = _query(settings, "SELECT source_asset, dataset FROM source_requests WHERE service = 'ons_geo' "
                              "AND dataset NOT LIKE '%/query' ORDER BY ALL")
    assert logged == sorted([(a, "") for a in ONS_ASSETS] + [
        ("ons_combined_authorities", "LAD24_CAUTH24_EN_LU/FeatureServer/0"),
        ("ons_lsoa_ward_lookup", "LSOA21_WD22_LAD22_EW_LU_v3/FeatureServer/0"),
        ("ons_lsoa_ward_lookup", "LSOA21_WD24_LAD24_EW_LU/FeatureServer/0"),
        ("ons_ward_lookup", f"{REAL[2022]}/FeatureServer/0"), ("ons_ward_lookup", f"{REAL[2024]}/FeatureServer/0")])


def test_a_new_ward_year_is_discovered_with_no_code_change(settings, sim):
    """ONS publishes 2025 lookups (WD25_LAD25_CTYUA_RGN_CTRY_UK_LU, LSOA21_WD25_LAD25_EW_LU, LAD25_CAUTH25_EN_LU
    with WD25/LAD25/CTYUA25/CAUTH25 fields) and Nomis moves to 2025 wards: both are picked up as they are."""
    sim.ons.add_lookup_year(2025, like=2024, combined_authorities=True)
    first = _lookups(settings)
    assert first.success, failure_messages(first)
    # Nomis now publishes 2025 wards too (same codes as 2024, as for an unchanged district).
    with duckdb.connect(str(settings.work_db)) as conn:
        conn.execute("INSERT INTO nomis_geographies SELECT * REPLACE (2025 AS ward_vintage) FROM nomis_geographies "
                     "WHERE level = 'ward' AND ward_vintage = 2024")
    result = _run(settings, dg.AssetSelection.assets(*ONS_ASSETS, "districts", "ward_lookup"))
    assert result.success, failure_messages(result)
    rows = _query(settings, "SELECT ward_vintage, source_service, count(*), count(region_code) FROM ons_ward_lookup "
                            "GROUP BY ALL ORDER BY 1")
    assert [r[:2] for r in rows] == [(2022, REAL[2022]), (2024, REAL[2024]), (2025, "WD25_LAD25_CTYUA_RGN_CTRY_UK_LU")]
    assert rows[2][2] == rows[2][3] == rows[1][2]  # every 2024 ward, again, with its region
    same = _query(settings, """SELECT count(*) FROM ons_ward_lookup a JOIN ons_ward_lookup b USING (ward_code)
        WHERE a.ward_vintage = 2024 AND b.ward_vintage = 2025 AND a.county_code = b.county_code
          AND a.region_code = b.region_code AND a.lad_code = b.lad_code""")[0][0]
    assert same == rows[1][2]  # the county came from CTYUA25CD, the region from RGN25CD
    assert _query(settings, "SELECT DISTINCT source_service FROM ons_lsoa_ward_lookup WHERE ward_vintage = 2025") == [
        ("LSOA21_WD25_LAD25_EW_LU",)]
    assert _metadata(result, "ons_combined_authorities")["service"] == "LAD25_CAUTH25_EN_LU"  # the newest
    assert _query(settings, "SELECT count(DISTINCT ward_code) > 0 FROM ward_lookup WHERE ward_vintage = 2025 "
                            "AND lad_code = ANY($1)", [list(TEST_DISTRICTS)]) == [(True,)]


def test_a_year_without_a_lookup_fails_only_that_lookup(settings, sim):
    sim.ons.withdraw_lookup_year(2024)  # Nomis uses 2024 wards; ONS lists no 2024 lookup (only near-duplicates)
    instance = dg.DagsterInstance.ephemeral()
    result = _lookups(settings, instance)
    assert result.success, failure_messages(result)
    assert _query(settings, "SELECT DISTINCT ward_vintage FROM ons_ward_lookup") == [(2022,)]
    assert _query(settings, "SELECT DISTINCT ward_vintage FROM ons_lsoa_ward_lookup") == [(2022,)]
    for asset, what in (("ons_ward_lookup", "ward lookup"), ("ons_lsoa_ward_lookup", "LSOA21 -> ward lookup")):
        meta = _metadata(result, asset)
        assert meta["missing_vintages"] == [2024] and list(meta["services"]) == ["2022"]
        assert meta["missing"].startswith(f"No ONS {what} for 2024 wards")
    warnings = [w for w in _warnings(instance, result) if w.startswith("No ONS ward lookup")]
    assert len(warnings) == 1, warnings
    assert "for 2024 wards" in warnings[0] and "WD24_LAD24_(CTY24|CTYUA(24)?)_(OTH|RGN)_.*_LU" in warnings[0]
    assert "Nearest names listed: " in warnings[0] and "WD24_LAD24_UK_LU" in warnings[0]
    assert "the other vintages are loaded" in warnings[0]


def test_no_lookup_for_any_year_fails_the_asset_clearly(settings, sim):
    sim.ons.withdraw_lookup_year(2022)
    sim.ons.withdraw_lookup_year(2024)
    result = _lookups(settings)
    assert not result.success
    messages = failure_messages(result)
    ward = [m for m in messages if m.startswith("ons_ward_lookup")]
    assert len(ward) == 1, messages
    assert "Nomis uses 2022, 2024 wards, but the ONS services directory lists no ward lookup for any of them" in ward[0]
    assert "No ONS ward lookup for 2022 wards" in ward[0] and "No ONS ward lookup for 2024 wards" in ward[0]


def test_a_layer_without_region_fields_leaves_the_region_empty(settings, sim):
    for row in sim.ons.ward_rows(2022):  # the 2022 layer lists no RGN22CD / RGN22NM
        del row["RGN22CD"], row["RGN22NM"]
    result = _lookups(settings)
    assert result.success, failure_messages(result)
    assert _query(settings, "SELECT ward_vintage, count(region_code) = 0, count(region_name) = 0, count(county_name) > 0 "
                            "FROM ons_ward_lookup GROUP BY ALL ORDER BY 1") == [(2022, True, True, True),
                                                                                (2024, False, False, True)]
    assert _metadata(result, "ons_ward_lookup")["vintages_without_region"] == [2022]


def test_a_directory_error_fails_the_lookups_with_the_arcgis_message(settings, portal):
    first = _lookups(settings)  # nomis_geographies and a first load
    assert first.success, failure_messages(first)
    portal.broken_directory = True
    result = _run(settings, dg.AssetSelection.assets("ons_ward_lookup"))
    (message,) = failure_messages(result)
    assert message.startswith("ons_ward_lookup: UpstreamFormatError: ONS services directory; query http://")
    assert "ArcGIS error 400: Unable to process request." in message
    assert _query(settings, "SELECT DISTINCT ward_vintage FROM ons_ward_lookup ORDER BY 1") == [(2022,), (2024,)]
