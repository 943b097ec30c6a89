"""``newswire run`` and ``newswire serve``: the pipeline's services in one process.

The producer and the consuming stages run as tasks that share one Kafka producer, one
metrics registry and one health server. ``newswire serve NAME`` runs a single service (the
microservice deployment); ``newswire run`` runs them all. In ``until_idle`` mode every
feed is polled once, then each stage drains its input (upstream first) and the call
returns: the batch mode for cron jobs, the demo and the tests.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable, Sequence
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from newswire.app.ops.lag import stage_lag
from newswire.app.ops.offsets import OffsetProbe
from newswire.app.stages import STAGES
from newswire.errors import ConfigError, NewswireError
from newswire.health import HealthServer
from newswire.kafka.producer import EventProducer
from newswire.kafka.runner import ConsumerRunner
from newswire.kafka.topics import ensure_topics, pipeline_topics
from newswire.kafka.watch import KafkaWatch
from newswire.metrics import ANSWERED_OUTCOMES, Metrics
from newswire.settings import Settings, Topics
from newswire_producers.pacing.next_poll import human
from newswire_producers.poller import PollSummary
from newswire_producers.service import STOP_POLLS_WITHIN_S, ProducerService

Progress = Callable[[str], None]
SERVICES = ("producer", *(s.name for s in STAGES))


@dataclass
class RunSummary:
    feeds: int = 0
    items_fetched: int = 0
    fetch_outcomes: dict[str, int] = field(default_factory=dict)
    stage_outcomes: dict[str, dict[str, int]] = field(default_factory=dict)
    dead_lettered: int = 0
    seconds: float = 0.0
    interrupted: bool = False  # stopped by a signal before it was done
    left: dict[str, int] = field(default_factory=dict)  # stage -> records left in Kafka

    def outcome(self, stage: str, outcome: str) -> int:
        return self.stage_outcomes.get(stage, {}).get(outcome, 0)

    @property
    def fetch_words(self) -> str:
        """The poll outcomes for people: ``not_modified 2, ok 4``."""
        return ", ".join(f"{k} {v}" for k, v in sorted(self.fetch_outcomes.items()))

    @property
    def nothing_fetched(self) -> bool:
        """Feeds were polled and none answered with a feed (every poll failed)."""
        answered = sum(self.fetch_outcomes.get(o, 0) for o in ANSWERED_OUTCOMES)
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
        watch = await stack.enter_async_context(
            KafkaWatch(
                settings.kafka_bootstrap,
                metrics,
                interval_s=settings.kafka_probe_interval_s,
                timeout_s=min(settings.kafka_probe_interval_s, settings.kafka_timeout_s),
            )
        )
        health.ready_checks["kafka"] = watch.is_reachable
        source: ProducerService | None = None
        if "producer" in services:
            source = await ProducerService.open(settings, metrics, stack, producer)
            if feeds_file is not None:
                listed, added = await source.import_feeds(feeds_file)
                known = f" ({listed - added} already registered)" if listed > added else ""
                say(f"imported {added} new feeds from {feeds_file}{known}")
            if until_idle:  # the whole registry in this process; otherwise the group's share
                summary.feeds = len(await source.load())
            else:
                source.on_round = lambda done, due: say(round_line(done, due))
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
        feeds = f"{summary.feeds} feeds, " if until_idle else ""
        say(
            f"{', '.join(services)} up: {feeds}"
            f"health on http://{settings.health_host}:{health.port}/readyz"
        )
        await _run_services(settings, source, runners, stop, say, summary, until_idle=until_idle)
        summary.interrupted = stop.is_set()

    if not until_idle or summary.interrupted:  # the polls as the producer counted them
        summary.fetch_outcomes = label_values(metrics, "newswire_fetches", "outcome")
        summary.items_fetched = sum(
            v for _, v in counter_totals(metrics, "newswire_items_published")
        )
    if summary.interrupted and tuple(services) == SERVICES:
        with contextlib.suppress(NewswireError):  # Kafka gone as well: nothing to count
            summary.left = await records_left(settings, [r.name for r in runners])

    summary.stage_outcomes = counter_values(metrics, "newswire_stage_records", "stage", "outcome")
    dlq = counter_values(metrics, "newswire_dlq_records", "stage", "reason")
    summary.dead_lettered = sum(sum(v.values()) for v in dlq.values())
    summary.seconds = time.monotonic() - started
    return summary


async def _run_services(
    settings: Settings,
    source: ProducerService | None,
    runners: list[ConsumerRunner],
    stop: asyncio.Event,
    say: Progress,
    summary: RunSummary,
    *,
    until_idle: bool,
) -> None:
    """Run the producer and the stages until ``stop`` (or, ``until_idle``, until every feed
    was polled once and every stage drained).

    When this process runs the whole pipeline, ``stop`` ends polling (polls in flight are
    cancelled within seconds) and the stages then drain what was fetched, upstream first,
    for up to ``drain_timeout_s``; what they could not process stays in Kafka. A process
    running some of the services stops each at once (its input waits in Kafka)."""
    whole = source is not None and len(runners) == len(STAGES)
    halt = asyncio.Event() if whole else stop  # what stops the stages
    produced = asyncio.Event()
    done = [asyncio.Event() for _ in runners]

    async def stage_task(i: int) -> None:
        upstream = (produced if i == 0 else done[i - 1]) if whole else None
        await runners[i].run(stop=halt, upstream_done=upstream)
        done[i].set()
        if until_idle or stop.is_set():
            say(f"{runners[i].name}: drained ({runners[i].processed} records)")

    async def produce(service: ProducerService) -> None:
        try:
            if until_idle:
                await _poll_once(service, summary, stop, say)
            else:
                await service.run_sharded(stop)  # one consumer group of replicas
        finally:
            produced.set()

    async def drain_deadline() -> None:
        await stop.wait()
        say(f"stopping: draining what was fetched (up to {settings.drain_timeout_s:g} s)")
        await produced.wait()
        try:
            async with asyncio.timeout(settings.drain_timeout_s):
                await asyncio.gather(*(d.wait() for d in done))
        except TimeoutError:
            say("drain deadline passed; the rest stays in Kafka for the next run")
            halt.set()

    async with asyncio.TaskGroup() as group:
        if source is not None:
            group.create_task(produce(source))
        for i in range(len(runners)):
            group.create_task(stage_task(i))
        deadline = group.create_task(drain_deadline()) if whole else None
        if deadline is not None:
            await asyncio.gather(*(d.wait() for d in done))
            deadline.cancel()


async def _poll_once(
    service: ProducerService, summary: RunSummary, stop: asyncio.Event, say: Progress
) -> None:
    """Poll every feed once; ``stop`` cancels the polls (those done are counted)."""
    say(f"polling {summary.feeds} feeds")
    polling = asyncio.create_task(service.poll_once())
    stopping = asyncio.create_task(stop.wait())
    await asyncio.wait({polling, stopping}, return_when=asyncio.FIRST_COMPLETED)
    stopping.cancel()
    if not polling.done():
        done, _ = await asyncio.wait({polling}, timeout=STOP_POLLS_WITHIN_S)
        if not done:
            polling.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await polling
            say("polling stopped; the feeds not polled are polled next run")
            return
    result = polling.result()
    summary.items_fetched = result.items
    summary.fetch_outcomes = dict(result.outcomes)
    say(f"fetched {result.items} items from {result.feeds} feeds ({summary.fetch_words})")


async def records_left(settings: Settings, stages: list[str]) -> dict[str, int]:
    """Each stage's lag on its input topic (records it has not committed), from Kafka."""
    async with OffsetProbe(settings) as probe:
        return {s: (await stage_lag(probe, settings.topic_prefix, s)).lag for s in stages}


def round_line(done: PollSummary, due: float | None) -> str:
    """The progress line of a poll round in continuous mode."""
    outcomes = ", ".join(f"{k} {v}" for k, v in sorted(done.outcomes.items()))
    polled = sum(done.outcomes.values())
    line = f"polled {polled} feeds ({outcomes}) · {done.items} items"
    if due is None:
        return f"{line} · no poll scheduled"
    at = datetime.fromtimestamp(due).astimezone().strftime("%H:%M:%S")
    return f"{line} · next poll due {at} (in {human(max(0.0, due - time.time()))})"


def watch_ready(
    health: HealthServer, metrics: Metrics, name: str, check: Callable[[], bool]
) -> None:
    """Report ``check`` on ``/readyz`` and as ``newswire_service_ready{service=name}``."""
    health.ready_checks[name] = check
    metrics.up.labels(name).set_function(lambda: float(check()))


def counter_totals(metrics: Metrics, family_name: str) -> list[tuple[dict[str, str], int]]:
    """A counter's current values: (labels, value) per series."""
    return [
        (sample.labels, int(sample.value))
        for family in metrics.registry.collect()
        if family.name == family_name
        for sample in family.samples
        if sample.name.endswith("_total")
    ]


def label_values(metrics: Metrics, family_name: str, label: str) -> dict[str, int]:
    """A counter with one label as {label value: count}, zero counts left out."""
    return {labels[label]: v for labels, v in counter_totals(metrics, family_name) if v}


def counter_values(
    metrics: Metrics, family_name: str, outer: str, inner: str
) -> dict[str, dict[str, int]]:
    """A labelled counter's current values as {outer label: {inner label: value}}."""
    out: dict[str, dict[str, int]] = {}
    for labels, value in counter_totals(metrics, family_name):
        out.setdefault(labels[outer], {})[labels[inner]] = value
    return out
