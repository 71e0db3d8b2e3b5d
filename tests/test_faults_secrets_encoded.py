"""A key that a URL carries encoded (`a+b/c=d&e f%g` goes out as `a%2Bb%2Fc%3Dd%26e+f%25g`) is masked in
every form: raw, quote, quote_plus, quote(safe=''), either hex case, JSON- and HTML-escaped.

Before round two only the raw key was masked, so the form requests actually sends was in urllib3's log
lines, in requests' own error messages ("Max retries exceeded with url: ...") and in bodies that echo the
request. The first tests take each place in turn; the last runs `lmi run` as test_faults_secrets.py does
(record mode, every logger at DEBUG, then a failing live run) and scans every byte it left, reading the
SQLite and DuckDB files through the database too.
"""

from __future__ import annotations

import json
import logging
import socket
import traceback
from urllib.parse import quote, quote_plus

import pytest

from lmi_pipeline.cli import main
from lmi_pipeline.clients.transport import Request, Transport, UpstreamHTTPError, mask_secrets
from tests.faults_support import (
    ENCODED_SECRET, BodyFaultServer, Fault, FaultServer, child_env, copy_project, encodings_of, files_holding, is_data,
    published_baseline,
)

KEY = ENCODED_SECRET
FORMS = encodings_of(KEY)
PATH = "nomis/api/v01/dataset/NM_2014_1.def.sdmx.json"


@pytest.fixture(scope="module")
def baseline(tmp_path_factory):
    return published_baseline(tmp_path_factory)


def _everything(path, args):
    return True


def _leaks(text: str) -> list[str]:
    return [f for f in FORMS if f in text]


def _echo() -> str:
    """What an upstream echoing the request might write: the key in every form at once."""
    return " ".join(f"uid={f}" for f in FORMS)


def _request(root: str, key: str = KEY) -> Request:
    return Request("nomis", root, PATH, (("a", "1"),), {"uid": key}, "Nomis NM_2014_1 definition")


def _transport(tmp_path, **kw) -> Transport:
    return Transport("live", tmp_path, backoff=0.01, max_retries=kw.pop("max_retries", 1), **kw)


def _chain(exc: BaseException) -> list[BaseException]:
    """The exception and everything chained to it, whether or not Python would print it."""
    seen = []
    while exc is not None and exc not in seen:
        seen.append(exc)
        exc = exc.__cause__ or exc.__context__
    return seen


def _everything_about(exc: BaseException) -> str:
    """All an error handler, a logger or Dagster could render of an exception: message, repr, args,
    attributes and the full traceback with every chained exception."""
    parts = ["".join(traceback.format_exception(exc, chain=True))]
    for e in _chain(exc):
        parts += [str(e), repr(e), repr(e.args), repr(vars(e))]
    return "\n".join(parts)


def test_mask_secrets_knows_every_encoding():
    for form in FORMS + [quote(KEY, safe="").lower(), "a%2bB/c=d&e f%g".replace("B", "b")]:
        assert mask_secrets(f"uid={form}&x=1", {"uid": KEY}) == "uid=***&x=1", form
    assert mask_secrets("uid=uid-5ecret-0xFEEDFACE", {"uid": "uid-5ecret-0xFEEDFACE"}) == "uid=***"
    assert mask_secrets("a%2Bb and ab", {"uid": KEY}) == "a%2Bb and ab"  # only the whole key


def test_an_echoed_encoded_key_is_masked_in_the_body_and_the_error(tmp_path):
    echo = Fault(_everything, ("respond", 400, {"Content-Type": "text/html"},
                               f"<html>Bad request: {_echo()}</html>".encode()), times=1)
    with FaultServer(faults=[echo]) as server:
        transport = _transport(tmp_path)
        with pytest.raises(UpstreamHTTPError) as err:
            transport.get(_request(server.root))
        server.faults = [Fault(_everything, ("respond", 200, {"Content-Type": "application/json"},
                                             f'{{"uri": "{_echo()}"}}'.encode()))]  # JSON as a server writes it
        body = transport.get(_request(server.root)).body.decode()
        sent = server.requests(f"uid={quote_plus(KEY)}")
    assert len(sent) == 2  # requests sends the quote_plus form
    assert "HTTP 400" in str(err.value) and _leaks(_everything_about(err.value)) == []
    assert err.value.__cause__ is None and err.value.__context__ is None
    assert _leaks(body) == [] and body.count("uid=***") == len(FORMS)


def test_requests_own_message_with_the_encoded_url_is_masked(tmp_path):
    """A refused connection: requests says "Max retries exceeded with url: /...?a=1&uid=a%2Bb%2F...";
    the message keeps the URL, key masked, and nothing of the original exception travels with it."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{s.getsockname()[1]}"  # bound, never listening: connection refused
        with pytest.raises(UpstreamHTTPError) as err:
            _transport(tmp_path).get(_request(closed))
    message = str(err.value)
    assert "Max retries exceeded with url: /nomis/api/v01/dataset/NM_2014_1.def.sdmx.json?a=1&uid=***" in message
    assert _leaks(_everything_about(err.value)) == [] and _chain(err.value) == [err.value]


def test_a_key_that_cannot_be_encoded_fails_without_showing_it(tmp_path):
    """os.environ keeps undecodable bytes as surrogates; requests then raises UnicodeEncodeError, whose
    `.object` is the key itself. What escapes is a plain error naming the problem, chained to nothing."""
    bad = "k3y-\udcff-" + KEY
    with FaultServer() as server:
        with pytest.raises(RuntimeError) as err:
            _transport(tmp_path).get(_request(server.root, bad))
        assert server.requests(PATH) == []
    everything = _everything_about(err.value)
    assert "unexpected UnicodeEncodeError" in str(err.value) and "uid=***" in str(err.value)
    assert bad not in everything and "k3y-" not in everything and _chain(err.value) == [err.value]


def _capture(level: int, *names: str):
    records: list[logging.LogRecord] = []
    handler = logging.Handler(level)
    handler.emit = records.append
    saved = []
    for name in names:
        logger = logging.getLogger(name)
        saved.append((logger, logger.level))
        logger.addHandler(handler)
        logger.setLevel(level)

    def restore():
        for logger, old in saved:
            logger.removeHandler(handler)
            logger.setLevel(old)

    return records, restore


def _rendered(records: list[logging.LogRecord]) -> str:
    formatter = logging.Formatter("%(name)s %(levelname)s %(message)s")
    return "\n".join(formatter.format(r) for r in records)


def test_log_lines_their_args_and_tracebacks_never_show_an_encoded_key(tmp_path):
    """urllib3 prints the full URL at DEBUG, and at WARNING "Failed to parse headers (url=...)" with a
    traceback whose message repeats the unparsed header lines (here echoing the key), from
    urllib3.connection: a logger the filter did not cover, so even a plain key leaked there."""
    broken_headers = f"Content-Type: text/csv\r\nthis line has no colon\r\nX-Echo: /x?{_echo()}\r\n".encode()
    faults = [Fault(_everything, ("drip-raw", 200, broken_headers, [b"a,b\n1,2\n"], 0), times=1)]
    records, restore = _capture(logging.DEBUG, "urllib3")
    try:
        with BodyFaultServer(faults=faults) as server:
            transport = _transport(tmp_path)
            transport.get(_request(server.root))  # the broken headers
            transport.get(_request(server.root))  # a plain answer, logged at DEBUG
    finally:
        restore()
    text = _rendered(records)
    assert "Failed to parse headers (url=http://127.0.0.1:" in text and "Traceback" in text
    assert "a=1&uid=*** HTTP/1.1" in text  # the DEBUG line, masked
    assert _leaks(text) == [] and _leaks(repr([r.args for r in records])) == []
    assert all(r.exc_info is None for r in records)  # the traceback went out as masked text only


def test_an_encoded_key_is_never_written_anywhere(baseline, tmp_path, monkeypatch, capfd):
    """As test_faults_secrets.py: `lmi run` in record mode (every logger at DEBUG) against a server that
    echoes the key in every form, then a live run where one source's metadata keeps failing with the key
    echoed, the population pages are refused with the key echoed in the error page (so it is in the
    reason stored in DuckDB and in Dagster's event log), and the claimant-count pages redirect, key and
    all, to another server: that source degrades with a message naming the redirect's host, and the other
    server never hears from us."""
    project = copy_project(tmp_path, baseline)
    (project / "lmi.toml").write_text('[[local_authority]]\ncode = "E07000062"\nfocus_wards = ["Gensing"]\n'
                                      '[benchmarks]\nareas = ["E10000011", "E92000001"]\n')  # one district: quicker
    home = tmp_path / "dagster-home"
    debug_log = tmp_path / "debug.log"

    def echo_in_json(body: bytes) -> bytes:
        doc = json.loads(body)
        doc["uri"] = "PLACEHOLDER"
        return json.dumps(doc).replace("PLACEHOLDER", _echo().replace('"', "")).encode()  # raw, as a server writes

    broken_headers = f"Content-Type: text/html\r\nthis line has no colon\r\nX-Echo: {_echo()}\r\n".encode()
    faults = [
        Fault(lambda p, a: p.endswith("NM_162_1.def.sdmx.json"), ("mutate", echo_in_json)),
        Fault(lambda p, a: p.endswith("NM_2014_1.def.sdmx.json"), ("respond", 503, {}, f"busy: {_echo()}".encode()),
              times=1),
        Fault(lambda p, a: p.endswith("NM_2014_1.def.sdmx.json"),
              ("drip-raw", 503, broken_headers, [b"busy"], 0), times=1),
    ]
    root = logging.getLogger()
    handler = logging.FileHandler(debug_log)
    old_level = root.level
    with BodyFaultServer(faults=faults) as server, FaultServer() as elsewhere:
        settings = server.settings(project)
        monkeypatch.chdir(project)
        for key, value in child_env(settings, home, LMI_SOURCE="record", NOMIS_UID=KEY).items():
            monkeypatch.setenv(key, value)
        root.addHandler(handler)
        root.setLevel(logging.DEBUG)
        try:
            recorded = main(["run"])
            # A moved service: the same request, key and all, on another host.
            moved = f"{elsewhere.root}/nomis/api/v01/dataset/NM_162_1.data.csv?time=latest&uid={quote_plus(KEY)}"
            server.faults = [
                Fault(lambda p, a: p.endswith("NM_2014_1/geography/TYPE.def.sdmx.json"),
                      ("respond", 429, {"Retry-After": "0"}, f"no: {_echo()}".encode())),
                Fault(is_data("NM_162_1"), ("respond", 302, {"Location": moved}, b"")),
                # Not retryable: the echo goes into the message, so into source_status and Dagster's metadata.
                Fault(is_data("NM_2014_1"), ("respond", 400, {"Content-Type": "text/html"},
                                             f"<html>Bad request: {_echo()}</html>".encode())),
            ]
            monkeypatch.setenv("LMI_SOURCE", "live")
            failed = main(["run"])
        finally:
            root.removeHandler(handler)
            root.setLevel(old_level)
            handler.close()
        sent = server.requests(f"uid={quote_plus(KEY)}")
        redirected = server.faults[1].hits
        reached_elsewhere = elsewhere.requests()
    output = capfd.readouterr()
    (tmp_path / "stdout.txt").write_text(output.out)
    (tmp_path / "stderr.txt").write_text(output.err)

    assert recorded == 0, output.err[-3000:]
    assert failed == 3, output.err[-3000:]  # published, with a stale source
    assert len(sent) > 50 and redirected > 0 and reached_elsewhere == []
    assert f"redirects to {elsewhere.root}, not the configured host" in output.err
    assert "TYPE.def.sdmx.json?uid=***: gave up after 6 attempts" in output.err
    assert "failed with HTTP 400 (not retryable)" in output.err and "Bad request: uid=*** uid=***" in output.err
    log_text = debug_log.read_text()
    assert "uid=***" in log_text and "Failed to parse headers" in log_text  # the lines were there, masked
    assert len(list(settings.snapshot_dir.rglob("*.body"))) > 50 and (home / "storage").exists()
    assert any((home / "storage").rglob("*.db"))
    assert files_holding(FORMS, project, home, tmp_path) == []
    assert _leaks(output.out + output.err) == []

