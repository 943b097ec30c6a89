"""The fault injector's TCP proxy: forwards, delays and black-holes, on 127.0.0.1."""

from __future__ import annotations

import asyncio
import time

import pytest
from faults import TcpProxy, close_writer


async def _echo(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    while data := await reader.read(1024):
        writer.write(data)
        await writer.drain()
    await close_writer(writer)


async def _round_trip(port: int, payload: bytes, timeout_s: float) -> bytes:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(payload)
        await writer.drain()
        return await asyncio.wait_for(reader.readexactly(len(payload)), timeout_s)
    finally:
        await close_writer(writer)


async def test_proxy_forwards_delays_and_black_holes() -> None:
    server = await asyncio.start_server(_echo, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        async with TcpProxy("127.0.0.1", port) as proxy:
            assert await _round_trip(proxy.port, b"ping", 5) == b"ping"
            proxy.mode, proxy.delay_s = "delay", 0.3
            started = time.monotonic()
            assert await _round_trip(proxy.port, b"slow", 5) == b"slow"
            assert time.monotonic() - started >= 0.6  # delayed both ways
            proxy.mode = "blackhole"
            with pytest.raises(TimeoutError):
                await _round_trip(proxy.port, b"lost", 0.5)
            assert proxy.stats.black_holed_connections == 1
            proxy.mode = "pass"
            assert await _round_trip(proxy.port, b"back", 5) == b"back"
    finally:
        server.close()
        await server.wait_closed()
