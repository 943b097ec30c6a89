"""How the store stage is wired: enriched -> the item store named by NEWSWIRE_STORE_URL.

``sqlite:///path`` selects the embedded SQLite store, ``postgresql://...`` PostgreSQL.
Besides the stage it runs two background tasks, cancelled when the service stops: a
database probe every ``store_health_interval_s`` (so ``/readyz`` follows the database even
while no records arrive; it also recounts ``newswire_store_items`` now and then) and, when
``retention_days`` > 0, the retention sweep.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Coroutine
from contextlib import AsyncExitStack
from datetime import timedelta
from typing import Any

from newswire.kafka.stage import StageService
from newswire.metrics import Metrics
from newswire.settings import Settings
from newswire_consumers.store.retention import run_retention
from newswire_consumers.store.stage import StoreStage
from newswire_consumers.store.store import open_store_url


def backend_name(url: str) -> str:
    """``sqlite`` or ``postgresql``: the bounded ``backend`` metric label."""
    return "sqlite" if url.startswith("sqlite:") else "postgresql"


def _background(stack: AsyncExitStack, coro: Coroutine[Any, Any, None]) -> None:
    task = asyncio.create_task(coro)

    async def cancel() -> None:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task

    stack.push_async_callback(cancel)


async def open_store(settings: Settings, metrics: Metrics, stack: AsyncExitStack) -> StoreStage:
    """Open the store (it reconnects by itself; a database down at start makes the
    service not-ready, not failed), count its items, and start the probe and retention
    tasks."""
    store = open_store_url(settings.store_url)
    stack.callback(store.close)
    backend = backend_name(settings.store_url)
    stage = StoreStage(store, metrics, backend=backend, batch_max=settings.store_batch_max)
    await stage.count_items()  # down: the probe counts once the database answers
    _background(stack, stage.probe_forever(settings.store_health_interval_s))
    if settings.retention_days > 0:
        _background(
            stack,
            run_retention(
                store,
                timedelta(days=settings.retention_days),
                interval_s=settings.retention_interval_s,
                batch=settings.retention_batch,
                metrics=metrics,
                backend=backend,
                on_deleted=stage.items_deleted,
            ),
        )
    return stage


SERVICE = StageService(
    name="store",
    input_topic=lambda t: t.enriched,
    output_topic=lambda t: None,
    open=open_store,
)
