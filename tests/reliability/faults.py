"""The fault injector: signals to processes (ours, or the separate broker's JVM, see
``procs.SeparateBroker``) and a TCP proxy for delay and black-holing.

Signals go only to processes the harness started, by pid. PostgreSQL outages stop a
private cluster (tests/private_postgres.py), never the shared one on 5433.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Coroutine
from dataclasses import dataclass
from typing import Any


@dataclass
class ProxyStats:
    connections: int = 0
    bytes_forwarded: int = 0
    black_holed_connections: int = 0


class TcpProxy:
    """An asyncio TCP proxy on 127.0.0.1 in front of ``target``.

    Modes: ``pass`` (forward), ``delay`` (forward every chunk ``delay_s`` late) and
    ``blackhole`` (accept, read, forward nothing, answer nothing: a silent network
    partition; existing connections stall too). Use as an async context manager; ``port``
    is the listening port.
    """

    def __init__(self, target_host: str, target_port: int) -> None:
        assert target_host == "127.0.0.1", "the harness sends traffic only to 127.0.0.1"
        self.target = (target_host, target_port)
        self._mode = "pass"
        self._flowing = asyncio.Event()
        self._flowing.set()
        self.delay_s = 0.0
        self.stats = ProxyStats()
        self.port = 0
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._writers: set[asyncio.StreamWriter] = set()

    @property
    def mode(self) -> str:
        return self._mode

    @mode.setter
    def mode(self, mode: str) -> None:
        assert mode in ("pass", "delay", "blackhole")
        self._mode = mode
        if mode == "blackhole":
            self._flowing.clear()
        else:
            self._flowing.set()

    async def __aenter__(self) -> TcpProxy:
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *_: object) -> None:
        assert self._server is not None
        self._server.close()
        for task in list(self._tasks):
            task.cancel()
        for task in list(self._tasks):
            with contextlib.suppress(asyncio.CancelledError, OSError):
                await task
        for writer in list(self._writers):
            await close_writer(writer)
        await self._server.wait_closed()

    def _spawn(self, coro: Coroutine[Any, Any, None]) -> None:
        task = asyncio.create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.stats.connections += 1
        self._writers.add(writer)
        if self.mode == "blackhole":
            self.stats.black_holed_connections += 1
            with contextlib.suppress(OSError):
                while await reader.read(65536):  # swallow everything, answer nothing
                    pass
            await close_writer(writer)
            return
        try:
            up_reader, up_writer = await asyncio.open_connection(*self.target)
        except OSError:
            await close_writer(writer)
            return
        self._writers.add(up_writer)
        self._spawn(self._pipe(reader, up_writer))
        self._spawn(self._pipe(up_reader, writer))

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while data := await reader.read(65536):
                await self._flowing.wait()  # a partition holds the bytes until it heals
                if self.mode == "delay" and self.delay_s:
                    await asyncio.sleep(self.delay_s)
                writer.write(data)
                await writer.drain()
                self.stats.bytes_forwarded += len(data)
        except (OSError, asyncio.IncompleteReadError):
            pass
        finally:
            await close_writer(writer)


async def close_writer(writer: asyncio.StreamWriter) -> None:
    writer.close()
    with contextlib.suppress(OSError, asyncio.CancelledError):
        await writer.wait_closed()
