"""Transport faults in detail, against the fault server: what is retried, how often, how long it waits, and
what the key looks like in everything a failure produces. (End-to-end outcomes: test_faults_upstream.py.)"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime

import pytest

from lmi_pipeline.clients.transport import Request, Transport, UpstreamHTTPError
from tests.faults_support import SECRET, Fault, FaultServer

PATH = "nomis/api/v01/dataset/NM_2014_1.def.sdmx.json"  # any path the synthetic upstream answers


def _everything(path, args):
    return True


def _get(server: FaultServer, tmp_path, **kw) -> tuple[Transport, Request]:
    transport = Transport("live", tmp_path, backoff=0.01, max_retries=3, **kw)
    return transport, Request("nomis", server.root, PATH, (("a", "1"),), {"uid": SECRET}, "Nomis NM_2014_1 definition")


def test_retry_after_is_honoured_in_seconds_and_as_a_date(tmp_path):
    waits: list[float] = []
    later = format_datetime(datetime.now(timezone.utc) + timedelta(seconds=30), usegmt=True)
    faults = [Fault(_everything, ("respond", 429, {"Retry-After": "7"}, b"slow down"), times=1),
              Fault(_everything, ("respond", 503, {"Retry-After": later}, b"busy"), times=1)]
    with FaultServer(faults=faults) as server:
        transport, req = _get(server, tmp_path, sleep=waits.append)
        response = transport.get(req)
    assert response.status == 200 and response.attempts == 3
    assert waits[0] == 7.0 and 25 <= waits[1] <= 30  # what the server asked for, not our own back-off


def test_429_forever_gives_up_after_exactly_the_retry_budget(tmp_path):
    with FaultServer(faults=[Fault(_everything, ("respond", 429, {}, b"no"))]) as server:
        transport, req = _get(server, tmp_path)
        with pytest.raises(UpstreamHTTPError) as err:
            transport.get(req)
        sent = server.requests(PATH)
    assert len(sent) == 4 == transport.requests_made  # 1 + max_retries, then a clear stop
    message = str(err.value)
    assert "gave up after 4 attempts" in message and "HTTP 429" in message and "Nomis NM_2014_1" in message
    assert "uid=***" in message and SECRET not in message and all(f"uid={SECRET}" in p for p in sent)


@pytest.mark.parametrize("action,kw", [
    (("reset",), {}),
    (("stall", 0.5), {"read_timeout": 0.1}),
    (("cut", 0.5), {}),
])
def test_network_faults_are_retried_then_succeed(tmp_path, action, kw):
    with FaultServer(faults=[Fault(_everything, action, times=2)]) as server:
        transport, req = _get(server, tmp_path, **kw)
        response = transport.get(req)
    assert response.status == 200 and response.attempts == 3 and response.body.startswith(b"{")


def test_slow_drip_with_a_content_length_meets_the_deadline(tmp_path):
    """100,000 promised bytes, one every 20 ms: each read returns in time, the whole never would."""
    with FaultServer(faults=[Fault(_everything, ("drip", 0.02))]) as server:
        transport, req = _get(server, tmp_path, read_timeout=1.0, deadline=0.3)
        transport.max_retries = 1
        with pytest.raises(UpstreamHTTPError) as err:
            transport.get(req)
    assert "gave up after 2 attempts" in str(err.value) and "after 0.3s (the deadline)" in str(err.value)


def test_a_key_echoed_by_the_server_is_masked_in_the_body_and_the_error(tmp_path):
    echo = Fault(_everything, ("respond", 400, {"Content-Type": "text/html"},
                               f"<html>Bad request: uid={SECRET} is not valid</html>".encode()), times=1)
    with FaultServer(faults=[echo]) as server:
        transport, req = _get(server, tmp_path)
        with pytest.raises(UpstreamHTTPError) as err:
            transport.get(req)
        server.faults = [Fault(_everything, ("respond", 200, {"Content-Type": "text/csv"},
                                             f"a,b\n{SECRET},1\n".encode()))]
        body = transport.get(req).body
    assert "HTTP 400" in str(err.value) and SECRET not in str(err.value) and "uid=***" in str(err.value)
    assert SECRET.encode() not in body and body == b"a,b\n***,1\n"


def test_urllib3_debug_lines_never_show_the_key(tmp_path):
    """urllib3 logs every request's full URL at DEBUG; an app that turns DEBUG on must not leak the key."""
    records: list[logging.LogRecord] = []
    handler = logging.Handler(logging.DEBUG)
    handler.emit = records.append
    logger = logging.getLogger("urllib3.connectionpool")
    old_level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    try:
        with FaultServer() as server:
            transport, req = _get(server, tmp_path)
            transport.get(req)
    finally:
        logger.removeHandler(handler)
        logger.setLevel(old_level)
    lines = [r.getMessage() for r in records]
    assert any("uid=***" in line for line in lines)  # the line is there, masked
    assert not any(SECRET in line for line in lines)
