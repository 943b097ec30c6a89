"""The producer SIGKILLed mid-publish, again and again, through its production entry
point (``newswire serve producer``), while ``serve dedup enrich store`` runs beside it.

Every served item must reach ``newswire.items.raw`` and the store; repeats in the raw topic
are allowed (at-least-once: a feed whose state was not saved is polled again), stored
duplicates are not. The producer saves a feed's state only after Kafka acknowledged its
items, so a kill between the two makes the next replica poll that feed again: the
evidence that the kills landed mid-publish.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections import Counter
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

from aiokafka import AIOKafkaConsumer, TopicPartition
from ledger import LedgerFeeds
from procs import Service, service_env
from scenario_report import ScenarioResult
from scenarios import UNSAFE
from verify import quiet, until, verdict_result, verify

from newswire.app.demo import FeedServer
from newswire.kafka.producer import EventProducer
from newswire.kafka.reader import read_topic
from newswire.kafka.topics import ensure_topics, pipeline_topics
from newswire.metrics import Metrics
from newswire.settings import Settings, Topics
from newswire_producers.registry import FeedRecord, publish_feeds
from newswire_schemas.envelope import decode_event


async def _raw_end(settings: Settings) -> int:
    """Records in the raw topic (the sum of its partitions' end offsets)."""
    topic = Topics(settings.topic_prefix).raw
    consumer = AIOKafkaConsumer(bootstrap_servers=settings.kafka_bootstrap)
    await consumer.start()
    try:
        parts = [TopicPartition(topic, p) for p in range(settings.topic_partitions)]
        return sum((await consumer.end_offsets(parts)).values())
    finally:
        await consumer.stop()


async def _raw_guids(settings: Settings) -> dict[str, str]:
    """guid -> item id of every item in the raw topic."""
    records = await read_topic(settings.kafka_bootstrap, Topics(settings.topic_prefix).raw)
    items = (decode_event(r.headers, r.value).item for r in records)
    return {i.guid or "": i.item_id for i in items}


async def producer_killed_mid_publish(
    settings: Settings,
    tmp: Path,
    *,
    feeds: int,
    per_round: int,
    rounds: int,
    seed: int = 8,
    unsafe: str | None = None,
) -> ScenarioResult:
    """``rounds`` times: feeds grow, a producer starts and is SIGKILLed while the raw topic
    grows; then a last producer runs until every served item is in the raw topic (a control
    run, ``unsafe``: until it polled every feed, since what the kills lost never comes)."""
    started = time.monotonic()
    rng = random.Random(seed)
    topics = Topics(settings.topic_prefix)
    await ensure_topics(settings.kafka_bootstrap, pipeline_topics(settings))
    consumers = Service(("dedup", "enrich", "store"), service_env(settings), tmp / "c.log")
    producer_env = service_env(settings, **(UNSAFE[unsafe] if unsafe else {}))
    evidence = {"sigkills": 0, "kills_mid_publish": 0, "re_polled_feeds": 0}
    with FeedServer() as server:
        ledger = LedgerFeeds(server, feeds)
        async with EventProducer(settings, Metrics()) as producer:
            await publish_feeds(producer, topics.feeds, [FeedRecord.new(u) for u in ledger.urls])
        consumers.start()
        ledger.grow(per_round)
        try:
            for round_ in range(rounds):
                # Half the feeds grow each round: the other half keep their version, so a
                # feed the last victim fetched but never saved is polled again unchanged.
                if round_:
                    ledger.grow(per_round, range(round_ % 2, feeds, 2))
                before = await _raw_end(settings)
                victim = Service(("producer",), producer_env, tmp / "p.log").start()

                async def publishing(floor: int = before, proc: Service = victim) -> bool:
                    for service in (proc, consumers):
                        if not service.alive():
                            raise RuntimeError(f"a service died:\n{service.tail()}")
                    return await _raw_end(settings) > floor

                await until(publishing, 90, "the producer to publish")
                await asyncio.sleep(rng.uniform(0.0, 0.5))  # a random moment is the point
                last = await _raw_end(settings)
                await asyncio.sleep(0.2)
                growing = await _raw_end(settings) > last  # still publishing when killed
                await victim.kill()
                evidence["sigkills"] += 1
                evidence["kills_mid_publish"] += growing
            final = Service(("producer",), producer_env, tmp / "p.log").start()
            try:
                await final.started()
                final_up = datetime.now(UTC)

                async def all_in_raw() -> bool:
                    polls = Counter(r.path for r in server.requests if r.time > final_up)
                    if unsafe and all(polls[p] >= 2 for p in ledger.versions):
                        return True  # the control: every feed polled, and again once saved
                    return set(await _raw_guids(settings)) >= ledger.served

                await until(all_in_raw, 180, "every served item in the raw topic")
            finally:
                code, _ = await final.terminate()
            chain = (("dedup", topics.raw), ("enrich", topics.unique), ("store", topics.enriched))
            for stage, topic in chain:  # in order: each stage's input is complete by then
                await quiet(
                    settings.kafka_bootstrap, topics.group(stage), topic,
                    settings.topic_partitions, timeout_s=120,
                )  # fmt: skip
        finally:
            consumers_code, _ = await consumers.terminate()
        evidence["re_polled_feeds"] = sum(ledger.full_fetches().values())
    ids = await _raw_guids(settings)
    acknowledged = {ids[g] for g in ledger.served if g in ids}
    verdict = await verify(
        bootstrap=settings.kafka_bootstrap,
        topic=topics.raw,
        store_url=settings.store_url,
        served=acknowledged,
        acknowledged=acknowledged,
    )
    evidence["raw_repeats"] = verdict.in_topic_repeats
    assert (code, consumers_code) == (0, 0), f"SIGTERM exit codes {code}, {consumers_code}"
    # The verifier saw only what reached the raw topic: a served item missing there is lost.
    verdict = replace(
        verdict, served=len(ledger.served), lost=len(ledger.served - set(ids)) + verdict.lost
    )
    name = "producer SIGKILLed mid-publish, repeatedly"
    return verdict_result(name, verdict, evidence, started=started, unsafe=unsafe)
