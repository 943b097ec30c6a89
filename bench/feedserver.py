"""A fast asyncio feed server for the bench: N RSS 2.0 feeds on 127.0.0.1, ETag/304,
a controllable change rate, and request counts.

``newswire.app.demo.FeedServer`` starts a thread per connection and keeps a request log and a
rendered body per route: fine for tests, too heavy for 10,000 feeds in the process being
measured. This server runs in its own process (``python -m bench.feedserver``), so its CPU
is never charged to the producer, and renders a feed body only when a 200 is due.

Feed ``i`` at version ``v`` holds ``items`` entries with sequence numbers
``v * new_per_change + j``; a change (``POST /_bench/change?fraction=F``) bumps the version of
``round(F * N)`` feeds, so each changed feed shows ``new_per_change`` new items. The ETag is
``"<i>-<v>"`` and a matching ``If-None-Match`` gets 304 (RFC 9110 13.1.2).

Control: ``POST /_bench/change?fraction=F&round=R``, ``GET /_bench/stats`` (status counts),
``POST /_bench/reset``. Feeds: ``GET /f/<i>.xml``.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sys
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from urllib.parse import parse_qs, urlsplit
from xml.sax.saxutils import escape

import orjson

from bench.corpus import Template, load_templates

_EPOCH = datetime(2026, 11, 1, tzinfo=UTC)


class FeedSet:
    """The feeds' versions and their rendering; pure, no I/O."""

    def __init__(
        self, templates: list[Template], feeds: int, items: int, new_per_change: int, run: str
    ) -> None:
        self.templates = templates
        self.feeds = feeds
        self.items = items
        self.new_per_change = max(1, min(new_per_change, items))
        self.run = run
        self.versions = [0] * feeds
        # Item links point back at this server (a 404 there), never at a public host: if
        # enrichment fetches full text, no traffic leaves 127.0.0.1.
        self.base = "http://127.0.0.1"

    def etag(self, i: int) -> str:
        return f'"{i}-{self.versions[i]}"'

    def change(self, fraction: float, round_no: int) -> int:
        n = round(max(0.0, min(1.0, fraction)) * self.feeds)
        for i in random.Random(round_no).sample(range(self.feeds), n):
            self.versions[i] += 1
        return n

    def render(self, i: int) -> bytes:
        base = self.versions[i] * self.new_per_change
        entries = [self._entry(i, base + j) for j in reversed(range(self.items))]
        host = f"https://outlet{i % 97}.bench.example"
        newest = _EPOCH + timedelta(minutes=base + self.items)
        return (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            '<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/">'
            f"<channel><title>Bench outlet {i}</title><link>{host}/</link>"
            f"<description>Generated from real news items</description>"
            f"<lastBuildDate>{format_datetime(newest, usegmt=True)}</lastBuildDate>"
            + "".join(entries)
            + "</channel></rss>"
        ).encode()

    def _entry(self, i: int, seq: int) -> str:
        t = self.templates
        a = t[(i * 31 + seq * 7) % len(t)]
        b = t[(i * 17 + seq * 13 + 1) % len(t)]
        c = t[(i * 7 + seq * 29 + 2) % len(t)]
        link = f"{self.base}/a/{self.run}/{i}/{seq}"
        when = format_datetime(_EPOCH + timedelta(minutes=seq), usegmt=True)
        body = f"{a.content}{b.content}{c.content}".replace("]]>", "]]&gt;")
        return (
            f"<item><title>{escape(a.title)}</title><link>{link}</link>"
            f'<guid isPermaLink="false">urn:bench:{self.run}:{i}:{seq}</guid>'
            f"<pubDate>{when}</pubDate><description>{escape(a.summary or b.summary)}"
            f"</description><content:encoded><![CDATA[{body}]]></content:encoded></item>"
        )


class Server:
    def __init__(self, feeds: FeedSet) -> None:
        self.feeds = feeds
        self.counts: dict[str, int] = {}

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                lines = head.decode("latin-1").split("\r\n")
                method, target, _ = lines[0].split(" ", 2)
                headers = {}
                for line in lines[1:]:
                    name, _, value = line.partition(":")
                    headers[name.strip().lower()] = value.strip()
                length = int(headers.get("content-length") or 0)
                if length:
                    await reader.readexactly(length)
                status, ctype, body, extra = self.respond(method, target, headers)
                self.counts[str(status)] = self.counts.get(str(status), 0) + 1
                out = [f"HTTP/1.1 {status} {'OK' if status == 200 else 'X'}"]
                out += [f"{k}: {v}" for k, v in extra.items()]
                if status != 304:
                    out += [f"Content-Type: {ctype}", f"Content-Length: {len(body)}"]
                writer.write(("\r\n".join(out) + "\r\n\r\n").encode() + body)
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError, ValueError):
            pass
        finally:
            writer.close()

    def respond(
        self, method: str, target: str, headers: dict[str, str]
    ) -> tuple[int, str, bytes, dict[str, str]]:
        url = urlsplit(target)
        query = {k: v[0] for k, v in parse_qs(url.query).items()}
        if url.path == "/_bench/stats":
            return 200, "application/json", orjson.dumps(self.counts), {}
        if url.path == "/_bench/reset" and method == "POST":
            self.counts = {}
            return 200, "application/json", b"{}", {}
        if url.path == "/_bench/change" and method == "POST":
            n = self.feeds.change(float(query.get("fraction", "0")), int(query.get("round", "0")))
            return 200, "application/json", orjson.dumps({"changed": n}), {}
        if url.path.startswith("/f/") and url.path.endswith(".xml"):
            try:
                i = int(url.path[3:-4])
            except ValueError:
                i = -1
            if 0 <= i < self.feeds.feeds:
                etag = self.feeds.etag(i)
                if etag in headers.get("if-none-match", ""):
                    return 304, "", b"", {"ETag": etag}
                return (
                    200,
                    "application/rss+xml; charset=utf-8",
                    self.feeds.render(i),
                    {"ETag": etag},
                )
        return 404, "text/plain", b"not found\n", {}


async def serve(args: argparse.Namespace) -> None:
    templates = load_templates()
    feeds = FeedSet(templates, args.feeds, args.items, args.new_per_change, args.run)
    server = Server(feeds)
    srv = await asyncio.start_server(server.handle, "127.0.0.1", args.port, backlog=1024)
    port = srv.sockets[0].getsockname()[1]
    feeds.base = f"http://127.0.0.1:{port}"
    print(f"port {port}", flush=True)
    async with srv:
        await srv.serve_forever()


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--feeds", type=int, default=100)
    p.add_argument("--items", type=int, default=20)
    p.add_argument("--new-per-change", type=int, default=5)
    p.add_argument("--run", default="bench")
    p.add_argument("--port", type=int, default=0)
    args = p.parse_args()
    try:
        asyncio.run(serve(args))
    except KeyboardInterrupt:
        sys.exit(0)


if __name__ == "__main__":
    main()
