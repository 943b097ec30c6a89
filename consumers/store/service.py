"""How the store stage is wired: enriched -> the item store named by NEWSWIRE_STORE_URL."""

from __future__ import annotations

from contextlib import AsyncExitStack

from consumers.store.sqlite_store import SqliteStore
from consumers.store.stage import StoreStage
from newswire.kafka.stage import StageService
from newswire.metrics import Metrics
from newswire.settings import Settings


async def open_store(settings: Settings, metrics: Metrics, stack: AsyncExitStack) -> StoreStage:
    store = SqliteStore.from_url(settings.store_url)
    stack.callback(store.close)
    return StoreStage(store)


SERVICE = StageService(
    name="store",
    input_topic=lambda t: t.enriched,
    output_topic=lambda t: None,
    open=open_store,
)
