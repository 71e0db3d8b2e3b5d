"""Ward boundaries through the ONS client: discovery by name, and GeoJSON queries (f=geojson, outSR=4326) paged
as ArcGIS pages them, against a real local HTTP server: real ArcGIS GeoJSON bodies (tests/fixtures/ons), an
HTTP-200 error body, and the demo portal's ward boundaries."""

import json
import re
from pathlib import Path

import pytest
from werkzeug import Request as WRequest
from werkzeug import Response as WResponse

from lmi_demo.server import ONS_PREFIX, UpstreamSim
from lmi_pipeline.clients.ons_geo import (
    ArcGisService, OnsGeoResource, discover_ward_boundaries, ward_boundary_spec)
from lmi_pipeline.clients.transport import UpstreamFormatError
from tests.conftest import sim_handler

FIXTURE = Path(__file__).parent / "fixtures" / "ons" / "ons_hub_LAD_Dec2024_Boundaries_UK_BSC__4_features.geojson"
SERVICE = "Local_Authority_Districts_December_2024_Boundaries_UK_BSC"
FIELDS = ["LAD24CD", "LAD24NM", "LAD24NMW"]
HASTINGS_WARDS = [f"E05011{n}" for n in range(201, 217)]


def _listing(*names: str) -> list[ArcGisService]:
    tiles = ArcGisService("WD_MAY_2024_UK_BGC_VT", "VectorTileServer")
    return [ArcGisService(n, "FeatureServer") for n in names] + [tiles]


def test_boundaries_are_discovered_bgc_first_then_the_later_release_then_the_highest_version():
    listing = _listing("WD_MAY_2024_UK_BSC", "Wards_May_2024_Boundaries_UK_BSC", "Wards_May_2024_Boundaries_UK_BGC",
                       "Wards_December_2024_Boundaries_UK_BGC", "Wards_December_2024_Boundaries_UK_BGC_v2",
                       "Wards_December_2024_Boundaries_UK_BFC", "Wards_December_2022_Boundaries_UK_BGC")
    d = discover_ward_boundaries(listing, 2024)
    assert d.service == "Wards_December_2024_Boundaries_UK_BGC_v2"
    assert d.candidates == ("Wards_December_2024_Boundaries_UK_BGC_v2", "Wards_December_2024_Boundaries_UK_BGC",
                            "Wards_May_2024_Boundaries_UK_BGC", "Wards_May_2024_Boundaries_UK_BSC")
    assert discover_ward_boundaries(listing, 2022).service == "Wards_December_2022_Boundaries_UK_BGC"
    assert discover_ward_boundaries(_listing("Wards_May_2024_Boundaries_UK_BSC"), 2024).service == \
        "Wards_May_2024_Boundaries_UK_BSC"


def test_a_year_without_boundaries_is_not_found_and_says_what_is_listed():
    d = discover_ward_boundaries(_listing("Wards_May_2024_Boundaries_UK_BSC", "WD22_LAD22_CTY22_OTH_UK_LU"), 2022)
    assert d.service is None
    message = d.missing_message("https://ons.example/services")
    assert "No ONS ward boundaries for 2022 wards" in message and "Wards_May_2024_Boundaries_UK_BSC" in message
    assert "WARD_BOUNDARIES" in message
    pinned = discover_ward_boundaries(_listing("Wards_May_2024_Boundaries_UK_BSC"), 2022,
                                      pins={2022: "Wards_May_2024_Boundaries_UK_BSC"})
    assert pinned.service == "Wards_May_2024_Boundaries_UK_BSC"


def test_the_layer_fields_name_the_ward_code_and_an_optional_district():
    spec = ward_boundary_spec("Wards_May_2024_Boundaries_UK_BSC", 2024,
                              ["FID", "wd24cd", "WD24NM", "WD24NMW", "BNG_E", "GlobalID"])
    assert (spec.ward_code, spec.ward_name, spec.lad_code) == ("wd24cd", "WD24NM", None)
    with pytest.raises(UpstreamFormatError, match="no field WD22CD"):
        ward_boundary_spec("Wards_December_2022_Boundaries_UK_BGC", 2022, ["FID", "WD24CD", "WD24NM"])


class ArcGisPages:
    """A FeatureServer query endpoint answering from real ArcGIS GeoJSON, a page at a time as ArcGIS does:
    at most `max_records` features, and `properties.exceededTransferLimit` while more remain."""

    def __init__(self, max_records: int = 2):
        self.doc = json.loads(FIXTURE.read_text(encoding="utf-8"))
        self.max_records = max_records
        self.asked: list[dict] = []

    def handler(self, request: WRequest) -> WResponse:
        args = dict(request.args.items())
        self.asked.append(args)
        m = re.fullmatch(r"(\w+)\s+IN\s*\((.*)\)", args.get("where", ""))
        if not m or args.get("f") != "geojson":
            return WResponse(json.dumps({"error": {"code": 400, "message": "Cannot perform query. Invalid query "
                                                   "parameters.", "details": ["'where' parameter is invalid"]}}),
                             status=200, content_type="application/json")
        codes = re.findall(r"'([^']*)'", m.group(2))
        rows = sorted((f for f in self.doc["features"] if f["properties"][m.group(1)] in codes),
                      key=lambda f: f["properties"][m.group(1)])
        offset = int(args.get("resultOffset", 0))
        count = min(int(args.get("resultRecordCount", self.max_records)), self.max_records)
        fields = args["outFields"].split(",")
        page = {"type": "FeatureCollection", "crs": self.doc["crs"], "features": [
            {**f, "properties": {k: f["properties"][k] for k in fields}} for f in rows[offset:offset + count]]}
        if offset + count < len(rows):
            page["properties"] = {"exceededTransferLimit": True}
        return WResponse(json.dumps(page, ensure_ascii=False), status=200, content_type="application/geo+json")


@pytest.fixture
def pages(httpserver):
    portal = ArcGisPages()
    httpserver.expect_request(re.compile(".*")).respond_with_handler(portal.handler)
    portal.url = httpserver.url_for("/arcgis/rest/services").rstrip("/")
    return portal


def _client(url: str, **kw) -> OnsGeoResource:
    return OnsGeoResource(base_url=url, source_mode="live", backoff_seconds=0.01, max_retries=1, **kw)


def test_real_arcgis_geojson_is_read_whole_across_pages(pages):
    ons = _client(pages.url)
    codes = ["E06000033", "E07000208", "W06000015", "W06000024"]
    where = f"LAD24CD IN ({','.join(repr(c) for c in codes)})"
    rows, responses = ons.query_geojson(SERVICE, where, FIELDS, order_by="LAD24CD")
    assert [r["LAD24CD"] for r in rows] == codes
    assert len(responses) == 2 and [a["resultOffset"] for a in pages.asked] == ["0", "2"]
    asked = pages.asked[0]
    assert (asked["f"], asked["outSR"], asked["returnGeometry"], asked["orderByFields"]) == ("geojson", "4326", "true",
                                                                                              "LAD24CD")
    by_code = {r["LAD24CD"]: r for r in rows}
    assert by_code["E07000208"]["LAD24NMW"] == " " and by_code["W06000015"]["LAD24NMW"] == "Caerdydd"
    assert {r["geometry"]["type"] for r in rows} == {"Polygon", "MultiPolygon"}
    expected = {f["properties"]["LAD24CD"]: f["geometry"] for f in json.loads(FIXTURE.read_text())["features"]}
    assert all(r["geometry"] == expected[r["LAD24CD"]] for r in rows)  # coordinates untouched
    lon, lat = by_code["W06000024"]["geometry"]["coordinates"][0][0]
    assert -3.6 < lon < -3.1 and 51.6 < lat < 51.9  # WGS84 degrees (Merthyr Tydfil), not metres


def test_an_arcgis_error_sent_with_http_200_is_raised_with_its_message(pages):
    ons = _client(pages.url)
    with pytest.raises(UpstreamFormatError, match=r"ArcGIS error 400: Cannot perform query\. Invalid query parameters"):
        ons.query_geojson(SERVICE, "LAD24CD = 'E06000033'", FIELDS, order_by="LAD24CD")


def test_coordinates_in_another_crs_or_a_point_geometry_are_refused(httpserver):
    doc = json.loads(FIXTURE.read_text(encoding="utf-8"))
    url = httpserver.url_for("/svc").rstrip("/")
    httpserver.expect_oneshot_request(re.compile(".*")).respond_with_json(
        {**doc, "crs": {"type": "name", "properties": {"name": "EPSG:27700"}}})
    with pytest.raises(UpstreamFormatError, match="not WGS84"):
        _client(url).query_geojson(SERVICE, "1=1", FIELDS, order_by="LAD24CD")
    point = {**doc["features"][0], "geometry": {"type": "Point", "coordinates": [0.7, 51.5]}}
    httpserver.expect_oneshot_request(re.compile(".*")).respond_with_json({**doc, "features": [point]})
    with pytest.raises(UpstreamFormatError, match="Point geometry"):
        _client(url).query_geojson(SERVICE, "1=1", FIELDS, order_by="LAD24CD")


def test_exceeded_transfer_limit_must_be_a_boolean(httpserver):
    doc = json.loads(FIXTURE.read_text(encoding="utf-8"))
    body = {**doc, "properties": {"exceededTransferLimit": "false"}}
    httpserver.expect_request(re.compile(".*")).respond_with_json(body)
    with pytest.raises(UpstreamFormatError, match="exceededTransferLimit is 'false'"):
        _client(httpserver.url_for("/svc").rstrip("/")).query_geojson(SERVICE, "1=1", FIELDS, order_by="LAD24CD")


@pytest.fixture
def demo_portal(httpserver):
    sim = UpstreamSim()
    httpserver.expect_request(re.compile(".*")).respond_with_handler(_logged(sim_handler(sim), log := []))
    return httpserver.url_for(ONS_PREFIX).rstrip("/"), log


def _logged(handler, log: list):
    def wrapped(request: WRequest) -> WResponse:
        response = handler(request)
        log.append((request.path, dict(request.args.items()), response.get_data()))
        return response
    return wrapped


def test_the_demo_portal_serves_ward_boundaries_as_arcgis_does(demo_portal):
    url, log = demo_portal
    ons = _client(url)
    listing = ons.services()
    assert discover_ward_boundaries(listing, 2022).service is None  # no 2022 boundaries bundled
    d = discover_ward_boundaries(listing, 2024)
    spec = ons.ward_boundaries(d)
    assert (d.service, spec.fields) == ("Wards_May_2024_Boundaries_UK_BSC", ["WD24CD", "WD24NM", "LAD24CD"])
    welsh = "W05001492"  # Aethwy (Isle of Anglesey): a Welsh name of its own
    codes = HASTINGS_WARDS + ["E05004982", welsh]  # E05004982: a 2022 Maidstone ward, no 2024 boundary
    where = f"WD24CD IN ({','.join(repr(c) for c in codes)})"
    rows, responses = ons.query_geojson(d.service, where, spec.fields + ["WD24NMW"], order_by="WD24CD")
    assert [r["WD24CD"] for r in rows] == sorted(HASTINGS_WARDS + [welsh])
    assert all(r["LAD24CD"] == "E07000062" for r in rows[:-1])
    assert {r["WD24CD"]: r["WD24NMW"] for r in rows}[welsh] == "Aethwy" and rows[0]["WD24NMW"] == " "
    assert {r["geometry"]["type"] for r in rows} <= {"Polygon", "MultiPolygon"}
    # The portal's own body, as the client received it: ArcGIS GeoJSON, paged (its maxRecordCount is 50 here).
    body = json.loads(next(b for p, a, b in log if p.endswith("/query")))
    assert body["type"] == "FeatureCollection" and body["crs"]["properties"]["name"] == "EPSG:4326"
    assert set(body["features"][0]) == {"type", "id", "geometry", "properties"}
    big, pages = ons.query_geojson(d.service, "WD24CD IN (" + ",".join(
        repr(f"E05011{n}") for n in range(201, 300)) + ")", spec.fields, order_by="WD24CD")
    assert len(pages) == 2 and len(big) == len({r["WD24CD"] for r in big}) > 50
    first_page = json.loads([b for p, a, b in log if a.get("resultOffset") == "0"][-1])
    assert first_page["properties"] == {"exceededTransferLimit": True}
    error = [b for p, a, b in log if p.endswith("/query")]
    with pytest.raises(UpstreamFormatError, match="Invalid field: WD22CD"):
        ons.query_geojson(d.service, "WD22CD IN ('E05011201')", spec.fields, order_by="WD24CD")
    assert json.loads(log[-1][2])["error"]["code"] == 400 and len(error) >= 3
