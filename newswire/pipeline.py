"""``newswire run``: every service of the pipeline in one process.

The producer and the three consuming stages run as tasks that share one Kafka producer,
one metrics registry and one health server. In ``until_idle`` mode every feed is polled
once, then each stage drains its input (upstream first) and the call returns: the batch
mode for cron jobs, the demo and the tests.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from pathlib import Path

from consumers.dedup.seen_store import SqliteSeenStore
from consumers.dedup.stage import DedupStage
from consumers.enrich.stage import EnrichStage
from consumers.store.sqlite_store import SqliteStore
from consumers.store.stage import StoreStage
from newswire.health import HealthServer
from newswire.kafka.producer import EventProducer
from newswire.kafka.runner import ConsumerRunner
from newswire.kafka.topics import ensure_topics, pipeline_topics
from newswire.log import get_logger
from newswire.metrics import Metrics
from newswire.settings import Settings, Topics
from producers.feed_state import load_states
from producers.fetcher import Fetcher, FetchPolicy
from producers.poller import Poller
from producers.registry import load_registry, publish_feeds, read_feed_list

log = get_logger(__name__)

Progress = Callable[[str], None]


@dataclass
class RunSummary:
    feeds: int = 0
    items_fetched: int = 0
    fetch_outcomes: dict[str, int] = field(default_factory=dict)
    stage_outcomes: dict[str, dict[str, int]] = field(default_factory=dict)
    dead_lettered: int = 0
    stored_total: int = 0
    seconds: float = 0.0

    def outcome(self, stage: str, outcome: str) -> int:
        return self.stage_outcomes.get(stage, {}).get(outcome, 0)


def fetch_policy(settings: Settings) -> FetchPolicy:
    return FetchPolicy(
        total_timeout_s=settings.fetch_timeout_s,
        max_body_bytes=settings.fetch_max_bytes,
        user_agent=settings.user_agent,
        allow_networks=settings.fetch_allow_networks,
    )


def seen_store_path(settings: Settings) -> Path:
    return settings.data_dir / f"seen-{Topics(settings.topic_prefix).group('dedup')}.db"


async def run_pipeline(
    settings: Settings,
    *,
    feeds_file: Path | None = None,
    until_idle: bool = False,
    stop: asyncio.Event | None = None,
    progress: Progress | None = None,
    metrics: Metrics | None = None,
) -> RunSummary:
    """Run the whole pipeline until ``stop`` is set or, with ``until_idle``, until every
    feed was polled once and every stage drained. Raises BrokerUnavailable / ConfigError."""
    say = progress or (lambda _msg: None)
    started = time.monotonic()
    metrics = metrics or Metrics()
    stop = stop or asyncio.Event()
    topics = Topics(settings.topic_prefix)
    say(f"ensuring topics on {settings.kafka_bootstrap}")
    await ensure_topics(
        settings.kafka_bootstrap, pipeline_topics(settings), settings.kafka_timeout_s
    )

    async with AsyncExitStack() as stack:
        producer = await stack.enter_async_context(
            EventProducer(settings, metrics, client_id="newswire-run")
        )
        if feeds_file is not None:
            records = read_feed_list(feeds_file)
            await publish_feeds(producer, topics.feeds, records)
            say(f"imported {len(records)} feeds from {feeds_file}")
        feeds = await load_registry(
            settings.kafka_bootstrap, topics.feeds, timeout_s=settings.kafka_timeout_s
        )
        states = await load_states(
            settings.kafka_bootstrap, topics.feed_state, timeout_s=settings.kafka_timeout_s
        )
        seen = SqliteSeenStore(seen_store_path(settings))
        stack.callback(seen.close)
        store = SqliteStore.from_url(settings.store_url)
        stack.callback(store.close)
        fetcher = await stack.enter_async_context(Fetcher(fetch_policy(settings)))
        health = await stack.enter_async_context(
            HealthServer(metrics.registry, settings.health_host, settings.health_port)
        )
        poller = Poller(settings, metrics, producer, fetcher, states)
        runners = [
            ConsumerRunner(
                settings,
                metrics,
                DedupStage(seen),
                producer,
                input_topic=topics.raw,
                output_topic=topics.unique,
            ),
            ConsumerRunner(
                settings,
                metrics,
                EnrichStage(),
                producer,
                input_topic=topics.unique,
                output_topic=topics.enriched,
            ),
            ConsumerRunner(
                settings,
                metrics,
                StoreStage(store),
                producer,
                input_topic=topics.enriched,
                output_topic=None,
            ),
        ]
        for runner in runners:
            health.ready_checks[runner.name] = runner.is_ready
        say(
            f"pipeline up: {len(feeds)} feeds, health on http://{settings.health_host}:{health.port}/readyz"
        )

        summary = RunSummary(feeds=len(feeds))
        done = [asyncio.Event() for _ in runners]
        produced = asyncio.Event()

        async def stage_task(i: int) -> None:
            upstream = (produced if i == 0 else done[i - 1]) if until_idle else None
            await runners[i].run(stop=stop, upstream_done=upstream)
            done[i].set()
            if until_idle:
                say(f"{runners[i].name}: drained ({runners[i].processed} records)")

        async def produce() -> None:
            if until_idle:
                say(f"polling {len(feeds)} feeds")
                result = await poller.poll_all(feeds)
                summary.items_fetched = result.items
                summary.fetch_outcomes = dict(result.outcomes)
                outcomes = dict(result.outcomes)
                say(f"fetched {result.items} items from {result.feeds} feeds {outcomes}")
                produced.set()
                return
            while not stop.is_set():
                result = await poller.poll_all(feeds)
                summary.items_fetched += result.items
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), timeout=settings.poll_interval_s)

        async with asyncio.TaskGroup() as group:
            group.create_task(produce())
            for i in range(len(runners)):
                group.create_task(stage_task(i))

        summary.stage_outcomes = counter_values(
            metrics, "newswire_stage_records", "stage", "outcome"
        )
        dlq = counter_values(metrics, "newswire_dlq_records", "stage", "reason")
        summary.dead_lettered = sum(sum(v.values()) for v in dlq.values())
        summary.stored_total = store.count()
        summary.seconds = time.monotonic() - started
        return summary


def counter_values(
    metrics: Metrics, family_name: str, outer: str, inner: str
) -> dict[str, dict[str, int]]:
    """A labelled counter's current values as {outer label: {inner label: value}}."""
    out: dict[str, dict[str, int]] = {}
    for family in metrics.registry.collect():
        if family.name != family_name:
            continue
        for sample in family.samples:
            if sample.name.endswith("_total"):
                out.setdefault(sample.labels[outer], {})[sample.labels[inner]] = int(sample.value)
    return out
