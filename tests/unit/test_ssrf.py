"""The SSRF guard: the address table, the allow-list, and the connect-time backend."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable

import anyio
import httpcore
import pytest

from newswire.fetch.ssrf import BlockedAddress, GuardedBackend, Resolver, is_blocked, parse_networks

BLOCKED = [
    "127.0.0.1",  # loopback
    "127.255.255.254",
    "0.0.0.0",  # unspecified
    "0.1.2.3",  # "this network"
    "10.0.0.1",  # RFC 1918
    "10.255.255.255",
    "172.16.0.1",
    "172.31.255.254",
    "192.168.0.1",
    "192.168.255.255",
    "100.64.0.1",  # CGNAT
    "100.127.255.254",
    "169.254.169.254",  # cloud metadata
    "169.254.0.1",  # link-local
    "192.0.0.8",  # IETF protocol assignments
    "192.0.2.1",  # documentation
    "198.18.0.1",  # benchmarking
    "224.0.0.1",  # multicast
    "239.255.255.250",
    "240.0.0.1",  # reserved
    "255.255.255.255",  # broadcast
    "::1",  # IPv6 loopback
    "::",  # IPv6 unspecified
    "fe80::1",  # link-local
    "fe80::1%1",  # link-local with a zone index
    "fc00::1",  # ULA
    "fd00::1",
    "fd12:3456:789a::1",
    "fec0::1",  # site-local (deprecated)
    "ff02::1",  # multicast
    "2001:db8::1",  # documentation
    "100::1",  # discard-only
    "::ffff:127.0.0.1",  # IPv4-mapped
    "::ffff:169.254.169.254",
    "::ffff:10.0.0.1",
    "::7f00:1",  # IPv4-compatible (deprecated)
    "64:ff9b::7f00:1",  # NAT64 of 127.0.0.1
    "64:ff9b::a9fe:a9fe",  # NAT64 of 169.254.169.254
    "64:ff9b:1::1",  # local-use NAT64
    "2002:7f00:1::",  # 6to4 of 127.0.0.1
    "2002:c0a8:101::1",  # 6to4 of 192.168.1.1
    "2001:0:7f00:1::1",  # Teredo with server 127.0.0.1
]

PUBLIC = [
    "93.184.216.34",
    "1.1.1.1",
    "8.8.8.8",
    "100.63.255.255",  # just below CGNAT
    "100.128.0.0",  # just above CGNAT
    "172.15.255.255",  # just below 172.16/12
    "172.32.0.0",  # just above
    "2606:4700::1111",
    "2001:4860:4860::8888",
    "::ffff:93.184.216.34",  # IPv4-mapped public
    "64:ff9b::5db8:d822",  # NAT64 of 93.184.216.34
    "2002:5db8:d822::1",  # 6to4 of 93.184.216.34
]


@pytest.mark.parametrize("address", BLOCKED)
def test_special_addresses_are_blocked(address: str) -> None:
    assert is_blocked(ipaddress.ip_address(address))


@pytest.mark.parametrize("address", PUBLIC)
def test_public_addresses_pass(address: str) -> None:
    assert not is_blocked(ipaddress.ip_address(address))


@pytest.mark.parametrize(
    ("address", "allow", "blocked"),
    [
        ("127.0.0.1", ["127.0.0.0/8"], False),
        ("127.0.0.2", ["127.0.0.1/32"], True),
        ("::ffff:127.0.0.1", ["127.0.0.0/8"], False),  # same host, mapped spelling
        ("10.1.2.3", ["10.0.0.0/8"], False),
        ("10.1.2.3", ["192.168.0.0/16"], True),
        ("169.254.169.254", ["127.0.0.0/8"], True),
        ("fd00::1", ["fd00::/8"], False),
        ("::1", ["127.0.0.0/8"], True),  # versions do not mix
        ("192.168.1.5", ["192.168.1.0/24", "10.0.0.0/8"], False),
    ],
)
def test_allow_list_exempts_only_its_networks(
    address: str, allow: list[str], blocked: bool
) -> None:
    assert is_blocked(ipaddress.ip_address(address), parse_networks(allow)) is blocked


def test_parse_networks_rejects_garbage() -> None:
    with pytest.raises(ValueError, match="does not appear"):
        parse_networks(["not-a-network"])


class RecordingBackend(httpcore.AsyncNetworkBackend):
    """An inner backend that records connects and refuses the addresses in ``refuse``."""

    def __init__(self, refuse: Iterable[str] = ()) -> None:
        self.connects: list[str] = []
        self.refuse = set(refuse)

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,  # noqa: ASYNC109 - httpcore's interface
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        self.connects.append(host)
        if host in self.refuse:
            raise httpcore.ConnectError(f"refused: {host}")
        return httpcore.AsyncMockStream([])

    async def sleep(self, seconds: float) -> None:
        await anyio.sleep(seconds)


def resolving_to(*answers: str) -> tuple[list[str], Resolver]:
    asked: list[str] = []

    async def resolve(host: str, port: int) -> list[str]:
        asked.append(host)
        return list(answers)

    return asked, resolve


async def test_connects_to_the_vetted_literal_not_the_name() -> None:
    inner = RecordingBackend()
    asked, resolve = resolving_to("93.184.216.34")
    backend = GuardedBackend(inner=inner, resolver=resolve)
    await backend.connect_tcp("feeds.test", 443, timeout=1.0)
    assert asked == ["feeds.test"]
    assert inner.connects == ["93.184.216.34"]


async def test_any_blocked_answer_refuses_before_connecting() -> None:
    inner = RecordingBackend()
    _, resolve = resolving_to("93.184.216.34", "10.0.0.1")
    backend = GuardedBackend(inner=inner, resolver=resolve)
    with pytest.raises(BlockedAddress, match=r"10\.0\.0\.1"):
        await backend.connect_tcp("rebind.test", 80)
    assert inner.connects == []


async def test_each_connect_resolves_afresh() -> None:
    """DNS rebinding: a name that was public once and private later is caught the 2nd time."""
    inner = RecordingBackend()
    answers = iter([["93.184.216.34"], ["127.0.0.1"]])

    async def resolve(host: str, port: int) -> list[str]:
        return next(answers)

    backend = GuardedBackend(inner=inner, resolver=resolve)
    await backend.connect_tcp("rebind.test", 80)
    with pytest.raises(BlockedAddress):
        await backend.connect_tcp("rebind.test", 80)
    assert inner.connects == ["93.184.216.34"]


async def test_ip_literal_skips_the_resolver() -> None:
    inner = RecordingBackend()
    asked, resolve = resolving_to("93.184.216.34")
    backend = GuardedBackend(inner=inner, resolver=resolve)
    with pytest.raises(BlockedAddress):
        await backend.connect_tcp("::1", 80)
    await backend.connect_tcp("1.1.1.1", 80)
    assert asked == []
    assert inner.connects == ["1.1.1.1"]


async def test_falls_back_to_the_next_vetted_address() -> None:
    inner = RecordingBackend(refuse={"2606:4700::1111"})
    _, resolve = resolving_to("2606:4700::1111", "1.1.1.1", "1.1.1.1")
    backend = GuardedBackend(inner=inner, resolver=resolve)
    await backend.connect_tcp("feeds.test", 80)
    assert inner.connects == ["2606:4700::1111", "1.1.1.1"]  # duplicates dropped


async def test_all_refused_is_a_connect_error() -> None:
    inner = RecordingBackend(refuse={"1.1.1.1"})
    _, resolve = resolving_to("1.1.1.1")
    backend = GuardedBackend(inner=inner, resolver=resolve)
    with pytest.raises(httpcore.ConnectError, match="refused"):
        await backend.connect_tcp("feeds.test", 80)


async def test_resolution_failure_is_a_connect_error() -> None:
    async def resolve(host: str, port: int) -> list[str]:
        raise OSError("Name or service not known")

    backend = GuardedBackend(inner=RecordingBackend(), resolver=resolve)
    with pytest.raises(httpcore.ConnectError, match="cannot resolve"):
        await backend.connect_tcp("nowhere.test", 80)


async def test_slow_resolution_is_a_connect_timeout() -> None:
    async def resolve(host: str, port: int) -> list[str]:
        await anyio.sleep(5)
        return ["1.1.1.1"]

    backend = GuardedBackend(inner=RecordingBackend(), resolver=resolve)
    with anyio.fail_after(2), pytest.raises(httpcore.ConnectTimeout):
        await backend.connect_tcp("slow.test", 80, timeout=0.1)


async def test_unix_sockets_are_refused() -> None:
    with pytest.raises(BlockedAddress):
        await GuardedBackend(inner=RecordingBackend()).connect_unix_socket("/run/docker.sock")


async def test_allow_list_reaches_the_backend() -> None:
    inner = RecordingBackend()
    backend = GuardedBackend(parse_networks(["127.0.0.0/8"]), inner=inner)
    await backend.connect_tcp("127.0.0.1", 80)
    assert inner.connects == ["127.0.0.1"]
