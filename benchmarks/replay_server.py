"""Serve a recorded snapshot over real HTTP on 127.0.0.1: each page of a paged query is its own request.

The benchmark records the national-scale synthetic upstream once, then measures the pipeline against
this server, so upstream generation cost is not counted in the pipeline's fetch time.
"""

from __future__ import annotations

import json
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator
from urllib.parse import parse_qsl

from lmi_demo.server import serve_requests
from lmi_pipeline.clients.transport import Request, _slug

PREFIXES = {"/nomis/api/v01/": "nomis", "/ons/arcgis/rest/services/": "ons_geo", "/dfe/statistics/v1/": "dfe",
            "/mhclg/": "mhclg"}


class ReplayLog:
    def __init__(self) -> None:
        self.requests: list[str] = []
        self.bytes_sent = 0


@contextmanager
def serve_snapshot(snapshot_dir: Path, release_override: str | None = None) -> Iterator[tuple[str, ReplayLog]]:
    """Yield (root URL, log). `release_override` rewrites Nomis LastUpdated stamps (a "new release")."""
    log = ReplayLog()

    def handle(path: str, query: str, body: bytes | None = None, headers: dict | None = None) -> tuple[int, str, bytes]:
        log.requests.append(path + (f"?{query}" if query else ""))
        prefix = next((p for p in PREFIXES if path.startswith(p)), None)
        body, status, ctype = b"<html>not recorded</html>", 404, "text/html"
        if prefix:
            path = path[len(prefix):]
            params = tuple((k, v) for k, v in parse_qsl(query, keep_blank_values=True) if k != "uid")
            key = Request(PREFIXES[prefix], "", path, params).key()[:24]
            folder = snapshot_dir / PREFIXES[prefix] / _slug(path)
            meta = folder / f"{key}.json"
            if meta.exists():
                body, status = (folder / f"{key}.body").read_bytes(), 200
                ctype = json.loads(meta.read_text())["content_type"]
                if release_override and path.endswith(".def.sdmx.json") and b"LastUpdated" in body:
                    doc = json.loads(body)
                    for note in doc["structure"]["keyfamilies"]["keyfamily"][0]["annotations"]["annotation"]:
                        if note["annotationtitle"] == "LastUpdated":
                            note["annotationtext"] = release_override
                    body = json.dumps(doc).encode()
        log.bytes_sent += len(body)
        return status, ctype, body

    with serve_requests(handle) as url:
        yield url, log
