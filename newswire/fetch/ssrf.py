"""The SSRF guard: which addresses a feed fetch may connect to, checked at connect time.

Feeds are untrusted input, so a feed URL (or any redirect hop) must not make newswire talk
to itself, to the cluster around it or to a cloud metadata service. Two pieces:

``is_blocked(ip, allow)``
    Pure policy. Blocks every special-purpose range of the IANA registries (RFC 6890):
    loopback, RFC 1918 private, CGNAT, link-local (and so 169.254.169.254), multicast,
    unspecified, broadcast, reserved, documentation, IPv6 ULA and site-local, and the IPv6
    spellings that carry a blocked IPv4 address (IPv4-mapped, NAT64, 6to4, Teredo). An
    explicit allow-list (tests, private deployments) exempts whole networks.

``GuardedBackend``
    An ``httpcore`` network backend. Its ``connect_tcp`` resolves the host itself, vets
    **every** resolved address, and then hands the inner backend a vetted IP literal, so
    the address checked is the address connected to: a DNS answer that changes between the
    check and the connect (DNS rebinding) cannot slip through. TLS is unaffected: httpcore
    calls ``start_tls`` on the returned stream with ``server_hostname`` set to the URL's
    host (``httpcore._async.connection``), so SNI and certificate checks use the name while
    the TCP connection goes to the vetted IP. ``guarded_transport`` wires it into httpx.

Limits: the guard sees only the direct TCP peer. It must not be combined with an HTTP or
SOCKS proxy (the proxy would be the peer); ``guarded_transport`` never configures one and
the fetcher's client ignores proxy environment variables.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Awaitable, Callable, Iterable, Sequence

import anyio
import httpcore
import httpx

from newswire.errors import FetchError

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
Resolver = Callable[[str, int], Awaitable[list[str]]]

# Special-purpose blocks (IANA IPv4/IPv6 Special-Purpose Address Registries, RFC 6890).
# Listed explicitly because ``ipaddress.is_global`` differs between Python patch releases and
# calls 224.0.0.0/4 and fec0::/10 "global".
_BLOCKED_V4 = tuple(
    ipaddress.IPv4Network(n)
    for n in (
        "0.0.0.0/8",  # "this network", RFC 791 / RFC 1122 §3.2.1.3
        "10.0.0.0/8",  # private, RFC 1918
        "100.64.0.0/10",  # shared address space (CGNAT), RFC 6598
        "127.0.0.0/8",  # loopback, RFC 1122 §3.2.1.3
        "169.254.0.0/16",  # link-local incl. cloud metadata 169.254.169.254, RFC 3927
        "172.16.0.0/12",  # private, RFC 1918
        "192.0.0.0/24",  # IETF protocol assignments, RFC 6890 §2.2.2
        "192.0.2.0/24",  # TEST-NET-1, RFC 5737
        "192.88.99.0/24",  # 6to4 relay anycast, RFC 7526
        "192.168.0.0/16",  # private, RFC 1918
        "198.18.0.0/15",  # benchmarking, RFC 2544
        "198.51.100.0/24",  # TEST-NET-2, RFC 5737
        "203.0.113.0/24",  # TEST-NET-3, RFC 5737
        "224.0.0.0/4",  # multicast, RFC 5771
        "240.0.0.0/4",  # reserved, RFC 1112 §4; includes broadcast 255.255.255.255 (RFC 919)
    )
)
_BLOCKED_V6 = tuple(
    ipaddress.IPv6Network(n)
    for n in (
        "::/8",  # unspecified, loopback, IPv4-compatible (RFC 4291 §2.5), reserved by IETF
        "64:ff9b:1::/48",  # local-use NAT64, RFC 8215
        "100::/64",  # discard-only, RFC 6666
        "2001:db8::/32",  # documentation, RFC 3849
        "fc00::/7",  # unique local (ULA), RFC 4193
        "fe80::/10",  # link-local, RFC 4291 §2.5.6
        "fec0::/10",  # site-local, deprecated by RFC 3879
        "ff00::/8",  # multicast, RFC 4291 §2.7
    )
)
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")  # well-known NAT64 prefix, RFC 6052 §2.1


class BlockedAddress(FetchError):
    """The SSRF guard refused an address (re-exported by ``newswire.fetch.fetcher``)."""

    outcome: str = "blocked"


def parse_networks(cidrs: Iterable[str]) -> tuple[IPNetwork, ...]:
    """Parse allow-list CIDRs (``"127.0.0.0/8"``); raises ``ValueError`` on a bad one."""
    return tuple(ipaddress.ip_network(c, strict=False) for c in cidrs)


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> list[ipaddress.IPv4Address]:
    """IPv4 addresses an IPv6 address routes to; traffic to it really goes there."""
    if ip.ipv4_mapped is not None:  # ::ffff:a.b.c.d, RFC 4291 §2.5.5.2
        return [ip.ipv4_mapped]
    if ip in _NAT64:  # 64:ff9b::a.b.c.d, RFC 6052
        return [ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)]
    if ip.sixtofour is not None:  # 2002:aabb:ccdd::/48, RFC 3056
        return [ip.sixtofour]
    if ip.teredo is not None:  # 2001:0::/32, RFC 4380: (server, client)
        return list(ip.teredo)
    return []


def is_blocked(ip: IPAddress, allow: Sequence[IPNetwork] = ()) -> bool:
    """Whether a fetch must not connect to ``ip``. Pure; never raises.

    An address inside an ``allow`` network is never blocked. For IPv6 forms that embed an
    IPv4 address the decision is the embedded address's (allow-list included).
    """
    if any(ip.version == net.version and ip in net for net in allow):
        return False
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.scope_id is not None:  # a zone index only makes sense for local scopes
            return True
        embedded = _embedded_ipv4(ip)
        if embedded:
            return any(is_blocked(v4, allow) for v4 in embedded)
        if any(ip in net for net in _BLOCKED_V6) or ip.is_site_local:
            return True
    elif any(ip in net for net in _BLOCKED_V4):
        return True
    # Belt and braces: whatever this Python's tables call special is special.
    return (
        ip.is_loopback
        or ip.is_private
        or ip.is_link_local
        or ip.is_multicast
        or ip.is_unspecified
        or ip.is_reserved
    )


def check_address(ip: IPAddress, allow: Sequence[IPNetwork], host: str) -> None:
    """Raise ``BlockedAddress`` when ``is_blocked(ip, allow)``."""
    if is_blocked(ip, allow):
        raise BlockedAddress(
            f"refusing to connect to {ip} (resolved from {host!r}): a private, loopback or "
            "reserved address; NEWSWIRE_FETCH_ALLOW_NETWORKS allows such networks"
        )


def check_literal(host: str, allow: Sequence[IPNetwork]) -> None:
    """Raise ``BlockedAddress`` if ``host`` is a refused IP literal; names are vetted later."""
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        return
    check_address(ip, allow, host)


async def system_resolver(host: str, port: int) -> list[str]:
    """Resolve ``host`` with the system resolver (in a worker thread); IP strings, in order."""
    infos = await anyio.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [str(info[4][0]) for info in infos]


class GuardedBackend(httpcore.AsyncNetworkBackend):
    """A network backend that connects only to addresses the SSRF guard accepts.

    ``connect_tcp`` raises ``BlockedAddress`` if any resolved address is blocked (before any
    connection is attempted), ``httpcore.ConnectTimeout`` if resolving plus connecting takes
    longer than ``timeout``, and ``httpcore.ConnectError`` if resolution fails or no vetted
    address accepts. Cancel-safe: a cancelled resolution leaves nothing open.
    """

    def __init__(
        self,
        allow: Sequence[IPNetwork] = (),
        *,
        inner: httpcore.AsyncNetworkBackend | None = None,
        resolver: Resolver | None = None,
    ) -> None:
        self._allow = tuple(allow)
        self._inner = inner if inner is not None else httpcore.AnyIOBackend()
        self._resolve = resolver if resolver is not None else system_resolver

    async def _vetted(self, host: str, port: int) -> list[str]:
        try:
            addresses = [ipaddress.ip_address(host)]
        except ValueError:
            try:
                answers = await self._resolve(host, port)
            except OSError as exc:  # socket.gaierror: no such host, resolver failure
                raise httpcore.ConnectError(f"cannot resolve {host!r}: {exc}") from exc
            addresses = [ipaddress.ip_address(a) for a in answers]
        if not addresses:
            raise httpcore.ConnectError(f"{host!r} resolved to no address")
        # Refuse if *any* answer is blocked: a mixed answer is a rebinding attempt or a
        # misconfiguration, and either way not a feed we want.
        for ip in addresses:
            check_address(ip, self._allow, host)
        return list(dict.fromkeys(str(ip) for ip in addresses))

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,  # noqa: ASYNC109 - httpcore's interface, honoured below
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        try:
            with anyio.fail_after(timeout):
                last: Exception | None = None
                for literal in await self._vetted(host, port):
                    try:
                        return await self._inner.connect_tcp(
                            literal,
                            port,
                            timeout=timeout,
                            local_address=local_address,
                            socket_options=socket_options,
                        )
                    except httpcore.ConnectError as exc:
                        last = exc
                assert last is not None  # _vetted never returns an empty list
                raise last
        except TimeoutError as exc:
            raise httpcore.ConnectTimeout(f"connecting to {host!r} timed out") from exc

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,  # noqa: ASYNC109 - httpcore's interface; never waits
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        raise BlockedAddress("unix sockets are never fetched")

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


def guarded_transport(
    allow: Sequence[IPNetwork] = (),
    *,
    max_connections: int = 100,
    resolver: Resolver | None = None,
) -> httpx.AsyncHTTPTransport:
    """An httpx transport whose every TCP connection goes through ``GuardedBackend``.

    httpx 0.28 has no public hook for the network backend, so the transport's connection
    pool is replaced; the check below makes an httpx upgrade that renames it fail loudly.
    """
    transport = httpx.AsyncHTTPTransport(trust_env=False)
    if not isinstance(getattr(transport, "_pool", None), httpcore.AsyncConnectionPool):
        raise RuntimeError("httpx.AsyncHTTPTransport internals changed; SSRF guard not wired")
    transport._pool = httpcore.AsyncConnectionPool(
        ssl_context=httpx.create_ssl_context(trust_env=False),
        max_connections=max_connections,
        max_keepalive_connections=min(20, max_connections),
        keepalive_expiry=5.0,
        network_backend=GuardedBackend(allow, resolver=resolver),
    )
    return transport
