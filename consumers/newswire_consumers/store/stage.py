"""The store stage: ``newswire.items.enriched`` -> the item store.

Effectively-once at the edge: the store upserts by ``item_id`` and ``version``, so a
redelivered batch never makes a second row; the runner commits the offsets only after
:meth:`StoreStage.process` returned, that is after every database commit of the batch.

A database that cannot take the batch raises the retriable ``StoreUnavailable``: the runner
holds the batch (fetches nothing more: no unbounded buffering), backs off and retries it,
and meanwhile :meth:`StoreStage.is_ready` is false, which the runner ANDs into ``/readyz``.
Transactions are at most ``store_batch_max`` items; a batch retried after some of its
transactions committed rewrites nothing (those items come back ``unchanged``).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence

from newswire.kafka.stage import Done, Incoming, Result
from newswire.log import get_logger
from newswire.metrics import Metrics
from newswire_consumers.store.store import ItemStore, StoreUnavailable, UpsertResult
from newswire_schemas import EventType
from newswire_schemas.item import Item

log = get_logger(__name__)


def split_aliases(batch: Sequence[Incoming]) -> tuple[list[Item], list[Result]]:
    """The items to store, and one result per event.

    Alias events (a new identity for an item already stored under ``alias_of``)
    add no row: the item they name is stored from its own created/updated events, and
    ``/stories/{id}`` groups items by ``story_id``. Their outcome is ``alias``.
    """
    items: list[Item] = []
    results: list[Result] = []
    for inc in batch:
        if inc.event.type is EventType.ALIAS:
            results.append(Done("alias"))
        else:
            items.append(inc.event.item)
            results.append(Done("stored"))
    return items, results


class StoreStage:
    """Writes batches to an :class:`~newswire_consumers.store.store.ItemStore` from a worker
    thread."""

    name = "store"

    def __init__(
        self,
        store: ItemStore,
        metrics: Metrics | None = None,
        *,
        backend: str = "sqlite",
        batch_max: int = 500,
    ) -> None:
        self._store = store
        self._metrics = metrics or Metrics()
        self._backend = backend
        self._batch_max = batch_max
        self._db_up = True
        self._metrics.store_db_up.labels(backend).set(1)

    def is_ready(self) -> bool:
        """False from a failed database call until the next successful one."""
        return self._db_up

    def _set_up(self, up: bool) -> None:
        if up != self._db_up:
            log.warning("store database " + ("back" if up else "down"), backend=self._backend)
        self._db_up = up
        self._metrics.store_db_up.labels(self._backend).set(1 if up else 0)

    async def process(self, batch: Sequence[Incoming]) -> list[Result]:
        """Store the batch in transactions of at most ``batch_max`` items, in order.

        Raises :class:`StoreUnavailable` (retriable) when the database is down; cancel-safe
        in the sense that a transaction cancelled mid-way is either committed whole or not
        at all, and the uncommitted offsets make the runner deliver the batch again.
        """
        items, results = split_aliases(batch)
        for start in range(0, len(items), self._batch_max):
            await self._upsert(items[start : start + self._batch_max])
        return results

    async def _upsert(self, items: list[Item]) -> UpsertResult:
        m, backend = self._metrics, self._backend
        started = time.perf_counter()
        try:
            result = await asyncio.to_thread(self._store.upsert_many, items)
        except StoreUnavailable:
            self._set_up(False)
            raise
        finally:
            m.store_upsert_seconds.labels(backend).observe(time.perf_counter() - started)
        self._set_up(True)
        m.store_batch_items.labels(backend).observe(len(items))
        m.store_rows.labels(backend, "inserted").inc(result.inserted)
        m.store_rows.labels(backend, "updated").inc(result.updated)
        m.store_rows.labels(backend, "unchanged").inc(result.unchanged)
        return result

    async def probe(self) -> bool:
        """Ping the database (so ``/readyz`` follows it while idle too); returns whether up."""
        try:
            await asyncio.to_thread(self._store.ping)
        except StoreUnavailable:
            self._set_up(False)
            return False
        self._set_up(True)
        return True

    async def probe_forever(self, interval_s: float) -> None:
        """:meth:`probe` every ``interval_s`` seconds until cancelled."""
        while True:
            await self.probe()
            await asyncio.sleep(interval_s)
