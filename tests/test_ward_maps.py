"""The ward maps end to end: a demo run (the default lmi.toml, as `make run`) fetches the real bundled ward
boundaries through the ONS client from the demo portal into `ward_boundaries`, and publishes offline maps that
headless Chromium draws; and a live run whose boundary fetch fails still publishes, listing the wards."""

import json
import re

import duckdb
import pytest

from lmi_demo.server import UpstreamSim, serve
from lmi_demo.snapshot import build_demo_snapshot
from lmi_pipeline.defs.publish.ward_maps import ward_map_charts, wards_without_boundary
from lmi_pipeline.settings import load_settings
from tests.conftest import ROOT, live_settings, make_project, run_pipeline
from tests.test_report import CHROMIUM_ARGS, chromium

DISTRICTS = ["E07000061", "E07000062", "E07000063", "E07000064", "E07000065", "E07000110"]
KEYS = ([f"{kind}:{d}" for kind in ("claimant_rate", "youth", "priority") for d in DISTRICTS]
        + ["county:E10000011", "county_youth:E10000011"])
ATTRIBUTION = "Contains OS data © Crown copyright and database right 2024"
MAIDSTONE_2022 = 26  # Maidstone's wards until 2023: codes the May 2024 boundaries do not hold


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    project = make_project(tmp_path_factory.mktemp("maps"), (ROOT / "lmi.toml").read_text())
    settings = load_settings({"LMI_SOURCE": "demo", "LMI_PROJECT_DIR": str(project)})
    build_demo_snapshot(settings)
    assert run_pipeline(settings).success
    return settings


@pytest.fixture
def published(demo):
    conn = duckdb.connect(str(demo.published_db), read_only=True)
    yield conn
    conn.close()


def test_ward_boundaries_hold_every_ward_code_with_a_boundary_in_wgs84(published):
    held = published.execute("""
        SELECT w.lad_code, w.ward_vintage, count(*), count(b.ward_code), count(*) FILTER (b.boundary_vintage = 2024)
        FROM ward_lookup w LEFT JOIN ward_boundaries b USING (ward_code) GROUP BY ALL ORDER BY 1, 2""").fetchall()
    for lad, vintage, n, with_boundary, from_2024 in held:
        expected = 0 if (lad, vintage) == ("E07000110", 2022) else n
        assert (with_boundary, from_2024) == (expected, expected), (lad, vintage)
    assert dict(((lad, v), n) for lad, v, n, _, _ in held)[("E07000110", 2022)] == MAIDSTONE_2022
    rows = published.execute("SELECT ward_code, ward_name, lad_code, geometry_type, geometry, source_service, "
                             "attribution, data_label FROM ward_boundaries").fetchall()
    assert len(rows) == 130 and len({r[0] for r in rows}) == 130
    for code, name, lad, kind, geometry, service, attribution, label in rows:
        geom = json.loads(geometry)
        assert geom["type"] == kind in ("Polygon", "MultiPolygon")
        points = [pt for ring in (geom["coordinates"] if kind == "Polygon" else
                                  [r for poly in geom["coordinates"] for r in poly]) for pt in ring]
        assert all(-0.5 < lon < 1.0 and 50.7 < lat < 51.4 for lon, lat in points), code  # East Sussex and Kent
        assert lad in DISTRICTS and name
        assert service == "Wards_May_2024_Boundaries_UK_BSC" and attribution.endswith(ATTRIBUTION)
        assert label == "bundled copy of published statistics"


def test_boundary_requests_are_in_provenance_as_real_data(published):
    queries = published.execute("""
        SELECT p.dataset, p.data_label, p.pages, p.parameters FROM provenance p
        WHERE p.source_asset = 'ward_boundaries' AND p.dataset LIKE '%/query'""").fetchall()
    assert len(queries) == 2  # 156 ward codes held, 100 a query
    for dataset, label, pages, parameters in queries:
        params = json.loads(parameters)
        assert dataset == "Wards_May_2024_Boundaries_UK_BSC/FeatureServer/0/query"
        assert label == "bundled copy of published statistics"
        assert (params["f"], params["outSR"], params["returnGeometry"]) == ("geojson", "4326", "true")
        assert params["where"].startswith("WD24CD IN (")
    assert sum(q[2] for q in queries) > 2  # paged: the demo portal's boundary layer holds 50 a page
    ids = published.execute("SELECT DISTINCT query_id FROM ward_boundaries EXCEPT SELECT query_id FROM provenance")
    assert ids.fetchall() == []


def test_every_map_is_published_with_its_key_label_source_and_attribution(demo, published):
    charts = {c.key: c for c in ward_map_charts(published)}
    assert list(charts) == KEYS
    for key, chart in charts.items():
        kind, area = key.split(":")
        assert chart.relative == f"charts/map_{kind}_{area}.html"
        page = (demo.assets_dir / chart.relative).read_text(encoding="utf-8")
        assert f"<title>{chart.title}</title>" in page
        for text in ("SYNTHETIC DEMO DATA", "Source: ", "October 2026", 'src="plotly.min.js"', "PlotlyGeoAssets"):
            assert text in page, (key, text)
        # The OS attribution goes with OS data: on every map that draws a boundary (the one map with none to
        # draw, Maidstone's 2022 wards, shows no OS data). Plotly writes © as \u00a9 in the figure's JSON.
        draws = any(len(t.locations) for t in chart.fig.data)
        assert draws == (key != "priority:E07000110"), key
        assert (ATTRIBUTION.replace("©", "\\u00a9") in page) == draws, key
        assert ("Wards_May_2024_Boundaries_UK_BSC" in page) == draws, key
        assert "cdn.plot.ly" not in page and "https://cdn" not in page, key
    assert not list(demo.staging_dir.rglob("map_*"))


def test_wards_without_a_boundary_are_listed_under_the_map_and_for_the_report(demo, published):
    missing = wards_without_boundary(published)
    assert set(missing) == set(KEYS)
    assert {k: len(v) for k, v in missing.items() if v} == {"priority:E07000110": MAIDSTONE_2022}
    expected = published.execute("SELECT ward_code, ward_name FROM ward_lookup WHERE lad_code = 'E07000110' "
                                 "AND ward_vintage = 2022 ORDER BY ward_code").fetchall()
    listed = missing["priority:E07000110"]
    assert [(w["ward_code"], w["ward_name"]) for w in listed] == expected
    assert {(w["ward_vintage"], w["lad_name"]) for w in listed} == {(2022, "Maidstone")}
    page = (demo.assets_dir / "charts" / "map_priority_E07000110.html").read_text(encoding="utf-8")
    assert f"no boundary held for their ward codes ({MAIDSTONE_2022} of {MAIDSTONE_2022} wards)" in page
    assert all(name.replace("&", "&amp;") in page for _, name in expected)


def _drawn(conn, key: str) -> list[str]:
    m = {c.key: c for c in ward_map_charts(conn)}[key]
    return sorted(code for trace in m.fig.data for code in trace.locations)


FIND_WARD = """code => {
  const p = [...document.querySelectorAll('path.choroplethlocation')].find(p => p.__data__ && p.__data__.loc === code);
  if (!p) return null;
  const svg = p.ownerSVGElement, box = p.getBBox(), ctm = p.getScreenCTM();
  let best = null;
  for (let i = 1; i < 30; i++) for (let j = 1; j < 30; j++) {
    const pt = svg.createSVGPoint();
    pt.x = box.x + box.width * i / 30; pt.y = box.y + box.height * j / 30;
    const d = Math.abs(i - 15) + Math.abs(j - 15);
    if (p.isPointInFill(pt) && (!best || d < best.d)) { const s = pt.matrixTransform(ctm); best = {x: s.x, y: s.y, d}; }
  }
  return best;
}"""


def test_maps_draw_every_ward_and_hover_in_headless_chromium(demo, published, tmp_path):
    import playwright.sync_api as playwright

    gensing = published.execute("""
        SELECT ward_code, ward_name, value, lower, upper, rank_in_lad, n_wards_in_lad FROM ward_indicators
        WHERE lad_code = 'E07000062' AND ward_name = 'Gensing' AND indicator = 'claimant_rate' AND ward_vintage = 2024
          AND period = (SELECT max(period) FROM ward_indicators WHERE indicator = 'claimant_rate')""").fetchone()
    pages = {"claimant_rate:E07000062": "map_claimant_rate_E07000062.html",
             "county:E10000011": "map_county_E10000011.html", "priority:E07000110": "map_priority_E07000110.html"}
    errors, requests, counts = [], [], {}
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium(), args=CHROMIUM_ARGS, headless=True)
        try:
            page = browser.new_page(viewport={"width": 1100, "height": 900})
            page.on("console", lambda m: errors.append(f"console {m.type}: {m.text}") if m.type == "error" else None)
            page.on("pageerror", lambda e: errors.append(f"page error: {e}"))

            def only_files(route):
                requests.append(route.request.url)
                return route.continue_() if route.request.url.startswith("file://") else route.abort()

            page.route("**/*", only_files)
            for key, name in pages.items():
                page.goto((demo.assets_dir / "charts" / name).as_uri(), wait_until="load")
                page.wait_for_function("document.querySelector('.plotly-graph-div svg.main-svg .geo')", timeout=30_000)
                counts[key] = page.evaluate("[...document.querySelectorAll('path.choroplethlocation')]"
                                            ".map(p => p.__data__.loc).sort()")
            page.goto((demo.assets_dir / "charts" / pages["claimant_rate:E07000062"]).as_uri(), wait_until="load")
            page.wait_for_selector("path.choroplethlocation", state="attached", timeout=30_000)
            point = page.evaluate(FIND_WARD, gensing[0])
            assert point, "Gensing is not drawn"
            page.mouse.move(point["x"], point["y"])
            page.wait_for_selector(".hoverlayer .hovertext", timeout=10_000)
            hover = page.locator(".hoverlayer .hovertext").text_content()  # SVG text: its lines run together
            # The test's own screenshot (docs/images/map_hastings.png is written by scripts/report_screenshots.py).
            screenshot = tmp_path / "map_hastings.png"
            page.screenshot(path=str(screenshot), full_page=True)
        finally:
            browser.close()
    assert errors == []
    assert [u for u in requests if not u.startswith("file://")] == []
    for key in pages:
        assert counts[key] == _drawn(published, key), key
    held = published.execute("SELECT count(*) FROM ward_boundaries WHERE lad_code = 'E07000062'").fetchone()[0]
    assert len(counts["claimant_rate:E07000062"]) == held == 16
    county = published.execute("SELECT count(*) FROM ward_boundaries b JOIN districts d USING (lad_code) "
                               "WHERE d.county_code = 'E10000011'").fetchone()[0]
    assert len(counts["county:E10000011"]) == county == 108
    assert counts["priority:E07000110"] == []  # all 26 listed under it instead
    code, name, value, lower, upper, rank, n = gensing
    assert name in hover and f"{value:.1f}%" in hover and f"range {lower:.1f}-{upper:.1f}%" in hover, hover
    assert f"Rank {rank} of {n} in Hastings" in hover and "October 2026" in hover, hover
    assert screenshot.stat().st_size > 20_000


def _boundary_metadata(result) -> dict:
    events = [e for e in result.get_asset_materialization_events() if e.asset_key.to_user_string() == "ward_boundaries"]
    return {k: v.value for k, v in events[0].materialization.metadata.items()}


def test_a_failed_boundary_fetch_in_a_live_run_lists_the_wards_or_keeps_earlier_boundaries(tmp_path):
    """First run: every boundary query fails and nothing was fetched before, so the maps list every ward; second:
    they are fetched; third: they fail again, and the boundaries of the second run are kept, with their
    provenance. Every run publishes."""
    sim = UpstreamSim()
    answer = sim.ons._query_geojson
    # ArcGIS's way of failing: HTTP 200 with an error object.
    failing = lambda rows, args: (200, "application/json", json.dumps(  # noqa: E731
        {"error": {"code": 500, "message": "Error performing query operation", "details": []}}).encode())
    with serve(sim) as root:
        settings = live_settings(make_project(tmp_path), sim, root)
        sim.ons._query_geojson = failing
        first = run_pipeline(settings, raise_on_error=False)
        assert first.success
        meta = _boundary_metadata(first)
        assert (meta["vintages_failed"], meta["vintages_kept_from_earlier_fetch"], meta["dagster/row_count"]) == (
            [2024], [], 0)
        assert "Error performing query operation" in meta["failures"]
        with duckdb.connect(str(settings.published_db), read_only=True) as conn:
            missing = wards_without_boundary(conn)
        assert (len(missing["claimant_rate:E07000062"]), len(missing["claimant_rate:E07000110"])) == (16, 22)
        page = (settings.assets_dir / "charts" / "map_claimant_rate_E07000062.html").read_text(encoding="utf-8")
        assert re.search(r"No ward of Hastings can be drawn", page) and "Gensing" in page
        assert (settings.assets_dir / "report" / "index.html").exists()

        sim.ons._query_geojson = answer
        assert run_pipeline(settings).success
        with duckdb.connect(str(settings.published_db), read_only=True) as conn:
            fetched = conn.execute("SELECT ward_code, query_id, retrieved_at FROM ward_boundaries ORDER BY 1").fetchall()
        assert len(fetched) == 16 + 22

        sim.ons._query_geojson = failing
        third = run_pipeline(settings, raise_on_error=False)
    assert third.success
    meta = _boundary_metadata(third)
    assert (meta["vintages_failed"], meta["vintages_kept_from_earlier_fetch"], meta["dagster/row_count"]) == (
        [2024], [2024], 38)
    with duckdb.connect(str(settings.published_db), read_only=True) as conn:
        kept = conn.execute("SELECT ward_code, query_id, retrieved_at FROM ward_boundaries ORDER BY 1").fetchall()
        traced = conn.execute("SELECT count(*) FROM provenance WHERE query_id IN "
                              "(SELECT query_id FROM ward_boundaries)").fetchone()[0]
        assert {k: len(v) for k, v in wards_without_boundary(conn).items() if v} == {"priority:E07000110": 26}
    assert kept == fetched and traced == len({q for _, q, _ in kept})
