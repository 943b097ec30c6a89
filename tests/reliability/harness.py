"""Run dedup as separate processes, feed it raw events, and audit what came out.

The processes are ``python -m newswire.app.cli serve dedup`` configured by environment
variables, exactly as deployed; the test kills them with SIGKILL or the fault-injection hook
(``FAULT_EXIT_AFTER_SEEN_STORE_WRITE``, tests/fault_serve.py).
"""

from __future__ import annotations

import asyncio
import os
import random
import subprocess
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from aiokafka import AIOKafkaConsumer, TopicPartition
from factories import make_event
from services import start

from newswire.kafka.producer import EventProducer, Record
from newswire.kafka.reader import read_topic
from newswire.kafka.runner import ConsumerRunner
from newswire.metrics import Metrics
from newswire.settings import Settings, Topics
from newswire_consumers.store.sqlite_store import SqliteStore
from newswire_consumers.store.stage import StoreStage
from newswire_schemas import Event, EventType
from newswire_schemas.envelope import decode_event

VOCABULARY = (  # noqa: SIM905 - a word list reads better as text
    "harbour council budget ferry strike hospital rail viaduct election minister court storm "
    "flood school museum festival bank inflation wages tram bridge airport factory river "
    "forest coast mayor police fire energy wind solar water housing rent tax port league "
    "final coach striker library theatre orchestra drought harvest market"
).split()
WIRE = (
    "Officials confirmed on {day} that the regional rail link between {a} and {b} will close "
    "for {n} weeks of repairs after inspectors found cracks in a viaduct built in 1911."
)


@dataclass
class Workload:
    """Raw events: unique items, re-sightings, updates and content aliases, shuffled a bit."""

    events: list[Event] = field(default_factory=list)
    unique: set[str] = field(default_factory=set)  # item ids that must be created
    versions: dict[str, int] = field(default_factory=dict)  # item id -> final version
    # (a, b): one article under two identities on different partitions: whichever dedup
    # sees first is created, the other is its alias
    alias_pairs: list[tuple[str, str]] = field(default_factory=list)

    @classmethod
    def build(cls, n_items: int) -> Workload:
        w = cls()
        for i in range(n_items):
            words = random.Random(i).sample(VOCABULARY, 12)
            text = f"Body of story {i}: " + " ".join(words) + "."
            w.add(make_event(i, text=text), created=True)
            if i % 3 == 0:  # a re-sighting: a duplicate
                w.add(make_event(i, text=text))
            if i % 10 == 0:  # an edit: an update
                w.add(make_event(i, text=text, title=f"Story number {i}, corrected"), version=2)
            if i % 25 == 0:  # the same article under a new guid and URL: an alias
                body = WIRE.format(day="Monday", a=f"town{i}", b="Ashcombe", n=i % 7 + 2)
                orig = make_event(10_000 + i, title=f"Rail link {i} to close", text=body)
                copy = make_event(
                    20_000 + i,
                    title=f"Rail link {i} to close",
                    text=body,
                    link=f"https://mirror.example/rail/{i}",
                )
                w.add(orig)
                w.add(copy)
                w.alias_pairs.append((orig.item.item_id, copy.item.item_id))
        return w

    def add(self, event: Event, *, created: bool = False, version: int = 1) -> None:
        self.events.append(event)
        if created:
            self.unique.add(event.item.item_id)
        self.versions[event.item.item_id] = max(version, self.versions.get(event.item.item_id, 1))


def dedup_env(settings: Settings, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSWIRE_")}
    env.update(
        NEWSWIRE_KAFKA_BOOTSTRAP=settings.kafka_bootstrap,
        NEWSWIRE_TOPIC_PREFIX=settings.topic_prefix,
        NEWSWIRE_DATA_DIR=str(settings.data_dir),
        NEWSWIRE_HEALTH_PORT="0",
        NEWSWIRE_CONFIG=str(settings.data_dir / "absent.toml"),
        NEWSWIRE_CONSUMER_MAX_BATCH="25",
        NEWSWIRE_DRAIN_TIMEOUT_S="5",
        NEWSWIRE_LOG_LEVEL="WARNING",
        NEWSWIRE_DEDUP_STORE_URL=settings.dedup_store_url,
    )
    env.update(extra)
    return env


def start_dedup(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    return start(["dedup"], env, log)


async def produce(settings: Settings, events: list[Event], chunks: int = 8) -> None:
    topic = Topics(settings.topic_prefix).raw
    size = max(1, len(events) // chunks)
    async with EventProducer(settings, Metrics()) as producer:
        for start in range(0, len(events), size):
            await producer.publish([Record.of(topic, e) for e in events[start : start + size]])
            await asyncio.sleep(0.3)  # load spread over time, so kills land mid-stream


async def caught_up(settings: Settings, *, timeout_s: float = 40.0) -> None:
    """Return once the dedup group's committed offsets reach the raw topic's end."""
    topics = Topics(settings.topic_prefix)
    consumer = AIOKafkaConsumer(
        bootstrap_servers=settings.kafka_bootstrap, group_id=topics.group("dedup")
    )
    await consumer.start()
    try:
        parts = [TopicPartition(topics.raw, p) for p in range(settings.topic_partitions)]
        async with asyncio.timeout(timeout_s):
            while True:
                ends = await consumer.end_offsets(parts)
                done = [(await consumer.committed(tp) or 0) >= ends[tp] for tp in parts]
                if all(done):
                    return
                await asyncio.sleep(0.25)  # polling committed offsets: Kafka has no event
    finally:
        await consumer.stop()


@dataclass
class Audit:
    created: Counter[str]
    updated: Counter[tuple[str, int]]
    aliases: dict[str, str | None]  # alias item id -> alias_of
    stored: int
    store_keys: Counter[str]
    store_versions: dict[str, int]


async def audit(settings: Settings, tmp: Path) -> Audit:
    """Read ``newswire.items.unique`` and run the real store stage over it."""
    topics = Topics(settings.topic_prefix)
    events = [
        decode_event(r.headers, r.value)
        for r in await read_topic(settings.kafka_bootstrap, topics.unique)
    ]
    created = Counter(e.item.item_id for e in events if e.type is EventType.CREATED)
    updated = Counter(
        (e.item.item_id, e.item.version) for e in events if e.type is EventType.UPDATED
    )
    aliases = {e.item.item_id: e.item.alias_of for e in events if e.type is EventType.ALIAS}
    store = SqliteStore(tmp / "store.db")
    metrics = Metrics()
    async with EventProducer(settings, metrics) as producer:
        runner = ConsumerRunner(
            settings,
            metrics,
            StoreStage(store),
            producer,
            input_topic=topics.unique,
            output_topic=None,
            group_id=f"{topics.prefix}.audit-store",
        )
        upstream = asyncio.Event()
        upstream.set()
        await asyncio.wait_for(runner.run(stop=asyncio.Event(), upstream_done=upstream), 60)
    items = list(store.iter_items())
    store.close()
    return Audit(
        created,
        updated,
        aliases,
        len(items),
        Counter(i.dedup_key for i in items),
        {i.item_id: i.version for i in items},
    )
