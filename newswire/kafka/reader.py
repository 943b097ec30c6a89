"""The one way newswire reads a topic outside any consumer group: from its beginning or its
end, to the end offsets seen at the start or following new records.

:class:`TopicReader` never joins a group and never commits, so it disturbs no stage: the
operator tools read any topic with it (tail, dead letters), ``read_topic`` and
``read_table`` read topics to their end (the feed registry and feed state live in compacted
topics: a restarted or moved replica resumes where the last one stopped), and a producer
replica reads its share of them after a rebalance. It assigns itself the partitions
directly, so it needs no wait for a group assignment.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterable, Sequence
from typing import Any, TypeAlias

from aiokafka import ConsumerRecord, TopicPartition
from aiokafka.errors import KafkaError

from newswire.closing import AsyncClosing
from newswire.errors import BrokerUnavailable, ConfigError
from newswire.kafka.clients import new_consumer, stop_within
from newswire.kafka.topics import admin_client, topic_partitions

Rec: TypeAlias = ConsumerRecord[bytes, bytes]  # aiokafka is untyped: Any to mypy


class TopicReader(AsyncClosing):
    """Every partition of ``topic`` (or those numbered in ``partitions``), from the
    beginning or from now on.

    ``stored`` is how many records the topic held at the start, and ``remaining`` how many
    lie between the starting positions and the end offsets seen then (what a catch-up has
    to read). Raises :class:`ConfigError` if the topic does not exist and
    :class:`BrokerUnavailable` if Kafka does not answer within ``timeout_s``.
    """

    def __init__(
        self,
        bootstrap: str,
        topic: str,
        *,
        from_beginning: bool,
        timeout_s: float = 30.0,
        partitions: Sequence[int] | None = None,
    ) -> None:
        self._bootstrap = bootstrap
        self._timeout = timeout_s
        self.topic = topic
        self._from_beginning = from_beginning
        self._partitions = partitions
        self._consumer: Any = None
        self.ends: dict[TopicPartition, int] = {}
        self.stored = 0  # records in the topic when the reader opened
        self.remaining = 0

    async def __aenter__(self) -> TopicReader:
        # Where a partition with no position starts. No seek after assign: a seek races
        # the consumer's own offset reset and may lose (seen with aiokafka 0.14).
        reset = "earliest" if self._from_beginning else "latest"
        consumer = new_consumer(self._bootstrap, self._timeout, auto_offset_reset=reset)
        self._consumer = consumer
        try:
            async with asyncio.timeout(self._timeout):
                tps = await self._assignment()
                await consumer.start()
                consumer.assign(tps)
                if tps:
                    self.ends = await consumer.end_offsets(tps)
                    starts = await consumer.beginning_offsets(tps)
                    self.stored = sum(self.ends[tp] - starts[tp] for tp in tps)
                    if self._from_beginning:
                        self.remaining = self.stored
        except (TimeoutError, KafkaError) as exc:
            await self.aclose()
            raise BrokerUnavailable(f"could not read {self.topic}: {exc!r}") from exc
        except BaseException:
            await self.aclose()
            raise
        return self

    async def _assignment(self) -> list[TopicPartition]:
        if self._partitions is not None:
            return [TopicPartition(self.topic, p) for p in self._partitions]
        async with admin_client(self._bootstrap, self._timeout) as admin:
            tps = await topic_partitions(admin, self.topic)
        if not tps:
            raise ConfigError(f"topic {self.topic} does not exist")
        return tps

    async def aclose(self) -> None:
        """Stop the consumer (bounded). Idempotent."""
        consumer, self._consumer = self._consumer, None
        if consumer is not None:
            await stop_within(consumer.stop)

    async def batches(
        self, *, follow: bool, stop: asyncio.Event | None = None
    ) -> AsyncIterator[list[Rec]]:
        """Records in batches, in offset order per partition. Without ``follow`` it ends
        at the end offsets seen at start; with it, when ``stop`` is set."""
        consumer = self._consumer
        if consumer is None:
            raise RuntimeError("reader is not open")
        pending = {tp for tp, end in self.ends.items() if end > 0}
        while not (stop is not None and stop.is_set()):
            if not follow:
                for tp in list(pending):
                    if await consumer.position(tp) >= self.ends[tp]:
                        pending.discard(tp)
                if not pending:
                    return
            try:
                async with asyncio.timeout(self._timeout):
                    fetched = await consumer.getmany(timeout_ms=200)
            except (TimeoutError, KafkaError) as exc:
                raise BrokerUnavailable(f"could not read {self.topic}: {exc!r}") from exc
            records = [
                r
                for tp, rs in fetched.items()
                for r in rs
                if follow or r.offset < self.ends.get(tp, 0)
            ]
            if records:
                yield records


async def read_topic(bootstrap: str, topic: str, *, timeout_s: float = 30.0) -> list[Rec]:
    """Every record in ``topic`` from the beginning to the end offsets seen at the start.
    Raises :class:`ConfigError` if the topic does not exist, :class:`BrokerUnavailable` if
    it cannot be read to its end within ``timeout_s``."""
    records: list[Rec] = []
    async with TopicReader(bootstrap, topic, from_beginning=True, timeout_s=timeout_s) as reader:
        try:
            async with asyncio.timeout(timeout_s):
                async for batch in reader.batches(follow=False):
                    records.extend(batch)
        except TimeoutError as exc:
            raise BrokerUnavailable(f"could not read {topic} to its end: {exc!r}") from exc
    return records


async def read_table(bootstrap: str, topic: str, *, timeout_s: float = 30.0) -> dict[bytes, bytes]:
    """Every key's latest value in a compacted ``topic``; tombstones remove keys."""
    records = await read_topic(bootstrap, topic, timeout_s=timeout_s)
    return {key: rec.value for key, rec in fold_table(records).items()}


def fold_table(records: Iterable[Rec]) -> dict[bytes, Rec]:
    """A compacted topic's records as a table: each key's latest record (by partition and
    offset); a tombstone (no value) removes its key, records without a key are skipped."""
    table: dict[bytes, Rec] = {}
    for rec in sorted(records, key=lambda r: (r.partition, r.offset)):
        if rec.key is None:
            continue
        if rec.value is None:
            table.pop(rec.key, None)
        else:
            table[rec.key] = rec
    return table
