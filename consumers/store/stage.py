"""The store stage: ``newswire.items.enriched`` -> the item store.

Effectively-once at the edge: the store upserts by ``item_id`` and ``version``, so a
redelivered batch never makes a second row; the runner commits the offsets only after
``upsert_many`` returned, that is after the database commit. A database that cannot take
the batch raises the retriable ``StoreUnavailable``: the runner backs off and retries.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from consumers.store.sqlite_store import SqliteStore
from newswire.kafka.stage import Done, Incoming, Result
from schemas import EventType


class StoreStage:
    name = "store"

    def __init__(self, store: SqliteStore) -> None:
        self._store = store

    async def process(self, batch: Sequence[Incoming]) -> list[Result]:
        items = [inc.event.item for inc in batch if inc.event.type is not EventType.ALIAS]
        await asyncio.to_thread(self._store.upsert_many, items)
        return [Done("skipped" if inc.event.type is EventType.ALIAS else "stored") for inc in batch]
