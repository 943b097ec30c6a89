"""Security: SSRF targets directly, through redirects and by DNS rebinding, with a
``sys.addaudithook`` on ``socket.connect`` recording every connection attempt the process
makes, so the test proves zero attempts to blocked addresses (DESIGN.md, Safety of fetching
and parsing). The control: a plain httpx client without the guard, whose attempts the hook
must record (so the hook can see a leak); ``make reliability`` reports all of it as one
scenario.

The hook also *refuses* (raises) any connect to an address other than 127.0.0.1, so even a
broken guard cannot send traffic anywhere else. Names resolve through an injectable
resolver (no DNS traffic); numeric spellings go through the system resolver, which parses
them locally.
"""

from __future__ import annotations

import socket
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar

import httpx
import pytest
from scenario_report import Report, ScenarioResult

from newswire.errors import FetchError
from newswire.fetch.fetcher import BlockedAddress, Fetcher, FetchPolicy
from newswire.fetch.ssrf import guarded_transport, parse_networks

_CONNECTS: list[tuple[str, int]] = []
_RECORDING = threading.Event()


def _audit(event: str, args: tuple[Any, ...]) -> None:
    if event != "socket.connect" or not _RECORDING.is_set():
        return
    address = args[1]
    if isinstance(address, tuple) and len(address) >= 2:
        host, port = str(address[0]), int(address[1])
        _CONNECTS.append((host, port))
        if host != "127.0.0.1":
            raise ConnectionRefusedError(f"audit hook: refused connect to {host}:{port}")


sys.addaudithook(_audit)  # cannot be removed; inert unless _RECORDING is set


@pytest.fixture
def connects() -> Iterator[list[tuple[str, int]]]:
    _CONNECTS.clear()
    _RECORDING.set()
    try:
        yield _CONNECTS
    finally:
        _RECORDING.clear()


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    routes: ClassVar[dict[str, tuple[int, dict[str, str]]]] = {}

    def do_GET(self) -> None:
        status, headers = self.routes.get(self.path, (200, {}))
        body = b'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title></channel></rss>'
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def origin() -> Iterator[tuple[int, dict[str, tuple[int, dict[str, str]]]]]:
    """An HTTP server on 127.0.0.1 (the only allowed address); routes: path -> reply."""
    routes: dict[str, tuple[int, dict[str, str]]] = {}
    handler = type("Handler", (_Handler,), {"routes": routes})
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.01})
    thread.start()
    try:
        yield httpd.server_address[1], routes
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(5)


# Spellings of loopback, private, link-local and metadata addresses ({p}: a port).
DIRECT = [
    "http://127.0.0.1:{p}/",
    "http://127.1:{p}/",
    "http://2130706433:{p}/",
    "http://0x7f000001:{p}/",
    "http://0x7f.0.0.1:{p}/",
    "http://0177.0.0.1:{p}/",
    "http://127.0.0.2:{p}/",
    "http://[::1]:{p}/",
    "http://[0:0:0:0:0:0:0:1]:{p}/",
    "http://[::ffff:127.0.0.1]:{p}/",
    "http://[::ffff:7f00:1]:{p}/",
    "http://0.0.0.0:{p}/",
    "http://localhost:{p}/",
    "http://10.0.0.1:{p}/",
    "http://172.16.0.1:{p}/",
    "http://192.168.1.1:{p}/",
    "http://100.100.100.200:{p}/",
    "http://169.254.169.254:{p}/latest/meta-data/",
    "http://2852039166:{p}/",
    "http://0xa9fea9fe:{p}/",
    "http://[::ffff:169.254.169.254]:{p}/",
    "http://[64:ff9b::a9fe:a9fe]:{p}/",
    "http://[fd00:ec2::254]:{p}/",
    "http://[fe80::1]:{p}/",
    "http://[fd00::1]:{p}/",
    "http://224.0.0.1:{p}/",
    "http://metadata.google.internal:{p}/",  # resolver: 169.254.169.254
    "http://loopback.test:{p}/",  # resolver: 127.0.0.1
]
NAMES = {
    "metadata.google.internal": ["169.254.169.254"],
    "loopback.test": ["127.0.0.1"],
    "localhost": ["127.0.0.1", "::1"],
}
# Through a redirect from the allowed origin: blocked addresses other than 127.0.0.1 (and
# its IPv4-mapped forms), which the test's allow-list admits.
ALLOWED_SPELLINGS = (
    "127.0.0.1", "127.1", "2130706433", "0x7f000001", "0x7f.0.0.1", "0177.0.0.1",
    "localhost", "loopback.test", "[::ffff:127.0.0.1]", "[::ffff:7f00:1]",
)  # fmt: skip
REDIRECTED = [u for u in DIRECT if u.split("/")[2].rsplit(":", 1)[0] not in ALLOWED_SPELLINGS]


def numeric_or_named(host: str, port: int) -> list[str]:
    """Numeric spellings as the C library reads them (inet_aton), without DNS."""
    try:
        return [socket.inet_ntoa(socket.inet_aton(host))]
    except OSError:
        return []


async def resolver(host: str, port: int) -> list[str]:
    if host in NAMES:
        return NAMES[host]
    answers = numeric_or_named(host, port)
    if not answers:
        raise OSError(f"test resolver: {host!r} is not a known name")
    return answers


def fetcher(allow: tuple[str, ...]) -> Fetcher:
    policy = FetchPolicy(allow_networks=allow, total_timeout_s=5.0, connect_timeout_s=2.0)
    return Fetcher(policy, transport=guarded_transport(parse_networks(allow), resolver=resolver))


Origin = tuple[int, dict[str, tuple[int, dict[str, str]]]]


async def direct_blocked() -> int:
    """Fetch every DIRECT spelling without an allow-list; how many were BlockedAddress
    (every one must fail with some FetchError)."""
    blocked = 0
    async with fetcher(()) as f:
        for template in DIRECT:
            with pytest.raises(FetchError) as info:
                await f.fetch(template.format(p=8080))
            blocked += isinstance(info.value, BlockedAddress)
    return blocked


async def redirects_blocked(origin: Origin) -> int:
    """Each REDIRECTED spelling as the Location of a 302 from the allowed origin."""
    port, routes = origin
    async with fetcher(("127.0.0.1/32",)) as f:
        for i, template in enumerate(REDIRECTED):
            routes[f"/r{i}"] = (302, {"Location": template.format(p=port)})
            with pytest.raises(BlockedAddress):
                await f.fetch(f"http://127.0.0.1:{port}/r{i}")
    return len(REDIRECTED)


async def rebinding_blocked(origin: Origin) -> int:
    """The name first answers the allowed address, then (next hop) the metadata address."""
    port, routes = origin
    answers = iter([["127.0.0.1"], ["169.254.169.254"], ["169.254.169.254"]])

    async def rebinding(host: str, _port: int) -> list[str]:
        assert host == "rebind.test"
        return next(answers)

    routes["/first"] = (302, {"Location": f"http://rebind.test:{port}/second"})
    allow = ("127.0.0.1/32",)
    policy = FetchPolicy(allow_networks=allow, total_timeout_s=5.0)
    transport = guarded_transport(parse_networks(allow), resolver=rebinding)
    async with Fetcher(policy, transport=transport) as f:
        with pytest.raises(BlockedAddress, match=r"169\.254\.169\.254"):
            await f.fetch(f"http://rebind.test:{port}/first")
    return 1


async def unguarded_attempts(connects: list[tuple[str, int]], port: int) -> int:
    """The control: a client without the guard tries blocked addresses; the hook records
    (and refuses) each attempt, so nothing leaves 127.0.0.1."""
    before = len(connects)
    async with httpx.AsyncClient(trust_env=False, timeout=2.0) as client:
        for url in (f"http://127.0.0.2:{port}/", "http://169.254.169.254/latest/meta-data/"):
            with pytest.raises(httpx.ConnectError):
                await client.get(url)
    return len(connects) - before


def to_blocked(connects: list[tuple[str, int]], port: int) -> list[tuple[str, int]]:
    return [c for c in connects if c != ("127.0.0.1", port)]


async def test_direct_ssrf_targets_never_connect(connects: list[tuple[str, int]]) -> None:
    """No allow-list: every spelling is refused before any connection attempt."""
    assert len(DIRECT) >= 20
    blocked = await direct_blocked()
    print(f"\nssrf direct: {len(DIRECT)} targets, {blocked} BlockedAddress, connects={connects}")
    assert connects == []
    assert blocked >= 20


async def test_ssrf_targets_through_redirects_never_connect(
    origin: Origin, connects: list[tuple[str, int]]
) -> None:
    port, _ = origin
    assert len(REDIRECTED) >= 15
    await redirects_blocked(origin)
    # every attempt went to the allowed origin, one per redirect followed
    assert {c for c in connects} == {("127.0.0.1", port)}, connects
    assert len(connects) == len(REDIRECTED)


async def test_dns_rebinding_is_vetted_on_every_connect(
    origin: Origin, connects: list[tuple[str, int]]
) -> None:
    port, _ = origin
    await rebinding_blocked(origin)
    assert connects == [("127.0.0.1", port)]


async def test_the_hook_sees_an_unguarded_client(
    origin: Origin, connects: list[tuple[str, int]]
) -> None:
    """Without this, "zero attempts recorded" could mean a hook that records nothing."""
    port, _ = origin
    assert await unguarded_attempts(connects, port) == 2
    assert connects == [("127.0.0.2", port), ("169.254.169.254", 80)]


@pytest.mark.reliability
async def test_ssrf_scenario(
    origin: Origin, connects: list[tuple[str, int]], report: Report
) -> None:
    """Every SSRF path at once, as one report entry, with the unguarded control."""
    port, _ = origin
    blocked = await direct_blocked() + await redirects_blocked(origin)
    blocked += await rebinding_blocked(origin)
    leaked = to_blocked(connects, port)
    control = await unguarded_attempts(connects, port)
    entry = ScenarioResult(
        name="security: SSRF (direct, redirects, DNS rebinding)",
        items=len(DIRECT) + len(REDIRECTED) + 1,
        lost=0,
        duplicates=0,
        fault_evidence={
            "blocked": blocked,
            "connect_attempts_to_blocked_addresses": len(leaked),
            "connect_attempts_to_allowed_origin": len(connects) - control - len(leaked),
        },
        control_detected=control == 2,
        control={"unguarded_client_attempts_recorded": control},
    )
    entry.judge(evidence_keys=("blocked",))
    entry.passed = entry.passed and not leaked
    report.add(entry)
    assert leaked == [] and entry.passed, entry
