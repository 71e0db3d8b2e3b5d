"""HTTP transport shared by every upstream client: live, record and demo (replay).

- live:   GET (or a POST with a JSON body, for Stat-Xplore's table query) over a `requests.Session`, with retries on 429/5xx and network faults, exponential
          back-off that honours `Retry-After` (and gives up at once when the wait asked for is longer than
          this run is willing to wait), and a whole-response deadline checked after every read, so a slow
          drip cannot hang a run. The body is read raw and decoded here (gzip/deflate, `_Body`), so neither
          the deadline nor the size cap (`max_body_bytes`, 256 MiB decoded) depends on how it is encoded.
- record: live, and every successful response is saved under the snapshot directory, keyed by the request.
- demo:   no network at all; responses are replayed from the snapshot directory.

Every mode returns the same `Response`, so the clients parse replayed bytes exactly as live ones.
Secrets (the Nomis `uid`) travel in `Request.secret_params`, and header keys (Stat-Xplore's `APIKey`) in
`Request.secret_headers`; they are sent, never stored, logged or raised:
error messages show `uid=***`, a response body that echoes the key is masked before anyone sees it, and
urllib3's debug log lines (which print full URLs) are masked too. Masking matches every way the key can be
written (`_secret_pattern`: raw, percent-encoded in either hex case, `+` for a space, JSON and HTML escapes),
because a URL carries it encoded. The key is only ever sent to the configured host: a redirect elsewhere is
refused, naming where it pointed.
"""

from __future__ import annotations

import contextlib
import email.utils
import functools
import hashlib
import json
import logging
import os
import random
import re
import threading
import time
import zlib
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable, Iterable, Iterator
from urllib.parse import urlencode, urljoin, urlsplit

import requests
import urllib3
from requests.utils import requote_uri

log = logging.getLogger("lmi_pipeline.http")

RETRY_STATUSES = frozenset({408, 429, 500, 502, 503, 504})
MASK = "***"
# Everything that means "the network or the server let us down this time": worth another attempt.
NETWORK_ERRORS = (requests.RequestException, urllib3.exceptions.HTTPError, OSError)
MAX_BODY_BYTES = 256 * 2**20  # a Nomis page is ~5 MB, the DfE NEET file tens of MB: far above, far below RAM
MAX_REDIRECTS = 10
# Only what `_Body` decodes: were brotli installed, requests would otherwise offer `br` too.
ACCEPT_ENCODING = {"Accept-Encoding": "gzip, deflate"}
_CHUNK = 1 << 16  # raw bytes per read
_STEP = 1 << 20  # decoded bytes per zlib call, so a decompression bomb is counted as it unfolds


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
    # A POST (Stat-Xplore's table query) carries its query as a JSON body: part of the request's identity.
    method: str = "GET"
    json_body: str = ""  # the body as sent (canonical JSON text); never a secret
    # Keys sent as headers (Stat-Xplore's `APIKey`): sent, never stored, logged or raised, like secret_params.
    secret_headers: dict[str, str] = field(default_factory=dict, compare=False, hash=False, repr=False)

    @property
    def secrets(self) -> dict[str, str]:
        """Every secret the request sends, in the query or a header: what masking hides."""
        return {**self.secret_params, **{f"header:{k}": v for k, v in self.secret_headers.items()}}

    @property
    def url(self) -> str:
        """The URL without secrets: safe to log, store and show."""
        query = urlencode(self.params, safe=",:*|'")
        return f"{self.base_url.rstrip('/')}/{self.path}" + (f"?{query}" if query else "")

    def key(self) -> str:
        """Identity of the request for the snapshot: service, path and sorted params; never the secrets."""
        ident = [self.service, self.path, sorted(self.params)]
        if self.method != "GET" or self.json_body:  # a GET's key is unchanged, so existing snapshots still match
            ident += [self.method, hashlib.sha256(self.json_body.encode()).hexdigest()]
        canon = json.dumps(ident, separators=(",", ":"))
        return hashlib.sha256(canon.encode()).hexdigest()

    def describe(self) -> str:
        """What a person needs to recognise the request: its label and URL, with any key shown as ***."""
        masked = urlencode([(k, MASK) for k in sorted(self.secret_params)], safe="*")
        url = self.url + (("&" if "?" in self.url else "?") + masked if masked else "")
        if self.method != "GET":
            url = f"{self.method} {url}"
        headers = "".join(f" (header {k}: {MASK})" for k in sorted(self.secret_headers))
        return f"{self.label or self.service}; query {url}{headers}"


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

    def json_object(self) -> dict:
        """The body as a JSON object; anything else (an HTML error page, a list) is an UpstreamFormatError."""
        try:
            doc = json.loads(self.body)
        except ValueError:
            raise UpstreamFormatError(f"{self.request.describe()}: expected JSON, got {self.body[:120]!r}") from None
        if not isinstance(doc, dict):
            raise UpstreamFormatError(f"{self.request.describe()}: expected a JSON object, got "
                                      f"{type(doc).__name__} {self.body[:120]!r}")
        return doc


# Characters no URL, JSON or HTML encoder rewrites: they only ever appear as themselves (and keep the pattern
# of a plain key a literal, which the regex engine finds fast in a 5 MB page).
_UNRESERVED = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
_HTML_NAMES = {"&": "amp", "<": "lt", ">": "gt", '"': "quot", "'": "apos"}


def _hex(number: int, width: int) -> str:
    """`number` in hex, each letter digit matching either case (%2F and %2f are the same byte)."""
    return "".join(f"[{d}{d.lower()}]" if d.isalpha() else d for d in f"{number:0{width}X}")


@functools.lru_cache(maxsize=64)
def _secret_pattern(value: str, binary: bool) -> re.Pattern:
    """Every way `value` can be written where we may see it: in a URL (requests sends `a+b/c` as
    `a%2Bb%2Fc`; quote, quote_plus, either hex case, or encoded twice: `%252B`), in a JSON body (`\\/`,
    `\\u0026`) or an HTML page (`&amp;`, `&#38;`), one character at a time, so mixed forms match too."""
    parts = []
    for ch in value:
        if ch in _UNRESERVED:
            parts.append(ch)
            continue
        forms = [re.escape(ch), "".join("%(?:25)?" + _hex(b, 2) for b in _utf8(ch))]
        if ch == " ":  # quote_plus writes "+", and "%2B" when applied twice
            forms += [r"\+", "%(?:25)?" + _hex(0x2B, 2)]
        if ord(ch) < 0x10000:
            forms.append(r"\\u" + _hex(ord(ch), 4))
        if ch in '"\\/':
            forms.append(r"\\" + re.escape(ch))
        forms += [f"&#0*{ord(ch)};", f"&#[xX]0*{_hex(ord(ch), 1)};"]
        if ch in _HTML_NAMES:
            forms.append(f"&{_HTML_NAMES[ch]};")
        parts.append("(?:" + "|".join(forms) + ")")
    pattern = "".join(parts)
    return re.compile(_utf8(pattern) if binary else pattern)


def _utf8(text: str) -> bytes:
    """A key from the environment may hold undecodable bytes (os.environ keeps them as surrogates): as
    those bytes where it can, and never an error while masking."""
    try:
        return text.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:
        return text.encode("utf-8", "surrogatepass")


def _longest_first(secrets: dict[str, str]) -> list[str]:
    return sorted((v for v in secrets.values() if v), key=len, reverse=True)  # a key inside another: both go


def mask_secrets(text: str, secrets: dict[str, str]) -> str:
    """`text` with every secret, in any encoding `_secret_pattern` knows, replaced by ***."""
    for value in _longest_first(secrets):
        text = _secret_pattern(value, False).sub(MASK, text)
    return text


def _mask_body(body: bytes, secrets: dict[str, str]) -> bytes:
    """A server may echo the request (key included, usually URL-encoded) in what it returns; masked too."""
    for value in _longest_first(secrets):
        body = _secret_pattern(value, True).sub(MASK.encode(), body)
    return body


class _SecretLogFilter(logging.Filter):
    """Masks every key any transport has sent in urllib3's log records (its DEBUG lines carry full URLs, and
    urllib3.connection warns "Failed to parse headers (url=...)" at WARNING, with a traceback)."""

    # Filters do not apply to records propagated from child loggers, so it goes on every logger of these.
    FAMILIES = ("urllib3", "requests", "lmi_pipeline")

    def __init__(self) -> None:
        super().__init__()
        self.secrets: set[str] = set()
        self._lock = threading.Lock()
        self._attached: set[str] = set()

    def add(self, values) -> None:
        with self._lock:
            self.secrets |= {v for v in values if v}
            self.attach()

    def attach(self) -> None:
        """On each logger of FAMILIES that exists by now (a module imported later makes its own)."""
        for name in list(logging.Logger.manager.loggerDict):
            if name.split(".")[0] in self.FAMILIES and name not in self._attached:
                logging.getLogger(name).addFilter(self)
                self._attached.add(name)

    def filter(self, record: logging.LogRecord) -> bool:
        if not self.secrets:
            return True
        secrets = {str(i): s for i, s in enumerate(self.secrets)}
        text = record.getMessage()
        masked = mask_secrets(text, secrets)
        if masked != text:
            record.msg, record.args = masked, None  # the args (a URL) are in the masked text now
        if record.exc_info:
            # A traceback's messages, and those of its __cause__/__context__, can hold the URL: keep only
            # the formatted text, masked (formatters print exc_text when exc_info is gone).
            record.exc_text = logging.Formatter().formatException(record.exc_info)
            record.exc_info = None
        if record.exc_text:
            record.exc_text = mask_secrets(record.exc_text, secrets)
        if record.stack_info:
            record.stack_info = mask_secrets(record.stack_info, secrets)
        return True


_SECRET_FILTER = _SecretLogFilter()


def install_secret_masking(secrets: Iterable[str] = ()) -> None:
    """Mask `secrets`, and every key a transport sends from now on, in the log records of urllib3, requests
    and this package. Called where a run's work starts (a client resource's setup), never on import."""
    _SECRET_FILTER.add(secrets)


@dataclass(frozen=True)
class Fetched:
    """What provenance keeps of a response: never the body, never a secret."""

    request: Request
    retrieved_at: datetime
    origin: str
    sha256: str
    nbytes: int

    @classmethod
    def of(cls, response: Response) -> "Fetched":
        return cls(response.request, response.retrieved_at, response.origin, response.sha256, len(response.body))


class _DeadlineExceeded(Exception):
    pass


class _DamagedBody(Exception):
    """The compressed body is corrupt or stops before its end marker: retried, like a cut connection."""


class _TooLarge(Exception):
    pass


class _Body:
    """A response body as it arrives: raw bytes in, decoded (gzip or deflate) bytes kept, never more than
    `limit` of them. zlib's `max_length` bounds each step, so a bomb is refused after `limit` bytes of
    output, not after it has filled the memory; and every raw read returns to the caller, which checks the
    deadline (urllib3's own decoder keeps reading until it has output, so a gzip stream that makes no
    progress held it for as long as the server liked)."""

    def __init__(self, content_encoding: str, limit: int):
        codings = [c.strip().lower() for c in content_encoding.split(",")]
        codings = [c for c in codings if c not in ("", "identity")]
        if len(codings) > 1 or (codings and codings[0] not in ("gzip", "x-gzip", "deflate")):
            raise ValueError(content_encoding)
        self.coding = codings[0] if codings else ""
        self.limit, self.size, self.parts = limit, 0, []
        self._z = None  # the zlib decompressor, once the first bytes say which kind
        self._head = b""  # deflate: the first bytes, until they say zlib-wrapped (RFC 9110) or raw
        self._later_member = False  # gzip: a second member has begun
        self._ignore_rest = False

    def feed(self, data: bytes) -> None:
        if not self.coding:
            return self._keep(data)
        if self._ignore_rest:
            return None
        if self._z is None:
            if self.coding == "deflate":
                self._head += data
                if len(self._head) < 2:
                    return None
                data, self._head = self._head, b""
                wrapped = data[0] & 0x0F == 8 and int.from_bytes(data[:2], "big") % 31 == 0
                self._z = zlib.decompressobj(zlib.MAX_WBITS if wrapped else -zlib.MAX_WBITS)
            else:
                self._z = zlib.decompressobj(16 + zlib.MAX_WBITS)
        while True:
            room = min(_STEP, self.limit - self.size + 1)  # one byte over the limit is enough to know
            try:
                out = self._z.decompress(data, room)
            except zlib.error as exc:
                if self._later_member:  # bytes after a whole gzip member are ignored, as urllib3 does
                    self._ignore_rest = True
                    return None
                raise _DamagedBody(f"the {self.coding} data is corrupt ({exc})") from None
            self._keep(out)
            data = self._z.unconsumed_tail
            if self._z.eof and self._z.unused_data and self.coding != "deflate":
                data = self._z.unused_data  # another gzip member follows, as in `cat a.gz b.gz`
                self._z, self._later_member = zlib.decompressobj(16 + zlib.MAX_WBITS), True
            elif not data and len(out) < room:  # a full `room` may leave output pending inside zlib
                return None

    def _keep(self, out: bytes) -> None:
        self.size += len(out)
        if self.size > self.limit:
            raise _TooLarge()
        if out:
            self.parts.append(out)

    def finish(self) -> bytes:
        if not self._ignore_rest and (self._head or (self._z is not None and not self._z.eof)):
            raise _DamagedBody(f"the {self.coding} stream stops before its end: the body was cut short")
        return b"".join(self.parts)


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
    max_body_bytes: int = MAX_BODY_BYTES  # per response, once decoded: a bigger one is refused, not retried

    def __post_init__(self) -> None:
        if self.mode not in ("demo", "live", "record"):
            raise ValueError(f"unknown source mode {self.mode!r}")
        if self.session is None and self.mode != "demo":
            self.session = requests.Session()
            self.session.headers["User-Agent"] = "lmi-pipeline (+https://github.com/; labour market intelligence)"
        self.requests_made = 0
        self.responses = 0  # responses returned so far: a count (refresh planning reports it), not a record
        self._collectors: list[list[Fetched]] = []  # the open `collect()` blocks
        self._collect_lock = threading.Lock()
        self._pace_lock = threading.Lock()
        self._next_start = 0.0

    # Pacing is ours, not a rate-limiter library's: it is one shared "next start" under a lock, sleeping
    # through the injectable `sleep`, and it paces every request sent, retries and redirect hops included.
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
        self._returned(response)
        return response

    @contextlib.contextmanager
    def collect(self) -> Iterator[list[Fetched]]:
        """Every response returned while the block runs (from any thread: pages are fetched concurrently), in
        order: what one asset's provenance records, and nothing from before or after it."""
        fetched: list[Fetched] = []
        with self._collect_lock:
            self._collectors.append(fetched)
        try:
            yield fetched
        finally:
            with self._collect_lock:
                self._collectors = [c for c in self._collectors if c is not fetched]

    def _returned(self, response: Response) -> None:
        with self._collect_lock:
            self.responses += 1
            for fetched in self._collectors:
                fetched.append(Fetched.of(response))

    # -- live -----------------------------------------------------------------------------------
    # One retry loop for every fault, rather than urllib3's Retry on the session's adapter. A body is streamed
    # and decoded after urllib3 has returned the response, so a connection cut mid-body, a damaged gzip
    # stream and the deadline can only be retried here; Retry would add a second loop, and the two would
    # have to share one budget through a policy fixed on an adapter that the page-fetching threads share.
    # Retry would also change what a run does: it sleeps with time.sleep (unpaced, not injectable), its first
    # back-off is 0 rather than `backoff`, it waits out a Retry-After of up to six hours instead of stopping
    # at once and saying when to come back, and its retries are neither counted in requests_made nor logged
    # with the (masked) query.
    def _get_live(self, request: Request) -> Response:
        secrets = request.secrets
        _SECRET_FILTER.add(secrets.values())
        params = list(request.params) + list(secrets.items())
        url = f"{request.base_url.rstrip('/')}/{request.path}"
        last_problem = ""
        last_status: int | None = None
        started = time.monotonic()
        for attempt in range(1, self.max_retries + 2):
            wait: float | None = None
            unexpected = ""
            try:
                status, ctype, body, headers = self._fetch_once(request, url, params)
            except (*NETWORK_ERRORS, _DeadlineExceeded, _DamagedBody) as exc:
                # requests' messages contain the full URL, key included: keep only a masked summary.
                last_problem = f"{type(exc).__name__}: {mask_secrets(str(exc), secrets)}"[:300]
            except UpstreamError:
                raise  # ours: built without the key, outside any handler
            except Exception as exc:  # noqa: BLE001 (e.g. UnicodeEncodeError: its .object is the key itself)
                unexpected = f"{type(exc).__name__}: {mask_secrets(str(exc), secrets)}"[:300]
            else:
                body = _mask_body(body, secrets)
                if status == 200:
                    return Response(request, status, ctype, body, datetime.now(timezone.utc), "live", attempt)
                last_problem, last_status = f"HTTP {status}", status
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
            if unexpected:
                # Raised here, outside the handler, so the original (its args, __context__, the PreparedRequest
                # requests attaches) goes nowhere. Not an UpstreamError: a bug should fail the run.
                raise RuntimeError(f"{request.describe()}: unexpected {unexpected}")
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
            last_status,
        ) from None

    def _delay(self, attempt: int, retry_after: float | None) -> float:
        if retry_after is not None:
            return min(retry_after, self.max_backoff)
        base = self.backoff * (2 ** (attempt - 1))
        return min(base * (1 + random.uniform(-0.1, 0.1)), self.max_backoff)

    def _fetch_once(self, request: Request, url: str, params: list[tuple[str, str]] | None):
        """One attempt: the GET and any redirects (followed here, not by requests, so that none takes the
        key to another host), then the body, all within one deadline."""
        assert self.session is not None
        t0 = time.monotonic()
        for _hop in range(MAX_REDIRECTS + 1):
            self._check_deadline(t0)
            self._pace()
            self.requests_made += 1
            headers, data = {**ACCEPT_ENCODING, **request.secret_headers}, None
            if request.method != "GET":
                headers["Content-Type"] = "application/json"
                data = request.json_body.encode()
            with self.session.request(request.method, url, params=params, data=data, stream=True,
                                      allow_redirects=False, headers=headers,
                                      timeout=(self.connect_timeout, self.read_timeout)) as r:
                target = self.session.get_redirect_target(r)
                if target is None:
                    return r.status_code, r.headers.get("Content-Type", ""), self._read_body(request, r, t0), r.headers
                if request.method != "GET":  # a POST is never replayed elsewhere, nor turned into a GET
                    raise UpstreamHTTPError(mask_secrets(
                        f"{request.describe()}: HTTP {r.status_code} redirects to {_show_origin(urljoin(r.url, target))}; a "
                        f"{request.method} is not redirected, so nothing was loaded. If the service has moved, set "
                        "its base URL to the new address.", request.secrets), r.status_code)
                url, params = requote_uri(urljoin(r.url, target)), None  # the Location as given: no key added
                if request.secret_params and not _same_origin(url, request.base_url):
                    names = ", ".join(sorted(request.secret_params))
                    raise UpstreamHTTPError(mask_secrets(
                        f"{request.describe()}: HTTP {r.status_code} redirects to {_show_origin(url)}, not the "
                        f"configured host {_show_origin(request.base_url)}. The key ({names}) is only ever sent to "
                        "the configured host, so the redirect was not followed and nothing was loaded. If the "
                        "service has moved, set its base URL to the new address.", request.secret_params),
                        r.status_code)
        raise UpstreamHTTPError(f"{request.describe()}: more than {MAX_REDIRECTS} redirects; nothing was loaded.")

    def _check_deadline(self, t0: float) -> None:
        if time.monotonic() - t0 > self.deadline:
            raise _DeadlineExceeded(f"response not complete after {self.deadline:g}s (the deadline)")

    def _read_body(self, request: Request, r: requests.Response, t0: float) -> bytes:
        """The body, decoded here from raw reads: read1 returns whatever one socket read brought (a plain
        read waits for a full 64 KiB), so the deadline is checked at least every read_timeout seconds however
        slowly the server drips and whatever the encoding; and the decoded size is capped."""
        encoding = r.headers.get("Content-Encoding", "")
        try:
            body = _Body(encoding, self.max_body_bytes)
        except ValueError:
            raise UpstreamFormatError(
                f"{request.describe()}: the response has Content-Encoding {encoding!r}, which we did not ask for "
                f"(we send Accept-Encoding: {ACCEPT_ENCODING['Accept-Encoding']}); nothing was loaded.") from None
        try:
            while True:
                self._check_deadline(t0)
                chunk = r.raw.read1(_CHUNK, decode_content=False)
                if not chunk:
                    return body.finish()
                body.feed(chunk)
        except _TooLarge:
            pass  # raised below, outside the handler
        how = f" once {body.coding}-decoded" if body.coding else ""
        raise UpstreamFormatError(
            f"{request.describe()}: the response is larger than {_size(self.max_body_bytes)}{how} (the "
            "max_body_bytes limit), so it was refused rather than held in memory: a decompression bomb or a "
            "runaway response. Nothing was loaded; if the service really sends this much, raise max_body_bytes.")

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
        **({"method": request.method, "body": request.json_body} if request.method != "GET" else {}),
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


def _origin(url: str) -> tuple[str, str, int | None]:
    """Scheme, host and port: where a request goes. Anything unparseable is nowhere we send a key."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:  # e.g. "http://[oops" or a port that is not a number
        return ("", "", None)
    scheme = parts.scheme.lower()
    return scheme, (parts.hostname or "").lower(), port or {"http": 80, "https": 443}.get(scheme)


def _same_origin(url: str, base_url: str) -> bool:
    here = _origin(url)
    return bool(here[1]) and here == _origin(base_url)


def _show_origin(url: str) -> str:
    scheme, host, port = _origin(url)
    return f"{scheme}://{host}:{port}" if host else "an unparseable address"


def _size(n: int) -> str:
    return f"{n / 2**20:g} MiB" if n >= 2**20 else f"{n:,} bytes"


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
