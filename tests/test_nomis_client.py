"""The Nomis client against a real local HTTP server replaying the synthetic Nomis."""

import re

import pyarrow.compute as pc
import pytest

from lmi_demo.server import UpstreamSim
from lmi_demo.world import World
from lmi_pipeline.clients.nomis import NomisQuery, NomisResource
from lmi_pipeline.clients.transport import UpstreamError, UpstreamFormatError
from tests.conftest import sim_handler

SELECT = ("DATE", "GEOGRAPHY", "GEOGRAPHY_CODE", "AGE", "MEASURE", "OBS_VALUE", "OBS_STATUS")


def _client(root: str, sim: UpstreamSim, **kw) -> NomisResource:
    return NomisResource(base_url=sim.base_urls(root)["NOMIS_BASE_URL"], source_mode="live",
                         backoff_seconds=0.01, max_retries=2, **kw)


def _hastings_query(nomis: NomisResource, **kw) -> tuple[NomisQuery, list]:
    lad = next(a for a in nomis.areas("NM_162_1", "TYPE424") if a.gss_code == "E07000062")
    wards = nomis.areas("NM_162_1", f"{lad.nomis_id}TYPE187")
    q = NomisQuery("NM_162_1", tuple(w.nomis_id for w in wards), SELECT, time="2013-01,latest",
                   dimensions=(("gender", "0"), ("age", "0,2"), ("measure", "1,2"), ("measures", "20100")),
                   label="Nomis NM_162_1 test", **kw)
    return q, wards


def test_pages_until_record_count(httpserver):
    sim = UpstreamSim(page_size=1000)
    httpserver.expect_request(re.compile(".*")).respond_with_handler(sim_handler(sim))
    nomis = _client(httpserver.url_for("/").rstrip("/"), sim)
    query, wards = _hastings_query(nomis)
    result = nomis.fetch(query)
    expected_rows = len(wards) * len(sim.world.months) * 2 * 2
    assert result.record_count == expected_rows == result.table.num_rows
    pages = [p for p in sim.log if ".data.csv" in p]
    assert len(pages) == -(-expected_rows // 1000) > 5
    offsets = pc.cast(result.table["RECORD_OFFSET"], "int64").to_pylist()
    assert offsets == list(range(expected_rows))  # contiguous, nothing lost or repeated
    assert set(result.table.column_names) >= set(SELECT)
    assert all(t == "string" for t in map(str, result.table.schema.types))  # every column read as text


def test_pages_are_read_ahead_by_at_most_the_page_workers(httpserver):
    """A slow loader must not make the client hold every page in memory (a national load is 1.5 GB of CSV)."""
    import time

    sim = UpstreamSim(page_size=500)
    httpserver.expect_request(re.compile(".*")).respond_with_handler(sim_handler(sim))
    nomis = _client(httpserver.url_for("/").rstrip("/"), sim, page_workers=2)
    query, _ = _hastings_query(nomis)
    data_requests = lambda: sum(".data.csv" in p for p in sim.log)  # noqa: E731
    pages = nomis.iter_pages(query)
    consumed = 0
    for _ in pages:
        consumed += 1
        time.sleep(0.05)  # a loader slower than the server: an unbounded read-ahead would fetch everything now
        assert data_requests() <= consumed + 2, f"{data_requests()} pages fetched after {consumed} were used"
    assert consumed == data_requests() > 10


def test_retry_then_success(httpserver):
    """Every data page fails once with 503 and is fetched again: the result is whole, as without the faults."""
    sim = UpstreamSim(page_size=1000)
    handler = sim_handler(sim)
    refused: list[str] = []

    def flaky(request):
        page = request.full_path
        if ".data.csv" in request.path and page not in refused:
            refused.append(page)
            from werkzeug import Response
            return Response("Service Unavailable", status=503)
        return handler(request)

    httpserver.expect_request(re.compile(".*")).respond_with_handler(flaky)
    nomis = _client(httpserver.url_for("/").rstrip("/"), sim)
    query, wards = _hastings_query(nomis)
    result = nomis.fetch(query)
    expected_rows = len(wards) * len(sim.world.months) * 2 * 2
    assert result.record_count == expected_rows == result.table.num_rows
    offsets = pc.cast(result.table["RECORD_OFFSET"], "int64").to_pylist()
    assert offsets == list(range(expected_rows))  # no page lost or repeated by the retries
    pages = [r for r in result.responses if ".data.csv" in r.request.path]
    assert len(pages) == len(refused) > 1
    assert all(r.attempts == 2 for r in pages)  # each refused once, then served


@pytest.mark.parametrize("body,ctype,message", [
    ("<!DOCTYPE html><html><body>Nomis is undergoing maintenance</body></html>", "text/html", "HTML"),
    ('"DATE","GEOGRAPHY","GEOGRAPHY_CODE","AGE","MEASURE","OBS_VALUE","OBS_STATUS","RECORD_OFFSET","RECORD_COUNT"\n',
     "text/csv", "header-only"),
    ("", "text/csv", "empty body"),
    ('{"error": "Invalid geography"}', "application/json", "JSON instead of CSV"),
])
def test_rejects_unusable_bodies(httpserver, sim, body, ctype, message):
    handler = sim_handler(sim)

    def broken(request):
        if ".data.csv" in request.path:
            from werkzeug import Response
            return Response(body, status=200, content_type=ctype)
        return handler(request)

    httpserver.expect_request(re.compile(".*")).respond_with_handler(broken)
    nomis = _client(httpserver.url_for("/").rstrip("/"), sim, uid="my-secret-uid")
    query, _ = _hastings_query(nomis)
    with pytest.raises(UpstreamFormatError) as err:
        nomis.fetch(query)
    text = str(err.value)
    assert message in text and "NM_162_1" in text and "geography=" in text  # names dataset and query
    assert "my-secret-uid" not in text


def test_missing_ward_is_named(httpserver):
    world = World.default()
    sim = UpstreamSim(world)
    httpserver.expect_request(re.compile(".*")).respond_with_handler(sim_handler(sim))
    nomis = _client(httpserver.url_for("/").rstrip("/"), sim)
    query, wards = _hastings_query(nomis)
    gensing = next(w for w in wards if w.gss_code == "E05011207")
    del sim.nomis.geo_index[int(gensing.nomis_id)]  # Nomis stops serving one ward
    with pytest.raises(UpstreamError, match=r"did not come back: E05011207 Gensing"):
        nomis.fetch(query, {w.nomis_id: f"{w.gss_code} {w.name}" for w in wards})


def test_pages_are_staged_and_a_failed_load_leaves_the_raw_table_as_it_was(httpserver, tmp_path):
    """Pages commit into `<table>__incoming`; the raw table changes only when the caller moves them in."""
    import logging

    import duckdb
    from werkzeug import Response

    from lmi_pipeline.sources.nomis_loading import load_nomis_query, move_into_place

    sim = UpstreamSim(page_size=500)
    handler = sim_handler(sim)
    broken = {"on": True}

    def second_page_is_html(request):
        if broken["on"] and request.args.get("RecordOffset") == "1000":
            return Response("<html><body>Service temporarily unavailable</body></html>", status=200,
                            content_type="text/html")
        return handler(request)

    httpserver.expect_request(re.compile(".*")).respond_with_handler(second_page_is_html)
    nomis = _client(httpserver.url_for("/").rstrip("/"), sim)
    query, wards = _hastings_query(nomis)
    conn = duckdb.connect(str(tmp_path / "work.duckdb"))
    conn.execute("CREATE TABLE raw_claimant_count AS SELECT 'the last good load' AS DATE")
    tables = lambda: sorted(r[0] for r in conn.execute("SELECT table_name FROM duckdb_tables()").fetchall())  # noqa: E731
    log = logging.getLogger("test")
    with pytest.raises(UpstreamFormatError, match="HTML"):
        load_nomis_query(conn, "raw_claimant_count", nomis, query, log, {w.nomis_id for w in wards}, {})
    assert tables() == ["raw_claimant_count"]
    assert conn.execute("SELECT DATE FROM raw_claimant_count").fetchall() == [("the last good load",)]

    broken["on"] = False
    loaded = load_nomis_query(conn, "raw_claimant_count", nomis, query, log, {w.nomis_id for w in wards}, {})
    assert tables() == ["raw_claimant_count", "raw_claimant_count__incoming"] and loaded.pages > 2
    assert conn.execute("SELECT DATE FROM raw_claimant_count").fetchall() == [("the last good load",)]
    move_into_place(conn, "raw_claimant_count", loaded)
    assert tables() == ["raw_claimant_count"]
    assert conn.execute("SELECT count(*) FROM raw_claimant_count").fetchall()[0][0] == loaded.rows
