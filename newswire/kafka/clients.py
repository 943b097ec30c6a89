"""Every Kafka consumer newswire opens is built here, and every client is stopped within a
deadline: aiokafka's ``stop()`` can block for as long as the broker is gone."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from aiokafka import AIOKafkaConsumer
from aiokafka.errors import KafkaError


def new_consumer(
    bootstrap: str,
    timeout_s: float,
    *topics: str,
    group_id: str | None = None,
    enable_auto_commit: bool = False,
    auto_offset_reset: str = "earliest",
    **options: Any,
) -> AIOKafkaConsumer:
    """A consumer of ``topics`` (or of partitions it is assigned later) whose requests time
    out after ``timeout_s``. No group and no commits unless asked for."""
    return AIOKafkaConsumer(
        *topics,
        bootstrap_servers=bootstrap,
        group_id=group_id,
        enable_auto_commit=enable_auto_commit,
        auto_offset_reset=auto_offset_reset,
        request_timeout_ms=int(timeout_s * 1000),
        **options,
    )


async def stop_within(
    stop: Callable[[], Awaitable[Any]], timeout_s: float = 5.0
) -> Exception | None:
    """Await ``stop()`` (a client's ``stop`` or ``close``) for at most ``timeout_s``.
    Returns the error when it did not stop cleanly, None when it did; never raises it."""
    try:
        async with asyncio.timeout(timeout_s):
            await stop()
    except (TimeoutError, KafkaError) as exc:
        return exc
    return None
