"""A safe async feed fetcher on httpx: conditional GET, manual redirects, caps and a deadline.

Exception tree (all ``FetchError``, each with a bounded ``outcome`` label for metrics)::

    FetchError
    ├── BlockedAddress     "blocked"         the SSRF guard refused an address (producers.ssrf)
    ├── UnsupportedScheme  "blocked"         not http(s): ftp:, file:, ...
    ├── InvalidUrl         "invalid_url"     the URL (or a redirect's Location) does not parse
    ├── TooLarge           "too_large"       body over the cap, before or after decompression
    ├── FetchTimeout       "timeout"         retriable; the whole-fetch deadline or a phase timeout
    ├── ConnectError       "connect_error"   retriable; DNS, TCP, TLS or a dropped connection
    ├── BadResponse        "bad_response"    malformed HTTP, unknown Content-Encoding, odd 3xx
    ├── RedirectError      "redirect_error"  a redirect without a usable Location
    │   ├── TooManyRedirects                 more than ``max_redirects`` hops
    │   └── InsecureRedirect                 https -> http downgrade
    └── HttpStatusError    "client_error" | "server_error" | "rate_limited"; 5xx/429 retriable
"""

from __future__ import annotations

import re
import time
import zlib
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from types import MappingProxyType, TracebackType
from weakref import WeakValueDictionary

import anyio
import httpx

from newswire.errors import ConfigError, FetchError
from producers.ssrf import BlockedAddress as BlockedAddress  # re-exported: part of this API
from producers.ssrf import check_literal, guarded_transport, parse_networks

# Feed types first; generic XML/JSON still accepted (RFC 9110 §12.5.1).
ACCEPT = (
    "application/rss+xml, application/atom+xml, application/feed+json, application/rdf+xml;q=0.9,"
    " application/xml;q=0.8, text/xml;q=0.8, application/json;q=0.7, */*;q=0.1"
)
# Only what _Inflater decodes with a bound; br/zstd would need decoders we do not ship.
ACCEPT_ENCODING = "gzip, deflate"
_REDIRECTS = frozenset({301, 302, 303, 307, 308})  # RFC 9110 §15.4
_PERMANENT = frozenset({301, 308})


class UnsupportedScheme(FetchError):
    """Only http and https are fetched (callers read local files themselves)."""

    outcome: str = "blocked"


class InvalidUrl(FetchError):
    """The URL does not parse or has no host."""

    outcome: str = "invalid_url"


class TooLarge(FetchError):
    """The body passed ``max_body_bytes`` (declared, raw or decoded)."""

    outcome: str = "too_large"


class FetchTimeout(FetchError):
    """The fetch missed its deadline (whole-fetch or a per-phase timeout)."""

    outcome: str = "timeout"
    retriable = True


class ConnectError(FetchError):
    """DNS, TCP or TLS failed, or the connection dropped mid-response."""

    outcome: str = "connect_error"
    retriable = True


class BadResponse(FetchError):
    """The server spoke broken HTTP or sent something we cannot decode."""

    outcome: str = "bad_response"


class RedirectError(FetchError):
    """A redirect could not be followed."""

    outcome: str = "redirect_error"


class TooManyRedirects(RedirectError):
    """More than ``max_redirects`` hops (a loop, or a chain too long to trust)."""


class InsecureRedirect(RedirectError):
    """An https URL redirected to plain http."""


class HttpStatusError(FetchError):
    """A final response that is neither 2xx nor 304. 5xx and 429 are retriable."""

    outcome: str

    def __init__(self, status: int, url: str, retry_after_s: float | None = None) -> None:
        super().__init__(f"HTTP {status} from {url}")
        self.status = status
        self.url = url
        self.retry_after_s = retry_after_s
        self.retriable = status >= 500 or status == 429
        if status == 429:  # RFC 6585 §4
            self.outcome = "rate_limited"
        else:
            self.outcome = "server_error" if status >= 500 else "client_error"


def parse_retry_after(value: str, now: datetime | None = None) -> float | None:
    """Seconds to wait from a Retry-After value (RFC 9110 §10.2.3); None if unparseable.

    Accepts delay-seconds or an HTTP-date (a past date gives 0.0). Never raises.
    """
    value = value.strip()
    if re.fullmatch(r"[0-9]+", value):
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:  # HTTP-date is always GMT (RFC 9110 §5.6.7)
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


@dataclass(frozen=True)
class FetchPolicy:
    """Limits of one fetch. ``total_timeout_s`` covers every hop and the whole body;
    ``max_body_bytes`` caps the body before and after decompression; ``allow_networks`` are
    CIDRs exempt from the SSRF guard (tests, private deployments)."""

    total_timeout_s: float = 30.0
    connect_timeout_s: float = 10.0
    max_body_bytes: int = 10 * 1024 * 1024
    max_redirects: int = 5
    user_agent: str = "newswire/0.1 (+https://github.com/newswire)"
    allow_networks: tuple[str, ...] = ()
    max_connections_per_host: int = 4


@dataclass(frozen=True)
class FetchResult:
    """A fetched feed. ``headers`` is read-only with lower-cased names."""

    url: str
    final_url: str
    status: int
    body: bytes
    content_type: str | None
    etag: str | None
    last_modified: str | None
    headers: Mapping[str, str]
    elapsed_s: float
    permanent_redirect: str | None

    @property
    def not_modified(self) -> bool:
        return self.status == 304


class _Inflater:
    """gzip/deflate decoding that never yields more than asked (RFC 9110 §8.4.1.2-3).

    httpx's decoders inflate a whole network read at once (a 64 KiB read of zeros is
    ~64 MiB), so a bomb could blow memory before a cap is checked; ``max_length`` prevents it.
    """

    def __init__(self) -> None:
        self._head = b""
        self._d: zlib._Decompress | None = None
        self._wbits = 0

    def feed(self, data: bytes, limit: int) -> bytes:
        if self._d is None:
            self._head += data
            if len(self._head) < 2:
                return b""
            data, self._head = self._head, b""
            if data[:2] == b"\x1f\x8b":  # gzip magic, RFC 1952 §2.3.1
                self._wbits = 16 + zlib.MAX_WBITS
            elif (data[0] & 0x0F) == 8 and int.from_bytes(data[:2], "big") % 31 == 0:
                self._wbits = zlib.MAX_WBITS  # zlib wrapper: "deflate" proper, RFC 1950
            else:
                self._wbits = -zlib.MAX_WBITS  # raw deflate, which many servers send instead
            self._d = zlib.decompressobj(self._wbits)
        out = bytearray()
        while data and len(out) < limit:
            if self._d.eof:  # another gzip member (RFC 1952 §2.2) or trailing junk
                if self._wbits != 16 + zlib.MAX_WBITS or data[:2] != b"\x1f\x8b":
                    break  # junk after the stream is ignored, as gzip(1) does
                self._d = zlib.decompressobj(self._wbits)
            try:
                out += self._d.decompress(data, limit - len(out))
            except zlib.error as exc:
                raise BadResponse(f"corrupt compressed body: {exc}") from exc
            data = self._d.unconsumed_tail or self._d.unused_data
        return bytes(out)


class _HostSlots:
    """A semaphore per host, alive only while some request holds or awaits it."""

    def __init__(self, limit: int) -> None:
        self._limit = limit
        self._sems: WeakValueDictionary[str, anyio.Semaphore] = WeakValueDictionary()

    def __getitem__(self, host: str) -> anyio.Semaphore:
        sem = self._sems.get(host)
        if sem is None:
            sem = self._sems[host] = anyio.Semaphore(self._limit)
        return sem


@contextmanager
def _translated(url: httpx.URL) -> Iterator[None]:
    """Turn httpx's exceptions into ours at the boundary."""
    try:
        yield
    except httpx.TimeoutException as exc:
        raise FetchTimeout(f"{url}: {type(exc).__name__}") from exc
    except httpx.ProtocolError as exc:
        raise BadResponse(f"{url}: {exc}") from exc
    except httpx.TransportError as exc:  # connect/read/write errors, TLS failures
        raise ConnectError(f"{url}: {type(exc).__name__}: {exc}") from exc


class Fetcher:
    """Fetches feeds under a ``FetchPolicy``. An async context manager; owns its transport.

    Raises ``ConfigError`` for a malformed ``allow_networks`` CIDR. Without ``transport``
    every connection goes through the SSRF guard of ``producers.ssrf``.
    A given ``transport`` (e.g. ``httpx.MockTransport`` in tests) replaces that guard; IP
    literal URLs are still checked before any request.
    """

    def __init__(
        self,
        policy: FetchPolicy | None = None,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.policy = policy if policy is not None else FetchPolicy()
        p = self.policy
        try:
            self._allow = parse_networks(p.allow_networks)
        except ValueError as exc:
            raise ConfigError(f"allow_networks: {exc}") from exc
        self._slots = _HostSlots(p.max_connections_per_host)
        self._closed = False
        self._client = httpx.AsyncClient(
            transport=transport if transport is not None else guarded_transport(self._allow),
            follow_redirects=False,
            trust_env=False,  # env proxies or .netrc would bypass the guard or leak secrets
            timeout=httpx.Timeout(p.total_timeout_s, connect=p.connect_timeout_s),
            headers={
                "User-Agent": p.user_agent,
                "Accept": ACCEPT,
                "Accept-Encoding": ACCEPT_ENCODING,
            },
        )

    async def __aenter__(self) -> Fetcher:
        if self._closed:
            raise RuntimeError("Fetcher is closed")
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the connection pool. Idempotent."""
        if not self._closed:
            self._closed = True
            await self._client.aclose()

    async def fetch(
        self, url: str, *, etag: str | None = None, last_modified: str | None = None
    ) -> FetchResult:
        """GET ``url`` (conditionally when ``etag``/``last_modified`` are given).

        Returns a 2xx or 304 result; raises a ``FetchError`` subclass for anything else and
        ``RuntimeError`` after ``aclose``. The whole fetch (every hop, the body) runs under
        ``total_timeout_s``. Cancel-safe: on cancellation the response is closed and no
        connection stays checked out.
        """
        if self._closed:
            raise RuntimeError("Fetcher is closed")
        headers: dict[str, str] = {}
        if etag is not None:  # RFC 9110 §13.1.2; ETag takes precedence over dates (§13.2.2)
            headers["If-None-Match"] = etag
        if last_modified is not None:  # RFC 9110 §13.1.3
            headers["If-Modified-Since"] = last_modified
        start = time.monotonic()
        try:
            with anyio.fail_after(self.policy.total_timeout_s):
                return await self._follow(url, headers, start)
        except TimeoutError as exc:
            raise FetchTimeout(f"{url}: over {self.policy.total_timeout_s}s deadline") from exc

    def _check_target(self, url: httpx.URL) -> None:
        if url.scheme not in ("http", "https"):
            raise UnsupportedScheme(f"{url.scheme or 'no'} scheme in {url}")
        if not url.host or not 0 < (url.port or 80) < 65536:
            raise InvalidUrl(f"no host or a bad port in {url}")
        check_literal(url.host, self._allow)  # names are vetted after resolution

    async def _follow(self, url: str, headers: dict[str, str], start: float) -> FetchResult:
        try:
            current = httpx.URL(url)
        except httpx.InvalidURL as exc:
            raise InvalidUrl(f"{url!r}: {exc}") from exc
        permanent: str | None = None
        for hop in range(self.policy.max_redirects + 1):
            self._check_target(current)
            async with self._slots[current.host]:
                with _translated(current):
                    async with self._client.stream("GET", current, headers=headers) as resp:
                        if resp.status_code not in _REDIRECTS:
                            return await self._finish(url, resp, start, permanent)
                        target = self._redirect_target(current, resp)
            if hop == 0 and resp.status_code in _PERMANENT:
                permanent = str(target)
            current = target
        raise TooManyRedirects(f"{url}: more than {self.policy.max_redirects} redirects")

    @staticmethod
    def _redirect_target(current: httpx.URL, resp: httpx.Response) -> httpx.URL:
        location = resp.headers.get("location")
        if not location:
            raise RedirectError(f"{current}: {resp.status_code} without Location")
        try:
            target = current.join(location)  # relative references, RFC 3986 §5.2
        except httpx.InvalidURL as exc:
            raise RedirectError(f"{current}: bad Location {location!r}") from exc
        if target.scheme not in ("http", "https"):
            raise UnsupportedScheme(f"{current}: redirect to {target.scheme}: URL")
        if current.scheme == "https" and target.scheme == "http":
            raise InsecureRedirect(f"{current}: redirect downgrades to {target}")
        return target

    async def _finish(
        self, url: str, resp: httpx.Response, start: float, permanent: str | None
    ) -> FetchResult:
        status = resp.status_code
        if status == 304:
            body = b""
        elif 200 <= status < 300:
            body = await self._read_body(resp)
        elif 300 <= status < 400:
            raise BadResponse(f"{resp.url}: unexpected {status}")
        else:
            retry_after = resp.headers.get("retry-after")
            raise HttpStatusError(
                status, str(resp.url), parse_retry_after(retry_after) if retry_after else None
            )
        h = resp.headers
        return FetchResult(
            url=url,
            final_url=str(resp.url),
            status=status,
            body=body,
            content_type=h.get("content-type"),
            etag=h.get("etag"),
            last_modified=h.get("last-modified"),
            headers=MappingProxyType({k.lower(): v for k, v in h.items()}),
            elapsed_s=time.monotonic() - start,
            permanent_redirect=permanent,
        )

    async def _read_body(self, resp: httpx.Response) -> bytes:
        cap = self.policy.max_body_bytes
        length = resp.headers.get("content-length", "")
        if length.isascii() and length.isdigit() and int(length) > cap:
            raise TooLarge(f"{resp.url}: Content-Length {length} over {cap}")
        codings = [
            c.strip().lower()
            for c in resp.headers.get("content-encoding", "").split(",")
            if c.strip() and c.strip().lower() != "identity"
        ]
        if len(codings) > 1 or (codings and codings[0] not in ("gzip", "x-gzip", "deflate")):
            raise BadResponse(f"{resp.url}: unsupported Content-Encoding {codings}")
        inflater = _Inflater() if codings else None
        body = bytearray()
        raw_total = 0
        async for raw in resp.aiter_raw():
            raw_total += len(raw)
            # Cap before decompression too (DESIGN.md): bounds a lying or missing length.
            if raw_total > cap:
                raise TooLarge(f"{resp.url}: body over {cap} bytes")
            body += inflater.feed(raw, cap - len(body) + 1) if inflater else raw
            if len(body) > cap:
                raise TooLarge(f"{resp.url}: decoded body over {cap} bytes")
        return bytes(body)
