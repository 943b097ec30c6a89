"""A routed HTTP test server on a loopback address that records every connection and request
(the fetcher's unit tests and the security scenarios; traffic stays on 127.0.0.x)."""

from __future__ import annotations

import socket
import socketserver
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import ThreadingHTTPServer
from typing import Any

from http_routes import RouteHandler

Route = Callable[["Handler"], None]


@dataclass
class Seen:
    path: str
    headers: dict[str, str]


@dataclass
class Server:
    """Routes by path; records every accepted connection and every request."""

    host: str
    routes: dict[str, Route] = field(default_factory=dict)
    requests: list[Seen] = field(default_factory=list)
    connections: int = 0
    port: int = 0

    def url(self, path: str = "/") -> str:
        return f"http://{self.host}:{self.port}{path}"


class Handler(RouteHandler):
    protocol_version = "HTTP/1.1"
    server: HTTPServer

    def do_GET(self) -> None:
        state = self.server.state
        state.requests.append(Seen(self.path, {k.lower(): v for k, v in self.headers.items()}))
        route = state.routes.get(self.path)
        if route is None:
            self.reply(404, b"no route")
        else:
            route(self)


class HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False

    def __init__(self, state: Server) -> None:
        self.state = state
        super().__init__((state.host, 0), Handler)

    def server_bind(self) -> None:
        # HTTPServer.server_bind calls socket.getfqdn(), a reverse DNS lookup: skip it.
        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = "localhost", self.server_address[1]

    def get_request(self) -> tuple[socket.socket, Any]:
        self.state.connections += 1
        return super().get_request()

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # clients hang up on purpose (caps, deadlines); nothing to report


def serve(host: str) -> Iterator[Server]:
    """Run a server on ``host`` (port chosen by the kernel) for the generator's lifetime."""
    state = Server(host)
    httpd = HTTPServer(state)
    state.port = httpd.server_address[1]
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.01})
    thread.start()
    try:
        yield state
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(5)
