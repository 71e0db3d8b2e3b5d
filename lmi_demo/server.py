"""One local HTTP server standing in for Nomis, the ONS geography portal, DfE, DWP Stat-Xplore and GOV.UK's asset
host (MHCLG).

Routes: /nomis/api/v01/...  /ons/arcgis/rest/services/...  /dfe/statistics/v1/...  /dfe-content/api/...
        /statxplore/webapi/rest/v1/... (POST)  /mhclg/media/...
Used to record the demo snapshot, by the tests (through pytest-httpserver or this server) and by the
benchmark. It binds 127.0.0.1 only.
"""

from __future__ import annotations

import threading
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Callable, Iterator
from urllib.parse import parse_qsl, urlsplit

from lmi_demo.dfe_sim import DfeSim
from lmi_demo.mhclg_sim import MhclgSim
from lmi_demo.nomis_sim import NomisSim, UnknownColumn
from lmi_demo.ons_sim import OnsGeoSim
from lmi_demo.statxplore_sim import StatXploreSim
from lmi_demo.world import World

NOMIS_PREFIX = "/nomis/api/v01/"
ONS_PREFIX = "/ons/arcgis/rest/services/"
DFE_PREFIX = "/dfe/statistics/v1/"
DFE_CONTENT_PREFIX = "/dfe-content/api/"  # EES content API (data catalogue)
STATXPLORE_PREFIX = "/statxplore/webapi/rest/v1/"
MHCLG_PREFIX = "/mhclg/"  # GOV.UK's asset host (assets.publishing.service.gov.uk): MHCLG's IoD 2025 File 7


@dataclass
class UpstreamSim:
    """Dispatches a request path to the synthetic service that owns it."""

    world: World = field(default_factory=World.default)
    page_size: int = 25_000

    def __post_init__(self) -> None:
        self.nomis = NomisSim(self.world, self.page_size)
        self.ons = OnsGeoSim(self.world)
        self.dfe = DfeSim()
        self.statxplore = StatXploreSim(self.world)
        self.mhclg = MhclgSim(self.world)
        self.log: list[str] = []  # request paths with query, in arrival order

    def handle(self, path: str, args: dict[str, str], body: bytes | None = None,
               headers: dict[str, str] | None = None) -> tuple[int, str, bytes]:
        self.log.append(path + ("?" + "&".join(f"{k}={v}" for k, v in args.items()) if args else ""))
        try:
            if path.startswith(STATXPLORE_PREFIX):
                return self.statxplore.handle(path[len(STATXPLORE_PREFIX):], body, headers or {})
            if path.startswith(NOMIS_PREFIX):
                return self.nomis.handle(path[len(NOMIS_PREFIX):], args)
            if path.startswith(ONS_PREFIX):
                return self.ons.handle(path[len(ONS_PREFIX):], args)
            if path.startswith(DFE_PREFIX):
                return self.dfe.handle(path[len(DFE_PREFIX):], args)
            if path.startswith(DFE_CONTENT_PREFIX):
                return self.dfe.handle_content(path[len(DFE_CONTENT_PREFIX):], args)
            if path.startswith(MHCLG_PREFIX):
                return self.mhclg.handle(path[len(MHCLG_PREFIX):], args)
        except (KeyError, UnknownColumn) as exc:
            return 400, "text/html", f"<html><body>Bad request: {exc}</body></html>".encode()
        return 404, "text/html", b"<html><body>Not found</body></html>"

    def base_urls(self, root: str) -> dict[str, str]:
        """Environment variables that point the pipeline at this sim served from `root` (and tell it how many
        LSOAs this sim's File 7 holds: the demo areas', not England's 33,755)."""
        return {
            "NOMIS_BASE_URL": root + NOMIS_PREFIX.rstrip("/"),
            "ONS_GEO_BASE_URL": root + ONS_PREFIX.rstrip("/"),
            "DFE_BASE_URL": root + DFE_PREFIX.rstrip("/"),
            "DFE_CONTENT_URL": root + DFE_CONTENT_PREFIX.rstrip("/"),
            "STATXPLORE_URL": root + STATXPLORE_PREFIX.rstrip("/"),
            "MHCLG_BASE_URL": root + MHCLG_PREFIX.rstrip("/"),
            "MHCLG_EXPECTED_LSOAS": str(self.mhclg.lsoas()),
        }


# A request's path, raw query string, body (POST; None for GET) and headers (lower-case names)
# -> (HTTP status, content type, body).
Handle = Callable[[str, str, bytes | None, dict[str, str]], tuple[int, str, bytes]]


@contextmanager
def serve_requests(handle: Handle) -> Iterator[str]:
    """Answer GET (and POST) requests with `handle` on 127.0.0.1 (a free port) in a background thread; yields the
    root URL. HTTP/1.1 with Content-Length, so clients keep connections alive as they do with the real services."""

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self, body: bytes | None = None) -> None:  # noqa: N802 (http.server's naming)
            parts = urlsplit(self.path)
            headers = {k.lower(): v for k, v in self.headers.items()}
            status, ctype, body = handle(parts.path, parts.query, body, headers)
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_POST(self) -> None:  # noqa: N802
            self.do_GET(self.rfile.read(int(self.headers.get("Content-Length") or 0)))

        def log_message(self, *args) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@contextmanager
def serve(sim: UpstreamSim) -> Iterator[str]:
    """Serve `sim` on 127.0.0.1 (a free port) in a background thread; yields the root URL."""
    with serve_requests(lambda path, query, body, headers: sim.handle(
            path, dict(parse_qsl(query, keep_blank_values=True)), body, headers)) as url:
        yield url
