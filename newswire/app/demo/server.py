"""A local HTTP feed server for the demo and for tests.

:class:`FeedServer` serves fixed :class:`Route` s on 127.0.0.1 from a background thread
(``http.server.ThreadingHTTPServer``), so it works the same from sync code and from async
tests. It answers conditional requests the way a well-behaved publisher does, and records
every request it answers so tests can check what a client sent.
"""

from __future__ import annotations

import contextlib
import hashlib
import socket
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.message import Message
from email.utils import format_datetime, parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import MappingProxyType
from typing import Any
from urllib.parse import urlsplit

from newswire.app.demo.site import DemoSite

_NEW, _OPEN, _CLOSED = "new", "open", "closed"
_NOT_FOUND = b"not found\n"


@dataclass(frozen=True)
class Route:
    """A fixed response.

    With ``etag`` (and a 2xx ``status``) the response carries a strong ``ETag`` (a hash of
    ``body``) and a ``Last-Modified`` (when the route was set), and a matching conditional
    request gets ``304 Not Modified``. ``headers`` are sent as they are, e.g. ``Location``
    with a 301 or ``Retry-After`` with a 503.
    """

    body: bytes
    content_type: str = "application/xml"
    status: int = 200
    headers: Mapping[str, str] = field(default_factory=dict, hash=False)
    etag: bool = True

    def __post_init__(self) -> None:
        # A read-only copy: the server reads it from other threads.
        object.__setattr__(self, "headers", MappingProxyType(dict(self.headers)))


@dataclass(frozen=True)
class RequestRecord:
    """One request the server answered."""

    method: str
    path: str  # the request target as sent, query string included
    headers: dict[str, str]  # names lower-cased; repeated headers joined with ", "
    status: int
    time: datetime  # UTC


@dataclass(frozen=True)
class _Served:
    route: Route
    etag: str
    last_modified: datetime


class FeedServer:
    """Serves routes over HTTP on 127.0.0.1 in a background thread.

    Use as a context manager: entering binds the port (``port=0`` picks a free one) and
    starts serving; leaving stops the server, drops open keep-alive connections and joins
    every thread. ``close`` is idempotent, and a closed server cannot be started again.
    ``set_route``, ``add_site`` and ``requests`` are thread-safe and work while running.
    """

    def __init__(self, routes: Mapping[str, Route] | None = None, port: int = 0) -> None:
        self._lock = threading.Lock()
        self._routes: dict[str, _Served] = {}
        self._log: list[RequestRecord] = []
        self._requested_port = port
        self._port: int | None = None
        self._state = _NEW
        self._httpd: _HTTPServer | None = None
        self._thread: threading.Thread | None = None
        for path, route in (routes or {}).items():
            self.set_route(path, route)

    def __enter__(self) -> FeedServer:
        with self._lock:
            if self._state != _NEW:
                raise RuntimeError(f"FeedServer is {self._state}; it cannot be started again")
            self._state = _OPEN
        httpd = _HTTPServer(("127.0.0.1", self._requested_port), self)
        self._httpd = httpd
        self._port = int(httpd.server_address[1])
        self._thread = threading.Thread(
            target=httpd.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"feed-server-{self._port}",
            daemon=True,
        )
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        """Stop serving and join all threads. Idempotent; safe to call before starting."""
        with self._lock:
            if self._state == _CLOSED:
                return
            self._state = _CLOSED
        if self._httpd is not None and self._thread is not None:
            self._httpd.shutdown()  # returns once serve_forever has stopped
            self._httpd.drop_connections()
            self._httpd.server_close()  # joins the request threads
            self._thread.join()

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:PORT``; raises ``RuntimeError`` before the server has started."""
        if self._port is None:
            raise RuntimeError("FeedServer has not been started")
        return f"http://127.0.0.1:{self._port}"

    def url(self, path: str) -> str:
        return self.base_url + path

    def set_route(self, path: str, route: Route) -> None:
        """Add or replace the route at ``path`` (which must start with "/")."""
        if not path.startswith("/"):
            raise ValueError(f"a route path must start with '/': {path!r}")
        etag = '"' + hashlib.sha256(route.body).hexdigest()[:32] + '"'
        # HTTP dates have whole seconds (RFC 9110 5.6.7).
        served = _Served(route, etag, datetime.now(UTC).replace(microsecond=0))
        with self._lock:
            self._routes[path] = served

    def add_site(self, site: DemoSite) -> None:
        """One route per feed of ``site``, at the feed's path, with its content type."""
        for feed in site.feeds:
            self.set_route(feed.path, Route(body=feed.body, content_type=feed.content_type))

    @property
    def requests(self) -> list[RequestRecord]:
        """A copy of the request log, oldest first."""
        with self._lock:
            return list(self._log)

    def _lookup(self, path: str) -> _Served | None:
        with self._lock:
            return self._routes.get(path)

    def _record(self, record: RequestRecord) -> None:
        with self._lock:
            self._log.append(record)


class _HTTPServer(ThreadingHTTPServer):
    """Tracks open connections so that ``close`` need not wait for idle keep-alives."""

    daemon_threads = False  # server_close() joins them

    def __init__(self, address: tuple[str, int], owner: FeedServer) -> None:
        super().__init__(address, _Handler)
        self.owner = owner
        self.closing = False
        self._conn_lock = threading.Lock()
        self._conns: list[socket.socket] = []

    def process_request(self, request: Any, client_address: Any) -> None:
        with self._conn_lock:
            self._conns.append(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self._conn_lock, contextlib.suppress(ValueError):
            self._conns.remove(request)
        super().shutdown_request(request)

    def drop_connections(self) -> None:
        self.closing = True
        with self._conn_lock:
            conns = list(self._conns)
        for conn in conns:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)

    def handle_error(self, request: Any, client_address: Any) -> None:
        if not self.closing:  # errors from connections cut by close() are expected
            super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, like real feed servers
    timeout = 30  # seconds an idle keep-alive connection is kept
    server: _HTTPServer

    def do_GET(self) -> None:
        self._respond(send_body=True)

    def do_HEAD(self) -> None:
        self._respond(send_body=False)

    def do_POST(self) -> None:
        self._send(405, {"Allow": "GET, HEAD", "Content-Type": "text/plain"}, b"", False)

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the request log is ``FeedServer.requests``."""

    def _respond(self, *, send_body: bool) -> None:
        served = self.server.owner._lookup(urlsplit(self.path).path)
        if served is None:
            self._send(404, {"Content-Type": "text/plain"}, _NOT_FOUND, send_body)
            return
        route = served.route
        headers = {"Content-Type": route.content_type}
        status = route.status
        # RFC 9110 13.2.1: preconditions are evaluated only for a response that would be 2xx.
        if route.etag and 200 <= route.status < 300:
            headers["ETag"] = served.etag
            headers["Last-Modified"] = format_datetime(served.last_modified, usegmt=True)
            if _not_modified(self.headers, served):
                status = 304
        headers.update(route.headers)
        self._send(status, headers, b"" if status == 304 else route.body, send_body)

    def _send(self, status: int, headers: dict[str, str], body: bytes, send_body: bool) -> None:
        # Recorded before answering, so a client that has its response sees it in the log.
        self.server.owner._record(
            RequestRecord(
                method=self.command,
                path=self.path,
                headers=_header_dict(self.headers),
                status=status,
                time=datetime.now(UTC),
            )
        )
        self.send_response(status)
        for name, value in headers.items():
            if not (status == 304 and name == "Content-Type"):
                self.send_header(name, value)
        if status != 304:  # RFC 9110 15.4.5: a 304 has no content
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if send_body and body:
            self.wfile.write(body)


def _not_modified(headers: Message, served: _Served) -> bool:
    """Whether a GET/HEAD with these headers gets 304 (RFC 9110 13.1.2, 13.1.3, 13.2.2)."""
    if_none_match = headers.get_all("If-None-Match")
    if if_none_match:
        # 13.2.2: If-None-Match is evaluated and If-Modified-Since ignored. 13.1.2: "*" or
        # any listed tag under the weak comparison (W/ prefixes ignored) matches.
        tags = [t.strip() for value in if_none_match for t in value.split(",")]
        return any(t == "*" or t.removeprefix("W/") == served.etag for t in tags)
    if_modified_since = headers.get("If-Modified-Since")
    if if_modified_since:
        try:
            since = parsedate_to_datetime(if_modified_since)
        except (TypeError, ValueError):
            return False  # 13.1.3: an invalid date is ignored
        if since.tzinfo is None:
            since = since.replace(tzinfo=UTC)
        return served.last_modified <= since
    return False


def _header_dict(headers: Message) -> dict[str, str]:
    out: dict[str, str] = {}
    for name, value in headers.items():
        key = name.lower()
        out[key] = f"{out[key]}, {value}" if key in out else value
    return out
