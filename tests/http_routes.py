"""A request handler base for the tests' local HTTP servers: one ``reply`` and no logging."""

from __future__ import annotations

from http.server import BaseHTTPRequestHandler
from typing import Any


class RouteHandler(BaseHTTPRequestHandler):
    """Subclasses route ``do_GET``; ``reply`` answers and closes the connection."""

    def reply(self, status: int, body: bytes = b"", **headers: str) -> None:
        """Send ``status``, ``headers`` (``_`` in a name becomes ``-``) and ``body``; a
        Content_Length header given here replaces the real length (for lying servers)."""
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name.replace("_", "-"), value)
        if "Content_Length" not in headers:
            self.send_header("Content-Length", str(len(body)))
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(body)
        self.close_connection = True

    def log_message(self, format: str, *args: Any) -> None:
        pass
