"""A safe async feed fetcher on httpx: conditional GET, manual redirects, caps and a deadline.

The exception tree is drawn in :mod:`newswire.fetch.errors` and re-exported here; the body
cap (before and after decompression) lives in :mod:`newswire.fetch.body_cap`. Every exception a
fetch raises is a ``FetchError`` with a bounded ``outcome`` label for metrics.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from types import MappingProxyType
from weakref import WeakValueDictionary

import anyio
import httpx

from newswire.closing import AsyncClosing
from newswire.errors import ConfigError, FetchError
from newswire.fetch.body_cap import ACCEPT_ENCODING, read_capped_body
from newswire.fetch.errors import (
    BadResponse,
    ConnectError,
    FetchTimeout,
    HttpStatusError,
    InsecureRedirect,
    InvalidUrl,
    RedirectError,
    TooLarge,
    TooManyRedirects,
    UnsupportedScheme,
    parse_retry_after,
)
from newswire.fetch.ssrf import BlockedAddress, check_literal, guarded_transport, parse_networks

__all__ = [  # the fetch API, its exceptions included (callers import them from here)
    "ACCEPT",
    "ACCEPT_ENCODING",
    "BadResponse",
    "BlockedAddress",
    "ConnectError",
    "FetchError",
    "FetchPolicy",
    "FetchResult",
    "FetchTimeout",
    "Fetcher",
    "HttpStatusError",
    "InsecureRedirect",
    "InvalidUrl",
    "RedirectError",
    "TooLarge",
    "TooManyRedirects",
    "UnsupportedScheme",
    "parse_retry_after",
]

# Feed types first; generic XML/JSON still accepted (RFC 9110 §12.5.1).
ACCEPT = (
    "application/rss+xml, application/atom+xml, application/feed+json, application/rdf+xml;q=0.9,"
    " application/xml;q=0.8, text/xml;q=0.8, application/json;q=0.7, */*;q=0.1"
)
_REDIRECTS = frozenset({301, 302, 303, 307, 308})  # RFC 9110 §15.4
_PERMANENT = frozenset({301, 308})


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
    except httpx.InvalidURL as exc:
        # httpx builds the next request of every 3xx, even unfollowed, and raises this for
        # some Locations (``javascript:alert(1)``) before we see the response.
        raise RedirectError(f"{url}: unusable Location: {exc}") from exc


class Fetcher(AsyncClosing):
    """Fetches feeds under a ``FetchPolicy``. An async context manager; owns its transport.

    Raises ``ConfigError`` for a malformed ``allow_networks`` CIDR. Without ``transport``
    every connection goes through the SSRF guard of ``newswire.fetch.ssrf``.
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
                status,
                str(resp.url),
                parse_retry_after(retry_after) if retry_after else None,
                headers=resp.headers,
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
        return await read_capped_body(resp, self.policy.max_body_bytes)
