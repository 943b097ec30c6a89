"""``newswire_store_items``: the number of stored items, from one COUNT when
the store stage opens, then kept current without a COUNT per batch: plus what a batch
inserted (not what it updated or left unchanged), minus what retention deleted; counted
again by the probe, which brings in what another replica of a shared database wrote.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from factories import make_event, make_item

from newswire.kafka.stage import Delivery, Incoming
from newswire.metrics import Metrics
from newswire.settings import Settings
from newswire_consumers.store.retention import sweep
from newswire_consumers.store.service import open_store
from newswire_consumers.store.sqlite_store import SqliteStore
from newswire_consumers.store.stage import StoreStage
from newswire_consumers.store.store import StoreUnavailable
from newswire_schemas import Event, EventType

OLD = datetime(2020, 1, 1, tzinfo=UTC)


def stored(metrics: Metrics) -> float | None:
    """The gauge as a scrape shows it (None: no series)."""
    return metrics.registry.get_sample_value("newswire_store_items", {"backend": "sqlite"})


def deliveries(*events: Event) -> list[Incoming]:
    return [Incoming(e, Delivery("enriched", 0, i)) for i, e in enumerate(events)]


@dataclass
class Opened:
    stage: StoreStage
    metrics: Metrics
    db: Path


@pytest.fixture
async def opened(tmp_path: Path) -> AsyncIterator[Opened]:
    """The store service opened over a database that already holds 3 items."""
    db = tmp_path / "store.db"
    with SqliteStore(db) as before:
        before.upsert_many([make_item(i, published=OLD if i == 0 else None) for i in range(3)])
    settings = Settings(data_dir=tmp_path, store_url=f"sqlite:///{db}")
    metrics = Metrics()
    async with AsyncExitStack() as stack:
        stage = await open_store(settings, metrics, stack)
        yield Opened(stage, metrics, db)


async def test_the_gauge_counts_at_open_and_adds_only_inserted_rows(opened: Opened) -> None:
    stage, metrics = opened.stage, opened.metrics
    assert stored(metrics) == 3  # counted at open, before any batch
    batch = deliveries(
        make_event(1),  # unchanged: same item, same version
        make_event(2, version=2, title="Story number 2, updated"),  # updated
        make_event(3),  # inserted
        make_event(4),  # inserted
        make_event(5, EventType.ALIAS, alias_of="f" * 32),  # an alias: no row
    )
    await stage.process(batch)
    rows = {
        o: metrics.registry.get_sample_value(
            "newswire_store_rows_total", {"backend": "sqlite", "outcome": o}
        )
        for o in ("inserted", "updated", "unchanged")
    }
    assert rows == {"inserted": 2, "updated": 1, "unchanged": 1}
    assert stored(metrics) == 5
    await stage.process(batch)  # redelivered: all unchanged
    assert stored(metrics) == 5
    with SqliteStore(opened.db) as check:
        assert check.count() == 5


async def test_retention_takes_its_deletions_off(opened: Opened) -> None:
    stage, metrics = opened.stage, opened.metrics
    with SqliteStore(opened.db) as store:
        deleted = await sweep(
            store,
            timedelta(days=365),
            now=lambda: datetime(2026, 11, 28, tzinfo=UTC),
            on_deleted=stage.items_deleted,
        )
        assert deleted == 1  # item 0, published in 2020
        assert stored(metrics) == store.count() == 2


async def test_the_probe_counts_again_and_takes_in_other_writers(tmp_path: Path) -> None:
    with SqliteStore(tmp_path / "store.db") as store, SqliteStore(tmp_path / "store.db") as other:
        metrics = Metrics()
        stage = StoreStage(store, metrics, recount_interval_s=3600)
        assert await stage.count_items() and stored(metrics) == 0
        other.upsert_many([make_item(i) for i in range(4)])  # another replica's writes
        assert await stage.probe() and stored(metrics) == 0  # not due yet: no COUNT
        stage._recount_s = 0  # due
        assert await stage.probe() and stored(metrics) == 4


async def test_an_unknown_total_is_no_series_until_the_database_answers(tmp_path: Path) -> None:
    with SqliteStore(tmp_path / "store.db") as real:
        real.upsert_many([make_item(i) for i in range(2)])

        class Down:
            down = True

            def __getattr__(self, name: str) -> object:
                if self.down and name in {"count", "ping", "upsert_many"}:

                    def fail(*args: object, **kwargs: object) -> None:
                        raise StoreUnavailable("down")

                    return fail
                return getattr(real, name)

        store = Down()
        metrics = Metrics()
        stage = StoreStage(store, metrics)  # type: ignore[arg-type]
        assert not await stage.count_items()
        assert stored(metrics) is None and not stage.is_ready()
        stage.items_deleted(1)  # retention before any count: nothing to take off
        assert stored(metrics) is None
        store.down = False
        assert await stage.probe() and stage.is_ready()
        assert stored(metrics) == 2
