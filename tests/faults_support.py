"""Fault injection for the tests/test_faults_*.py suite (docs/reliability.md).

`FaultServer` is a real HTTP/1.1 server on 127.0.0.1 in front of the synthetic upstream. Each request is
answered by the synthetic Nomis/ONS unless a `Fault` rule matches it; a rule can answer with any status,
headers or body, reset the connection, stall past the read timeout, drip bytes forever, cut the body
short, or block until the test releases it (to SIGKILL a run at a known point).

`published_baseline()` builds one successful publication per test session; each test copies it, breaks
something, runs, and compares `digest()` before and after.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import socket
import struct
import sys
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Callable
from urllib.parse import parse_qsl, urlsplit

from lmi_demo.server import UpstreamSim
from lmi_pipeline.settings import Settings
from tests.conftest import fast_resources, live_settings, make_project, run_pipeline

ROOT = Path(__file__).resolve().parents[1]
SECRET = "uid-5ecret-0xFEEDFACE"  # a NOMIS_UID that must never appear in any output
PYTHON = sys.executable


def is_data(dataset: str) -> Callable[[str, dict], bool]:
    """Matches the dataset's data pages, not the one-row `date=latest` probe made while planning."""
    return lambda path, args: path.endswith(f"{dataset}.data.csv") and "time" in args


def is_ons(path: str, args: dict) -> bool:
    return "/FeatureServer/0/query" in path


@dataclass
class Fault:
    """Answer requests matching `when` with `action` (see FaultServer._act); `times` = how many (None: all)."""

    when: Callable[[str, dict], bool]
    action: tuple
    times: int | None = None
    hits: int = 0

    def take(self, path: str, args: dict) -> bool:
        if (self.times is None or self.hits < self.times) and self.when(path, args):
            self.hits += 1
            return True
        return False


@dataclass
class FaultServer:
    sim: UpstreamSim = field(default_factory=UpstreamSim)
    faults: list[Fault] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.log: list[str] = []  # every request, path?query (the key included: it is what was sent)
        self.lock = threading.Lock()
        self.reached = threading.Event()  # a "block" fault was reached
        self.release = threading.Event()  # let blocked requests go on
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
                parts = urlsplit(self.path)
                args = dict(parse_qsl(parts.query, keep_blank_values=True))
                with server.lock:
                    server.log.append(self.path)
                    fault = next((f for f in server.faults if f.take(parts.path, args)), None)
                try:
                    server._act(self, fault.action if fault else ("pass",), parts.path, args)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (a deadline) or was killed

            def log_message(self, *args) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.root = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.release.set()
        self.httpd.shutdown()
        self.httpd.server_close()

    def __enter__(self) -> "FaultServer":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def requests(self, needle: str = "") -> list[str]:
        with self.lock:
            return [p for p in self.log if needle in p]

    def settings(self, project: Path, **env: str) -> Settings:
        return live_settings(project, self.sim, self.root, **env)

    # -- actions -----------------------------------------------------------------------------------
    def _act(self, h: BaseHTTPRequestHandler, action: tuple, path: str, args: dict) -> None:
        kind = action[0]
        if kind == "block":  # hold the request until the test releases it (or kills the client)
            self.reached.set()
            self.release.wait(120)
            kind, action = "pass", ("pass",)
        if kind == "stall":  # nothing at all for a while: the client's read timeout fires first
            time.sleep(action[1])
            kind, action = "pass", ("pass",)
        if kind == "pass":
            status, ctype, body = self.sim.handle(path, args)
            return _send(h, status, {"Content-Type": ctype}, body)
        if kind == "mutate":  # the synthetic answer, changed by a function of the body
            status, ctype, body = self.sim.handle(path, args)
            return _send(h, status, {"Content-Type": ctype}, action[1](body))
        if kind == "respond":  # ("respond", status, headers, body)
            return _send(h, action[1], action[2], action[3])
        if kind == "reset":  # TCP RST before any byte of a response
            h.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            h.connection.close()
            h.close_connection = True
            return None
        if kind == "cut":  # headers promise the whole body, then the connection closes partway
            status, ctype, body = self.sim.handle(path, args)
            h.send_response(status)
            h.send_header("Content-Type", ctype)
            h.send_header("Content-Length", str(len(body)))
            h.end_headers()
            h.wfile.write(body[: int(len(body) * action[1])])
            h.wfile.flush()
            h.close_connection = True
            return None
        if kind == "drip":  # a byte every `interval` seconds, far longer than any deadline
            interval = action[1]
            h.send_response(200)
            h.send_header("Content-Type", "text/csv")
            h.send_header("Content-Length", "100000")
            h.end_headers()
            for _ in range(100000):
                h.wfile.write(b"x")
                h.wfile.flush()
                if self.release.wait(interval):
                    break
            h.close_connection = True
            return None
        raise ValueError(f"unknown fault action {action!r}")


def _send(h: BaseHTTPRequestHandler, status: int, headers: dict, body: bytes) -> None:
    h.send_response(status)
    for k, v in headers.items():
        h.send_header(k, v)
    h.send_header("Content-Length", str(len(body)))
    h.end_headers()
    h.wfile.write(body)


# -- publications ---------------------------------------------------------------------------------
_BASELINE: dict = {}


def definitions():
    """The project's Definitions, loaded once per session (loading the defs folder costs a second a run)."""
    if "defs" not in _BASELINE:
        from lmi_pipeline.definitions import defs

        _BASELINE["defs"] = defs()
    return _BASELINE["defs"]


def published_baseline(tmp_path_factory) -> Path:
    """A project folder holding one successful publication (made once per session); copy it, never edit it."""
    if "project" not in _BASELINE:
        base = tmp_path_factory.mktemp("faults-baseline")
        with FaultServer() as server:
            settings = server.settings(make_project(base), NOMIS_UID=SECRET)
            result = run_pipeline(settings)
            assert result.success
            import dagster as dg
            from lmi_pipeline.refresh import plan_refresh

            plan = plan_refresh(dg.DagsterInstance.ephemeral(), fast_resources(settings)["nomis"], "2013-01",
                                everything=True)
        _BASELINE["project"] = settings.project_dir
        _BASELINE["tags"] = plan.partition_tags()  # the synthetic upstream's months, the same in every test
    return _BASELINE["project"]


def baseline_tags() -> dict[str, str]:
    """The partition tags of a full-history run against the synthetic upstream (after published_baseline)."""
    return dict(_BASELINE["tags"])


def copy_project(tmp_path_factory_or_path, base: Path) -> Path:
    dest = Path(tmp_path_factory_or_path) / "project"
    shutil.copytree(base, dest)
    return dest


def digest(settings: Settings) -> dict[str, str]:
    """sha256 of the published database and of every file under assets/."""
    files = [settings.published_db] + sorted(p for p in settings.assets_dir.rglob("*") if p.is_file())
    return {str(p.relative_to(settings.project_dir)): hashlib.sha256(p.read_bytes()).hexdigest() for p in files}


def leftovers(settings: Settings) -> list[str]:
    """Temporary files a publication may leave beside data/lmi.duckdb (there must be none after a run)."""
    return sorted(p.name for p in settings.data_dir.iterdir() if p.name.startswith("."))


def run_through(settings: Settings, asset: str, upstream: bool = False, instance=None, **overrides):
    """A real Dagster run of `asset` and everything built from it, up to and including the publish step:
    the path a fault in `asset` travels. What `asset` needs (e.g. nomis_geographies) is in the copied
    working database already, as after any earlier run; `upstream=True` runs it again too. Other sources
    are left out to keep the suite fast. `overrides` change the Nomis/ONS resources (e.g. timeouts).
    The Dagster instance is a fresh in-memory one unless `instance` is given."""
    import dagster as dg

    selection = dg.AssetSelection.assets(asset).downstream()
    if upstream:
        selection = selection | dg.AssetSelection.assets(asset).upstream()
    from lmi_pipeline.defs.partitions import extend_claimant_months
    from lmi_pipeline.refresh import RANGE_END

    d = definitions()
    instance = instance or dg.DagsterInstance.ephemeral()
    extend_claimant_months(instance, _BASELINE["tags"][RANGE_END][:7])  # as a run's plan would
    return dg.materialize(list(d.assets) + list(d.asset_checks), selection=selection, raise_on_error=False,
                          resources=fast_resources(settings, **overrides), tags=_BASELINE["tags"], instance=instance)


def child_env(settings: Settings, dagster_home: Path, **extra: str) -> dict[str, str]:
    """Environment for `lmi` in a subprocess: this project, this server, live mode."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LMI_", "NOMIS_", "ONS_", "DFE_"))}
    env.update({
        "LMI_SOURCE": settings.source_mode, "LMI_PROJECT_DIR": str(settings.project_dir),
        "NOMIS_BASE_URL": settings.nomis_url, "ONS_GEO_BASE_URL": settings.ons_geo_url,
        "DFE_BASE_URL": settings.dfe_url, "DFE_CONTENT_URL": settings.dfe_content_url, "DAGSTER_HOME": str(dagster_home), "PYTHONPATH": str(ROOT),
        "NOMIS_MAX_REQUESTS_PER_SECOND": "0",  # a local server: no polite pacing
        **extra,
    })
    dagster_home.mkdir(parents=True, exist_ok=True)
    (dagster_home / "dagster.yaml").write_text((ROOT / "dagster.yaml").read_text().replace(
        ".dagster/", f"{dagster_home}/"))
    return env


def wait_for(predicate: Callable[[], bool], what: str, timeout: float = 120, proc=None) -> None:
    """Poll for real progress (a file, a request); fail clearly if the child died or it never came."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if proc is not None and proc.poll() is not None:
            out = proc.stdout.read() if proc.stdout else ""
            raise AssertionError(f"the child exited ({proc.returncode}) before {what}:\n{out[-3000:]}")
        if time.monotonic() > deadline:
            if proc is not None:  # faults_child.py dumps its threads' stacks on SIGUSR1
                os.kill(proc.pid, 10)
                time.sleep(1)
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)
