"""The one producer wrapper: acks=all, idempotence, compression, batching, and an outer
timeout on every send, flush and stop (aiokafka can block forever when the broker is gone).
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError

from newswire.closing import AsyncClosing
from newswire.errors import BrokerUnavailable
from newswire.kafka.clients import stop_within
from newswire.log import get_logger
from newswire.metrics import Metrics
from newswire.settings import Settings
from newswire_schemas import Event

log = get_logger(__name__)

Headers = list[tuple[str, bytes]]


class Record:
    """A record to publish: topic, key, value, headers."""

    __slots__ = ("headers", "key", "topic", "value")

    def __init__(
        self, topic: str, key: bytes | None, value: bytes | None, headers: Headers
    ) -> None:
        """``value`` None is a tombstone: it deletes ``key`` from a compacted topic."""
        self.topic = topic
        self.key = key
        self.value = value
        self.headers = headers

    @classmethod
    def of(cls, topic: str, event: Event) -> Record:
        return cls(topic, event.key, event.value(), event.headers())


class EventProducer(AsyncClosing):
    """Publishes records and waits for their acknowledgement.

    An async context manager; ``aclose`` is idempotent. Every call is bounded by
    ``settings.kafka_timeout_s`` and raises :class:`BrokerUnavailable` past it.
    """

    def __init__(
        self, settings: Settings, metrics: Metrics, *, client_id: str = "newswire"
    ) -> None:
        self._timeout = settings.kafka_timeout_s
        self._metrics = metrics
        compression = (
            None if settings.producer_compression == "none" else settings.producer_compression
        )
        self._producer = AIOKafkaProducer(
            bootstrap_servers=settings.kafka_bootstrap,
            client_id=client_id,
            acks=1 if settings.producer_acks == "1" else "all",  # "1": control runs only
            enable_idempotence=settings.producer_acks == "all",
            compression_type=compression,
            linger_ms=settings.producer_linger_ms,
            max_batch_size=256 * 1024,
            request_timeout_ms=int(settings.kafka_timeout_s * 1000),
        )
        self._started = False
        self._closed = False

    async def __aenter__(self) -> EventProducer:
        if self._closed:
            raise RuntimeError("producer is closed")
        try:
            async with asyncio.timeout(self._timeout):
                await self._producer.start()
        except (TimeoutError, KafkaError) as exc:
            await self.aclose()
            raise BrokerUnavailable(f"producer could not connect: {exc!r}") from exc
        self._started = True
        return self

    async def aclose(self) -> None:
        """Flush and stop, each under the outer timeout. Idempotent."""
        if self._closed:
            return
        self._closed = True
        if error := await stop_within(self._producer.stop, self._timeout):
            log.warning("producer did not stop cleanly", error=repr(error))

    async def publish(self, records: Sequence[Record]) -> None:
        """Send ``records`` and return once Kafka acknowledged all of them.

        Not atomic: on :class:`BrokerUnavailable` some records may have been written;
        callers retry the whole set (at-least-once) and downstream stages are idempotent.
        """
        if not records:
            return
        try:
            async with asyncio.timeout(self._timeout):
                futures = [
                    await self._producer.send(r.topic, r.value, key=r.key, headers=r.headers)
                    for r in records
                ]
                await asyncio.gather(*futures)
        except (TimeoutError, KafkaError) as exc:
            raise BrokerUnavailable(f"publishing {len(records)} records failed: {exc!r}") from exc
        for r in records:
            self._metrics.events_published.labels(r.topic).inc()
