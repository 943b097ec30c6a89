"""The one consumer runner every stage uses.

It owns all Kafka plumbing of a consuming stage: connect, poll, decode, hand the batch to
the stage, publish the results, dead-letter poison events, commit, measure, shut down.

Delivery rules (DESIGN.md, Delivery semantics):
- auto-commit is off; an offset is committed only after every result of the batch is
  acknowledged by Kafka (published downstream or dead-lettered). A cancelled or failed
  batch is never committed, so its records are delivered again (at-least-once).
- :class:`TransientError` is retried with capped exponential backoff and never
  dead-lettered; any other failure is isolated to the events that cause it, which go to
  ``<input topic>.dlq`` with headers naming the original topic, partition, offset, error
  class and message.
- Shutdown: ``stop`` ends intake; the batch in flight gets ``drain_timeout_s`` to finish
  and commit, then it is cancelled uncommitted.
- Drain mode (``upstream_done``): once the upstream is done and every assigned partition is
  consumed to its end offset, :meth:`ConsumerRunner.run` returns: the batch mode of
  ``newswire run --until-idle`` and of the tests, with no sleeps.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import random
import time
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime
from typing import TypeVar

from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition
from aiokafka.errors import CommitFailedError, KafkaError

from newswire import hooks
from newswire.errors import BrokerUnavailable, TransientError
from newswire.kafka.clients import new_consumer, stop_within
from newswire.kafka.producer import EventProducer, Record
from newswire.kafka.stage import DeadLetter, Delivery, Incoming, Publish, Result, Stage
from newswire.log import get_logger
from newswire.metrics import Metrics
from newswire.settings import Settings, Topics
from newswire_schemas.envelope import EventDecodeError, decode_event

log = get_logger(__name__)
T = TypeVar("T")

_BACKOFF_START_S = 0.2
_BACKOFF_MAX_S = 10.0
_MESSAGE_MAX = 1000


class _Abandoned(Exception):
    """The batch was given up because of shutdown; it stays uncommitted."""


class ConsumerRunner:
    """Runs one stage on one consumer group. Use once: ``await runner.run(stop=...)``."""

    def __init__(
        self,
        settings: Settings,
        metrics: Metrics,
        stage: Stage,
        producer: EventProducer,
        *,
        input_topic: str,
        output_topic: str | None,
        group_id: str | None = None,
    ) -> None:
        self._settings = settings
        self._metrics = metrics
        self._stage = stage
        self._producer = producer
        self._input = input_topic
        self._output = output_topic
        self._dlq = Topics.dlq(input_topic)
        self._group = group_id or Topics(settings.topic_prefix).group(stage.name)
        self._consumer: AIOKafkaConsumer | None = None
        self._stopping = False
        self._positions: dict[TopicPartition, int] = {}
        self.processed = 0
        # The series this runner reports, at 0 from the start (dashboards and alerts select
        # them); a stage that lists its outcomes gets those too.
        outputs = (output_topic, self._dlq) if output_topic else (self._dlq,)
        metrics.init_stage(stage.name, getattr(stage, "outcomes", ()), publishes=outputs)

    @property
    def name(self) -> str:
        return self._stage.name

    def is_ready(self) -> bool:
        """Started, not stopping, holding at least one partition, and the stage's own
        dependencies (if it reports them) up."""
        stage_ready = getattr(self._stage, "is_ready", None)
        return (
            self._consumer is not None
            and not self._stopping
            and bool(self._consumer.assignment())
            and (stage_ready is None or bool(stage_ready()))
        )

    async def run(self, *, stop: asyncio.Event, upstream_done: asyncio.Event | None = None) -> None:
        """Consume until ``stop`` is set, or (drain mode) until the upstream is done and the
        input is consumed to its end. Raises :class:`BrokerUnavailable` if the broker cannot
        be reached at start."""
        consumer = new_consumer(
            self._settings.kafka_bootstrap,
            self._settings.kafka_timeout_s,
            self._input,
            group_id=self._group,
            client_id=f"{self._group}-{id(self):x}",
            enable_auto_commit=self._settings.commit_policy == "auto",  # control runs only
            auto_commit_interval_ms=100,
            max_poll_interval_ms=int(self._settings.consumer_max_poll_interval_s * 1000),
        )
        try:
            async with asyncio.timeout(self._settings.kafka_timeout_s):
                await consumer.start()
        except (TimeoutError, KafkaError) as exc:
            await self._stop_consumer(consumer)
            raise BrokerUnavailable(f"{self.name}: consumer could not connect: {exc!r}") from exc
        self._consumer = consumer
        log.info("stage started", stage=self.name, topic=self._input, group=self._group)
        loop_task = asyncio.create_task(self._loop(consumer, stop, upstream_done))
        stop_task = asyncio.create_task(stop.wait())
        try:
            await asyncio.wait({loop_task, stop_task}, return_when=asyncio.FIRST_COMPLETED)
            if not loop_task.done():
                # Intake has stopped (the loop checks `stop` between batches); give the batch
                # in flight the drain deadline, then cancel it uncommitted.
                self._stopping = True
                done, _ = await asyncio.wait({loop_task}, timeout=self._settings.drain_timeout_s)
                if not done:
                    log.warning(
                        "drain deadline passed; cancelling uncommitted batch", stage=self.name
                    )
                    loop_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await loop_task
        finally:
            self._stopping = True
            stop_task.cancel()
            if not loop_task.done():
                loop_task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await loop_task
            await self._stop_consumer(consumer)
            log.info("stage stopped", stage=self.name, processed=self.processed)

    async def _loop(
        self, consumer: AIOKafkaConsumer, stop: asyncio.Event, upstream_done: asyncio.Event | None
    ) -> None:
        while not stop.is_set():
            batches = await consumer.getmany(
                timeout_ms=200, max_records=self._settings.consumer_max_batch
            )
            records = [r for rs in batches.values() for r in rs]
            if records:
                if stop.is_set():
                    return  # fetched after stop: leave it uncommitted for the next owner
                try:
                    await self._handle(consumer, records, stop)
                except _Abandoned:
                    return
            elif (
                upstream_done is not None
                and upstream_done.is_set()
                and await self._drained(consumer)
            ):
                return
            else:
                self._update_lag(consumer, consumer.assignment())

    async def _handle(
        self,
        consumer: AIOKafkaConsumer,
        records: list[ConsumerRecord[bytes, bytes]],
        stop: asyncio.Event,
    ) -> None:
        started = time.perf_counter()
        stage = self.name
        self._metrics.records_consumed.labels(stage).inc(len(records))
        self._metrics.batch_size.labels(stage).observe(len(records))
        # The commit policy (settings): the guarantee commits after publishing; the control
        # runs' policies commit first (or let aiokafka auto-commit). "mid_batch" is the point
        # between the commit and the work it should have waited for (hooks.py).
        policy = self._settings.commit_policy
        if policy == "before_process":
            await self._commit(consumer, records)
        if policy != "after_publish":
            await hooks.reach("mid_batch", stage)

        results: list[Result | None] = [None] * len(records)
        incoming: list[tuple[int, Incoming]] = []
        for i, rec in enumerate(records):
            try:
                event = decode_event(rec.headers, rec.value)
            except EventDecodeError as exc:
                results[i] = DeadLetter("undecodable", str(exc))
                continue
            incoming.append((i, Incoming(event, Delivery(rec.topic, rec.partition, rec.offset))))

        if incoming:
            stage_results = await self._process(incoming, stop)
            for (i, _), stage_result in zip(incoming, stage_results, strict=True):
                results[i] = stage_result

        out: list[Record] = []
        for rec, outcome in zip(records, results, strict=True):
            if isinstance(outcome, Publish):
                if self._output is None:
                    raise RuntimeError(f"stage {stage} published but has no output topic")
                out.extend(Record.of(self._output, e) for e in outcome.events)
            elif isinstance(outcome, DeadLetter):
                out.append(self._dead_letter(rec, outcome))
        await self._retrying(lambda: self._producer.publish(out), stop)
        if policy != "before_process":
            if policy == "after_publish":
                await hooks.reach("mid_batch", stage)  # published, not yet committed
            await self._commit(consumer, records)

        now = datetime.now(UTC)
        by_id = {i: inc for i, inc in incoming}
        for i, done in enumerate(results):
            if isinstance(done, DeadLetter):
                self._metrics.dlq_records.labels(stage, done.reason).inc()
                log.warning(
                    "dead-lettered",
                    stage=stage,
                    reason=done.reason,
                    message=done.message[:200],
                    topic=records[i].topic,
                    partition=records[i].partition,
                    offset=records[i].offset,
                )
            elif done is not None:
                self._metrics.stage_records.labels(stage, done.outcome).inc()
                fetched = by_id[i].event.item.fetched
                self._metrics.freshness.labels(f"fetched_to_{stage}").observe(
                    max(0.0, (now - fetched).total_seconds())
                )
        self.processed += len(records)
        self._metrics.batch_seconds.labels(stage).observe(time.perf_counter() - started)

    async def _process(
        self, incoming: list[tuple[int, Incoming]], stop: asyncio.Event
    ) -> list[Result]:
        batch = [inc for _, inc in incoming]
        try:
            return await self._retrying(lambda: self._call_stage(batch), stop)
        except _Abandoned:
            raise
        except Exception:  # noqa: BLE001 - isolate whatever the stage raised to its events
            log.warning(
                "batch failed; retrying events one by one", stage=self.name, size=len(batch)
            )
        results: list[Result] = []
        for inc in batch:
            try:
                results.extend(
                    await self._retrying(functools.partial(self._call_stage, [inc]), stop)
                )
            except _Abandoned:
                raise
            except Exception as exc:  # noqa: BLE001 - a deterministic failure: dead-letter it
                reason = getattr(exc, "reason", None) or type(exc).__name__
                results.append(DeadLetter(str(reason), f"{type(exc).__name__}: {exc}"))
        return results

    async def _call_stage(self, batch: Sequence[Incoming]) -> list[Result]:
        results = list(await self._stage.process(batch))
        if len(results) != len(batch):
            raise RuntimeError(
                f"stage {self.name} returned {len(results)} results for {len(batch)} events"
            )
        return results

    async def _retrying(self, call: Callable[[], Awaitable[T]], stop: asyncio.Event) -> T:
        """Run ``call``; on TransientError back off and retry until it succeeds or stop.

        While it waits, the consumer's partitions are paused and it keeps polling them
        (an empty poll), so a long outage (a database down for minutes) neither buffers
        more records nor exceeds ``max.poll.interval.ms`` and triggers a rebalance.
        """
        delay = _BACKOFF_START_S
        paused = False
        try:
            while True:
                try:
                    return await call()
                except TransientError as exc:
                    self._metrics.retries.labels(self.name).inc()
                    log.warning(
                        "transient failure; retrying",
                        stage=self.name,
                        error=str(exc),
                        delay_s=round(delay, 2),
                    )
                if stop.is_set():
                    raise _Abandoned
                if not paused and self._consumer is not None:
                    self._consumer.pause(*self._consumer.assignment())
                    paused = True
                await self._wait_polling(delay * random.uniform(0.8, 1.2), stop)
                if stop.is_set():
                    raise _Abandoned
                delay = min(delay * 2, _BACKOFF_MAX_S)
        finally:
            if paused and self._consumer is not None:
                self._consumer.resume(*self._consumer.assignment())

    async def _wait_polling(self, seconds: float, stop: asyncio.Event) -> None:
        """Wait ``seconds`` (or until stop) while polling the paused consumer."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + seconds
        consumer = self._consumer
        while not stop.is_set() and (remaining := deadline - loop.time()) > 0:
            if consumer is None:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), timeout=remaining)
                return
            consumer.pause(*consumer.assignment())  # partitions a rebalance just assigned
            stray = await consumer.getmany(timeout_ms=int(min(remaining, 1.0) * 1000))
            for tp, records in stray.items():
                # Fetched before the pause took effect: put them back, uncommitted.
                consumer.seek(tp, records[0].offset)

    def _dead_letter(self, rec: ConsumerRecord[bytes, bytes], result: DeadLetter) -> Record:
        headers = [h for h in rec.headers if not h[0].startswith("dlq_")]
        headers += [
            ("dlq_stage", self.name.encode()),
            ("dlq_original_topic", rec.topic.encode()),
            ("dlq_original_partition", str(rec.partition).encode()),
            ("dlq_original_offset", str(rec.offset).encode()),
            ("dlq_error_class", result.reason.encode()),
            ("dlq_error_message", result.message[:_MESSAGE_MAX].encode("utf-8", "replace")),
            ("dlq_time", datetime.now(UTC).isoformat().encode()),
        ]
        return Record(self._dlq, rec.key, rec.value or b"", headers)

    async def _commit(
        self, consumer: AIOKafkaConsumer, records: list[ConsumerRecord[bytes, bytes]]
    ) -> None:
        offsets: dict[TopicPartition, int] = {}
        for rec in records:
            tp = TopicPartition(rec.topic, rec.partition)
            offsets[tp] = max(offsets.get(tp, 0), rec.offset + 1)
        try:
            async with asyncio.timeout(self._settings.kafka_timeout_s):
                await consumer.commit(offsets)
        except CommitFailedError as exc:
            # The group rebalanced: the new owner gets these records again (at-least-once).
            log.warning(
                "commit failed after rebalance; records will be redelivered",
                stage=self.name,
                error=str(exc),
            )
        except (TimeoutError, KafkaError) as exc:
            log.warning(
                "commit failed; records will be redelivered", stage=self.name, error=repr(exc)
            )
        self._positions.update(offsets)
        self._update_lag(consumer, set(offsets))

    def _update_lag(self, consumer: AIOKafkaConsumer, partitions: set[TopicPartition]) -> None:
        """Lag = the partition's high watermark minus our position (aiokafka has no metric)."""
        # Only partitions we still hold: a rebalance may have revoked some since the fetch.
        for tp in partitions & consumer.assignment():
            high = consumer.highwater(tp)
            position = self._positions.get(tp)
            if high is not None and position is not None:
                self._metrics.consumer_lag.labels(self.name, tp.topic, str(tp.partition)).set(
                    max(0, high - position)
                )

    async def _drained(self, consumer: AIOKafkaConsumer) -> bool:
        assignment = consumer.assignment()
        if not assignment:
            return False
        try:
            async with asyncio.timeout(self._settings.kafka_timeout_s):
                ends = await consumer.end_offsets(list(assignment))
                positions = {tp: await consumer.position(tp) for tp in assignment}
        except (TimeoutError, KafkaError):
            return False
        for tp in assignment:
            self._metrics.consumer_lag.labels(self.name, tp.topic, str(tp.partition)).set(
                max(0, ends[tp] - positions[tp])
            )
        return all(positions[tp] >= ends[tp] for tp in assignment)

    async def _stop_consumer(self, consumer: AIOKafkaConsumer) -> None:
        if error := await stop_within(consumer.stop, self._settings.kafka_timeout_s):
            log.warning("consumer did not stop cleanly", stage=self.name, error=repr(error))
