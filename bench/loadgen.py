"""The load generator: pre-normalized raw events published into the raw topic at a fixed
rate, with ``fetched`` set at publish time, so fetched->stored latency is measured against
a known offered load (no feed polling in the way).

Items are real normalized items (bench feeds through ``parse_feed`` + ``normalize``),
cloned with a fresh identity per event so dedup sees every one as new.
"""

from __future__ import annotations

import asyncio
import hashlib
import time
from datetime import UTC, datetime

from bench.corpus import load_templates
from bench.feedserver import FeedSet
from newswire.kafka.producer import EventProducer, Record
from newswire_producers.normalize.normalizer import normalize
from newswire_producers.parse.parser import parse_feed
from newswire_schemas import Event, EventType, Item

SOURCE = "urn:newswire:bench"


def base_items(run: str, n_feeds: int = 20, items: int = 10) -> list[Item]:
    feeds = FeedSet(load_templates(), n_feeds, items, items, run)
    feeds.base = "http://127.0.0.1:9"  # discard port: never fetched
    now = datetime.now(UTC)
    out: list[Item] = []
    for i in range(n_feeds):
        url = f"{feeds.base}/f/{i}.xml"
        out.extend(normalize(parse_feed(feeds.render(i), url=url), feed_url=url, fetched=now))
    return out


class LoadGen:
    """Makes unique raw events from ``base`` items; ``publish_at`` paces them."""

    def __init__(self, base: list[Item], topic: str, tag: str) -> None:
        self.base = base
        self.topic = topic
        self.tag = tag
        self.n = 0

    def record(self) -> Record:
        self.n += 1
        src = self.base[self.n % len(self.base)]
        uid = hashlib.sha256(f"{self.tag}:{self.n}".encode()).hexdigest()
        link = f"http://127.0.0.1:9/l/{self.tag}/{self.n}"
        item = src.model_copy(
            update={
                "item_id": uid[:32],
                "dedup_key": f"link:{link}",
                "link": link,
                "guid": f"urn:bench:{self.tag}:{self.n}",
                "content_hash": uid,
                "fetched": datetime.now(UTC),
            }
        )
        return Record.of(self.topic, Event(EventType.OBSERVED, SOURCE, item))

    async def burst(self, producer: EventProducer, count: int, batch: int = 500) -> None:
        """Publish ``count`` events as fast as Kafka takes them."""
        left = count
        while left > 0:
            n = min(batch, left)
            await producer.publish([self.record() for _ in range(n)])
            left -= n

    async def publish_at(
        self, producer: EventProducer, rate: float, seconds: float, tick_s: float = 0.02
    ) -> tuple[int, float]:
        """Publish ``rate`` events/s for ``seconds``; returns (events sent, wall time).

        Events are made at their scheduled time (so ``fetched`` is their publish time) and
        sent without waiting for earlier acknowledgements; at most 64 sends are in flight.
        """
        start = time.monotonic()
        sent = 0
        pending: set[asyncio.Task[None]] = set()
        while (now := time.monotonic()) - start < seconds:
            due = int(rate * (now - start)) - sent
            if due > 0:
                records = [self.record() for _ in range(due)]
                sent += due
                task = asyncio.create_task(producer.publish(records))
                pending.add(task)
                task.add_done_callback(pending.discard)
                if len(pending) >= 64:
                    await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
            await asyncio.sleep(tick_s)
        if pending:
            await asyncio.gather(*pending)
        return sent, time.monotonic() - start
