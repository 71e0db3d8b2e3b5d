"""The HTTP transport against a real local server: retries, Retry-After, deadlines, record and replay."""

import time

import pytest
from werkzeug import Response as WResponse

from lmi_pipeline.clients.transport import (
    Request, SnapshotMissingError, Transport, UpstreamHTTPError, mask_secrets,
)


def _req(httpserver, path="/data.csv", secret="s3cr3t-key", params=(("a", "1"),)):
    return Request("nomis", httpserver.url_for("/").rstrip("/"), path.lstrip("/"), params, {"uid": secret}, "test query")


def test_retries_5xx_then_succeeds(httpserver, tmp_path):
    httpserver.expect_ordered_request("/data.csv").respond_with_data("busy", status=503)
    httpserver.expect_ordered_request("/data.csv").respond_with_data("busy", status=502)
    httpserver.expect_ordered_request("/data.csv").respond_with_data("ok", status=200)
    t = Transport("live", tmp_path, backoff=0.01)
    resp = t.get(_req(httpserver))
    assert resp.body == b"ok" and resp.attempts == 3
    assert t.requests_made == 3


def test_honours_retry_after(httpserver, tmp_path):
    waits = []
    httpserver.expect_ordered_request("/data.csv").respond_with_response(
        WResponse("slow down", status=429, headers={"Retry-After": "7"}))
    httpserver.expect_ordered_request("/data.csv").respond_with_data("ok")
    t = Transport("live", tmp_path, backoff=0.01, sleep=waits.append)
    assert t.get(_req(httpserver)).body == b"ok"
    assert waits == [7.0]


def test_gives_up_within_budget_and_masks_key(httpserver, tmp_path):
    httpserver.expect_request("/data.csv").respond_with_data("no", status=429)
    t = Transport("live", tmp_path, backoff=0.01, max_retries=2)
    with pytest.raises(UpstreamHTTPError) as err:
        t.get(_req(httpserver))
    message = str(err.value)
    assert "gave up after 3 attempts" in message and "HTTP 429" in message
    assert "s3cr3t-key" not in message and "test query" in message
    assert t.requests_made == 3


def test_non_retryable_status_fails_at_once(httpserver, tmp_path):
    httpserver.expect_request("/data.csv").respond_with_data("<html>bad geography</html>", status=400)
    t = Transport("live", tmp_path, backoff=0.01)
    with pytest.raises(UpstreamHTTPError, match="HTTP 400"):
        t.get(_req(httpserver))
    assert t.requests_made == 1


def test_slow_drip_hits_the_deadline(httpserver, tmp_path):
    def drip(request):
        def body():
            for _ in range(20):
                yield b"x" * 10
                time.sleep(0.1)
        return WResponse(body(), status=200, direct_passthrough=True)

    httpserver.expect_request("/data.csv").respond_with_handler(drip)
    t = Transport("live", tmp_path, backoff=0.01, max_retries=1, deadline=0.3)
    with pytest.raises(UpstreamHTTPError, match="_DeadlineExceeded|not complete"):
        t.get(_req(httpserver))


def test_record_then_replay_without_network(httpserver, tmp_path):
    httpserver.expect_request("/data.csv").respond_with_data("a,b\n1,2\n", content_type="text/csv")
    recorder = Transport("record", tmp_path / "snap")
    live = recorder.get(_req(httpserver))
    httpserver.clear()  # the server now knows nothing: replay must not touch it
    replay = Transport("demo", tmp_path / "snap").get(_req(httpserver, secret="another-key"))
    assert replay.body == live.body and replay.origin == "recorded"
    stored = b"".join(p.read_bytes() for p in (tmp_path / "snap").rglob("*") if p.is_file())
    assert b"s3cr3t-key" not in stored


def test_replay_miss_is_a_clear_error(tmp_path):
    req = Request("nomis", "http://127.0.0.1:9", "dataset/NM_1_1.data.csv", (("geography", "1"),), {}, "Nomis NM_1_1")
    with pytest.raises(SnapshotMissingError, match="Demo mode has no snapshot response for Nomis NM_1_1"):
        Transport("demo", tmp_path).get(req)


def test_mask_secrets():
    assert mask_secrets("url?uid=abc123&x=1", {"uid": "abc123"}) == "url?uid=***&x=1"


def test_requests_are_paced_politely(httpserver, tmp_path):
    """With a minimum interval, request starts are spaced out (shared by concurrent page fetches)."""
    httpserver.expect_request("/data.csv").respond_with_data("ok")
    waits = []
    t = Transport("live", tmp_path, min_interval=0.25, sleep=waits.append)  # a fake sleep: time does not pass
    for _ in range(3):
        t.get(_req(httpserver))
    assert len(waits) == 2  # the first request goes at once
    assert waits[0] == pytest.approx(0.25, abs=0.05) and waits[1] == pytest.approx(0.5, abs=0.05)


def test_pacing_comes_from_the_settings():
    from lmi_pipeline.defs.resources import build_resources
    from lmi_pipeline.settings import SettingsError, load_settings

    nomis = build_resources(load_settings({"LMI_SOURCE": "live"}))["nomis"]
    assert nomis.transport().min_interval == pytest.approx(0.25)  # 4 requests a second by default
    off = build_resources(load_settings({"LMI_SOURCE": "live", "NOMIS_MAX_REQUESTS_PER_SECOND": "0"}))["nomis"]
    assert off.transport().min_interval == 0
    with pytest.raises(SettingsError, match="NOMIS_MAX_REQUESTS_PER_SECOND='fast'"):
        load_settings({"NOMIS_MAX_REQUESTS_PER_SECOND": "fast"})


def test_retry_backoff_comes_from_the_settings():
    from lmi_pipeline.defs.resources import build_resources
    from lmi_pipeline.settings import SettingsError, load_settings

    default = build_resources(load_settings({"LMI_SOURCE": "live"}))
    assert {default[n].backoff_seconds for n in ("nomis", "ons_geo", "dfe")} == {1.0}
    quick = build_resources(load_settings({"LMI_SOURCE": "live", "UPSTREAM_BACKOFF_SECONDS": "0.01"}))
    assert {quick[n].backoff_seconds for n in ("nomis", "ons_geo", "dfe")} == {0.01}
    for bad in ("soon", "-1", "600"):
        with pytest.raises(SettingsError, match=f"UPSTREAM_BACKOFF_SECONDS='{bad}' must be a number of seconds"):
            load_settings({"UPSTREAM_BACKOFF_SECONDS": bad})


def test_duckdb_memory_cap_comes_from_the_settings(tmp_path):
    from lmi_pipeline.defs.resources import build_resources
    from lmi_pipeline.settings import SettingsError, load_settings

    env = {"LMI_PROJECT_DIR": str(tmp_path)}
    warehouse = build_resources(load_settings(env))["warehouse"]
    with warehouse.get_connection() as conn:  # 1GB by default: DuckDB's own is 80% of RAM
        assert conn.execute("SELECT current_setting('memory_limit')").fetchone()[0] == "953.6 MiB"
    warehouse = build_resources(load_settings({**env, "LMI_DUCKDB_MEMORY_LIMIT": "512MB"}))["warehouse"]
    with warehouse.get_connection() as conn:
        assert conn.execute("SELECT current_setting('memory_limit')").fetchone()[0] == "488.2 MiB"
    with pytest.raises(SettingsError, match="LMI_DUCKDB_MEMORY_LIMIT='lots'.*1GB"):
        load_settings({**env, "LMI_DUCKDB_MEMORY_LIMIT": "lots"})
