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
import time
from dataclasses import dataclass, field

from factories import make_event

from newswire.errors import BrokerUnavailable
from newswire.kafka.producer import EventProducer, Record
from newswire.metrics import Metrics
from newswire.settings import Settings
from schemas import Event


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
