"""The store stage: ``newswire.items.enriched`` -> the item store.

Effectively-once at the edge: the store upserts by ``item_id`` and ``version``, so a
redelivered batch never makes a second row; the runner commits the offsets only after
:meth:`StoreStage.process` returned, that is after every database commit of the batch.

A database that cannot take the batch raises the retriable ``StoreUnavailable``: the runner
holds the batch (fetches nothing more: no unbounded buffering), backs off and retries it,
and meanwhile :meth:`StoreStage.is_ready` is false, which the runner ANDs into ``/readyz``.
Transactions are at most ``store_batch_max`` items; a batch retried after some of its
transactions committed rewrites nothing (those items come back ``unchanged``).

``newswire_store_items`` (a total that survives restarts, unlike a counter) is
set by one COUNT when the stage opens, then kept current without a COUNT per batch: plus
the rows each transaction inserted, minus what retention deleted. Replicas sharing one
PostgreSQL each add only their own inserts, so the probe counts again every
``recount_interval_s``: every replica then reports the database's total, within that
interval (the dashboard takes their max). A COUNT never overlaps this stage's own
transactions; a retention batch committed during a COUNT may leave the total off by that
batch until the next COUNT.
"""

from __future__ import annotations

import asyncio
import dataclasses
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
    outcomes = ("stored", "alias")  # newswire_stage_records_total{outcome}

    def __init__(
        self,
        store: ItemStore,
        metrics: Metrics | None = None,
        *,
        backend: str = "sqlite",
        batch_max: int = 500,
        recount_interval_s: float = 300.0,
    ) -> None:
        self._store = store
        self._metrics = m = metrics or Metrics()
        self._backend = backend
        self._batch_max = batch_max
        self._db_up = True
        m.store_db_up.labels(backend).set(1)
        for field in dataclasses.fields(UpsertResult):  # inserted, updated, unchanged at 0
            m.store_rows.labels(backend, field.name)
        m.store_batch_items.labels(backend)
        m.store_upsert_seconds.labels(backend)
        m.store_retention_deleted.labels(backend)
        # Not created before the first COUNT: an unknown total is no data, never 0.
        self._items = m.store_items
        self._recount_s = recount_interval_s
        self._counted_at: float | None = None  # monotonic time of the last COUNT
        self._writing = asyncio.Lock()  # a COUNT never overlaps this stage's writes

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
        async with self._writing:
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
        if self._counted_at is not None:  # else the first COUNT, after this, takes them in
            self._items.labels(backend).inc(result.inserted)
        return result

    async def count_items(self) -> bool:
        """Set ``newswire_store_items`` from one COUNT, between this stage's transactions.
        Returns False, leaving the gauge as it was and the stage not ready, when the
        database is down."""
        async with self._writing:
            try:
                n = await asyncio.to_thread(self._store.count)
            except StoreUnavailable:
                self._set_up(False)
                return False
            self._items.labels(self._backend).set(n)
            self._counted_at = time.monotonic()
        self._set_up(True)
        return True

    def items_deleted(self, n: int) -> None:
        """Retention deleted ``n`` items: take them off ``newswire_store_items`` (once
        counted; the first COUNT sees the deletions itself)."""
        if self._counted_at is not None and n:
            self._items.labels(self._backend).dec(n)

    async def probe(self) -> bool:
        """Ping the database (so ``/readyz`` follows it while idle too); returns whether up.
        Counts the items when they were never counted (the database was down at open) or
        the last COUNT is ``recount_interval_s`` old."""
        try:
            await asyncio.to_thread(self._store.ping)
        except StoreUnavailable:
            self._set_up(False)
            return False
        self._set_up(True)
        at = self._counted_at
        if at is None or time.monotonic() - at >= self._recount_s:
            return await self.count_items()
        return True

    async def probe_forever(self, interval_s: float) -> None:
        """:meth:`probe` every ``interval_s`` seconds until cancelled."""
        while True:
            await self.probe()
            await asyncio.sleep(interval_s)
