"""A small HTTP server per service: ``/metrics`` (Prometheus text), ``/livez``, ``/readyz``.

Deliberately tiny (HTTP/1.0, GET only, no keep-alive): it serves probes and scrapes, nothing
else, so it needs no web framework.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest

from newswire.closing import AsyncClosing
from newswire.errors import PortInUse

ReadyCheck = Callable[[], bool]


class HealthServer(AsyncClosing):
    """Serves health and metrics on ``host:port`` (port 0 picks a free one).

    ``ready_checks`` are called on every ``/readyz``; all must return True. Close is
    idempotent; the server is an async context manager.
    """

    def __init__(self, registry: CollectorRegistry, host: str = "127.0.0.1", port: int = 0) -> None:
        self._registry = registry
        self._host = host
        self._port = port
        self._server: asyncio.Server | None = None
        self.ready_checks: dict[str, ReadyCheck] = {}

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("health server is not running")
        port: int = self._server.sockets[0].getsockname()[1]
        return port

    def is_ready(self) -> bool:
        return all(check() for check in self.ready_checks.values())

    async def __aenter__(self) -> HealthServer:
        try:
            self._server = await asyncio.start_server(self._handle, self._host, self._port)
        except OSError as exc:
            raise PortInUse(
                f"the health port {self._host}:{self._port} {PortInUse.why(exc)}: "
                "set NEWSWIRE_HEALTH_PORT to a free port, or 0 for any free one"
            ) from exc
        return self

    async def aclose(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            request = await asyncio.wait_for(reader.readline(), timeout=5)
            parts = request.decode("latin-1").split()
            path = parts[1].split("?", 1)[0] if len(parts) >= 2 else ""
            status, ctype, body = self._route(parts[0] if parts else "", path)
            head = (
                f"HTTP/1.0 {status}\r\nContent-Type: {ctype}\r\n"
                f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
            )
            writer.write(head.encode() + body)
            await writer.drain()
        except (TimeoutError, ConnectionError):
            pass
        finally:
            writer.close()
            with contextlib.suppress(ConnectionError):
                await writer.wait_closed()

    def _route(self, method: str, path: str) -> tuple[str, str, bytes]:
        if method not in ("GET", "HEAD"):
            return "405 Method Not Allowed", "text/plain", b"method not allowed\n"
        if path == "/metrics":
            return "200 OK", CONTENT_TYPE_LATEST, generate_latest(self._registry)
        if path == "/livez":
            return "200 OK", "text/plain", b"ok\n"
        if path == "/readyz":
            failing = [name for name, check in self.ready_checks.items() if not check()]
            if failing:
                return (
                    "503 Service Unavailable",
                    "text/plain",
                    f"not ready: {', '.join(failing)}\n".encode(),
                )
            return "200 OK", "text/plain", b"ready\n"
        return "404 Not Found", "text/plain", b"not found\n"
