"""Read a topic outside any consumer group: from its beginning or its end, to the end
offsets seen at the start or following new records.

:class:`TopicReader` never joins a group and never commits, so operators can read any
topic (tail, list dead letters) without disturbing the stages. It assigns itself every
partition directly, so it needs no wait for a group assignment.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any, TypeAlias

from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition
from aiokafka.errors import KafkaError

from newswire.app.ops.offsets import topic_partitions
from newswire.closing import AsyncClosing
from newswire.errors import BrokerUnavailable, ConfigError
from newswire.kafka.topics import admin_client
from newswire.settings import Settings

Rec: TypeAlias = ConsumerRecord[bytes, bytes]  # aiokafka is untyped: Any to mypy


class TopicReader(AsyncClosing):
    """Every partition of ``topic``, from the beginning or from now on.

    ``remaining`` is how many records lie between the starting positions and the end
    offsets seen at start (what a catch-up has to read). Raises :class:`ConfigError` if the
    topic does not exist and :class:`BrokerUnavailable` if Kafka does not answer.
    """

    def __init__(self, settings: Settings, topic: str, *, from_beginning: bool) -> None:
        self._settings = settings
        self._timeout = settings.kafka_timeout_s
        self.topic = topic
        self._from_beginning = from_beginning
        self._consumer: Any = None
        self.ends: dict[TopicPartition, int] = {}
        self.remaining = 0

    async def __aenter__(self) -> TopicReader:
        consumer = AIOKafkaConsumer(
            bootstrap_servers=self._settings.kafka_bootstrap,
            group_id=None,
            enable_auto_commit=False,
            # Where a partition with no position starts. No seek after assign: a seek races
            # the consumer's own offset reset and may lose (seen with aiokafka 0.14).
            auto_offset_reset="earliest" if self._from_beginning else "latest",
            request_timeout_ms=int(self._timeout * 1000),
        )
        self._consumer = consumer
        try:
            async with asyncio.timeout(self._timeout):
                async with admin_client(self._settings.kafka_bootstrap, self._timeout) as admin:
                    tps = await topic_partitions(admin, self.topic)
                if not tps:
                    raise ConfigError(f"topic {self.topic} does not exist")
                await consumer.start()
                consumer.assign(tps)
                self.ends = await consumer.end_offsets(tps)
                starts = await consumer.beginning_offsets(tps)
                if self._from_beginning:
                    self.remaining = sum(self.ends[tp] - starts[tp] for tp in tps)
        except (TimeoutError, KafkaError) as exc:
            await self.aclose()
            raise BrokerUnavailable(f"could not read {self.topic}: {exc!r}") from exc
        except BaseException:
            await self.aclose()
            raise
        return self

    async def aclose(self) -> None:
        """Stop the consumer (bounded). Idempotent."""
        consumer, self._consumer = self._consumer, None
        if consumer is None:
            return
        try:
            async with asyncio.timeout(5):
                await consumer.stop()
        except (TimeoutError, KafkaError):
            pass

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
