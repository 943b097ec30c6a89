"""Producer replicas share the feeds through one consumer group on the registry.

Every replica joins the group ``<prefix>.producer`` on ``<prefix>.feeds``; Kafka assigns
each registry partition to one member, and the replica polls the feeds of the partitions it
holds. Registry and state records are keyed by ``feed_id`` and both topics have the same
partition count, so a feed's state lives on the same partition number as its registration.

- On assignment the replica reads its partitions of the registry and of the state topic
  from the beginning to their end (a group-less reader), hands those feeds and their state
  (validators, body hash, recent item ids, next poll, errors) to the service, and moves its
  group consumer to the registry's end offsets read then.
- Afterwards it keeps consuming the registry, so feeds added, changed, paused or removed
  (``newswire feeds ...``, a 301 or a 410 seen by a poll) reach the owning replica.
- On revocation it drops those feeds and waits for their polls in flight (their state saved)
  before the revoke returns: Kafka's eager rebalance lets no new owner start before every
  old owner has returned, so no two replicas poll one feed at a time. A replica killed
  outright is evicted after ``producer_session_timeout_s``; its last poll may be repeated
  by the next owner (at-least-once: dedup removes the repeats).

Offsets are never committed: a replica always rebuilds its share from the compacted topics.
One process = a group of one = every partition.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from typing import Protocol

from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition
from aiokafka.abc import ConsumerRebalanceListener
from aiokafka.errors import KafkaError

from newswire.errors import BrokerUnavailable
from newswire.kafka.clients import new_consumer, stop_within
from newswire.kafka.reader import TopicReader, fold_table
from newswire.log import get_logger
from newswire.settings import Settings, Topics
from newswire_producers.feed_state import FeedState
from newswire_producers.registry import FeedRecord

log = get_logger(__name__)


class Owner(Protocol):
    """What the shard needs from the producer service."""

    def add_feeds(
        self, records: Iterable[FeedRecord], states: dict[str, FeedState] | None = None
    ) -> None: ...

    async def release_feeds(self, feed_ids: Iterable[str], *, stopping: bool = False) -> None: ...


class RegistryShard(ConsumerRebalanceListener):  # type: ignore[misc]  # aiokafka is untyped
    """This replica's share of the registry. Use once: ``await shard.run(stop)``."""

    def __init__(self, settings: Settings, owner: Owner) -> None:
        self._settings = settings
        self._owner = owner
        self._topics = Topics(settings.topic_prefix)
        self._consumer: AIOKafkaConsumer | None = None
        self._owned: dict[int, set[str]] = {}  # registry partition -> feed ids
        self._error: BaseException | None = None  # an assignment that could not be loaded
        self.rebalances = 0

    @property
    def partitions(self) -> list[int]:
        """The registry partitions this replica holds now."""
        return sorted(self._owned)

    @property
    def feed_count(self) -> int:
        return sum(len(ids) for ids in self._owned.values())

    async def run(self, stop: asyncio.Event) -> None:
        """Hold a share of the registry until ``stop``; then leave the group (its feeds are
        released first). Raises BrokerUnavailable when Kafka does not answer at start."""
        s = self._settings
        self._consumer = new_consumer(
            s.kafka_bootstrap,
            s.kafka_timeout_s,
            group_id=self._topics.group("producer"),
            client_id=f"{self._topics.group('producer')}-{id(self):x}",
            session_timeout_ms=int(s.producer_session_timeout_s * 1000),
            heartbeat_interval_ms=int(s.producer_heartbeat_s * 1000),
            max_poll_interval_ms=int(s.consumer_max_poll_interval_s * 1000),
        )
        try:
            async with asyncio.timeout(s.kafka_timeout_s):
                await self._consumer.start()
            self._consumer.subscribe([self._topics.feeds], listener=self)
            while not stop.is_set():
                batches = await self._consumer.getmany(timeout_ms=500)
                if self._error is not None:  # a partition held but not polled: give up
                    raise BrokerUnavailable(f"registry share not loaded: {self._error!r}")
                for records in batches.values():
                    self._apply(records)
        except (TimeoutError, KafkaError) as exc:
            raise BrokerUnavailable(f"producer group: {exc!r}") from exc
        finally:
            await self._close()

    async def _close(self) -> None:
        # Stop polling before leaving the group: the next owner may start right after.
        feed_ids = [f for ids in self._owned.values() for f in ids]
        self._owned.clear()
        if feed_ids:
            await self._owner.release_feeds(feed_ids, stopping=True)
        if self._consumer is not None:
            await stop_within(self._consumer.stop, 10)

    def _apply(self, records: list[ConsumerRecord[bytes, bytes]]) -> None:
        """Registry changes on held partitions: add or update feeds, drop tombstoned ones."""
        for rec in records:
            if rec.key is None or rec.partition not in self._owned:
                continue
            feed_id = rec.key.decode()
            if rec.value is None:
                if feed_id in self._owned[rec.partition]:
                    self._owned[rec.partition].discard(feed_id)
                    task = asyncio.create_task(self._owner.release_feeds([feed_id]))
                    task.add_done_callback(_retrieve)
            else:
                self._owned[rec.partition].add(feed_id)
                self._owner.add_feeds([FeedRecord.from_json(rec.value)])

    async def on_partitions_revoked(self, revoked: list[TopicPartition]) -> None:
        """Stop polling every held feed before returning (eager protocol: all are revoked)."""
        del revoked  # aiokafka revokes the whole assignment; _owned is what we hold
        feed_ids = [f for ids in self._owned.values() for f in ids]
        self._owned.clear()
        if feed_ids:
            await self._owner.release_feeds(feed_ids)
        log.info("registry partitions released", feeds=len(feed_ids))

    async def on_partitions_assigned(self, assigned: list[TopicPartition]) -> None:
        """Load the assigned partitions' feeds and states, hand them over, and continue the
        group consumer from the registry's end offsets read here."""
        self.rebalances += 1
        numbers = sorted(tp.partition for tp in assigned if tp.topic == self._topics.feeds)
        try:
            # Both tables at once: the handover waits on them (a dead replica's feeds).
            (registry, ends), (state_table, _) = await asyncio.gather(
                self._read(self._topics.feeds, numbers),
                self._read(self._topics.feed_state, numbers),
            )
        except (TimeoutError, KafkaError, BrokerUnavailable) as exc:
            self._error = exc  # aiokafka would only log it: run() stops instead
            return
        feeds = [FeedRecord.from_json(value) for _, value in registry.values()]
        states = {k.decode(): FeedState.from_json(v) for k, (_, v) in state_table.items()}
        self._owned = {p: set() for p in numbers}
        for key, (partition, _) in registry.items():
            self._owned[partition].add(key.decode())
        held = {f.feed_id: states[f.feed_id] for f in feeds if f.feed_id in states}
        self._owner.add_feeds(feeds, held)
        assert self._consumer is not None
        for p in numbers:
            self._consumer.seek(TopicPartition(self._topics.feeds, p), ends[p])
        log.info("registry partitions assigned", partitions=numbers, feeds=len(feeds))

    async def _read(
        self, topic: str, numbers: list[int]
    ) -> tuple[dict[bytes, tuple[int, bytes]], dict[int, int]]:
        """``topic``'s partitions ``numbers`` from the beginning to the end offsets seen at
        the start, as a table: key -> (partition, latest value), tombstones applied.
        Returns the table and those end offsets. Bounded by ``kafka_timeout_s``."""
        if not numbers:
            return {}, {}
        timeout_s = self._settings.kafka_timeout_s
        records: list[ConsumerRecord[bytes, bytes]] = []
        async with (
            TopicReader(
                self._settings.kafka_bootstrap,
                topic,
                from_beginning=True,
                timeout_s=timeout_s,
                partitions=numbers,
            ) as reader,
            asyncio.timeout(timeout_s),
        ):
            async for batch in reader.batches(follow=False):
                records.extend(batch)
            ends = {tp.partition: end for tp, end in reader.ends.items()}
        table = {key: (rec.partition, rec.value) for key, rec in fold_table(records).items()}
        return table, ends


def _retrieve(task: asyncio.Task[None]) -> None:
    """Log a failed background release instead of losing its exception."""
    if not task.cancelled() and (exc := task.exception()) is not None:
        log.error("feed release failed", error=repr(exc))
