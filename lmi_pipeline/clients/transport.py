"""HTTP transport shared by every upstream client: live, record and demo (replay).

- live:   GET over a `requests.Session`, with retries on 429/5xx and network faults, exponential
          back-off that honours `Retry-After` (and gives up at once when the wait asked for is longer than
          this run is willing to wait), and a whole-response deadline checked after every read, so a slow
          drip cannot hang a run.
- record: live, and every successful response is saved under the snapshot directory, keyed by the request.
- demo:   no network at all; responses are replayed from the snapshot directory.

Every mode returns the same `Response`, so the clients parse replayed bytes exactly as live ones.
Secrets (the Nomis `uid`) travel in `Request.secret_params`; they are sent, never stored, logged or raised:
error messages show `uid=***`, a response body that echoes the key is masked before anyone sees it, and
urllib3's debug log lines (which print full URLs) are masked too.
"""

from __future__ import annotations

import email.utils
import hashlib
import json
import logging
import os
import random
import re
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable
from urllib.parse import urlencode

import requests
import urllib3

log = logging.getLogger("lmi_pipeline.http")

RETRY_STATUSES = frozenset({408, 429, 500, 502, 503, 504})
MASK = "***"
# Everything that means "the network or the server let us down this time": worth another attempt.
NETWORK_ERRORS = (requests.RequestException, urllib3.exceptions.HTTPError, OSError)


class UpstreamError(RuntimeError):
    """An upstream API could not give us usable data. The message names the dataset and query (key masked)."""


class UpstreamHTTPError(UpstreamError):
    def __init__(self, message: str, status: int | None = None):
        super().__init__(message)
        self.status = status


class UpstreamFormatError(UpstreamError):
    """The response arrived but is not in the documented format (HTML, empty, truncated, wrong columns...)."""


class SnapshotMissingError(UpstreamError):
    """Demo mode asked for a response that is not in the snapshot."""


@dataclass(frozen=True)
class Request:
    service: str  # "nomis" | "ons_geo" | "dfe": a folder name in the snapshot
    base_url: str
    path: str
    params: tuple[tuple[str, str], ...] = ()
    secret_params: dict[str, str] = field(default_factory=dict, compare=False, hash=False, repr=False)
    label: str = ""  # what a person calls this request, e.g. "Nomis NM_162_1 (claimant count)"

    @property
    def url(self) -> str:
        """The URL without secrets: safe to log, store and show."""
        query = urlencode(self.params, safe=",:*|'")
        return f"{self.base_url.rstrip('/')}/{self.path}" + (f"?{query}" if query else "")

    def key(self) -> str:
        """Identity of the request for the snapshot: service, path and sorted params; never the secrets."""
        canon = json.dumps([self.service, self.path, sorted(self.params)], separators=(",", ":"))
        return hashlib.sha256(canon.encode()).hexdigest()

    def describe(self) -> str:
        """What a person needs to recognise the request: its label and URL, with any key shown as ***."""
        masked = urlencode([(k, MASK) for k in sorted(self.secret_params)], safe="*")
        url = self.url + (("&" if "?" in self.url else "?") + masked if masked else "")
        return f"{self.label or self.service}; query {url}"


@dataclass(frozen=True)
class Response:
    request: Request
    status: int
    content_type: str
    body: bytes
    retrieved_at: datetime
    origin: str  # "live" | "recorded" (replayed real response) | "synthetic" (demo generator)
    attempts: int = 1

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.body).hexdigest()

    @property
    def text(self) -> str:
        return self.body.decode("utf-8-sig", errors="replace")


def mask_secrets(text: str, secrets: dict[str, str]) -> str:
    for value in secrets.values():
        if value:
            text = text.replace(value, MASK)
    return text


def _mask_body(body: bytes, secrets: dict[str, str]) -> bytes:
    """A server may echo the request (key included) in what it returns; that copy is masked too."""
    for value in secrets.values():
        if value and value.encode() in body:
            body = body.replace(value.encode(), MASK.encode())
    return body


class _SecretLogFilter(logging.Filter):
    """Masks every key any transport has sent in urllib3's log records (its DEBUG lines carry full URLs)."""

    def __init__(self) -> None:
        super().__init__()
        self.secrets: set[str] = set()
        self._lock = threading.Lock()

    def add(self, values) -> None:
        with self._lock:
            self.secrets |= {v for v in values if v}

    def filter(self, record: logging.LogRecord) -> bool:
        if self.secrets:
            text = record.getMessage()
            masked = mask_secrets(text, {str(i): s for i, s in enumerate(self.secrets)})
            if masked != text:
                record.msg, record.args = masked, None
        return True


_SECRET_FILTER = _SecretLogFilter()
# Filters do not apply to records propagated from child loggers, so each logger that can print a URL.
for _name in ("urllib3", "urllib3.connectionpool", "urllib3.poolmanager", "urllib3.util.retry", "urllib3.response",
              "requests"):
    logging.getLogger(_name).addFilter(_SECRET_FILTER)


@dataclass(frozen=True)
class Fetched:
    """What provenance keeps of a response: never the body, never a secret."""

    request: Request
    retrieved_at: datetime
    origin: str
    sha256: str
    nbytes: int


class _DeadlineExceeded(Exception):
    pass


@dataclass
class Transport:
    mode: str
    snapshot_dir: Path
    connect_timeout: float = 10.0
    read_timeout: float = 60.0
    deadline: float = 180.0  # whole-response limit; catches servers that drip bytes forever
    max_retries: int = 5
    backoff: float = 1.0
    max_backoff: float = 60.0
    sleep: Callable[[float], None] = time.sleep
    session: requests.Session | None = None
    record_origin: str = "recorded"  # the demo generator records with "synthetic"
    min_interval: float = 0.0  # seconds between request starts: politeness to a service with unpublished limits

    def __post_init__(self) -> None:
        if self.mode not in ("demo", "live", "record"):
            raise ValueError(f"unknown source mode {self.mode!r}")
        if self.session is None and self.mode != "demo":
            self.session = requests.Session()
            self.session.headers["User-Agent"] = "lmi-pipeline (+https://github.com/; labour market intelligence)"
        self.requests_made = 0
        self.fetched: list[Fetched] = []  # every response this transport returned, in order
        self._pace_lock = threading.Lock()
        self._next_start = 0.0

    def _pace(self) -> None:
        """Space request starts `min_interval` apart, across the threads fetching pages concurrently."""
        if self.min_interval <= 0:
            return
        with self._pace_lock:
            now = time.monotonic()
            start = max(now, self._next_start)
            self._next_start = start + self.min_interval
        if start > now:
            self.sleep(start - now)

    # -- public ---------------------------------------------------------------------------------
    def get(self, request: Request) -> Response:
        if self.mode == "demo":
            response = self._replay(request)
        else:
            response = self._get_live(request)
            if self.mode == "record":
                self._save(response)
        self.fetched.append(Fetched(request, response.retrieved_at, response.origin, response.sha256,
                                    len(response.body)))
        return response

    # -- live -----------------------------------------------------------------------------------
    def _get_live(self, request: Request) -> Response:
        secrets = request.secret_params
        _SECRET_FILTER.add(secrets.values())
        params = list(request.params) + list(secrets.items())
        url = f"{request.base_url.rstrip('/')}/{request.path}"
        last_problem = ""
        started = time.monotonic()
        for attempt in range(1, self.max_retries + 2):
            wait: float | None = None
            try:
                status, ctype, body, headers = self._fetch_once(url, params)
            except (*NETWORK_ERRORS, _DeadlineExceeded) as exc:
                # requests' messages contain the full URL, key included: keep only a masked summary.
                last_problem = f"{type(exc).__name__}: {mask_secrets(str(exc), secrets)}"[:300]
            else:
                body = _mask_body(body, secrets)
                if status == 200:
                    return Response(request, status, ctype, body, datetime.now(timezone.utc), "live", attempt)
                last_problem = f"HTTP {status}"
                if status not in RETRY_STATUSES:
                    snippet = mask_secrets(body[:300].decode("utf-8", "replace"), secrets).strip()
                    raise UpstreamHTTPError(
                        f"{request.describe()} failed with HTTP {status} (not retryable). "
                        f"Check the dataset id, dimension codes and geography. Response began: {snippet!r}",
                        status,
                    ) from None
                wait = _retry_after(headers.get("Retry-After"))
                if wait is not None and wait > self.max_backoff:
                    # Retrying sooner than asked only prolongs a rate limit; say when to come back instead.
                    when = datetime.now(timezone.utc).timestamp() + wait
                    raise UpstreamHTTPError(
                        f"{request.describe()}: HTTP {status} asks us to wait {wait:.0f}s (Retry-After), longer than "
                        f"this run waits ({self.max_backoff:.0f}s). Nothing was loaded; run again after "
                        f"{datetime.fromtimestamp(when, timezone.utc):%H:%M} UTC.",
                        status,
                    ) from None
            if attempt > self.max_retries:
                break
            delay = self._delay(attempt, wait)
            log.warning("%s: %s; retry %d/%d in %.1fs", request.describe(), last_problem, attempt,
                        self.max_retries, delay)
            self.sleep(delay)
        raise UpstreamHTTPError(
            f"{request.describe()}: gave up after {self.max_retries + 1} attempts in "
            f"{time.monotonic() - started:.1f}s; last problem: {last_problem}. The service may be rate-limiting "
            "or down: nothing was loaded; try again later"
            + (", or set NOMIS_UID for a registered key's larger allowance." if request.service == "nomis" else "."),
        ) from None

    def _delay(self, attempt: int, retry_after: float | None) -> float:
        if retry_after is not None:
            return min(retry_after, self.max_backoff)
        base = self.backoff * (2 ** (attempt - 1))
        return min(base * (1 + random.uniform(-0.1, 0.1)), self.max_backoff)

    def _fetch_once(self, url: str, params: list[tuple[str, str]]):
        assert self.session is not None
        self._pace()
        self.requests_made += 1
        t0 = time.monotonic()
        with self.session.get(url, params=params, stream=True,
                              timeout=(self.connect_timeout, self.read_timeout)) as r:
            chunks = []
            # read1 returns whatever one socket read brought (a plain read waits for a full 64 KiB), so the
            # deadline is checked at least every read_timeout seconds however slowly the server drips.
            while True:
                if time.monotonic() - t0 > self.deadline:
                    raise _DeadlineExceeded(f"response not complete after {self.deadline:g}s (the deadline)")
                chunk = r.raw.read1(1 << 16, decode_content=True)
                if not chunk:
                    break
                chunks.append(chunk)
            return r.status_code, r.headers.get("Content-Type", ""), b"".join(chunks), r.headers

    # -- snapshot -------------------------------------------------------------------------------
    def _paths(self, request: Request) -> tuple[Path, Path]:
        folder = self.snapshot_dir / request.service / _slug(request.path)
        key = request.key()[:24]
        return folder / f"{key}.body", folder / f"{key}.json"

    def _save(self, response: Response) -> None:
        save_response(self.snapshot_dir, response, self.record_origin)

    def _replay(self, request: Request) -> Response:
        body_path, meta_path = self._paths(request)
        if not meta_path.exists():
            raise SnapshotMissingError(
                f"Demo mode has no snapshot response for {request.describe()} under {self.snapshot_dir}. "
                "The bundled demo covers the areas in lmi.toml when `lmi demo-snapshot` last ran: run "
                "`make run` (or `lmi demo-snapshot`) to rebuild it, or set LMI_SOURCE=live to call the real API."
            )
        meta = json.loads(meta_path.read_text())
        return Response(
            request=request,
            status=int(meta["status"]),
            content_type=meta["content_type"],
            body=body_path.read_bytes(),
            retrieved_at=datetime.now(timezone.utc),
            origin=meta["origin"],
        )


def save_response(snapshot_dir: Path, response: Response, origin: str) -> Path:
    """Write one response into the snapshot (atomically). Secrets are never part of it."""
    request = response.request
    folder = snapshot_dir / request.service / _slug(request.path)
    folder.mkdir(parents=True, exist_ok=True)
    key = request.key()[:24]
    meta = {
        "service": request.service,
        "path": request.path,
        "params": [list(p) for p in request.params],
        "url": request.url,
        "status": response.status,
        "content_type": response.content_type,
        "origin": origin,
        "sha256": response.sha256,
        "recorded_at": response.retrieved_at.isoformat(timespec="seconds"),
    }
    for name, data in ((f"{key}.body", response.body), (f"{key}.json", json.dumps(meta, indent=1).encode())):
        tmp = folder / f".{name}.tmp"
        tmp.write_bytes(data)
        os.replace(tmp, folder / name)
    return folder


def _slug(path: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", path).strip("_") or "root"


def _retry_after(value: str | None) -> float | None:
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, (when - datetime.now(timezone.utc)).total_seconds())
