"""The fetcher against real HTTP servers on 127.0.0.1 / 127.0.0.2 (no other network)."""

from __future__ import annotations

import gzip
import socket
import threading
import time
import tracemalloc
import zlib
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import anyio
import bombs
import httpx
import pytest
from route_server import Handler, Route, Server, serve

from newswire.errors import ConfigError, FetchError
from newswire.fetch.fetcher import (
    BadResponse,
    BlockedAddress,
    ConnectError,
    Fetcher,
    FetchPolicy,
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
from newswire.fetch.ssrf import guarded_transport, parse_networks

LOOPBACK = FetchPolicy(allow_networks=("127.0.0.1/32",), total_timeout_s=5.0)
FEED = b'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title></channel></rss>'


@pytest.fixture
def server() -> Iterator[Server]:
    yield from serve("127.0.0.1")


@pytest.fixture
def other() -> Iterator[Server]:
    """A second server on 127.0.0.2, which LOOPBACK does not allow."""
    yield from serve("127.0.0.2")


async def fetch(url: str, policy: FetchPolicy = LOOPBACK, **kw: str) -> Any:
    async with Fetcher(policy) as fetcher:
        return await fetcher.fetch(url, **kw)


def redirect(status: int, location: str) -> Route:
    return lambda h: h.reply(status, Location=location)


# --- success, conditional GET ------------------------------------------------------------


async def test_200_with_body_and_headers(server: Server) -> None:
    server.routes["/feed"] = lambda h: h.reply(
        200,
        FEED,
        Content_Type="application/rss+xml",
        ETag='"v1"',
        Last_Modified="Mon, 01 Jan 2024 00:00:00 GMT",
    )
    result = await fetch(server.url("/feed"))
    assert result.status == 200 and not result.not_modified
    assert result.body == FEED
    assert result.content_type == "application/rss+xml"
    assert result.etag == '"v1"'
    assert result.last_modified == "Mon, 01 Jan 2024 00:00:00 GMT"
    assert result.headers["content-length"] == str(len(FEED))
    assert result.url == result.final_url == server.url("/feed")
    assert result.permanent_redirect is None
    assert 0 < result.elapsed_s < 5
    sent = server.requests[0].headers
    assert sent["user-agent"] == LOOPBACK.user_agent
    assert sent["accept"].startswith("application/rss+xml")
    assert sent["accept-encoding"] == "gzip, deflate"
    assert "if-none-match" not in sent and "if-modified-since" not in sent


async def test_304_on_conditional_get(server: Server) -> None:
    def conditional(h: Handler) -> None:
        if h.headers.get("If-None-Match") == '"v1"':
            h.reply(304, ETag='"v1"')
        else:
            h.reply(200, FEED)

    server.routes["/feed"] = conditional
    since = "Mon, 01 Jan 2024 00:00:00 GMT"
    result = await fetch(server.url("/feed"), etag='"v1"', last_modified=since)
    assert result.status == 304 and result.not_modified and result.body == b""
    assert server.requests[0].headers["if-none-match"] == '"v1"'
    assert server.requests[0].headers["if-modified-since"] == since


@pytest.mark.parametrize("coding", ["gzip", "deflate-zlib", "deflate-raw"])
async def test_compressed_bodies_are_decoded(server: Server, coding: str) -> None:
    if coding == "gzip":
        encoded, name = gzip.compress(FEED), "gzip"
    elif coding == "deflate-zlib":
        encoded, name = zlib.compress(FEED), "deflate"
    else:
        c = zlib.compressobj(wbits=-zlib.MAX_WBITS)
        encoded, name = c.compress(FEED) + c.flush(), "deflate"
    server.routes["/feed"] = lambda h: h.reply(200, encoded, Content_Encoding=name)
    assert (await fetch(server.url("/feed"))).body == FEED


async def test_multi_member_gzip_is_decoded(server: Server) -> None:
    server.routes["/feed"] = lambda h: h.reply(
        200, gzip.compress(b"abc") + gzip.compress(b"def"), Content_Encoding="gzip"
    )
    assert (await fetch(server.url("/feed"))).body == b"abcdef"


async def test_trailing_junk_after_gzip_is_ignored(server: Server) -> None:
    server.routes["/feed"] = lambda h: h.reply(
        200, gzip.compress(FEED) + b"\0\0junk", Content_Encoding="gzip"
    )
    assert (await fetch(server.url("/feed"))).body == FEED


async def test_corrupt_gzip_is_a_bad_response(server: Server) -> None:
    server.routes["/feed"] = lambda h: h.reply(
        200, b"\x1f\x8b" + b"\xff" * 64, Content_Encoding="gzip"
    )
    with pytest.raises(BadResponse, match="corrupt"):
        await fetch(server.url("/feed"))


async def test_unknown_content_encoding_is_refused(server: Server) -> None:
    server.routes["/feed"] = lambda h: h.reply(200, b"xx", Content_Encoding="br")
    with pytest.raises(BadResponse, match="Content-Encoding"):
        await fetch(server.url("/feed"))


@pytest.mark.parametrize(
    "codings",
    [("gzip", "gzip"), ("deflate", "gzip"), ("gzip", "raw-deflate"), ("gzip", "gzip", "deflate")],
)
async def test_stacked_codings_are_decoded_in_reverse_order(
    server: Server, codings: tuple[str, ...]
) -> None:
    """RFC 9110 §8.4: the codings are listed in the order they were applied."""
    body = FEED
    for coding in codings:
        body = bombs.compress(body, coding)
    header = ", ".join(c.replace("raw-", "") for c in codings)
    server.routes["/feed"] = lambda h: h.reply(200, body, Content_Encoding=header)
    assert (await fetch(server.url("/feed"))).body == FEED


@pytest.mark.parametrize("header", ["gzip, br", "zstd, gzip", "gzip, gzip, gzip, gzip"])
async def test_undecodable_or_too_deep_stacks_are_refused(server: Server, header: str) -> None:
    server.routes["/feed"] = lambda h: h.reply(200, gzip.compress(FEED), Content_Encoding=header)
    with pytest.raises(BadResponse, match="Content-Encoding") as info:
        await fetch(server.url("/feed"))
    assert info.value.outcome == "bad_response"


async def test_stacked_bomb_is_cut_at_the_cap_with_little_memory(server: Server) -> None:
    """1 GiB of zeros gzipped twice (2 KiB on the wire): each layer's output is capped."""
    bomb = bombs.zeros(1024, "gzip", "gzip")
    server.routes["/bomb"] = lambda h: h.reply(200, bomb, Content_Encoding="gzip, gzip")
    policy = FetchPolicy(allow_networks=("127.0.0.1/32",), max_body_bytes=1 << 20)
    tracemalloc.start()
    try:
        with pytest.raises(TooLarge, match="decoded") as info:
            await fetch(server.url("/bomb"), policy)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert info.value.outcome == "too_large"
    assert peak < 8 << 20, f"peak {peak / 2**20:.1f} MiB while decoding a 1 MiB-capped bomb"


# --- redirects ---------------------------------------------------------------------------


async def test_redirect_chain_is_followed(server: Server) -> None:
    server.routes["/a"] = redirect(302, server.url("/b"))
    server.routes["/b"] = redirect(301, "c")  # relative, RFC 3986 §5.2
    server.routes["/c"] = redirect(307, "/feed")
    server.routes["/feed"] = lambda h: h.reply(200, FEED)
    result = await fetch(server.url("/a"), etag='"e"')
    assert result.body == FEED
    assert result.url == server.url("/a")
    assert result.final_url == server.url("/feed")
    assert result.permanent_redirect is None  # the first hop was a 302
    assert [r.path for r in server.requests] == ["/a", "/b", "/c", "/feed"]
    assert all(r.headers["if-none-match"] == '"e"' for r in server.requests)


@pytest.mark.parametrize("status", [301, 308])
async def test_permanent_first_hop_is_reported(server: Server, status: int) -> None:
    server.routes["/old"] = redirect(status, "/new")
    server.routes["/new"] = lambda h: h.reply(200, FEED)
    result = await fetch(server.url("/old"))
    assert result.permanent_redirect == server.url("/new")


async def test_redirect_loop_is_too_many_redirects(server: Server) -> None:
    server.routes["/loop"] = redirect(302, "/loop")
    policy = FetchPolicy(allow_networks=("127.0.0.1/32",), max_redirects=3)
    with pytest.raises(TooManyRedirects) as info:
        await fetch(server.url("/loop"), policy)
    assert info.value.outcome == "redirect_error"
    assert len(server.requests) == 4  # the first request plus three hops


async def test_redirect_without_location(server: Server) -> None:
    server.routes["/r"] = lambda h: h.reply(302)
    with pytest.raises(RedirectError, match="without Location"):
        await fetch(server.url("/r"))


async def test_redirect_to_blocked_address_never_connects(server: Server, other: Server) -> None:
    other.routes["/feed"] = lambda h: h.reply(200, FEED)
    server.routes["/go"] = redirect(302, other.url("/feed"))
    with pytest.raises(BlockedAddress) as info:
        await fetch(server.url("/go"))
    assert info.value.outcome == "blocked"
    await anyio.sleep(0.2)  # give a stray connection time to be accepted
    assert other.connections == 0 and other.requests == []


async def test_redirect_to_name_resolving_to_blocked_address(server: Server, other: Server) -> None:
    """The connect-time guard: a *name* on a redirect hop is vetted after resolution."""

    async def resolve(host: str, port: int) -> list[str]:
        return {"feeds.test": ["127.0.0.1"], "evil.test": ["127.0.0.2"]}[host]

    other.routes["/feed"] = lambda h: h.reply(200, FEED)
    server.routes["/go"] = redirect(302, f"http://evil.test:{other.port}/feed")
    server.routes["/feed"] = lambda h: h.reply(200, FEED)
    transport = guarded_transport(parse_networks(LOOPBACK.allow_networks), resolver=resolve)
    async with Fetcher(LOOPBACK, transport=transport) as fetcher:
        ok = await fetcher.fetch(f"http://feeds.test:{server.port}/feed")
        with pytest.raises(BlockedAddress, match=r"127\.0\.0\.2"):
            await fetcher.fetch(f"http://feeds.test:{server.port}/go")
    assert ok.body == FEED
    assert server.requests[0].headers["host"] == f"feeds.test:{server.port}"  # name kept
    await anyio.sleep(0.2)
    assert other.connections == 0


@pytest.mark.parametrize(
    ("location", "error"),
    [
        ("ftp://127.0.0.1/feed", UnsupportedScheme),
        ("file:///etc/passwd", UnsupportedScheme),
        ("gopher://127.0.0.1:70/_GET", UnsupportedScheme),
        # httpx cannot build a next request for these: a RedirectError, not a crash
        ("javascript:alert(1)", RedirectError),
        ("data:text/xml;base64,PHJzcy8+", RedirectError),
        ("mailto:a@news.example", RedirectError),
    ],
)
async def test_redirect_to_other_schemes(
    server: Server, location: str, error: type[FetchError]
) -> None:
    server.routes["/r"] = redirect(302, location)
    with pytest.raises(error):
        await fetch(server.url("/r"))


async def test_https_to_http_downgrade_is_refused() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.scheme == "https":
            return httpx.Response(302, headers={"Location": "http://feeds.example/feed"})
        return httpx.Response(200, content=FEED)

    async with Fetcher(transport=httpx.MockTransport(handler)) as fetcher:
        with pytest.raises(InsecureRedirect) as info:
            await fetcher.fetch("https://feeds.example/feed")
    assert info.value.outcome == "redirect_error"


# --- the SSRF guard on direct fetches ---------------------------------------------------


async def test_loopback_without_allow_list_never_connects(server: Server) -> None:
    server.routes["/feed"] = lambda h: h.reply(200, FEED)
    with pytest.raises(BlockedAddress):
        await fetch(server.url("/feed"), FetchPolicy())
    await anyio.sleep(0.2)
    assert server.connections == 0


async def test_localhost_name_is_blocked_at_connect_time(server: Server) -> None:
    server.routes["/feed"] = lambda h: h.reply(200, FEED)
    with pytest.raises(BlockedAddress):
        await fetch(f"http://localhost:{server.port}/feed", FetchPolicy())
    await anyio.sleep(0.2)
    assert server.connections == 0


async def test_localhost_name_passes_when_allowed(server: Server) -> None:
    server.routes["/feed"] = lambda h: h.reply(200, FEED)
    policy = FetchPolicy(allow_networks=("127.0.0.0/8", "::1/128"))
    assert (await fetch(f"http://localhost:{server.port}/feed", policy)).body == FEED


@pytest.mark.parametrize(
    "url", ["http://[::1]:8080/", "http://[::ffff:127.0.0.1]/", "http://169.254.169.254/latest"]
)
async def test_blocked_literals(url: str) -> None:
    with pytest.raises(BlockedAddress):
        await fetch(url, FetchPolicy())


@pytest.mark.parametrize("url", ["ftp://127.0.0.1/feed", "file:///etc/passwd", "feed.xml"])
async def test_unsupported_schemes(url: str) -> None:
    with pytest.raises(UnsupportedScheme) as info:
        await fetch(url)
    assert info.value.outcome == "blocked"


async def test_invalid_url() -> None:
    with pytest.raises(InvalidUrl):
        await fetch("http://127.0.0.1:99999999/")


# --- deadlines and caps ------------------------------------------------------------------


async def test_drip_server_is_cut_at_the_total_deadline(server: Server) -> None:
    def drip(h: Handler) -> None:
        h.send_response(200)
        h.send_header("Content-Length", "1000")
        h.end_headers()
        try:
            for _ in range(1000):
                h.wfile.write(b"x")
                h.wfile.flush()
                time.sleep(0.5)
        except OSError:
            return

    server.routes["/drip"] = drip
    policy = FetchPolicy(allow_networks=("127.0.0.1/32",), total_timeout_s=1.5)
    started = time.monotonic()
    with pytest.raises(FetchTimeout) as info:
        await fetch(server.url("/drip"), policy)
    assert time.monotonic() - started < 3
    assert info.value.retriable and info.value.outcome == "timeout"


async def test_refused_connection_is_a_retriable_connect_error(server: Server) -> None:
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(ConnectError) as info:
        await fetch(f"http://127.0.0.1:{port}/")
    assert info.value.retriable and info.value.outcome == "connect_error"


CAPPED = FetchPolicy(allow_networks=("127.0.0.1/32",), max_body_bytes=1000)


async def test_declared_length_over_cap_is_refused_before_reading(server: Server) -> None:
    def huge(h: Handler) -> None:
        h.send_response(200)
        h.send_header("Content-Length", str(10**10))
        h.end_headers()
        h.wfile.flush()
        time.sleep(3)  # never sends the body; the client must not wait for it

    server.routes["/big"] = huge
    started = time.monotonic()
    with pytest.raises(TooLarge) as info:
        await fetch(server.url("/big"), CAPPED)
    assert time.monotonic() - started < 1
    assert info.value.outcome == "too_large" and not info.value.retriable


async def test_body_over_cap_with_content_length(server: Server) -> None:
    server.routes["/big"] = lambda h: h.reply(200, b"x" * 1001)
    with pytest.raises(TooLarge):
        await fetch(server.url("/big"), CAPPED)


async def test_body_at_cap_is_fine(server: Server) -> None:
    server.routes["/ok"] = lambda h: h.reply(200, b"x" * 1000)
    assert len((await fetch(server.url("/ok"), CAPPED)).body) == 1000


async def test_chunked_body_over_cap(server: Server) -> None:
    def chunked(h: Handler) -> None:
        h.send_response(200)
        h.send_header("Transfer-Encoding", "chunked")
        h.end_headers()
        try:
            for _ in range(10):
                h.wfile.write(b"1f4\r\n" + b"y" * 500 + b"\r\n")  # 0x1f4 = 500
            h.wfile.write(b"0\r\n\r\n")
        except OSError:
            return

    server.routes["/chunked"] = chunked
    with pytest.raises(TooLarge):
        await fetch(server.url("/chunked"), CAPPED)
    assert "content-length" not in server.requests[0].headers


@pytest.fixture(scope="module")
def gzip_bomb() -> bytes:
    """50 MiB of zeros, gzip-compressed (about 50 KiB), built without holding 50 MiB."""
    return bombs.zeros(50, "gzip")


async def test_gzip_bomb_is_cut_quickly_with_little_memory(
    server: Server, gzip_bomb: bytes
) -> None:
    server.routes["/bomb"] = lambda h: h.reply(200, gzip_bomb, Content_Encoding="gzip")
    policy = FetchPolicy(allow_networks=("127.0.0.1/32",), max_body_bytes=1 << 20)
    started = time.monotonic()
    tracemalloc.start()
    try:
        with pytest.raises(TooLarge, match="decoded"):
            await fetch(server.url("/bomb"), policy)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert time.monotonic() - started < 2
    assert peak < 8 << 20, f"peak {peak / 2**20:.1f} MiB while decoding a 1 MiB-capped bomb"


# --- status errors, Retry-After ----------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "headers", "outcome", "retriable", "retry_after"),
    [
        (429, {"Retry_After": "120"}, "rate_limited", True, 120.0),
        (503, {"Retry_After": "Thu, 01 Jan 1970 00:00:00 GMT"}, "server_error", True, 0.0),
        (500, {}, "server_error", True, None),
        (404, {}, "client_error", False, None),
        (410, {"Retry_After": "soon"}, "client_error", False, None),
    ],
)
async def test_status_errors(
    server: Server,
    status: int,
    headers: dict[str, str],
    outcome: str,
    retriable: bool,
    retry_after: float | None,
) -> None:
    server.routes["/s"] = lambda h: h.reply(status, b"nope", **headers)
    with pytest.raises(HttpStatusError) as info:
        await fetch(server.url("/s"))
    err = info.value
    assert (err.status, err.outcome, err.retriable) == (status, outcome, retriable)
    assert err.retry_after_s == retry_after


NOW = datetime(2024, 1, 1, 0, 0, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        ("120", 120.0),
        (" 0 ", 0.0),
        ("Mon, 01 Jan 2024 00:02:00 GMT", 120.0),  # IMF-fixdate
        ("Monday, 01-Jan-24 00:02:00 GMT", 120.0),  # obsolete RFC 850 form
        ("Mon Jan  1 00:02:00 2024", 120.0),  # asctime form
        ("Sun, 31 Dec 2023 23:00:00 GMT", 0.0),  # in the past
        ("-5", None),
        ("1.5", None),
        ("soon", None),
        ("", None),
    ],
)
def test_parse_retry_after(value: str, seconds: float | None) -> None:
    assert parse_retry_after(value, now=NOW) == seconds


# --- lifecycle, per-host limit -----------------------------------------------------------


async def test_closed_fetcher_refuses_use() -> None:
    fetcher = Fetcher()
    await fetcher.aclose()
    await fetcher.aclose()  # idempotent
    with pytest.raises(RuntimeError, match="closed"):
        await fetcher.fetch("http://93.184.216.34/")
    with pytest.raises(RuntimeError, match="closed"):
        async with fetcher:
            pass


async def test_connections_per_host_are_limited(server: Server) -> None:
    active = peak = 0
    lock = threading.Lock()

    def slow(h: Handler) -> None:
        nonlocal active, peak
        with lock:
            active += 1
            peak = max(peak, active)
        time.sleep(0.2)
        with lock:
            active -= 1
        h.reply(200, FEED)

    server.routes["/slow"] = slow
    policy = FetchPolicy(allow_networks=("127.0.0.1/32",), max_connections_per_host=2)
    async with Fetcher(policy) as fetcher, anyio.create_task_group() as tg:
        for _ in range(6):
            tg.start_soon(fetcher.fetch, server.url("/slow"))
    assert len(server.requests) == 6
    assert peak == 2


def test_bad_allow_list_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="allow_networks"):
        Fetcher(FetchPolicy(allow_networks=("10.0.0.0/33",)))
