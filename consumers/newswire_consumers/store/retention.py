"""Retention: delete stored items older than a maximum age, in small batches.

Each batch is one short transaction (``ItemStore.delete_older_than``) run in a worker
thread; the store's lock is released between batches, so the store stage's upserts
interleave with a long sweep instead of waiting for it (ingest is never blocked for more
than one batch). An item's age is its time: published, else fetched.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from newswire.log import get_logger
from newswire.metrics import Metrics
from newswire_consumers.store.store import ItemStore, StoreUnavailable

log = get_logger(__name__)


async def sweep(
    store: ItemStore,
    max_age: timedelta,
    *,
    batch: int = 1000,
    now: Callable[[], datetime] = lambda: datetime.now(UTC),
    metrics: Metrics | None = None,
    backend: str = "sqlite",
    on_deleted: Callable[[int], None] | None = None,
) -> int:
    """Delete every item older than ``now() - max_age``; return how many were deleted.
    ``on_deleted`` hears each batch's count (the store stage's item total).

    Raises :class:`StoreUnavailable` if the database goes away (batches already deleted
    stay deleted; the next sweep goes on from there).
    """
    cutoff = now() - max_age
    total = 0
    while True:
        deleted = await asyncio.to_thread(store.delete_older_than, cutoff, limit=batch)
        total += deleted
        if metrics is not None:
            metrics.store_retention_deleted.labels(backend).inc(deleted)
        if on_deleted is not None:
            on_deleted(deleted)
        if deleted < batch:
            return total
        await asyncio.sleep(0)  # let the stage's transactions in between


async def run_retention(
    store: ItemStore,
    max_age: timedelta,
    *,
    interval_s: float,
    batch: int,
    metrics: Metrics | None = None,
    backend: str = "sqlite",
    on_deleted: Callable[[int], None] | None = None,
) -> None:
    """:func:`sweep` now and every ``interval_s`` seconds until cancelled; a database that
    is down only skips a sweep."""
    while True:
        try:
            deleted = await sweep(
                store,
                max_age,
                batch=batch,
                metrics=metrics,
                backend=backend,
                on_deleted=on_deleted,
            )
            if deleted:
                log.info("retention deleted items", deleted=deleted, max_age_days=max_age.days)
        except StoreUnavailable as exc:
            log.warning("retention sweep skipped: store unavailable", error=str(exc))
        await asyncio.sleep(interval_s)
