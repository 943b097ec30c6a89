"""The consumer runner against the real broker: commits, DLQ, retries, drain, shutdown."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition
from factories import make_event

from newswire.errors import TransientError
from newswire.kafka.producer import EventProducer, Record
from newswire.kafka.reader import read_table, read_topic
from newswire.kafka.runner import ConsumerRunner
from newswire.kafka.stage import Done, Incoming, Publish, Result
from newswire.kafka.topics import ensure_topics, pipeline_topics
from newswire.metrics import Metrics
from newswire.settings import Settings, Topics
from newswire_schemas import EventType

pytestmark = pytest.mark.kafka


class Forward:
    """Forwards every event; fails as told."""

    name = "forward"

    def __init__(
        self, *, poison_titles: set[str] = frozenset(), transient_failures: int = 0
    ) -> None:  # type: ignore[assignment]
        self.poison_titles = poison_titles
        self.transient_failures = transient_failures
        self.calls = 0
        self.seen: list[str] = []

    async def process(self, batch: Sequence[Incoming]) -> list[Result]:
        self.calls += 1
        if self.transient_failures:
            self.transient_failures -= 1
            raise TransientError("database is down")
        for inc in batch:
            if inc.event.item.title in self.poison_titles:
                raise ValueError(f"cannot handle {inc.event.item.title}")
        self.seen.extend(inc.event.item.title for inc in batch)
        return [
            Publish((inc.event.derive(EventType.CREATED, "urn:test", inc.event.item),))
            for inc in batch
        ]


async def read_all(
    bootstrap: str, topic: str
) -> list[tuple[list[tuple[str, bytes]], bytes | None]]:
    return [(list(r.headers), r.value) for r in await read_topic(bootstrap, topic)]


async def drain(settings: Settings, stage: Forward, records: list[Record]) -> Metrics:
    topics = Topics(settings.topic_prefix)
    await ensure_topics(settings.kafka_bootstrap, pipeline_topics(settings))
    metrics = Metrics()
    async with EventProducer(settings, metrics) as producer:
        await producer.publish(records)
        runner = ConsumerRunner(
            settings, metrics, stage, producer, input_topic=topics.raw, output_topic=topics.unique
        )
        upstream = asyncio.Event()
        upstream.set()
        await asyncio.wait_for(runner.run(stop=asyncio.Event(), upstream_done=upstream), 60)
    return metrics


async def test_forwards_and_commits(kafka_settings: Settings) -> None:
    topics = Topics(kafka_settings.topic_prefix)
    stage = Forward()
    events = [make_event(i) for i in range(25)]
    await drain(kafka_settings, stage, [Record.of(topics.raw, e) for e in events])
    assert sorted(stage.seen) == sorted(e.item.title for e in events)
    out = await read_all(kafka_settings.kafka_bootstrap, topics.unique)
    assert len(out) == 25
    # Committed: a second runner on the same group has nothing to do.
    again = Forward()
    await drain(kafka_settings, again, [])
    assert again.seen == []


async def test_poison_events_go_to_dlq_with_reason_headers(kafka_settings: Settings) -> None:
    topics = Topics(kafka_settings.topic_prefix)
    good = [make_event(i) for i in range(5)]
    bad_handler = make_event(99, title="explodes")
    records = [Record.of(topics.raw, e) for e in good[:2]]
    records.append(Record(topics.raw, b"k", b"{not json", good[0].headers()))
    records.append(Record(topics.raw, b"k", b"{}", [("ce_specversion", b"0.3")]))
    records.append(Record.of(topics.raw, bad_handler))
    records += [Record.of(topics.raw, e) for e in good[2:]]
    stage = Forward(poison_titles={"explodes"})
    metrics = await drain(kafka_settings, stage, records)

    assert sorted(stage.seen) == sorted(e.item.title for e in good)
    dlq = await read_all(kafka_settings.kafka_bootstrap, Topics.dlq(topics.raw))
    assert len(dlq) == 3
    reasons = sorted(dict(h)["dlq_error_class"].decode() for h, _ in dlq)
    assert reasons == ["ValueError", "undecodable", "undecodable"]
    for headers, _ in dlq:
        h = dict(headers)
        assert h["dlq_original_topic"].decode() == topics.raw
        assert int(h["dlq_original_offset"]) >= 0
        assert h["dlq_original_partition"].isdigit()
        assert h["dlq_error_message"]
    assert (
        metrics.registry.get_sample_value(
            "newswire_dlq_records_total", {"stage": "forward", "reason": "undecodable"}
        )
        == 2
    )
    assert len(await read_all(kafka_settings.kafka_bootstrap, topics.unique)) == 5


async def test_transient_errors_are_retried_not_dead_lettered(kafka_settings: Settings) -> None:
    topics = Topics(kafka_settings.topic_prefix)
    stage = Forward(transient_failures=2)
    metrics = await drain(
        kafka_settings, stage, [Record.of(topics.raw, make_event(i)) for i in range(3)]
    )
    assert sorted(stage.seen) == sorted(make_event(i).item.title for i in range(3))
    assert (
        metrics.registry.get_sample_value("newswire_stage_retries_total", {"stage": "forward"}) == 2
    )
    assert await read_all(kafka_settings.kafka_bootstrap, Topics.dlq(topics.raw)) == []


class Blocking:
    """Never finishes a batch: shutdown must cancel it uncommitted."""

    name = "blocking"

    def __init__(self) -> None:
        self.started = asyncio.Event()

    async def process(self, batch: Sequence[Incoming]) -> list[Result]:
        self.started.set()
        await asyncio.sleep(3600)
        return [Done("never") for _ in batch]


async def test_stop_cancels_unfinished_batch_without_commit(
    make_settings: object, kafka_bootstrap: str
) -> None:
    settings = make_settings(kafka_bootstrap, drain_timeout_s=1.0)  # type: ignore[operator]
    topics = Topics(settings.topic_prefix)
    await ensure_topics(settings.kafka_bootstrap, pipeline_topics(settings))
    metrics = Metrics()
    stage = Blocking()
    async with EventProducer(settings, metrics) as producer:
        await producer.publish([Record.of(topics.raw, make_event(i)) for i in range(3)])
        runner = ConsumerRunner(
            settings, metrics, stage, producer, input_topic=topics.raw, output_topic=None
        )
        stop = asyncio.Event()
        task = asyncio.create_task(runner.run(stop=stop))
        await asyncio.wait_for(stage.started.wait(), 30)
        stop.set()
        await asyncio.wait_for(task, 10)  # drain deadline 1 s, then cancelled
    # Nothing was committed for the group: the records will be delivered again.
    consumer = AIOKafkaConsumer(
        bootstrap_servers=settings.kafka_bootstrap, group_id=topics.group("blocking")
    )
    await consumer.start()
    try:
        for p in range(settings.topic_partitions):
            assert await consumer.committed(TopicPartition(topics.raw, p)) is None
    finally:
        await consumer.stop()


async def test_read_table_keeps_latest_value_per_key(kafka_settings: Settings) -> None:
    topics = Topics(kafka_settings.topic_prefix)
    await ensure_topics(kafka_settings.kafka_bootstrap, pipeline_topics(kafka_settings))
    async with EventProducer(kafka_settings, Metrics()) as producer:
        await producer.publish(
            [Record(topics.feeds, b"a", b"1", []), Record(topics.feeds, b"b", b"1", [])]
        )
        await producer.publish([Record(topics.feeds, b"a", b"2", [])])
    assert await read_table(kafka_settings.kafka_bootstrap, topics.feeds) == {
        b"a": b"2",
        b"b": b"1",
    }


class DownFor:
    """A stage whose dependency is down for ``seconds`` after the first call."""

    name = "outage"

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.first: float | None = None
        self.seen: list[str] = []

    async def process(self, batch: Sequence[Incoming]) -> list[Result]:
        loop = asyncio.get_running_loop()
        self.first = self.first or loop.time()
        if loop.time() - self.first < self.seconds:
            raise TransientError("database is down")
        self.seen.extend(inc.event.item.title for inc in batch)
        return [Done("stored") for _ in batch]


async def test_long_outage_keeps_group_membership(
    make_settings: object, kafka_bootstrap: str
) -> None:
    """An outage longer than max.poll.interval: the runner pauses and keeps polling, so the
    group does not evict it and nothing is delivered twice."""
    settings = make_settings(kafka_bootstrap, consumer_max_poll_interval_s=2.0)  # type: ignore[operator]
    topics = Topics(settings.topic_prefix)
    await ensure_topics(settings.kafka_bootstrap, pipeline_topics(settings))
    metrics = Metrics()
    stage = DownFor(6.0)
    async with EventProducer(settings, metrics) as producer:
        await producer.publish([Record.of(topics.raw, make_event(i)) for i in range(30)])
        runner = ConsumerRunner(
            settings, metrics, stage, producer, input_topic=topics.raw, output_topic=None
        )
        upstream = asyncio.Event()
        upstream.set()
        await asyncio.wait_for(runner.run(stop=asyncio.Event(), upstream_done=upstream), 60)
    assert sorted(stage.seen) == sorted(make_event(i).item.title for i in range(30))
    assert (
        metrics.registry.get_sample_value("newswire_stage_retries_total", {"stage": "outage"}) >= 3
    )
