"""Read a topic from its beginning to its current end, and compacted topics as tables.

``read_table`` serves the feed registry (``newswire.feeds``) and per-feed state
(``newswire.feed-state``): state that lives in Kafka, so a restarted or moved replica
resumes where the last one stopped.
"""

from __future__ import annotations

import asyncio

from aiokafka import AIOKafkaConsumer, ConsumerRecord
from aiokafka.errors import KafkaError

from newswire.errors import BrokerUnavailable


async def read_topic(
    bootstrap: str, topic: str, *, timeout_s: float = 30.0
) -> list[ConsumerRecord[bytes, bytes]]:
    """Every record in ``topic`` from the beginning to the end offsets seen at the start.

    Uses no consumer group and commits nothing. Raises :class:`BrokerUnavailable` if the
    topic cannot be read to its end within ``timeout_s``.
    """
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=bootstrap,
        group_id=None,  # the consumer assigns itself every partition
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        request_timeout_ms=int(timeout_s * 1000),
    )
    records: list[ConsumerRecord[bytes, bytes]] = []
    try:
        async with asyncio.timeout(timeout_s):
            await consumer.start()
            # aiokafka offers no event for "assignment done"; this wait is bounded above.
            while not consumer.assignment():  # noqa: ASYNC110
                await asyncio.sleep(0.05)
            assignment = list(consumer.assignment())
            ends = await consumer.end_offsets(assignment)
            remaining = {tp for tp in assignment if ends[tp] > 0}
            while remaining:
                batches = await consumer.getmany(*remaining, timeout_ms=500)
                for batch in batches.values():
                    records.extend(batch)
                for tp in list(remaining):
                    if await consumer.position(tp) >= ends[tp]:
                        remaining.discard(tp)
    except (TimeoutError, KafkaError) as exc:
        raise BrokerUnavailable(f"could not read {topic} to its end: {exc!r}") from exc
    finally:
        try:
            async with asyncio.timeout(5):
                await consumer.stop()
        except (TimeoutError, KafkaError):
            pass
    return records


async def read_table(bootstrap: str, topic: str, *, timeout_s: float = 30.0) -> dict[bytes, bytes]:
    """Every key's latest value in a compacted ``topic``; tombstones remove keys."""
    table: dict[bytes, bytes] = {}
    for rec in sorted(
        await read_topic(bootstrap, topic, timeout_s=timeout_s),
        key=lambda r: (r.partition, r.offset),
    ):
        if rec.key is None:
            continue
        if rec.value is None:
            table.pop(rec.key, None)
        else:
            table[rec.key] = rec.value
    return table
