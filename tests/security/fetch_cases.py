"""Hostile HTTP servers for the security scenarios, as one table: every case names its
report group, how the 127.0.0.1 server (and the 127.0.0.2 one, which the allow-list does
not cover) answers, and the outcome the producer must end in. ``fast`` cases also run in
``make test``; the rest only in ``make reliability``.

Outcomes are the poller's: a fetch error's ``outcome`` label, ``parse_error`` for a body
that does not parse, ``ok`` for a feed that was read.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from email.utils import formatdate
from functools import cache

import bombs
from route_server import Handler, Route, Server

GOOD = (
    b'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title><item><title>x</title>'
    b"<link>https://news.example/x</link></item></channel></rss>"
)
MIB = 1 << 20


Setup = Callable[[Server, Server, str], None]  # (server, other, case directory)
Spec = Callable[[dict[str, str]], Route]  # a route, given {dir}, {netloc}, {origin}, {other}


@dataclass(frozen=True)
class Case:
    """One hostile server. Its routes live under ``/c<n>``; the feed is ``/c<n>/start``."""

    group: str
    name: str
    setup: Setup
    outcome: str
    fast: bool = False


def site(**paths: Spec) -> Setup:
    """Routes under the case directory: ``start=...`` answers ``/c<n>/start``."""

    def setup(server: Server, other: Server, directory: str) -> None:
        fill = {
            "dir": directory,
            "netloc": f"{server.host}:{server.port}",
            "origin": f"http://{server.host}:{server.port}",
            "other": f"http://{other.host}:{other.port}",
        }
        for name, spec in paths.items():
            server.routes[f"{directory}/{name}"] = spec(fill)
        other.routes["/feed"] = lambda h: h.reply(200, GOOD)

    return setup


def ok(body: bytes = GOOD, **headers: str) -> Spec:
    return lambda fill: lambda h: h.reply(200, body, **headers)


def status(code: int, **headers: str) -> Spec:
    return lambda fill: lambda h: h.reply(code, b"go away", **headers)


def hop(location: str, code: int = 302) -> Spec:
    """A redirect to ``location`` (a template: ``{dir}``, ``{netloc}``, ``{origin}``,
    ``{other}``)."""
    return lambda fill: lambda h: h.reply(code, Location=location.format(**fill))


def raw(route: Route) -> Spec:
    return lambda fill: route


def chain(hops: int) -> Setup:
    """``start`` -> ``1`` -> ... -> ``hops`` (a feed)."""
    paths: dict[str, Spec] = {"start": hop("{dir}/1")}
    paths |= {str(i): hop(f"{{dir}}/{i + 1}") for i in range(1, hops)}
    paths[str(hops)] = ok()
    return site(**paths)


@cache
def bomb(mib: int, *codings: str) -> bytes:
    return bombs.zeros(mib, *codings)


def bomb_spec(mib: int, *codings: str, header: str | None = None) -> Spec:
    """A bomb, built on first use (the 1 GiB ones take a second or two)."""

    def spec(fill: dict[str, str]) -> Route:
        body = bomb(mib, *codings)
        coding = header or ", ".join(c.replace("raw-", "") for c in codings)
        return lambda h: h.reply(200, body, Content_Encoding=coding)

    return spec


written: list[int] = []  # bytes each `stream` route managed to send before the hang-up


def stream(total: int, code: int = 200, *, chunked: bool = True, **headers: str) -> Spec:
    """``total`` bytes of spaces, one MiB at a time, until the client hangs up; the bytes
    sent go to ``written`` (evidence that the client cut the transfer)."""

    def route(h: Handler, fill: dict[str, str]) -> None:
        h.send_response(code)
        for name, value in headers.items():
            h.send_header(name.replace("_", "-"), value.format(**fill))
        h.send_header(*(("Transfer-Encoding", "chunked") if chunked else ("Connection", "close")))
        h.end_headers()
        block, sent = b" " * MIB, 0
        try:
            while sent < total:
                h.wfile.write(b"%x\r\n%s\r\n" % (MIB, block) if chunked else block)
                sent += MIB
            h.wfile.write(b"0\r\n\r\n" if chunked else b"")
        except OSError:
            pass
        finally:
            written.append(sent)
        h.close_connection = True

    return lambda fill: lambda h: route(h, fill)


def drip(head: bytes, step: bytes, every_s: float = 0.2, count: int = 100) -> Spec:
    """``head``, then ``step`` every ``every_s`` seconds (far past any deadline)."""

    def route(h: Handler) -> None:
        try:
            h.wfile.write(head)
            for _ in range(count):
                h.wfile.write(step)
                h.wfile.flush()
                time.sleep(every_s)
        except OSError:
            return

    return raw(route)


def retry_at(code: int, seconds: int) -> Spec:
    """``code`` with Retry-After as an HTTP-date ``seconds`` after the response's Date
    (RFC 9110 §10.2.3), both written when the request comes in."""

    def route(h: Handler) -> None:
        now = time.time()
        # send_response writes Date from the same clock; a second Date would be ambiguous
        h.reply(code, b"go away", Retry_After=formatdate(now + seconds, usegmt=True))

    return raw(route)


BOMBS, BODIES, REDIRECTS, RATE = (
    "compression bombs", "oversized and slow bodies", "redirect abuse", "429 and Retry-After",
)  # fmt: skip
HEAD_200 = b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n"

CASES = [
    Case(BOMBS, "gzip 50 MiB", site(start=bomb_spec(50, "gzip")), "too_large", fast=True),
    Case(BOMBS, "x-gzip 50 MiB", site(start=bomb_spec(50, "gzip", header="x-gzip")), "too_large"),
    Case(BOMBS, "deflate (zlib) 50 MiB", site(start=bomb_spec(50, "deflate")), "too_large"),
    Case(BOMBS, "raw deflate 50 MiB", site(start=bomb_spec(50, "raw-deflate")), "too_large"),
    Case(BOMBS, "gzip, gzip 50 MiB", site(start=bomb_spec(50, "gzip", "gzip")), "too_large",
         fast=True),
    Case(BOMBS, "gzip, gzip 1 GiB", site(start=bomb_spec(1024, "gzip", "gzip")), "too_large"),
    Case(BOMBS, "deflate, gzip 1 GiB", site(start=bomb_spec(1024, "deflate", "gzip")),
         "too_large"),
    Case(BOMBS, "gzip, gzip, gzip 1 GiB", site(start=bomb_spec(1024, "gzip", "gzip", "gzip")),
         "too_large"),
    Case(BOMBS, "4 layers of gzip", site(start=bomb_spec(50, "gzip", "gzip", "gzip", "gzip")),
         "bad_response"),
    Case(BOMBS, "gzip, br", site(start=bomb_spec(50, "gzip", header="gzip, br")),
         "bad_response", fast=True),
    Case(BOMBS, "zstd inside gzip", site(start=bomb_spec(50, "gzip", header="zstd, gzip")),
         "bad_response"),
    Case(BOMBS, "br", site(start=bomb_spec(50, "gzip", header="br")), "bad_response"),
    Case(BOMBS, "bomb behind a redirect", site(start=hop("{dir}/bomb"),
         bomb=bomb_spec(50, "gzip", "gzip")), "too_large", fast=True),
    Case(BOMBS, "gzip bomb without Content-Encoding", site(start=ok(bomb(50, "gzip"))),
         "parse_error"),
    Case(BODIES, "50 MiB declared", site(start=ok(b" " * 1000, Content_Length=str(50 * MIB))),
         "too_large", fast=True),
    Case(BODIES, "50 MiB chunked", site(start=stream(50 * MIB)), "too_large"),
    Case(BODIES, "50 MiB until close", site(start=stream(50 * MIB, chunked=False)),
         "too_large"),
    Case(BODIES, "slow drip body", site(start=drip(HEAD_200, b"<")), "timeout", fast=True),
    Case(BODIES, "slow drip headers", site(start=drip(b"HTTP/1.1 200 OK\r\n", b"X: y\r\n")),
         "timeout"),
    Case(BODIES, "never answers", site(start=drip(b"", b"")), "timeout"),
    Case(BODIES, "endless header", site(start=drip(b"HTTP/1.1 200 OK\r\nX: ", b"y" * 8192,
         every_s=0.001)), "bad_response"),
    Case(REDIRECTS, "loop", site(start=hop("{dir}/start")), "redirect_error", fast=True),
    Case(REDIRECTS, "two-step loop", site(start=hop("{dir}/b"), b=hop("{dir}/start")),
         "redirect_error"),
    Case(REDIRECTS, "chain of 6 hops", chain(6), "redirect_error", fast=True),
    Case(REDIRECTS, "chain of 5 hops", chain(5), "ok"),
    Case(REDIRECTS, "relative Location", site(start=hop("next"), next=ok()), "ok"),
    Case(REDIRECTS, "absolute-path Location", site(start=hop("{dir}/abs", 301), abs=ok()), "ok"),
    Case(REDIRECTS, "scheme-relative Location", site(start=hop("//{netloc}{dir}/x"), x=ok()),
         "ok"),
    Case(REDIRECTS, "absolute Location", site(start=hop("{origin}{dir}/full", 308), full=ok()),
         "ok"),
    Case(REDIRECTS, "redirect with a 1 GiB body", site(
         start=stream(1024 * MIB, 302, Location="{dir}/next"), next=ok()), "ok", fast=True),
    # A Location httpx itself cannot resolve (an opaque path: no "/" after the scheme)
    # fails as redirect_error before our scheme check; the others are refused by scheme.
    *(Case(REDIRECTS, f"Location {scheme}", site(start=hop(target)), outcome,
           fast=scheme in ("file:", "javascript:"))
      for scheme, target, outcome in [
          ("file:", "file:///etc/passwd", "blocked"),
          ("ftp:", "ftp://127.0.0.1/feed", "blocked"),
          ("gopher:", "gopher://127.0.0.1:70/_GET", "blocked"),
          ("data:", "data:text/xml;base64,PHJzcy8+", "redirect_error"),
          ("javascript:", "javascript:alert(1)", "redirect_error"),
          ("mailto:", "mailto:a@news.example", "redirect_error"),
      ]),
    Case(REDIRECTS, "Location to a bad port", site(start=hop("http://127.0.0.1:99999/")),
         "invalid_url"),
    Case(REDIRECTS, "empty Location", site(start=hop("")), "redirect_error"),
    Case(REDIRECTS, "to 127.0.0.2 (not allowed)", site(start=hop("{other}/feed")), "blocked",
         fast=True),
    Case(REDIRECTS, "to the metadata address", site(
         start=hop("http://169.254.169.254/latest/meta-data/")), "blocked"),
    Case(RATE, "429 Retry-After 120", site(start=status(429, Retry_After="120")),
         "rate_limited", fast=True),
    Case(RATE, "429 Retry-After HTTP-date", site(start=retry_at(429, 300)),
         "rate_limited"),
    Case(RATE, "503 Retry-After 60", site(start=status(503, Retry_After="60")), "server_error"),
    Case(RATE, "429 Retry-After garbage", site(start=status(429, Retry_After="soon")),
         "rate_limited"),
    Case(RATE, "429 Retry-After 10^12 s", site(start=status(429, Retry_After="1" + "0" * 12)),
         "rate_limited"),  # once crashed the poll: a time past year 9999
]  # fmt: skip
