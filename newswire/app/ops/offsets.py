"""Read-only views of topic and group offsets: the ground truth of lag, throughput and
reprocessing.

:class:`OffsetProbe` is an async context manager holding one admin client and one consumer
that belongs to no group; it never commits and never joins a group. Every call is bounded
by the settings' ``kafka_timeout_s`` and raises :class:`BrokerUnavailable` past it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from contextlib import AsyncExitStack
from dataclasses import dataclass
from typing import Any, TypeVar

from aiokafka import TopicPartition
from aiokafka.errors import KafkaError

from newswire.closing import AsyncClosing
from newswire.errors import BrokerUnavailable, ConfigError
from newswire.kafka.clients import new_consumer, stop_within
from newswire.kafka.topics import admin_client, topic_partitions
from newswire.settings import Settings

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class GroupState:
    """A consumer group as the coordinator describes it (``Empty``, ``Stable``, ``Dead`` ...)."""

    state: str
    members: int


class OffsetProbe(AsyncClosing):
    """Offsets of topics (beginning, end, by time) and groups (committed, members)."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._timeout = settings.kafka_timeout_s
        self._stack = AsyncExitStack()
        self._admin: Any = None
        self._consumer: Any = None

    async def __aenter__(self) -> OffsetProbe:
        bootstrap = self._settings.kafka_bootstrap
        try:
            self._admin = await self._stack.enter_async_context(
                admin_client(bootstrap, self._timeout)
            )
            consumer = new_consumer(bootstrap, self._timeout, auto_offset_reset="latest")
            self._stack.push_async_callback(stop_within, consumer.stop)
            await self._bounded(consumer.start())
            self._consumer = consumer
        except BaseException:
            await self.aclose()
            raise
        return self

    async def aclose(self) -> None:
        """Stop the consumer and the admin client (bounded). Idempotent."""
        await self._stack.aclose()

    async def _bounded(self, call: Awaitable[T]) -> T:
        try:
            async with asyncio.timeout(self._timeout):
                return await call
        except (TimeoutError, KafkaError) as exc:
            raise BrokerUnavailable(f"Kafka did not answer: {exc!r}") from exc

    async def partitions(self, topic: str) -> list[TopicPartition]:
        """The partitions of ``topic``; raises :class:`ConfigError` if it does not exist."""
        found = await self.existing_partitions(topic)
        if not found:
            raise ConfigError(f"topic {topic} does not exist")
        return found

    async def existing_partitions(self, topic: str) -> list[TopicPartition]:
        """The partitions of ``topic``, or [] if it does not exist."""
        return await self._bounded(topic_partitions(self._admin, topic))

    async def end_offsets(self, tps: list[TopicPartition]) -> dict[TopicPartition, int]:
        if not tps:
            return {}
        ends: dict[TopicPartition, int] = await self._bounded(self._consumer.end_offsets(tps))
        return ends

    async def beginning_offsets(self, tps: list[TopicPartition]) -> dict[TopicPartition, int]:
        if not tps:
            return {}
        starts: dict[TopicPartition, int] = await self._bounded(
            self._consumer.beginning_offsets(tps)
        )
        return starts

    async def offsets_at(
        self, tps: list[TopicPartition], timestamp_ms: int
    ) -> dict[TopicPartition, int]:
        """Per partition, the first offset whose record timestamp is at or after
        ``timestamp_ms``; the end offset where no record is that recent."""
        if not tps:
            return {}
        found = await self._bounded(
            self._consumer.offsets_for_times(dict.fromkeys(tps, timestamp_ms))
        )
        ends = await self.end_offsets(tps)
        return {tp: ends[tp] if found.get(tp) is None else found[tp].offset for tp in tps}

    async def committed(
        self, group: str, tps: list[TopicPartition]
    ) -> dict[TopicPartition, int | None]:
        """The group's committed offset per partition; None where it committed nothing."""
        if not tps:
            return {}
        raw = await self._bounded(self._admin.list_consumer_group_offsets(group, partitions=tps))
        out: dict[TopicPartition, int | None] = {}
        for tp in tps:
            meta = raw.get(tp)
            out[tp] = meta.offset if meta is not None and meta.offset >= 0 else None
        return out

    async def group_state(self, group: str) -> GroupState:
        """The group's state and how many members it has now (0 when nobody consumes)."""
        responses = await self._bounded(self._admin.describe_consumer_groups([group]))
        for response in responses:
            for described in response.groups:
                # DescribeGroups: (error_code, group_id, state, protocol_type, protocol,
                # members, ...); the field order is fixed in every version aiokafka speaks.
                if described[1] == group:
                    return GroupState(str(described[2]), len(described[5]))
        return GroupState("Dead", 0)
