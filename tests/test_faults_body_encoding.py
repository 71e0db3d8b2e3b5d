"""Response bodies however they are encoded: the whole-response deadline and the size cap hold for gzip and
deflate bodies as for plain ones, and ordinary compressed bodies still decode exactly.

Before round two, urllib3 decoded the body: its read1 kept reading until the decoder produced output, so a
compressed stream that makes no progress (valid gzip: empty deflate blocks, a few bytes at a time) held a
request for as long as the server liked; a decompression bomb was decoded in full (1 GiB here), and a
gzip stream cut short was taken as the whole body.
"""

from __future__ import annotations

import gzip
import itertools
import time
import zlib

import duckdb
import pytest

from lmi_pipeline.clients.nomis import NomisResource
from lmi_pipeline.clients.transport import (
    MAX_BODY_BYTES, Request, Transport, UpstreamFormatError, UpstreamHTTPError,
)
from tests.faults_support import (
    SECRET, BodyFaultServer, Fault, FaultServer, copy_project, gzip_bomb, is_data, published_baseline, run_through,
)

PATH = "nomis/api/v01/dataset/NM_2014_1.def.sdmx.json"  # any path the synthetic upstream answers
EMPTY_BLOCK = b"\x00\x00\x00\xff\xff"  # an empty stored deflate block: valid, and decodes to nothing


@pytest.fixture(scope="module")
def baseline(tmp_path_factory):
    return published_baseline(tmp_path_factory)


def _everything(path, args):
    return True


def _transport(tmp_path, **kw) -> Transport:
    return Transport("live", tmp_path, backoff=0.01, max_retries=kw.pop("max_retries", 3), **kw)


def _request(server: FaultServer) -> Request:
    return Request("nomis", server.root, PATH, (("a", "1"),), {"uid": SECRET}, "Nomis NM_2014_1 definition")


def _plain_body() -> bytes:
    with FaultServer() as server:
        return _transport(".").get(_request(server)).body


def _stalling(encoding: str, seconds: float, interval: float):
    """A compressed body that starts well, then sends an empty block every `interval` s for `seconds`
    (a valid stream that never gets anywhere), then ends properly."""
    deflate = zlib.compressobj(6, zlib.DEFLATED, 16 + zlib.MAX_WBITS if encoding == "gzip" else zlib.MAX_WBITS)
    start = deflate.compress(b"a,b\n1,2\n") + deflate.flush(zlib.Z_SYNC_FLUSH)
    return itertools.chain([start], itertools.repeat(EMPTY_BLOCK, int(seconds / interval)), [deflate.flush()])


@pytest.mark.parametrize("encoding", ["gzip", "deflate"])
def test_a_dripped_compressed_body_meets_the_deadline(tmp_path, encoding):
    """30 s of a stream that decodes to nothing, 5 bytes every 50 ms: each read returns in time, the body
    never would. Cut at the 1 s deadline (bound: deadline + 5 s; it was the whole 30 s)."""
    drip = ("drip-raw", 200, {"Content-Type": "text/csv", "Content-Encoding": encoding},
            _stalling(encoding, 30, 0.05), 0.05)
    with BodyFaultServer(faults=[Fault(_everything, drip)]) as server:
        transport = _transport(tmp_path, read_timeout=2.0, deadline=1.0, max_retries=0)
        started = time.monotonic()
        with pytest.raises(UpstreamHTTPError) as err:
            transport.get(_request(server))
        elapsed = time.monotonic() - started
    assert elapsed < 1.0 + 5, elapsed
    assert "not complete after 1s (the deadline)" in str(err.value) and "Nomis NM_2014_1 definition" in str(err.value)


def test_a_gzip_bomb_is_refused_at_the_default_limit_without_running_out_of_memory(tmp_path):
    """1 GiB of zeros in 1 MB of gzip: decoded up to the limit (256 MiB), then refused with the request's
    name and the limit; not retried (the same bytes would come back)."""
    bomb = gzip_bomb(1 << 30)
    assert len(bomb) < 2 << 20
    faults = [Fault(_everything, ("respond", 200, {"Content-Type": "text/csv", "Content-Encoding": "gzip"}, bomb))]
    with FaultServer(faults=faults) as server:
        transport = _transport(tmp_path)
        assert transport.max_body_bytes == MAX_BODY_BYTES == 256 * 2**20
        with pytest.raises(UpstreamFormatError) as err, transport.collect() as fetched:
            transport.get(_request(server))
        sent = server.requests(PATH)
    message = str(err.value)
    assert "Nomis NM_2014_1 definition" in message and "larger than 256 MiB once gzip-decoded" in message
    assert "max_body_bytes" in message and "uid=***" in message and SECRET not in message
    assert len(sent) == 1 and fetched == [] and transport.responses == 0


def test_the_size_limit_holds_for_plain_bodies_and_comes_from_the_resource(tmp_path):
    plain = _plain_body()
    assert NomisResource(max_body_bytes=len(plain) - 1).transport().max_body_bytes == len(plain) - 1
    with FaultServer() as server:
        assert _transport(tmp_path, max_body_bytes=len(plain)).get(_request(server)).body == plain  # at the limit
        with pytest.raises(UpstreamFormatError, match=f"larger than {len(plain) - 1:,} bytes \\(the max_body_bytes"):
            _transport(tmp_path, max_body_bytes=len(plain) - 1).get(_request(server))


def _members(body: bytes) -> bytes:
    half = len(body) // 2
    return gzip.compress(body[:half]) + gzip.compress(body[half:])  # as `cat a.gz b.gz`


def _raw_deflate(body: bytes) -> bytes:
    deflate = zlib.compressobj(6, zlib.DEFLATED, -zlib.MAX_WBITS)  # what some servers send as "deflate"
    return deflate.compress(body) + deflate.flush()


@pytest.mark.parametrize("encoding,encode", [
    ("gzip", gzip.compress),
    ("x-gzip", gzip.compress),
    ("GZIP", _members),
    ("deflate", zlib.compress),
    ("deflate", _raw_deflate),
    ("identity", lambda b: b),
], ids=["gzip", "x-gzip", "gzip-two-members", "deflate-zlib", "deflate-raw", "identity"])
def test_compressed_bodies_decode_exactly(tmp_path, encoding, encode):
    plain = _plain_body()
    respond = ("respond", 200, {"Content-Type": "application/json", "Content-Encoding": encoding}, encode(plain))
    with FaultServer(faults=[Fault(_everything, respond)]) as server:
        response = _transport(tmp_path).get(_request(server))
    assert response.body == plain and response.attempts == 1


def test_a_gzip_body_dripped_in_small_pieces_decodes_exactly(tmp_path):
    plain = _plain_body()
    packed = gzip.compress(plain)
    pieces = [packed[i:i + 7] for i in range(0, len(packed), 7)]
    drip = ("drip-raw", 200, {"Content-Type": "application/json", "Content-Encoding": "gzip"}, pieces, 0.0005)
    with BodyFaultServer(faults=[Fault(_everything, drip)]) as server:
        assert _transport(tmp_path, deadline=60).get(_request(server)).body == plain


def test_a_gzip_body_cut_short_is_not_taken_as_whole(tmp_path):
    """A complete HTTP response (Content-Length matches) whose gzip stream stops partway: retried, then
    refused (urllib3 returned the part silently)."""
    cut = gzip.compress(_plain_body())[:-40]
    faults = [Fault(_everything, ("respond", 200, {"Content-Encoding": "gzip"}, cut))]
    with FaultServer(faults=faults) as server:
        with pytest.raises(UpstreamHTTPError) as err:
            _transport(tmp_path).get(_request(server))
        assert len(server.requests(PATH)) == 4
    assert "gave up after 4 attempts" in str(err.value) and "gzip stream stops before its end" in str(err.value)


def test_an_encoding_we_did_not_ask_for_is_refused(tmp_path):
    faults = [Fault(_everything, ("respond", 200, {"Content-Encoding": "br"}, b"\x8b\x02\x80hello\x03"))]
    with FaultServer(faults=faults) as server:
        with pytest.raises(UpstreamFormatError, match="Content-Encoding 'br', which we did not ask for"):
            _transport(tmp_path).get(_request(server))


def test_a_bomb_in_a_run_degrades_only_its_source(baseline, tmp_path):
    """End to end: the population pages are bombs; the run publishes, the source is stale with the reason."""
    bomb = gzip_bomb(1 << 30)
    faults = [Fault(is_data("NM_2014_1"), ("respond", 200, {"Content-Type": "text/csv", "Content-Encoding": "gzip"},
                                           bomb))]
    with FaultServer(faults=faults) as server:
        settings = server.settings(copy_project(tmp_path, baseline), NOMIS_UID=SECRET)
        result = run_through(settings, "raw_population")
    assert result.success
    with duckdb.connect(str(settings.published_db), read_only=True) as conn:
        outcome, reason = conn.execute("SELECT outcome, reason FROM source_status WHERE source_asset = "
                                       "'raw_population'").fetchone()
    assert outcome == "stale", reason
    assert "Nomis NM_2014_1" in reason and "larger than 256 MiB once gzip-decoded" in reason and SECRET not in reason
