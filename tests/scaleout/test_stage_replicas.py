"""Acceptance: consumer replicas of a stage share its group; replicas joining
during load move partitions without loss, and the store ends with every item once."""

from __future__ import annotations

import asyncio
import re
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest
from factories import make_event
from processes import service_env
from services import start, terminate

from newswire.kafka.producer import EventProducer, Record
from newswire.kafka.reader import read_topic
from newswire.kafka.topics import ensure_topics, pipeline_topics
from newswire.metrics import Metrics
from newswire.settings import Settings, Topics
from newswire_consumers.store.sqlite_store import SqliteStore
from newswire_schemas import EventType
from newswire_schemas.envelope import decode_event

pytestmark = [pytest.mark.kafka, pytest.mark.slow, pytest.mark.timeout(240)]

ITEMS = 6000  # paced over ~15 s, so the replicas that join find work left
BATCH = 100


def stored(settings: Settings) -> list[str]:
    with SqliteStore.from_url(settings.store_url) as store:
        return [item.item_id for item in store.iter_items()]


async def test_enrich_replicas_joining_during_load_lose_and_double_nothing(
    kafka_bootstrap: str, make_settings: Callable[..., Settings], tmp_path: Path
) -> None:
    settings = make_settings(kafka_bootstrap, topic_partitions=6, enrich_fulltext=False)
    topics = Topics(settings.topic_prefix)
    await ensure_topics(kafka_bootstrap, pipeline_topics(settings))
    env = service_env(settings, NEWSWIRE_LOG_LEVEL="INFO")
    logs = tmp_path / "logs"
    procs = [
        start(["store"], env, logs / "store.log"),
        start(["enrich"], env, logs / "enrich-1.log"),
    ]
    joined = [time.monotonic()]
    try:
        async with EventProducer(settings, Metrics()) as producer:
            for first in range(0, ITEMS, BATCH):
                events = [make_event(i, EventType.CREATED) for i in range(first, first + BATCH)]
                await producer.publish([Record.of(topics.unique, e) for e in events])
                if first in (ITEMS // 5, 2 * ITEMS // 5):  # two more replicas join mid-load
                    n = len(procs)
                    procs.append(start(["enrich"], env, logs / f"enrich-{n}.log"))
                    joined.append(time.monotonic())
                await asyncio.sleep(0.25)
        deadline = time.monotonic() + 120
        while len(stored(settings)) < ITEMS and time.monotonic() < deadline:
            assert all(p.poll() is None for p in procs), "a service died"
            await asyncio.sleep(0.5)
    finally:
        codes = [terminate(p) for p in procs]
    ids = stored(settings)
    assert len(ids) == ITEMS, f"stored {len(ids)} of {ITEMS}"
    assert max(Counter(ids).values()) == 1
    assert codes == [0] * len(procs), f"exit codes {codes}"
    # Evidence the rebalances bit: the replicas that joined late did part of the work
    # (each logs how many records it processed when it stops), and redeliveries, if any,
    # were absorbed by the store's idempotent upsert.
    processed = [
        int(m) for p in sorted(logs.glob("enrich-*.log"))
        for m in re.findall(r"processed=(\d+)", p.read_text())
    ]  # fmt: skip
    assert len(processed) == 3 and sum(1 for n in processed if n > 0) >= 2, processed
    enriched = await read_topic(kafka_bootstrap, topics.enriched)
    per_item = Counter(decode_event(r.headers, r.value).item.item_id for r in enriched)
    assert set(per_item) == set(ids)
    print(  # the figures for the closing note
        f"items={ITEMS} enriched_events={len(enriched)} redelivered={len(enriched) - ITEMS} "
        f"stored={len(ids)} lost=0 duplicates_in_store=0 processed_per_replica={processed}"
    )
