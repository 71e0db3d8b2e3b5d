"""Paging that trusts the server: every loop over a count or a "more pages" flag a server sends is bounded,
and a page that repeats an earlier one, or a count that cannot be true, is refused with an error naming the
request, the page and what was wrong (docs/reliability.md, "Paging and counts").

The clients are read against a real local HTTP server (pytest-httpserver, 127.0.0.1) that misbehaves one
way each: ArcGIS (ONS) saying `exceededTransferLimit` for ever, EES (DfE) with an absurd or changing
`totalPages`, Nomis with a RECORD_COUNT that is absurd, negative, not a number or changes between pages.
Each test server stops answering after CAP requests, so a client that does not stop fails the test instead
of hanging it. The last three tests run the pipeline: the error is an upstream error, so a Nomis or DfE
source degrades (its last good data kept) and the ONS lookups fail the run with the publication untouched.
"""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

import pytest
from werkzeug import Response as WResponse

from lmi_demo.server import UpstreamSim
from lmi_pipeline.clients import dfe as dfe_client
from lmi_pipeline.clients import nomis as nomis_client
from lmi_pipeline.clients import ons_geo
from lmi_pipeline.clients.dfe import DfeResource
from lmi_pipeline.clients.nomis import NomisQuery, NomisResource
from lmi_pipeline.clients.ons_geo import OnsGeoResource
from lmi_pipeline.clients.transport import UpstreamError, UpstreamFormatError
from lmi_pipeline.operations.runs import failure_messages
from tests.faults_support import (
    SECRET, Fault, FaultServer, _send, copy_project, csv_cells, digest, is_data, is_ons, leftovers,
    published_baseline, run_through, source_status, table_digest,
)

CAP = 1000  # requests a test server answers before it refuses (well above every bound under test)
FIXTURES = Path(__file__).parent / "fixtures" / "nomis"


def _give_up() -> WResponse:
    return WResponse("test server: the client never stopped", status=418)


# -- ONS: ArcGIS FeatureServer query -------------------------------------------------------------------------
SERVICE = "WD24_LAD24_CTYUA_RGN_CTRY_UK_LU"
FIELDS = ["WD24CD", "WD24NM", "LAD24CD"]
WHERE = "LAD24CD IN ('E07000062')"


def ward(n: int) -> dict:
    return {"attributes": {"WD24CD": f"E05{n:06d}", "WD24NM": f"Ward {n}", "LAD24CD": "E07000062"}}


def arcgis(httpserver, page_of) -> list[dict]:
    """Serve `page_of(offset, count)` (an ArcGIS query answer) for every query; returns the requests' args."""
    calls: list[dict] = []

    def handler(request):
        calls.append(dict(request.args))
        if len(calls) > CAP:
            return _give_up()
        doc = page_of(int(request.args["resultOffset"]), int(request.args["resultRecordCount"]))
        return WResponse(json.dumps(doc), content_type="application/json")

    httpserver.expect_request(re.compile(r".*/FeatureServer/0/query")).respond_with_handler(handler)
    return calls


def ons(httpserver, **kw) -> OnsGeoResource:
    return OnsGeoResource(base_url=httpserver.url_for("/ons").rstrip("/"), source_mode="live", max_retries=0,
                          backoff_seconds=0.01, **kw)


def query_ons(httpserver, **kw):
    return ons(httpserver, **kw).query(SERVICE, WHERE, FIELDS, order_by="WD24CD")


def test_arcgis_the_same_page_for_ever_is_refused_at_the_second_page(httpserver):
    calls = arcgis(httpserver, lambda offset, count: {"features": [ward(1), ward(2)], "exceededTransferLimit": True})
    t0 = time.monotonic()
    with pytest.raises(UpstreamFormatError) as err:
        query_ons(httpserver)
    message = str(err.value)
    assert time.monotonic() - t0 < 5 and len(calls) == 2  # quickly: at the first repeat
    assert f"ONS geography {SERVICE} for {WHERE}" in message and "resultOffset=2" in message
    assert "page 2 (offset 2) repeats page 1 (the same features)" in message and "nothing was loaded" in message


def test_arcgis_a_page_with_the_first_and_last_keys_of_an_earlier_one_is_refused(httpserver):
    """The same rows again with something else changed (a name re-spelt): the keys tell it is a repeat."""
    def page_of(offset, count):
        rows = [ward(1), ward(2)]
        rows[0]["attributes"]["WD24NM"] += " " * (offset // 2)
        return {"features": rows, "exceededTransferLimit": True}

    calls = arcgis(httpserver, page_of)
    with pytest.raises(UpstreamFormatError, match=r"page 2 \(offset 2\) repeats page 1 \(the same first and last "
                                                  r"WD24CD, E05000001 \.\. E05000002\)"):
        query_ons(httpserver)
    assert len(calls) == 2


def test_arcgis_that_never_stops_ends_at_the_bound(httpserver):
    """New features on every page, and always "more": the client stops after MAX_PAGES pages, named."""
    calls = arcgis(httpserver, lambda offset, count: {"features": [ward(offset + i) for i in range(count)],
                                                      "exceededTransferLimit": True})
    t0 = time.monotonic()
    with pytest.raises(UpstreamFormatError) as err:
        query_ons(httpserver, page_size=3)
    assert len(calls) == ons_geo.MAX_PAGES == 200 and time.monotonic() - t0 < 60
    message = str(err.value)
    assert f"exceededTransferLimit is still true after 200 pages ({200 * 3} rows)" in message
    assert f"ONS geography {SERVICE}" in message and "OnsGeoResource.max_pages" in message
    assert "MAX_PAGES in lmi_pipeline/clients/ons_geo.py" in message


def test_arcgis_bound_is_a_setting(httpserver):
    calls = arcgis(httpserver, lambda offset, count: {"features": [ward(offset + i) for i in range(count)],
                                                      "exceededTransferLimit": offset < 6})
    assert len(query_ons(httpserver, page_size=3, max_pages=3)[0]) == 9  # three pages, the last says no more
    with pytest.raises(UpstreamFormatError, match="still true after 2 pages"):
        query_ons(httpserver, page_size=3, max_pages=2)
    assert len(calls) == 3 + 2


@pytest.mark.parametrize("flag", ["false", "true", 1, None])
def test_arcgis_a_more_pages_flag_that_is_not_a_boolean_is_refused(httpserver, flag):
    """bool("false") is True: a string flag used to page for ever."""
    calls = arcgis(httpserver, lambda offset, count: {"features": [ward(offset + 1)], "exceededTransferLimit": flag})
    with pytest.raises(UpstreamFormatError, match=rf"exceededTransferLimit is {re.escape(repr(flag))}, not true or false"):
        query_ons(httpserver)
    assert len(calls) == 1


def test_arcgis_more_features_than_asked_for_is_refused(httpserver):
    arcgis(httpserver, lambda offset, count: {"features": [ward(i) for i in range(count + 1)]})
    with pytest.raises(UpstreamFormatError, match=r"page 1 \(offset 0\) holds 4 features but at most 3 were asked"):
        query_ons(httpserver, page_size=3)


# -- DfE: EES paged lists ------------------------------------------------------------------------------------
ITEMS = [{"id": f"pub-{n:03d}", "title": f"Publication {n}"} for n in range(95)]  # 3 pages of 40


def honest(page: int, size: int, items=ITEMS) -> dict:
    return {"paging": {"page": page, "pageSize": size, "totalResults": len(items),
                       "totalPages": max(1, -(-len(items) // size))},
            "results": items[(page - 1) * size: page * size]}


def ees(httpserver, answer) -> list[dict]:
    calls: list[dict] = []

    def handler(request):
        calls.append(dict(request.args))
        if len(calls) > CAP:
            return _give_up()
        return WResponse(json.dumps(answer(int(request.args["page"]), int(request.args["pageSize"]))),
                         content_type="application/json")

    httpserver.expect_request("/dfe/publications").respond_with_handler(handler)
    return calls


def publications(httpserver, **kw) -> list[dict]:
    dfe = DfeResource(base_url=httpserver.url_for("/dfe").rstrip("/"), source_mode="live", max_retries=0,
                      backoff_seconds=0.01, **kw)
    return dfe.paged("publications", (("search", "NEET"),), "DfE EES publications search", page_size=40)


def with_paging(page: int, size: int, **paging) -> dict:
    doc = honest(page, size)
    doc["paging"].update(paging)
    return doc


def test_ees_honest_paging_still_reads_every_result(httpserver):
    calls = ees(httpserver, honest)
    assert publications(httpserver) == ITEMS and [c["page"] for c in calls] == ["1", "2", "3"]


def test_ees_an_empty_list_is_one_or_no_page(httpserver):
    for pages in (0, 1):
        httpserver.clear()
        ees(httpserver, lambda page, size: {"paging": {"page": 1, "pageSize": size, "totalResults": 0,
                                                       "totalPages": pages}, "results": []})
        assert publications(httpserver) == []


def test_ees_total_pages_of_a_billion_is_refused_at_the_first_page(httpserver):
    calls = ees(httpserver, lambda page, size: with_paging(page, size, totalPages=10**9, totalResults=40 * 10**9))
    with pytest.raises(UpstreamFormatError) as err:
        publications(httpserver)
    message = str(err.value)
    assert len(calls) == 1
    assert f"DfE EES publications search; query {httpserver.url_for('/dfe/publications')}?" in message
    assert "page=1" in message
    assert ": page 1: totalPages is 1,000,000,000, more than any EES list has (DfeResource.max_pages, 50)" in message


def test_ees_total_pages_just_above_the_bound_is_refused(httpserver):
    items = [{"id": str(n)} for n in range(40 * dfe_client.MAX_PAGES + 1)]
    ees(httpserver, lambda page, size: honest(page, size, items))
    with pytest.raises(UpstreamFormatError, match=r"totalPages is 51, more than"):
        publications(httpserver)


def test_ees_a_page_repeating_is_refused(httpserver):
    """A server that ignores `page` and answers page 1 each time: the list would hold every result thrice."""
    calls = ees(httpserver, lambda page, size: honest(1, size) | {"paging": {**honest(1, size)["paging"], "page": page}})
    with pytest.raises(UpstreamFormatError, match=r": page 2 repeats page 1 \(the same results\)"):
        publications(httpserver)
    assert len(calls) == 2


def test_ees_a_page_with_the_first_and_last_ids_of_an_earlier_one_is_refused(httpserver):
    def answer(page, size):
        doc = honest(1, size)
        doc["paging"]["page"] = page
        doc["results"] = [dict(r, title=r["title"] + "!" * page) for r in doc["results"]]
        return doc

    ees(httpserver, answer)
    with pytest.raises(UpstreamFormatError, match=r"page 2 repeats page 1 \(the same first and last ids pub-000 \.\. "
                                                  r"pub-039\)"):
        publications(httpserver)


@pytest.mark.parametrize("value", [-1, 2.5, "3", True, None])
def test_ees_a_total_pages_that_is_not_a_count_is_refused(httpserver, value):
    ees(httpserver, lambda page, size: with_paging(page, size, totalPages=value))
    with pytest.raises(UpstreamFormatError, match=rf"page 1: paging.totalPages is {re.escape(repr(value))}, not a "
                                                  "whole number"):
        publications(httpserver)


def test_ees_total_pages_changing_between_pages_is_refused(httpserver):
    ees(httpserver, lambda page, size: with_paging(page, size, totalPages=3 if page == 1 else 4, totalResults=95 if
                                                   page == 1 else 130))
    with pytest.raises(UpstreamFormatError, match=r"page 2: totalPages/totalResults changed between pages \(3/95 on "
                                                  r"page 1, now 4/130\)"):
        publications(httpserver)


def test_ees_total_pages_that_disagrees_with_total_results_is_refused(httpserver):
    ees(httpserver, lambda page, size: with_paging(page, size, totalPages=7))
    with pytest.raises(UpstreamFormatError, match=r"page 1: totalPages is 7 but totalResults 95 in pages of 40 is 3"):
        publications(httpserver)


@pytest.mark.parametrize("page_cut, delivered", [(1, 39), (2, 41), (3, 14), (3, 16)])
def test_ees_fewer_or_more_rows_than_declared_are_refused(httpserver, page_cut, delivered):
    def answer(page, size):
        doc = honest(page, size)
        if page == page_cut:
            start = (page - 1) * size
            doc["results"] = [{"id": f"extra-{n}"} if n >= len(ITEMS) else ITEMS[n] for n in range(start, start + delivered)]
        return doc

    ees(httpserver, answer)
    with pytest.raises(UpstreamFormatError, match=rf"page {page_cut}: {delivered} results on page {page_cut} of 3 "
                                                  r"\(pages of 40, 95 in all\): fewer or more than declared"):
        publications(httpserver)


# -- Nomis: RECORD_COUNT -------------------------------------------------------------------------------------
# Pages in the exact layout of a real Nomis body (the Kirklees claimant count), row for row the recorded
# row but for RECORD_OFFSET and RECORD_COUNT, the last two columns.
CLAIMANT = (FIXTURES / "nomis_kirklees__NM_162_1_claimant_count_E08000034_Feb2026.csv").read_bytes()
HEADER, FIRST_ROW = CLAIMANT.split(b"\n")[:2]
ROW_PREFIX = FIRST_ROW.rsplit(b",", 2)[0]
KIRKLEES_ID = "1774190688"
LABELS = {KIRKLEES_ID: "E08000034 Kirklees"}


def nomis_body(offset: int, rows: int, count) -> bytes:
    lines = [HEADER] + [ROW_PREFIX + f",{offset + i},{count}".encode() for i in range(rows)]
    return b"\n".join(lines) + b"\n"


def nomis_server(httpserver, body_of) -> list[int]:
    """Serve `body_of(offset)` for the claimant count; returns the RecordOffsets asked for."""
    calls: list[int] = []

    def handler(request):
        calls.append(int(request.args["RecordOffset"]))
        if len(calls) > CAP:
            return _give_up()
        return WResponse(body_of(calls[-1]), content_type="text/csv")

    httpserver.expect_request("/nomis/dataset/NM_162_1.data.csv").respond_with_handler(handler)
    return calls


def read_nomis(httpserver, **kw) -> int:
    nomis = NomisResource(base_url=httpserver.url_for("/nomis").rstrip("/"), source_mode="live", max_retries=0,
                          backoff_seconds=0.01, page_workers=1, **kw)
    header = tuple(c.strip('"') for c in HEADER.decode().split(","))
    query = NomisQuery("NM_162_1", (KIRKLEES_ID,), select=header, label="Nomis NM_162_1 paging test")
    return sum(t.num_rows for t, _ in nomis.iter_pages(query, LABELS))


def endless(page_rows: int, count):
    """A server consistent with any RECORD_COUNT: every offset gets a full page of the next rows."""
    return lambda offset: nomis_body(offset, page_rows, count)


def test_nomis_honest_pages_are_read_to_the_end(httpserver):
    calls = nomis_server(httpserver, lambda off: nomis_body(off, min(10, 25 - off), 25))
    assert read_nomis(httpserver) == 25 and calls == [0, 10, 20]


def test_nomis_an_absurd_record_count_is_refused_before_paging(httpserver):
    calls = nomis_server(httpserver, endless(1000, 10**9))
    with pytest.raises(UpstreamFormatError) as err:
        read_nomis(httpserver)
    message = str(err.value)
    assert calls == [0]
    assert (f"Nomis NM_162_1 paging test for E08000034 Kirklees, page 1; query "
            f"{httpserver.url_for('/nomis/dataset/NM_162_1.data.csv')}?") in message
    assert "RecordOffset=0" in message
    assert "RECORD_COUNT is 1,000,000,000, more rows than one query may return here (100,000,000, " \
           "NomisResource.max_records" in message


def test_nomis_a_count_that_needs_too_many_pages_is_refused(httpserver):
    """Within the row bound, but in pages of 10 rows: 500,000 requests."""
    calls = nomis_server(httpserver, endless(10, 5_000_000))
    with pytest.raises(UpstreamFormatError, match=r"page 1; query .*: RECORD_COUNT 5,000,000 in pages of 10 rows would "
                                                  r"take 500,000 pages, more than 20,000 \(NomisResource.max_pages\)"):
        read_nomis(httpserver)
    assert calls == [0] and nomis_client.MAX_PAGES == 20_000


def test_nomis_bounds_are_settings(httpserver):
    calls = nomis_server(httpserver, lambda off: nomis_body(off, min(10, 30 - off), 30))
    assert read_nomis(httpserver, max_pages=3) == 30
    with pytest.raises(UpstreamFormatError, match="would take 3 pages, more than 2"):
        read_nomis(httpserver, max_pages=2)
    with pytest.raises(UpstreamFormatError, match=r"RECORD_COUNT is 30, more rows than one query may return here \(29"):
        read_nomis(httpserver, max_records=29)
    assert calls == [0, 10, 20, 0, 0]


@pytest.mark.parametrize("count", ["-4", "4a", "4.0", "", "1e3"])
def test_nomis_a_record_count_that_is_not_a_whole_number_is_refused(httpserver, count):
    nomis_server(httpserver, lambda off: nomis_body(off, 4, count))
    with pytest.raises(UpstreamFormatError, match=rf"page 1; query .*: RECORD_COUNT is {re.escape(repr(count))} on "
                                                  r"row 1 of the page, not a whole number"):
        read_nomis(httpserver)


def test_nomis_record_count_changing_between_pages_is_refused(httpserver):
    nomis_server(httpserver, lambda off: nomis_body(off, 10, 30 if off < 10 else 31))
    with pytest.raises(UpstreamFormatError, match=r"page 2; query .*RecordOffset=10.*: RECORD_COUNT changed between "
                                                  r"pages \(30 then 31\)"):
        read_nomis(httpserver)


def test_nomis_a_repeated_page_is_refused(httpserver):
    """A server that ignores RecordOffset and answers the first page each time."""
    calls = nomis_server(httpserver, lambda off: nomis_body(0, 10, 30))
    with pytest.raises(UpstreamFormatError, match=r"page 2; query .*: page 2 repeats page 1 \(RECORD_OFFSET 0\.\.9 "
                                                  r"again\)"):
        read_nomis(httpserver)
    assert calls[:2] == [0, 10]


@pytest.mark.parametrize("page, rows, pattern", [
    (1, 5, r"page 1; query .*: page holds RECORD_OFFSET 0\.\.4 \(5 rows\) but 0\.\.3 of RECORD_COUNT 4"),
    (2, 7, r"page 2; query .*: page holds RECORD_OFFSET 10\.\.16 \(7 rows\) but 10\.\.19 of RECORD_COUNT 30"),
])
def test_nomis_fewer_or_more_rows_than_declared_are_refused(httpserver, page, rows, pattern):
    count = 4 if page == 1 else 30
    nomis_server(httpserver, lambda off: nomis_body(off, rows if off // 10 + 1 == page else 10, count))
    with pytest.raises(UpstreamFormatError, match=pattern):
        read_nomis(httpserver)


# -- through the pipeline: which kind of failure each is -------------------------------------------------------
@pytest.fixture(scope="module")
def baseline(tmp_path_factory):
    return published_baseline(tmp_path_factory)


def _json_mutation(fn):
    def mutate(body: bytes) -> bytes:
        doc = json.loads(body)
        fn(doc)
        return json.dumps(doc).encode()
    return mutate


def _stale_with_last_good_kept(server_faults, asset, baseline, tmp_path, pattern):
    with FaultServer(faults=server_faults) as server:
        settings = server.settings(copy_project(tmp_path, baseline), NOMIS_UID=SECRET)
        raw_before, held = table_digest(settings.published_db, asset), source_status(settings.published_db, asset)
        result = run_through(settings, asset)
    assert result.success, failure_messages(result)  # the other sources publish
    outcome, reason, release = source_status(settings.published_db, asset)
    assert outcome == "stale" and re.search(pattern, reason, re.S), reason
    assert SECRET not in reason and release == held[2] and release
    assert table_digest(settings.published_db, asset) == raw_before  # the last good load, row for row
    assert leftovers(settings) == []


def _every_row(column: str, text: str):
    """A body mutation: `column` set to `text` on every row; every other byte as served."""
    def mutate(body: bytes) -> bytes:
        lines = body.split(b"\n")
        i = [c.strip(b'"') for c in csv_cells(lines[0])].index(column.encode())
        for n, line in enumerate(lines[1:], 1):
            if line:
                cells = csv_cells(line)
                cells[i] = text.encode()
                lines[n] = b",".join(cells)
        return b"\n".join(lines)
    return mutate


def test_an_absurd_nomis_record_count_degrades_the_source_and_keeps_its_last_good_data(baseline, tmp_path):
    fault = Fault(lambda p, a: is_data("NM_2014_1")(p, a) and a.get("RecordOffset") == "0",
                  ("mutate", _every_row("RECORD_COUNT", str(10**9))))
    _stale_with_last_good_kept([fault], "raw_population", baseline, tmp_path,
                               r"NM_2014_1 \(population estimates\).*, page 1; query .*uid=\*\*\*: RECORD_COUNT is "
                               r"1,000,000,000, more rows than one query may return here")


def test_absurd_dfe_total_pages_degrades_the_source_and_keeps_its_last_good_data(baseline, tmp_path):
    fault = Fault(lambda p, a: p.endswith("/statistics/v1/publications"),
                  ("mutate", _json_mutation(lambda doc: doc["paging"].update(totalPages=10**9))))
    _stale_with_last_good_kept([fault], "raw_neet", baseline, tmp_path,
                               r"DfE EES publications search; query .*: page 1: totalPages is 1,000,000,000")


class _RewritingServer(FaultServer):
    """A FaultServer that can also answer a request as the synthetic upstream answers other arguments."""

    def _act(self, h, action, path, args):
        if action[0] == "as-if":  # ("as-if", args -> args, body -> body)
            status, ctype, body = self.sim.handle(path, action[1](args))
            return _send(h, status, {"Content-Type": ctype}, action[2](body))
        return super()._act(h, action, path, args)


def test_an_arcgis_page_repeating_for_ever_fails_the_run_and_publishes_nothing(baseline, tmp_path):
    """The ONS lookups are the geography every source hangs on: the run fails, the publication is untouched."""
    first_page_for_ever = Fault(is_ons, ("as-if", lambda args: {**args, "resultOffset": "0"},
                                         _json_mutation(lambda doc: doc.update(exceededTransferLimit=True))))
    with _RewritingServer(sim=UpstreamSim(), faults=[first_page_for_ever]) as server:
        settings = server.settings(copy_project(tmp_path, baseline), NOMIS_UID=SECRET)
        before = digest(settings)
        t0 = time.monotonic()
        result = run_through(settings, "ons_ward_lookup")
        queries = server.requests("/FeatureServer/0/query")
    assert not result.success and time.monotonic() - t0 < 120
    (message,) = failure_messages(result)
    assert message.startswith("ons_ward_lookup: UpstreamFormatError")
    assert re.search(r"ONS geography WD\d\d_LAD\d\d_\w+_LU for LAD\d\dCD IN \('E07000062','E07000110'\); query .*: "
                     r"page 2 \(offset \d+\) repeats page 1 \(the same features\)", message), message
    assert len(queries) == 2  # stopped at the first repeat
    assert digest(settings) == before and leftovers(settings) == []


def test_every_paging_error_is_an_upstream_error():
    """What sources/isolation.py catches: a paging fault degrades a source like any other upstream fault."""
    assert issubclass(UpstreamFormatError, UpstreamError)
