"""The ledger: every item the harness serves or publishes, under a deterministic id.

Item ``n`` of a run always has the same ``item_id`` (``ledger_id(n)``), so the verifier can
compare the ids that were served, acknowledged by Kafka, found in a topic and stored.
``LedgerPublisher`` plays the upstream stage: it publishes the ledger's events to a topic in
chunks through the production producer wrapper, retries a chunk the broker did not
acknowledge (what every stage does), and records which ids were acknowledged and how many
retries that took (fault evidence).
"""

from __future__ import annotations

import asyncio
import hashlib
import itertools
import time
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from factories import make_event

from newswire.app.demo import FeedServer, Route
from newswire.errors import BrokerUnavailable
from newswire.kafka.producer import EventProducer, Record
from newswire.metrics import Metrics
from newswire.settings import Settings
from newswire_schemas import Event


def ledger_id(n: int) -> str:
    """The item id of ledger entry ``n`` (the factories' id scheme: sha256 of ``item<n>``)."""
    return hashlib.sha256(f"item{n}".encode()).hexdigest()[:32]


@dataclass
class Ledger:
    """What was served (handed to the system) and acknowledged (Kafka said: written)."""

    served: set[str] = field(default_factory=set)
    acknowledged: set[str] = field(default_factory=set)
    producer_retries: int = 0  # chunks the broker did not acknowledge within the timeout
    publish_stalls: int = 0  # chunks whose acknowledgement took over a second (an outage)

    def events(self, start: int, count: int) -> list[Event]:
        out = []
        for n in range(start, start + count):
            event = make_event(n)
            assert event.item.item_id == ledger_id(n)
            out.append(event)
        return out


class LedgerPublisher:
    """Publishes ``items`` ledger events to ``topic`` in ``chunk``-sized batches."""

    def __init__(
        self,
        settings: Settings,
        ledger: Ledger,
        topic: str,
        *,
        items: int,
        chunk: int = 50,
        pause_s: float = 0.1,
        deadline_s: float = 180.0,
    ) -> None:
        self._settings = settings
        self._ledger = ledger
        self._topic = topic
        self._items = items
        self._chunk = chunk
        self._pause_s = pause_s
        self._deadline_s = deadline_s

    async def run(self) -> None:
        """Publish everything; a chunk is retried until acknowledged (bounded by the
        deadline). Producers that fail to start (broker down) are retried too."""
        async with asyncio.timeout(self._deadline_s):
            start = 0
            while start < self._items:
                try:
                    async with EventProducer(self._settings, Metrics()) as producer:
                        while start < self._items:
                            count = min(self._chunk, self._items - start)
                            events = self._ledger.events(start, count)
                            ids = [e.item.item_id for e in events]
                            self._ledger.served.update(ids)
                            sent = time.monotonic()
                            await producer.publish([Record.of(self._topic, e) for e in events])
                            self._ledger.publish_stalls += time.monotonic() - sent > 1.0
                            self._ledger.acknowledged.update(ids)
                            start += count
                            await asyncio.sleep(self._pause_s)  # load spread over time
                except BrokerUnavailable:
                    self._ledger.producer_retries += 1
                    await asyncio.sleep(0.5)  # broker restarting: retry the chunk


class LedgerFeeds:
    """The ledger-driven feed simulator: ``count`` RSS feeds on a local :class:`FeedServer`
    (``/ledger/<f>``, with ETags). :meth:`grow` appends items to feeds (a new version of
    each) and records their guids as served; item ``i`` of feed ``f`` has guid ``ledger-<f>-<i>``
    and a body no other item shares a phrase with (dedup must see them as distinct)."""

    def __init__(self, server: FeedServer, count: int) -> None:
        self._server = server
        self._sizes = [0] * count
        self.served: set[str] = set()
        self.versions: defaultdict[str, list[datetime]] = defaultdict(list)  # path -> went live
        self.urls = [server.url(f"/ledger/{f}") for f in range(count)]

    def grow(self, n: int, feeds: Iterable[int] | None = None) -> None:
        """Append ``n`` items to each of ``feeds`` (default: all): a new version of each."""
        for f in range(len(self._sizes)) if feeds is None else feeds:
            size = self._sizes[f] = self._sizes[f] + n
            self.versions[f"/ledger/{f}"].append(datetime.now(UTC))
            entries = "".join(self._entry(f, i) for i in range(size))
            body = f'<?xml version="1.0"?><rss version="2.0"><channel><title>Ledger {f}</title>'
            self._server.set_route(
                f"/ledger/{f}",
                Route(f"{body}{entries}</channel></rss>".encode(), "application/rss+xml"),
            )
            self.served.update(f"ledger-{f}-{i}" for i in range(size - n, size))

    @staticmethod
    def _entry(f: int, i: int) -> str:
        words = " ".join(hashlib.sha256(f"{f}:{i}:{k}".encode()).hexdigest()[:9] for k in range(40))
        return (
            f"<item><title>Ledger feed {f}, item {i}</title><guid>ledger-{f}-{i}</guid>"
            f"<link>https://news.example/ledger/{f}/{i}</link><description>{words}</description>"
            "</item>"
        )

    def full_fetches(self) -> Counter[str]:
        """Per feed path: how many 200 answers beyond the first each feed version got. A
        live producer re-polls with the saved validators (304): a second 200 for one
        version means the state of the first was never saved (the process died between
        publishing and saving) and the feed was polled again."""
        repeats: Counter[str] = Counter()
        oks: defaultdict[str, list[datetime]] = defaultdict(list)
        for r in self._server.requests:
            if r.status == 200 and r.path in self.versions:
                oks[r.path].append(r.time)
        for path, went_live in self.versions.items():
            bounds = [*went_live, datetime.max.replace(tzinfo=UTC)]
            for start, end in itertools.pairwise(bounds):
                n = sum(start <= t < end for t in oks[path])
                repeats[path] += max(0, n - 1)
        return repeats
