"""The demo news site: generated outlets and articles, their feeds, and a local feed server.

``generate_site(seed, now)`` writes six made-up outlets' feeds (RSS 2.0, Atom 1.0, JSON
Feed 1.1) and records every served item in a ledger (``DemoItem``); ``FeedServer`` serves
them, or any ``Route``, over HTTP on 127.0.0.1 for the demo and for tests.
"""

from __future__ import annotations

from newswire.app.demo.feeds import DemoItem
from newswire.app.demo.server import FeedServer, RequestRecord, Route
from newswire.app.demo.site import DemoFeed, DemoSite, generate_site

__all__ = [
    "DemoFeed",
    "DemoItem",
    "DemoSite",
    "FeedServer",
    "RequestRecord",
    "Route",
    "generate_site",
]
