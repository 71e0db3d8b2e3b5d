"""The key is only ever sent to the configured host. A redirect elsewhere (another host name, even one that
resolves to the same machine, or another port) is refused with an error naming where it pointed; a
redirect on the same host is followed, and requests that carry no key follow redirects as before.

Before round two requests followed every redirect, so a moved or hijacked service that kept the query in its
Location (as canonical-host redirects do) received the key.
"""

from __future__ import annotations

from urllib.parse import quote_plus

import pytest

from lmi_pipeline.clients.transport import Request, Transport, UpstreamHTTPError
from tests.faults_support import ENCODED_SECRET, SECRET, Fault, FaultServer, encodings_of

PATH = "nomis/api/v01/dataset/NM_2014_1.def.sdmx.json"  # any path the synthetic upstream answers


def _everything(path, args):
    return True


def _transport(tmp_path) -> Transport:
    return Transport("live", tmp_path, backoff=0.01, max_retries=3)


def _request(root: str, key: str = SECRET, service: str = "nomis") -> Request:
    return Request(service, root, PATH, (("a", "1"),), {"uid": key} if key else {}, "Nomis NM_2014_1 definition")


def _moved_to(target_root: str, key: str) -> Fault:
    """One 302 to the same path and query, key included, on `target_root`."""
    location = f"{target_root}/{PATH}?a=1&uid={quote_plus(key)}"
    return Fault(_everything, ("respond", 302, {"Location": location}, b""), times=1)


@pytest.mark.parametrize("key", [SECRET, ENCODED_SECRET], ids=["plain-key", "encoded-key"])
@pytest.mark.parametrize("elsewhere", ["localhost-same-port", "127.0.0.1-other-port"])
def test_a_redirect_to_another_host_is_refused_and_the_key_stays_home(tmp_path, elsewhere, key):
    with FaultServer() as first, FaultServer() as second:
        port = first.root.rsplit(":", 1)[1]
        target = f"http://localhost:{port}" if elsewhere == "localhost-same-port" else second.root
        first.faults = [_moved_to(target, key)]
        transport = _transport(tmp_path)
        with pytest.raises(UpstreamHTTPError) as err:
            transport.get(_request(first.root, key))
        heard_first, heard_second = first.requests(), second.requests()
    message = str(err.value)
    assert len(heard_first) == 1 and heard_second == []  # the one request; not followed, not retried
    assert transport.requests_made == 1 and err.value.status == 302
    assert f"HTTP 302 redirects to {target}, not the configured host {first.root}" in message
    assert "The key (uid) is only ever sent to the configured host, so the redirect was not followed" in message
    assert "Nomis NM_2014_1 definition" in message and "uid=***" in message
    assert not [f for f in encodings_of(key) if f in message]


def test_a_redirect_on_the_same_host_is_followed(tmp_path):
    """A relative Location (and an absolute one to the same scheme, host and port) is followed as given."""
    with FaultServer() as server:
        server.faults = [Fault(_everything, ("respond", 301, {"Location": f"/{PATH}?a=1&uid={SECRET}&hop=1"}, b""),
                               times=1),
                         Fault(_everything, ("respond", 307, {"Location": f"{server.root}/{PATH}?a=1&uid={SECRET}"},
                                             b""), times=1)]
        transport = _transport(tmp_path)
        response = transport.get(_request(server.root))
        heard = server.requests()
    assert response.status == 200 and response.body.startswith(b"{") and response.attempts == 1
    assert len(heard) == 3 == transport.requests_made and all(f"uid={SECRET}" in p for p in heard)


def test_a_request_without_a_key_follows_a_redirect_anywhere(tmp_path):
    """ONS and DfE send no key: a redirect to another host (a CDN, a moved file) is followed as before."""
    with FaultServer() as first, FaultServer() as second:
        first.faults = [Fault(_everything, ("respond", 302, {"Location": f"{second.root}/{PATH}?a=1"}, b""))]
        response = _transport(tmp_path).get(_request(first.root, key="", service="dfe"))
        heard_second = second.requests()
    assert response.status == 200 and heard_second == [f"/{PATH}?a=1"]


def test_a_redirect_loop_stops_with_a_clear_error(tmp_path):
    with FaultServer() as server:
        server.faults = [Fault(_everything, ("respond", 302, {"Location": f"/{PATH}?a=1&uid={SECRET}"}, b""))]
        transport = _transport(tmp_path)
        with pytest.raises(UpstreamHTTPError, match=r"more than 10 redirects; nothing was loaded"):
            transport.get(_request(server.root))
    assert transport.requests_made == 11  # one attempt: a loop is not a transient fault
