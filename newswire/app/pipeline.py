"""``newswire run`` and ``newswire serve``: the pipeline's services in one process.

The producer and the consuming stages run as tasks that share one Kafka producer, one
metrics registry and one health server. ``newswire serve NAME`` runs a single service (the
microservice deployment); ``newswire run`` runs them all. In ``until_idle`` mode every
feed is polled once, then each stage drains its input (upstream first) and the call
returns: the batch mode for cron jobs, the demo and the tests.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from pathlib import Path

from newswire.app.stages import STAGES
from newswire.errors import ConfigError
from newswire.health import HealthServer
from newswire.kafka.producer import EventProducer
from newswire.kafka.runner import ConsumerRunner
from newswire.kafka.topics import ensure_topics, pipeline_topics
from newswire.metrics import Metrics
from newswire.settings import Settings, Topics
from newswire_producers.service import ProducerService

Progress = Callable[[str], None]
SERVICES = ("producer", *(s.name for s in STAGES))
# Poll outcomes in which the feed's server answered with the feed (new, or as before).
ANSWERED = ("ok", "not_modified", "unchanged")


@dataclass
class RunSummary:
    feeds: int = 0
    items_fetched: int = 0
    fetch_outcomes: dict[str, int] = field(default_factory=dict)
    stage_outcomes: dict[str, dict[str, int]] = field(default_factory=dict)
    dead_lettered: int = 0
    seconds: float = 0.0

    def outcome(self, stage: str, outcome: str) -> int:
        return self.stage_outcomes.get(stage, {}).get(outcome, 0)

    @property
    def fetch_words(self) -> str:
        """The poll outcomes for people: ``not_modified 2, ok 4``."""
        return ", ".join(f"{k} {v}" for k, v in sorted(self.fetch_outcomes.items()))

    @property
    def nothing_fetched(self) -> bool:
        """Feeds were polled and none answered with a feed (every poll failed)."""
        answered = sum(self.fetch_outcomes.get(o, 0) for o in ANSWERED)
        return sum(self.fetch_outcomes.values()) > 0 and answered == 0


async def run_pipeline(
    settings: Settings,
    *,
    feeds_file: Path | None = None,
    until_idle: bool = False,
    stop: asyncio.Event | None = None,
    progress: Progress | None = None,
    metrics: Metrics | None = None,
    services: Sequence[str] = SERVICES,
) -> RunSummary:
    """Run ``services`` until ``stop`` is set or, with ``until_idle`` (all services only),
    until every feed was polled once and every stage drained.

    Raises BrokerUnavailable when Kafka does not answer, ConfigError for bad settings.
    """
    unknown = set(services) - set(SERVICES)
    if unknown or not services:
        raise ConfigError(f"unknown services {sorted(unknown)}; choose from {', '.join(SERVICES)}")
    if until_idle and tuple(services) != SERVICES:
        raise ConfigError("--until-idle needs every service in one process")
    say = progress or (lambda _msg: None)
    started = time.monotonic()
    metrics = metrics or Metrics()
    stop = stop or asyncio.Event()
    topics = Topics(settings.topic_prefix)
    say(f"ensuring topics on {settings.kafka_bootstrap}")
    await ensure_topics(
        settings.kafka_bootstrap,
        pipeline_topics(settings),
        settings.kafka_timeout_s,
        groups=[topics.group(name) for name in services],
    )
    summary = RunSummary()

    async with AsyncExitStack() as stack:
        producer = await stack.enter_async_context(
            EventProducer(settings, metrics, client_id=f"newswire-{'-'.join(services)}")
        )
        health = await stack.enter_async_context(
            HealthServer(metrics.registry, settings.health_host, settings.health_port)
        )
        source: ProducerService | None = None
        if "producer" in services:
            source = await ProducerService.open(settings, metrics, stack, producer)
            if feeds_file is not None:
                n = await source.import_feeds(feeds_file)
                say(f"imported {n} feeds from {feeds_file}")
            if until_idle:  # the whole registry in this process; otherwise the group's share
                summary.feeds = len(await source.load())
            watch_ready(health, metrics, "producer", source.is_ready)
        elif feeds_file is not None:
            raise ConfigError("--feeds needs the producer service")
        runners = []
        for spec in STAGES:
            if spec.name in services:
                stage = await spec.open(settings, metrics, stack)
                runner = ConsumerRunner(
                    settings, metrics, stage, producer,
                    input_topic=spec.input_topic(topics), output_topic=spec.output_topic(topics),
                )  # fmt: skip
                watch_ready(health, metrics, spec.name, runner.is_ready)
                runners.append(runner)
        say(
            f"{', '.join(services)} up: {summary.feeds} feeds, "
            f"health on http://{settings.health_host}:{health.port}/readyz"
        )

        produced = asyncio.Event()
        done = [asyncio.Event() for _ in runners]

        async def stage_task(i: int) -> None:
            upstream = (produced if i == 0 else done[i - 1]) if until_idle else None
            await runners[i].run(stop=stop, upstream_done=upstream)
            done[i].set()
            if until_idle:
                say(f"{runners[i].name}: drained ({runners[i].processed} records)")

        async def produce(service: ProducerService) -> None:
            if not until_idle:
                await service.run_sharded(stop)  # one consumer group of replicas
                return
            say(f"polling {summary.feeds} feeds")
            result = await service.poll_once()
            summary.items_fetched = result.items
            summary.fetch_outcomes = dict(result.outcomes)
            say(f"fetched {result.items} items from {result.feeds} feeds ({summary.fetch_words})")
            produced.set()

        async with asyncio.TaskGroup() as group:
            if source is not None:
                group.create_task(produce(source))
            for i in range(len(runners)):
                group.create_task(stage_task(i))

    summary.stage_outcomes = counter_values(metrics, "newswire_stage_records", "stage", "outcome")
    dlq = counter_values(metrics, "newswire_dlq_records", "stage", "reason")
    summary.dead_lettered = sum(sum(v.values()) for v in dlq.values())
    summary.seconds = time.monotonic() - started
    return summary


def watch_ready(
    health: HealthServer, metrics: Metrics, name: str, check: Callable[[], bool]
) -> None:
    """Report ``check`` on ``/readyz`` and as ``newswire_service_ready{service=name}``."""
    health.ready_checks[name] = check
    metrics.up.labels(name).set_function(lambda: float(check()))


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
