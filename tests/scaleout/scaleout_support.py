"""Helpers of the scale-out tests: many feeds on one local server, and reading the
server's request log per feed and per replica (replicas differ by User-Agent)."""

from __future__ import annotations

import hashlib
from collections import defaultdict
from datetime import datetime

from newswire.app.demo import FeedServer, Route


def _words(feed: int, item: int) -> str:
    """Text no other item shares a phrase with (so dedup sees no near-duplicates)."""
    return " ".join(
        hashlib.sha256(f"{feed}-{item}-{k}".encode()).hexdigest()[:7] for k in range(24)
    )


def rss(feed: int, items: range) -> bytes:
    """An RSS document of ``feed`` with ``items``; guids ``f<feed>-i<item>``."""
    body = "".join(
        f"<item><title>Feed {feed} story {i}</title><link>https://news.example/{feed}/{i}</link>"
        f"<guid>f{feed}-i{i}</guid><description>{_words(feed, i)}</description></item>"
        for i in items
    )
    head = f'<?xml version="1.0"?><rss version="2.0"><channel><title>Feed {feed}</title>'
    return (head + body + "</channel></rss>").encode()


def serve_feeds(server: FeedServer, n: int, items: range) -> list[str]:
    """Route ``/f/<i>`` for i < n; returns their URLs."""
    for i in range(n):
        server.set_route(f"/f/{i}", Route(rss(i, items), "application/rss+xml"))
    return [server.url(f"/f/{i}") for i in range(n)]


def guids_served(n: int, items: range) -> set[str]:
    return {f"f{feed}-i{i}" for feed in range(n) for i in items}


def polls_by_feed(
    server: FeedServer, since: datetime | None = None, until: datetime | None = None
) -> dict[str, list[tuple[datetime, str]]]:
    """Feed path -> [(time, user agent)] of the requests in [since, until), oldest first."""
    out: dict[str, list[tuple[datetime, str]]] = defaultdict(list)
    for r in server.requests:
        if (since is None or r.time >= since) and (until is None or r.time < until):
            out[r.path].append((r.time, r.headers.get("user-agent", "")))
    return dict(out)


def owner_runs(polls: list[tuple[datetime, str]]) -> int:
    """How many times the feed's poller changed, plus one: A A B B A is 3 runs. With one
    owner at a time it is at most the number of group generations the feed lived through;
    two replicas polling it at once show up as many short runs."""
    return sum(1 for i, (_, agent) in enumerate(polls) if i == 0 or polls[i - 1][1] != agent)


def agents(polls: list[tuple[datetime, str]]) -> set[str]:
    return {agent for _, agent in polls}
