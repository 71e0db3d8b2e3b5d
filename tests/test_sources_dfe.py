"""DfE NEET 16-17 through EES on a real local HTTP server: discovery with paging (in the page sizes EES
accepts), both file layouts (2025 and 2026 column names), the data catalogue when the public API does not
offer the data set, `c`/`z` symbols as NULL with a flag, and clear failures."""

import json
import re
import socket

import duckdb
import pytest
from werkzeug import Response

from lmi_pipeline.clients.dfe import NEET_DATA_SET, NEET_PUBLICATION, NEET_PUBLICATION_SLUG, DfeResource
from lmi_pipeline.clients.transport import UpstreamError, UpstreamHTTPError
from lmi_pipeline.defs.indicators import area_indicators
from lmi_demo.dfe_sim import (CATALOGUE_FILE, CATALOGUE_FILE_ID, COLUMNS_2025, COLUMNS_2026, DATASET_2025, DATASET_2026,
                              PUBLICATION_ID, DfeSim)
from lmi_demo.server import UpstreamSim
from lmi_pipeline.operations.runs import failure_messages
from lmi_pipeline.database.sql import load_sql
from tests.conftest import live_settings, make_project, sim_handler
from tests.sources_helpers import materialize_upstream_of, served_neet

EAST_SUSSEX, KENT = "E10000011", "E10000016"


def _step_failure(result) -> str:
    """The failed step's message (a run may also report a run-level failure after it)."""
    steps = [m for m in failure_messages(result) if not m.startswith("run:")]
    assert len(steps) == 1, steps
    return steps[0]


def _dfe(upstream: str, sim: UpstreamSim, **kw) -> DfeResource:
    urls = sim.base_urls(upstream)
    return DfeResource(base_url=urls["DFE_BASE_URL"], content_url=urls["DFE_CONTENT_URL"], source_mode="live",
                       backoff_seconds=0.01, max_retries=1, **kw)


def test_data_set_is_found_by_title_across_pages(upstream, sim):
    # one result per page: every list is paged through (publications and data sets have their own page sizes)
    dfe = _dfe(upstream, sim, publications_page_size=1, data_sets_page_size=1)
    publication = dfe.find_publication(NEET_PUBLICATION)
    data_set = dfe.find_data_set(publication, NEET_DATA_SET)
    assert data_set["id"] == DATASET_2026  # the 2019-2025 set is superseded
    assert any("data-sets?page=2&pageSize=1" in p for p in sim.log)  # two data sets, two pages
    everything = dfe.paged("publications", (("search", "NEET"),))
    assert len(everything) == 3 and any("publications?search=NEET&page=3&pageSize=1" in p for p in sim.log)
    table, resp = dfe.data_set_csv(data_set["id"], data_set["latestVersion"]["version"])
    assert table.column_names[-len(COLUMNS_2026):] == COLUMNS_2026
    assert all(str(t) == "string" for t in table.schema.types) and table.num_rows == data_set["latestVersion"]["totalResults"]
    assert "dataSetVersion=1.0" in resp.request.url


def test_ees_errors_are_raised_with_the_url(upstream, sim):
    dfe = _dfe(upstream, sim)
    with pytest.raises(UpstreamHTTPError, match=r"HTTP 404.*data-sets/no-such-id|data-sets/no-such-id.*HTTP 404"):
        dfe.data_set("no-such-id")


def _neet_run(tmp_path, httpserver, dfe_sim: DfeSim, mangle=None):
    sim = UpstreamSim()
    sim.dfe = dfe_sim
    handler = sim_handler(sim)

    def serve(request):
        response = handler(request)
        if mangle and request.path.endswith("/csv"):
            return Response(mangle(response.get_data(as_text=True)), status=200, content_type="text/csv")
        return response

    httpserver.expect_request(re.compile(".*")).respond_with_handler(serve)
    settings = live_settings(make_project(tmp_path), sim, httpserver.url_for("/").rstrip("/"))
    return sim, settings, materialize_upstream_of(settings, "neet_participation", raise_on_error=False)


def _canonical(settings) -> list[tuple]:
    with duckdb.connect(str(settings.work_db), read_only=True) as conn:
        return conn.execute("""SELECT area_code, area_level, year, age, characteristic, measure, value, symbol
            FROM neet_participation WHERE year <= 2025 ORDER BY ALL""").fetchall()


@pytest.fixture(scope="module")
def both_schemas(tmp_path_factory):
    from pytest_httpserver import HTTPServer

    out = {}
    for schema in (2025, 2026):
        server = HTTPServer()
        server.start()
        try:
            sim, settings, result = _neet_run(tmp_path_factory.mktemp(f"neet{schema}"), server, DfeSim(schema=schema))
            assert result.success, failure_messages(result)
            out[schema] = (sim, settings)
        finally:
            server.clear()
            server.stop()
    return out


def test_both_file_layouts_give_the_same_table(both_schemas):
    (sim25, s25), (sim26, s26) = both_schemas[2025], both_schemas[2026]
    assert list(served_neet(sim25, DATASET_2025)[0])[-len(COLUMNS_2025):] == COLUMNS_2025  # avgNEETNK, Age...
    assert served_neet(sim25, DATASET_2025)[0]["Age"] == "16-17"
    assert served_neet(sim26, DATASET_2026)[0]["age"] == "16 to 17"
    old, new = _canonical(s25), _canonical(s26)
    assert old and old == new  # same numbers, same names, whichever layout DfE served
    with duckdb.connect(str(s25.work_db), read_only=True) as conn:
        assert conn.execute("SELECT DISTINCT schema_version FROM neet_participation").fetchall() == [("2025",)]
        raw = [r[0] for r in conn.execute("SELECT column_name FROM information_schema.columns "
                                          "WHERE table_name = 'raw_neet'").fetchall()]
    assert "avgNEETNK" in raw and "avg_neet_nk_count" not in raw  # raw is exactly as served


def test_only_upper_tier_areas_of_the_configured_districts(both_schemas):
    _, settings = both_schemas[2026]
    with duckdb.connect(str(settings.work_db), read_only=True) as conn:
        areas = conn.execute("SELECT DISTINCT area_code, area_level FROM neet_participation ORDER BY 1").fetchall()
    assert areas == [(EAST_SUSSEX, "county"), (KENT, "county"), ("E12000008", "region"), ("E92000001", "country")]


def test_symbols_become_null_with_a_flag(both_schemas):
    sim, settings = both_schemas[2026]
    served = [r for r in served_neet(sim, DATASET_2026) if r["new_la_code"] == EAST_SUSSEX and r["time_period"] == "2021"
              and r["age"] == "16" and r["characteristic"] == "Female"]
    assert served[0]["avg_nk_count"] == "c"
    with duckdb.connect(str(settings.work_db), read_only=True) as conn:
        rows = conn.execute("""SELECT measure, value, symbol, is_suppressed FROM neet_participation
            WHERE area_code = ? AND year = 2021 AND age = '16' AND characteristic = 'Female'
            AND measure IN ('avg_nk_count', 'nk_percent', 'avg_neet_count') ORDER BY measure""", [EAST_SUSSEX]).fetchall()
        first_year = conn.execute("""SELECT DISTINCT value, symbol, is_suppressed FROM neet_participation
            WHERE year = 2019 AND measure = 'annual_change_neet_nk_percent'""").fetchall()
    assert rows == [("avg_neet_count", float(served[0]["avg_neet_count"]), None, False),
                    ("avg_nk_count", None, "c", True), ("nk_percent", None, "c", True)]
    assert first_year == [(None, "z", False)]  # not applicable: there is no year before


def test_suppressed_headline_is_null_in_the_indicator_never_zero(tmp_path, httpserver):
    sim, settings, result = _neet_run(tmp_path, httpserver, DfeSim(suppress={(EAST_SUSSEX, 2024)}))
    assert result.success, failure_messages(result)
    with duckdb.connect(str(settings.work_db), read_only=True) as conn:
        figures = conn.execute(f"""SELECT area_code, year(period), indicator, value, numerator, obs_status
            FROM ({load_sql(area_indicators.__file__, 'figures_neet')}) WHERE area_code = ?
            AND year(period) IN (2024, 2025) ORDER BY ALL""", [EAST_SUSSEX]).fetchall()
    served = {r["time_period"]: r for r in served_neet(sim, DATASET_2026) if r["new_la_code"] == EAST_SUSSEX
              and r["age"] == "16 to 17" and r["characteristic"] == "Total"}
    assert figures[:2] == [(EAST_SUSSEX, 2024, "neet_16_17", float(served["2024"]["neet_percent"]),
                            float(served["2024"]["avg_neet_count"]), None),
                           (EAST_SUSSEX, 2024, "neet_nk_16_17", None, None, "c")]
    assert figures[3] == (EAST_SUSSEX, 2025, "neet_nk_16_17", float(served["2025"]["neet_nk_percent"]),
                          float(served["2025"]["avg_neet_nk_count"]), None)


def test_renamed_columns_are_refused_by_name(tmp_path, httpserver):
    """A body the client refuses degrades the source (sources/isolation.py): nothing of it is loaded, and
    source_status names the columns and what to change."""
    _, settings, result = _neet_run(tmp_path, httpserver, DfeSim(),
                                    mangle=lambda text: text.replace("avg_neet_nk_count", "neet_or_nk_avg", 1))
    assert result.success
    with duckdb.connect(str(settings.work_db), read_only=True) as conn:
        outcome, reason = conn.execute("SELECT outcome, reason FROM source_status WHERE source_asset = 'raw_neet'"
                                       ).fetchone()
        assert conn.execute("SELECT count(*) FROM raw_neet").fetchone()[0] == 0
        assert conn.execute("SELECT count(*) FROM neet_participation").fetchone()[0] == 0
    assert outcome == "unavailable" and "avg_neet_nk_count" in reason and "NEET_COLUMNS" in reason


def test_unknown_symbol_stops_the_run(tmp_path, httpserver):
    _, _, result = _neet_run(tmp_path, httpserver, DfeSim(),
                             mangle=lambda text: re.sub(r"(East Sussex,16 to 17,Total,Total,\d+,)\d+", r"\1!!", text,
                                                        count=1))
    assert not result.success
    message = _step_failure(result)
    assert message.startswith("neet_participation: UpstreamFormatError") and "'!!'" in message


# -- page sizes: what EES accepts -------------------------------------------------------------------------------
REAL_PAGE_SIZE_400 = {"type": "https://tools.ietf.org/html/rfc9110#section-15.5.1",
                      "title": "One or more validation errors occurred.", "status": 400,
                      "errors": [{"message": "Must be between 1 and 20.", "path": "pageSize", "code": "InclusiveBetween",
                                  "detail": {"from": 1, "to": 20, "value": 21}}]}


def test_page_size_21_is_refused_and_the_client_never_sends_it(upstream, sim):
    dfe = _dfe(upstream, sim)
    # The emulator answers a publication's data-set list with pageSize 21 as EES does: HTTP 400, this body.
    with pytest.raises(UpstreamHTTPError, match="HTTP 400") as err:
        dfe.get_json(f"publications/{PUBLICATION_ID}/data-sets", (("page", "1"), ("pageSize", "21")))
    assert err.value.status == 400
    status, ctype, body = sim.dfe.handle(f"publications/{PUBLICATION_ID}/data-sets", {"page": "1", "pageSize": "21"})
    assert (status, json.loads(body)) == (400, REAL_PAGE_SIZE_400) and ctype == "application/problem+json"
    # publications and the data catalogue take up to 40, not 41
    for handle, path in ((sim.dfe.handle, "publications"), (sim.dfe.handle_content, "data-set-files")):
        assert handle(path, {"pageSize": "40"})[0] == 200
        status, _, body = handle(path, {"pageSize": "41"})
        assert status == 400 and json.loads(body)["errors"][0]["detail"] == {"from": 1, "to": 40, "value": 41}
    # the client cannot be configured out of range ...
    for too_big in ({"data_sets_page_size": 21}, {"publications_page_size": 41}, {"catalogue_page_size": 41}):
        with pytest.raises(Exception, match="less than or equal"):
            _dfe(upstream, sim, **too_big)
    # ... and by default asks for the largest size each list accepts
    sim.log.clear()
    dfe.neet_source()
    sizes = {p.split("?")[0].rsplit("/", 1)[-1]: re.search(r"pageSize=(\d+)", p).group(1) for p in sim.log if "pageSize" in p}
    assert sizes == {"publications": "40", "data-sets": "20"}


# -- the route: public API, else the data catalogue ------------------------------------------------------------
def test_api_route_is_used_when_the_api_offers_the_data_set(both_schemas):
    sim, settings = both_schemas[2026]
    assert not any(p.startswith("/dfe-content/") for p in sim.log)  # the data catalogue was never asked
    with duckdb.connect(str(settings.work_db), read_only=True) as conn:
        rows = conn.execute("""SELECT dataset, release FROM source_requests WHERE source_asset = 'raw_neet'
            AND url LIKE '%/csv%'""").fetchall()
    assert rows == [(f"DfE EES {DATASET_2026}", "version 1.0 published 2026-06-12T09:30:00Z")]


def test_catalogue_ids_are_not_api_ids(upstream, sim):
    dfe = _dfe(upstream, sim)
    publication = dfe.catalogue_publication(NEET_PUBLICATION_SLUG)
    assert publication["id"] == PUBLICATION_ID and publication["latestRelease"]["slug"] == "2026"
    neet = dfe.catalogue_neet_file(publication)
    assert neet["id"] == CATALOGUE_FILE[2026] and neet["fileId"] == CATALOGUE_FILE_ID[2026]
    assert len({neet["id"], neet["fileId"], DATASET_2026, DATASET_2025}) == 4
    assert neet["api"] == {"id": DATASET_2026, "version": "1.0", "name": "NEET and not known by characteristics"}
    assert len(sim.dfe.catalogue_files()) > 1  # the release has other files: the NEET one was picked by title
    # the catalogue file holds exactly what the API data set serves
    assert sim.dfe.handle_content(f"data-set-files/{neet['id']}/download", {})[2] == sim.dfe.csv(DATASET_2026)
    with pytest.raises(UpstreamHTTPError, match="HTTP 404"):
        dfe.catalogue_publication("no-such-publication")


def test_catalogue_listing_is_paged(upstream, sim):
    sim.dfe.api_data_set = False
    source = _dfe(upstream, sim, catalogue_page_size=1).neet_source()
    assert source.kind == "catalogue" and source.ids["data_set_file_id"] == CATALOGUE_FILE[2026]
    pages = [p for p in sim.log if p.startswith("/dfe-content/api/data-set-files?")]
    assert len(pages) == len(sim.dfe.catalogue_files()) and all("pageSize=1" in p for p in pages)
    assert "publicationId=" + PUBLICATION_ID in pages[0] and "page=2&" in pages[1]


@pytest.fixture(scope="module")
def from_catalogue(tmp_path_factory):
    """One run with the NEET data set missing from the public API (api_data_set=False)."""
    from pytest_httpserver import HTTPServer

    server = HTTPServer()
    server.start()
    try:
        sim, settings, result = _neet_run(tmp_path_factory.mktemp("neet_catalogue"), server, DfeSim(api_data_set=False))
        assert result.success, failure_messages(result)
        return sim, settings, result
    finally:
        server.clear()
        server.stop()


def test_fallback_to_the_data_catalogue_end_to_end(from_catalogue, both_schemas):
    sim, settings, result = from_catalogue
    # the public API was asked first, found nothing, and no API data set was fetched
    assert sim.log[0].startswith("/dfe/statistics/v1/publications?search=")
    assert not any("/data-sets" in p for p in sim.log)
    assert f"/dfe-content/api/data-set-files/{CATALOGUE_FILE[2026]}/download" in sim.log
    meta = result.asset_materializations_for_node("raw_neet")[0].metadata
    assert meta["route"].value == (f"data catalogue file {CATALOGUE_FILE[2026]} "
                                   "(neet_nk_characteristics_la_2019_2026.csv) of release 2026")
    assert meta["release"].value == "release 2026 published 2026-06-12T09:30:00Z"
    assert meta["schema"].value == "2026" and meta["latest_period"].value == "2026"
    with duckdb.connect(str(settings.work_db), read_only=True) as conn:
        logged = conn.execute("""SELECT dataset, release, rows FROM source_requests WHERE source_asset = 'raw_neet'
            ORDER BY url""").fetchall()
        provenance = conn.execute("""SELECT DISTINCT p.dataset, p.release FROM neet_participation n
            JOIN source_requests p ON p.query_id = n.source_query_id""").fetchall()
        values = conn.execute("""SELECT area_code, year, age, characteristic, measure, value, symbol
            FROM neet_participation ORDER BY ALL""").fetchall()
        headline = conn.execute("""SELECT year, value FROM neet_participation WHERE area_code = ? AND age = '16-17'
            AND characteristic = 'Total' AND measure = 'neet_nk_percent' ORDER BY year""", [EAST_SUSSEX]).fetchall()
    download = (f"DfE EES data catalogue file {CATALOGUE_FILE[2026]}", "release 2026 published 2026-06-12T09:30:00Z",
                len(served_neet(sim, DATASET_2026)))
    assert download in logged
    assert ("DfE EES data catalogue", "", None) in logged and ("DfE EES publications", "", None) in logged
    assert provenance == [download[:2]]  # every figure names the catalogue file and its release
    # the same world as the API route: every value equal, and equal to what was served
    _, api_settings = both_schemas[2026]
    with duckdb.connect(str(api_settings.work_db), read_only=True) as conn:
        assert values == conn.execute("""SELECT area_code, year, age, characteristic, measure, value, symbol
            FROM neet_participation ORDER BY ALL""").fetchall()
    served = {int(r["time_period"]): float(r["neet_nk_percent"]) for r in served_neet(sim, DATASET_2026)
              if r["new_la_code"] == EAST_SUSSEX and r["age"] == "16 to 17" and r["characteristic"] == "Total"}
    assert dict(headline) == served and len(served) == 8


def test_connection_refused_is_raised_not_a_reason_to_fall_back(upstream, sim):
    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    dfe = DfeResource(base_url=f"http://127.0.0.1:{port}/statistics/v1",
                      content_url=sim.base_urls(upstream)["DFE_CONTENT_URL"], source_mode="live", max_retries=0)
    with pytest.raises(UpstreamHTTPError, match=r"publications.*gave up after 1 attempts.*(ConnectionError|refused)"):
        dfe.neet_csv()
    assert sim.log == []  # the data catalogue was not tried


def test_no_neet_file_in_the_catalogue_says_so(upstream, sim):
    sim.dfe.api_data_set = False
    sim.dfe.catalogue_files = lambda: [f for f in DfeSim.catalogue_files(sim.dfe) if f["id"] != CATALOGUE_FILE[2026]]
    with pytest.raises(UpstreamError, match=r"no current data file titled like .*NEET_DATA_SET / NEET_FILE") as err:
        _dfe(upstream, sim).neet_csv()
    assert "Local authority scorecard" in str(err.value)  # what the release has, to decide what changed
