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
from tests.conftest import fast_resources, live_settings, make_project, observe, run_pipeline

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

            from lmi_pipeline.operations.refresh import plan_refresh

            instance, resources = dg.DagsterInstance.ephemeral(), fast_resources(settings)
            observe(instance, resources)
            plan = plan_refresh(instance, resources["nomis"], "2013-01", everything=True)
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
    from lmi_pipeline.operations.refresh import RANGE_END
    from lmi_pipeline.sources.claimant_months import extend_claimant_months

    d = definitions()
    instance = instance or dg.DagsterInstance.ephemeral()
    extend_claimant_months(instance, _BASELINE["tags"][RANGE_END][:7])  # as a run's plan would
    return dg.materialize(list(d.assets) + list(d.asset_checks), selection=selection, raise_on_error=False,
                          resources=fast_resources(settings, **overrides), tags=_BASELINE["tags"], instance=instance)


def child_env(settings: Settings, dagster_home: Path, **extra: str) -> dict[str, str]:
    """Environment for `lmi` in a subprocess: this project, this server, live mode."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LMI_", "NOMIS_", "ONS_", "DFE_", "MHCLG_"))}
    env.update({
        "LMI_SOURCE": settings.source_mode, "LMI_PROJECT_DIR": str(settings.project_dir),
        "NOMIS_BASE_URL": settings.nomis_url, "ONS_GEO_BASE_URL": settings.ons_geo_url,
        "DFE_BASE_URL": settings.dfe_url, "DFE_CONTENT_URL": settings.dfe_content_url, "DAGSTER_HOME": str(dagster_home), "PYTHONPATH": str(ROOT),
        "NOMIS_MAX_REQUESTS_PER_SECOND": "0",  # a local server: no polite pacing
        "MHCLG_BASE_URL": settings.mhclg_url, "MHCLG_EXPECTED_LSOAS": str(settings.mhclg_expected_lsoas),
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


def lmi_child(settings: Settings, dagster_home: Path, log: Path, pause_at: str = "", **extra: str):
    """`lmi run` (the real CLI, end to end) in a subprocess through tests/faults_child.py, which can pause it at
    `pause_at` (load, publish-copy, publish-moves: it writes `proc.marker` there and waits). Its stdout goes to
    `log`, its stderr to `proc.err` (`log` with the suffix .err). Returns the Popen; interrupt it as Ctrl-C
    would with os.kill(proc.pid, signal.SIGINT)."""
    import subprocess

    marker, release, err = log.with_suffix(".paused"), log.with_suffix(".release"), log.with_suffix(".err")
    env = child_env(settings, dagster_home, LMI_TEST_PAUSE_AT=pause_at, LMI_TEST_MARKER=str(marker),
                    LMI_TEST_RELEASE=str(release), **extra)
    with open(log, "w") as out, open(err, "w") as errors:  # the child keeps its own descriptors
        proc = subprocess.Popen([PYTHON, str(ROOT / "tests" / "faults_child.py"), "run"], env=env, stdout=out,
                                stderr=errors, cwd=settings.project_dir)
    proc.marker, proc.log, proc.err = marker, log, err  # type: ignore[attr-defined]
    return proc


# -- secrets in every encoding, and bodies FaultServer cannot send (round two) --------------------------
ENCODED_SECRET = "a+b/c=d&e f%g"  # a NOMIS_UID that a URL carries encoded: a%2Bb%2Fc%3Dd%26e+f%25g


def encodings_of(secret: str) -> list[str]:
    """Every form of `secret` that must never be written: raw, as quote / quote(safe='') / quote_plus write it
    (upper- and lower-case hex), encoded twice, JSON-escaped (`\\/`, `\\u0026`) and HTML-escaped."""
    import html
    from urllib.parse import quote, quote_plus

    forms = {secret, quote(secret), quote(secret, safe=""), quote_plus(secret), quote_plus(quote_plus(secret)),
             secret.replace("/", "\\/").replace("&", "\\u0026"), html.escape(secret)}
    forms |= {f.lower() if "%" in f else f for f in forms}  # %2F and %2f
    return sorted(forms)


def _database_texts(path: Path):
    """Every text and blob value in a SQLite or DuckDB file, read through the database (a long value can be
    split over pages, or compressed, where a byte scan would miss it)."""
    head = path.read_bytes()[:16]
    if head.startswith(b"SQLite format 3"):
        import sqlite3

        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            for (table,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall():
                for row in conn.execute(f'SELECT * FROM "{table}"'):
                    yield from (v for v in row if isinstance(v, (str, bytes)))
        finally:
            conn.close()
    elif head[8:12] == b"DUCK":
        import duckdb

        with duckdb.connect(str(path), read_only=True) as conn:
            tables = conn.execute("SELECT schema_name, table_name FROM duckdb_tables()").fetchall()
            for schema, table in tables:
                for row in conn.execute(f'SELECT * FROM "{schema}"."{table}"').fetchall():
                    yield from (str(v) for v in row if v is not None)


def files_holding(needles: list[str], *roots: Path) -> list[str]:
    """Files under `roots` holding any of `needles`, as bytes or inside a SQLite/DuckDB database."""
    found = []
    raw = [n.encode() for n in needles]
    for path in sorted({p.resolve() for root in roots for p in root.rglob("*") if p.is_file()}):  # roots may nest
        data = path.read_bytes()
        hits = [n for n, b in zip(needles, raw) if b in data]
        if not hits and (data.startswith(b"SQLite format 3") or data[8:12] == b"DUCK"):
            for value in _database_texts(path):
                text = value.decode("utf-8", "replace") if isinstance(value, bytes) else value
                hits = [n for n in needles if n in text]
                if hits:
                    break
        if hits:
            found.append(f"{path}: {hits}")
    return found


def gzip_bomb(size: int = 1 << 30) -> bytes:
    """`size` zero bytes (a multiple of 1 MiB) as one gzip stream about 1/1000 as long, made without
    compressing `size` bytes: after a full flush each MiB of zeros deflates to the same block."""
    import struct
    import zlib

    mib = bytes(1 << 20)
    deflate = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    first = deflate.compress(mib) + deflate.flush(zlib.Z_FULL_FLUSH)
    again = deflate.compress(mib) + deflate.flush(zlib.Z_FULL_FLUSH)
    crc = 0
    for _ in range(size >> 20):
        crc = zlib.crc32(mib, crc)
    header = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\xff"
    final_block = b"\x03\x00"  # an empty last block (fixed Huffman), as zlib's Z_FINISH writes one
    return header + first + again * ((size >> 20) - 1) + final_block + struct.pack("<II", crc, size & 0xFFFFFFFF)


class BodyFaultServer(FaultServer):
    """A FaultServer with one more action, ("drip-raw", status, headers, pieces, interval): the headers, then
    each byte string of `pieces` (an iterable, maybe endless) `interval` seconds apart, no Content-Length, and
    the connection closed after the last (or when the test closes the server). `headers` as bytes are sent
    as they are (header lines a server got wrong)."""

    def _act(self, h: BaseHTTPRequestHandler, action: tuple, path: str, args: dict) -> None:
        if action[0] != "drip-raw":
            return super()._act(h, action, path, args)
        _, status, headers, pieces, interval = action
        h.send_response(status)
        if isinstance(headers, bytes):
            h.flush_headers()
            h.wfile.write(headers + b"Connection: close\r\n\r\n")
        else:
            for k, v in {**headers, "Connection": "close"}.items():
                h.send_header(k, v)
            h.end_headers()
        for piece in pieces:
            h.wfile.write(piece)
            h.wfile.flush()
            if self.release.wait(interval):
                break
        h.close_connection = True
        return None


# -- helpers for tests/test_faults_paging.py and tests/test_faults_blank_values.py ---------------------------
import re  # noqa: E402 (added with these helpers, below the existing code)

_CELL = re.compile(rb'"(?:[^"]|"")*"|[^,]*')


def csv_cells(line: bytes) -> list[bytes]:
    """One CSV line (no line end) split into its cells exactly as written, quotes included."""
    cells, pos = [], 0
    while True:
        m = _CELL.match(line, pos)
        cells.append(m.group(0))
        pos = m.end()
        if pos >= len(line) or line[pos:pos + 1] != b",":
            return cells
        pos += 1


def _cell_text(cell: bytes) -> str:
    return (cell[1:-1].replace(b'""', b'"') if cell.startswith(b'"') else cell).decode("utf-8")


def edit_cells(match: dict[str, str], changes: dict[str, str]) -> Callable[[bytes], bytes]:
    """A body mutation: in the first data row whose cells read `match` (column -> text), set `changes`
    (column -> text, quoted as the cell it replaces was); every other byte, quote and line end as served."""

    def mutate(body: bytes) -> bytes:
        bom = b"\xef\xbb\xbf" if body.startswith(b"\xef\xbb\xbf") else b""
        lines = body[len(bom):].split(b"\n")
        header = [_cell_text(c) for c in csv_cells(lines[0].rstrip(b"\r"))]
        for i, line in enumerate(lines[1:], 1):
            end = b"\r" if line.endswith(b"\r") else b""
            cells = csv_cells(line[: len(line) - len(end)])
            if len(cells) != len(header) or any(_cell_text(cells[header.index(k)]) != v for k, v in match.items()):
                continue
            for k, v in changes.items():
                old = cells[header.index(k)]
                cells[header.index(k)] = (b'"' + v.replace('"', '""').encode() + b'"') if old.startswith(b'"') else v.encode()
            lines[i] = b",".join(cells) + end
            break
        return bom + b"\n".join(lines)

    return mutate


def table_digest(db: Path, table: str) -> str:
    """An order-independent digest of a table's rows (every column as text)."""
    import duckdb

    with duckdb.connect(str(db), read_only=True) as conn:
        cols = [r[0] for r in conn.execute("SELECT column_name FROM information_schema.columns WHERE table_name = ? "
                                           "ORDER BY ordinal_position", [table]).fetchall()]
        row = ", ".join(f'coalesce(CAST("{c}" AS VARCHAR), \'<NULL>\')' for c in cols)
        return conn.execute(f"SELECT md5(string_agg(t, '|' ORDER BY t)) FROM (SELECT concat_ws(',', {row}) AS t "
                            f'FROM "{table}")').fetchone()[0]


def source_status(db: Path, asset: str):
    """(outcome, reason, release) of a source in the publication's source_status."""
    import duckdb

    with duckdb.connect(str(db), read_only=True) as conn:
        return conn.execute("SELECT outcome, reason, release FROM source_status WHERE source_asset = ?",
                            [asset]).fetchone()


# -- helpers for tests/test_faults_state.py and tests/test_faults_publish.py ------------------------------

class ChildRun:
    """A run in a subprocess (tests/faults_child.py) that pauses at `point` until `release()`; `select` as
    LMI_TEST_SELECT (default: the claimant count and everything built from it)."""

    def __init__(self, settings: Settings, home: Path, tmp: Path, point: str = "", select: str = "raw_claimant_count*",
                 **env: str):
        import json
        import subprocess

        self.marker, self.release_file, self.log = tmp / f"paused-{point}", tmp / f"release-{point}", tmp / f"{point}.log"
        self.marker.unlink(missing_ok=True)
        self.release_file.unlink(missing_ok=True)
        full = child_env(settings, home, NOMIS_UID=SECRET, LMI_TEST_PAUSE_AT=point, LMI_TEST_MARKER=str(self.marker),
                         LMI_TEST_RELEASE=str(self.release_file), LMI_TEST_SELECT=select,
                         LMI_TEST_TAGS=json.dumps(baseline_tags()), **env)
        self.out = open(self.log, "w")
        self.proc = subprocess.Popen([PYTHON, str(ROOT / "tests" / "faults_child.py"), "run"], env=full,
                                     stdout=self.out, stderr=subprocess.STDOUT, cwd=settings.project_dir)

    def paused(self) -> None:
        wait_for(self.marker.exists, f"the child to pause ({self.marker.name})", proc=self.proc)

    def release(self, timeout: float = 300) -> int:
        self.release_file.write_text("go")
        code = self.proc.wait(timeout)
        self.out.close()
        return code

    def output(self) -> str:
        return self.log.read_text()

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        if not self.out.closed:
            self.out.close()


def run_lmi(monkeypatch, capsys, settings: Settings, home: Path, *argv: str, **env: str) -> tuple[int, str]:
    """`lmi <argv>` in this process, for this project and server, on the Dagster instance in `home`."""
    from lmi_pipeline.cli import main

    monkeypatch.chdir(settings.project_dir)
    for key in [k for k in os.environ if k.startswith(("LMI_", "NOMIS_", "ONS_", "DFE_"))]:
        monkeypatch.delenv(key, raising=False)
    for key, value in child_env(settings, home, NOMIS_UID=SECRET, **env).items():
        monkeypatch.setenv(key, value)
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.err + out.out


def published_months(settings: Settings) -> list[str]:
    """The claimant months (YYYY-MM) of the published claimant_count, read as a researcher would."""
    import duckdb

    with duckdb.connect(str(settings.published_db), read_only=True) as conn:
        return [r[0] for r in conn.execute("SELECT DISTINCT strftime(period, '%Y-%m') AS m FROM claimant_count "
                                           "ORDER BY m").fetchall()]


def opens_read_only_elsewhere(db: Path) -> tuple[bool, str]:
    """Whether a researcher's fresh process opens `db` read-only and reads a table (and what it said)."""
    import subprocess

    probe = subprocess.run([PYTHON, "-c", "import duckdb, sys; c = duckdb.connect(sys.argv[1], read_only=True); "
                            "print(c.execute('SELECT count(*) FROM ward_indicators').fetchone()[0])", str(db)],
                           capture_output=True, text=True, timeout=120)
    return probe.returncode == 0, (probe.stdout + probe.stderr).strip()


class ReadWriteSession:
    """A researcher's `duckdb <file>` session (read-write, DuckDB's default) in another process, that writes
    a table; `kill()` SIGKILLs it, leaving its write-ahead log. As a non-root user the published file is
    read-only on disk, so the owner's chmod (the misuse) is done first."""

    def __init__(self, db: Path):
        import subprocess

        if os.geteuid() != 0:
            os.chmod(db, 0o644)
        code = ("import duckdb, sys, time; c = duckdb.connect(sys.argv[1]); c.execute(\"SET checkpoint_threshold = '1GB'\"); "
                "c.execute('CREATE TABLE my_scratch AS SELECT range AS r FROM range(1000)'); print('open', flush=True); "
                "time.sleep(600)")
        self.proc = subprocess.Popen([PYTHON, "-c", code, str(db)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     text=True)
        line = self.proc.stdout.readline().strip()
        if line != "open":
            raise AssertionError(f"the read-write session did not open {db}: {self.proc.stderr.read()}")

    def kill(self) -> None:
        import signal

        if self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGKILL)
            self.proc.wait()


def other_filesystem(tmp_path: Path) -> Path | None:
    """A fresh folder on another filesystem than `tmp_path` (a tmpfs at /dev/shm), or None if there is none."""
    import tempfile

    shm = Path("/dev/shm")
    try:
        if not shm.is_dir() or os.stat(shm).st_dev == os.stat(tmp_path).st_dev or not os.access(shm, os.W_OK):
            return None
        return Path(tempfile.mkdtemp(prefix="lmi-other-fs-", dir=shm))
    except OSError:
        return None


def simulate_other_filesystem(monkeypatch, root: Path) -> list[tuple[str, str]]:
    """Make `root` behave as if it were another filesystem: os.rename/os.replace/os.link between a path
    inside it and one outside raise OSError(EXDEV), as the kernel does. Returns the refused moves."""
    import errno

    root = Path(root).resolve()
    refused: list[tuple[str, str]] = []

    def inside(path) -> bool:
        p = Path(os.path.abspath(os.fspath(path)))
        return p == root or root in p.parents

    def guard(real):
        def wrapped(src, dst, *args, **kwargs):
            if inside(src) != inside(dst):
                refused.append((os.fspath(src), os.fspath(dst)))
                raise OSError(errno.EXDEV, "Invalid cross-device link", os.fspath(src), None, os.fspath(dst))
            return real(src, dst, *args, **kwargs)
        return wrapped

    for name in ("rename", "replace", "link"):
        monkeypatch.setattr(os, name, guard(getattr(os, name)))
    return refused


class ReadOnlyDir:
    """Make a directory unwritable for this process for the length of a `with`: chmod 0555 for a normal
    user; for root (whom permissions do not stop), a read-only bind mount. `skip_reason` says why not."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self.mode = self.path.stat().st_mode
        self.mounted = False
        self.skip_reason: str | None = None

    def __enter__(self) -> "ReadOnlyDir":
        import subprocess

        if os.geteuid() != 0:
            os.chmod(self.path, 0o555)
            return self
        bind = subprocess.run(["mount", "--bind", str(self.path), str(self.path)], capture_output=True, text=True)
        if bind.returncode != 0:
            self.skip_reason = f"running as root and cannot bind-mount read-only: {bind.stderr.strip()}"
            return self
        self.mounted = True
        ro = subprocess.run(["mount", "-o", "remount,bind,ro", str(self.path)], capture_output=True, text=True)
        if ro.returncode != 0:
            self.skip_reason = f"running as root and cannot remount read-only: {ro.stderr.strip()}"
        return self

    def __exit__(self, *exc) -> None:
        import subprocess

        if self.mounted:
            subprocess.run(["umount", str(self.path)], check=True)
        else:
            os.chmod(self.path, self.mode)
