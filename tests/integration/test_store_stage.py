"""The store stage through the real broker (acceptance): redelivery storms leave one
row per item, and a database outage loses and doubles nothing.

The outage stops a private PostgreSQL cluster of the test's own (tests/private_postgres.py),
never the shared instance on 5433 that tests running at the same time use."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterator
from contextlib import AsyncExitStack

import httpx
import psycopg
import pytest
from factories import make_event
from private_postgres import PrivatePostgres, private_postgres

from newswire.health import HealthServer
from newswire.kafka.producer import EventProducer, Record
from newswire.kafka.runner import ConsumerRunner
from newswire.kafka.topics import ensure_topics, pipeline_topics
from newswire.metrics import Metrics
from newswire.settings import Settings, Topics
from newswire_consumers.store.service import open_store
from newswire_consumers.store.sqlite_store import SqliteStore
from newswire_consumers.store.stage import StoreStage

pytestmark = pytest.mark.kafka


def rows(metrics: Metrics, outcome: str, backend: str = "sqlite") -> int:
    return int(metrics.store_rows.labels(backend, outcome)._value.get())


@pytest.mark.slow
@pytest.mark.timeout(110)
async def test_redelivery_storm_leaves_one_row_per_item(
    kafka_bootstrap: str, make_settings: Callable[..., Settings], tmp_path: object
) -> None:
    """The same 10,000 items delivered 20 times (200,000 records) -> 10,000 rows."""
    settings = make_settings(kafka_bootstrap, consumer_max_batch=2000, producer_linger_ms=50)
    topics = Topics(settings.topic_prefix)
    await ensure_topics(settings.kafka_bootstrap, pipeline_topics(settings))
    metrics = Metrics()
    started = time.perf_counter()
    records = [Record.of(topics.enriched, make_event(i)) for i in range(10_000)]
    async with EventProducer(settings, metrics) as producer:
        for _ in range(20):
            await producer.publish(records)
        published = time.perf_counter()
        with SqliteStore.from_url(settings.store_url) as store:
            stage = StoreStage(store, metrics, batch_max=settings.store_batch_max)
            runner = ConsumerRunner(
                settings, metrics, stage, producer, input_topic=topics.enriched, output_topic=None
            )
            upstream = asyncio.Event()
            upstream.set()
            await asyncio.wait_for(runner.run(stop=asyncio.Event(), upstream_done=upstream), 90)
            consumed = time.perf_counter()
            assert store.count() == 10_000
    assert runner.processed == 200_000
    assert rows(metrics, "inserted") == 10_000
    assert rows(metrics, "updated") == 0
    assert rows(metrics, "unchanged") == 190_000
    print(
        f"\nredelivery storm: publish 200,000 records {published - started:.1f} s, "
        f"consume+store {consumed - published:.1f} s "
        f"({200_000 / (consumed - published):,.0f} records/s), 10,000 rows"
    )


async def _until(condition: Callable[[], bool], limit_s: float, what: str) -> float:
    """Wait (polling a cheap condition every 0.1 s) until it holds; returns seconds waited."""
    started = time.perf_counter()
    while not condition():
        if time.perf_counter() - started > limit_s:
            pytest.fail(f"timed out after {limit_s} s waiting for {what}")
        await asyncio.sleep(0.1)
    return time.perf_counter() - started


@pytest.fixture
def outage_postgres() -> Iterator[PrivatePostgres]:
    """A fresh private PostgreSQL cluster, free to stop; halted and its directory removed
    after the test, whatever its outcome. FAILS (never skips) when PostgreSQL cannot start."""
    with private_postgres() as pg:
        yield pg


@pytest.mark.slow
@pytest.mark.postgres
@pytest.mark.timeout(180)
async def test_postgres_down_for_30_s_loses_and_doubles_nothing(
    kafka_bootstrap: str, make_settings: Callable[..., Settings], outage_postgres: PrivatePostgres
) -> None:
    """Load keeps arriving while PostgreSQL is stopped for 30 s: /readyz goes false, the
    consumer keeps its group membership (no rebalance), and after the restart every item
    is stored once, at its newest version."""
    postgres_url = outage_postgres.url()
    settings = make_settings(
        kafka_bootstrap, store_url=postgres_url, consumer_max_batch=200, store_health_interval_s=0.5
    )
    topics = Topics(settings.topic_prefix)
    await ensure_topics(settings.kafka_bootstrap, pipeline_topics(settings))
    metrics = Metrics()
    n = 3000
    # Every item once at version 1, every third again at version 2, and every batch twice.
    events = [make_event(i) for i in range(n)]
    events += [
        make_event(i, version=2, title=f"Story number {i} (updated)") for i in range(0, n, 3)
    ]
    batches = [events[i : i + 100] for i in range(0, len(events), 100)]
    load_done = asyncio.Event()

    async def load(producer: EventProducer) -> None:
        for batch in batches:
            records = [Record.of(topics.enriched, e) for e in batch]
            await producer.publish(records)
            await producer.publish(records)  # redelivered
            await asyncio.sleep(0.5)  # paced: the load spans the outage
        load_done.set()

    stop, upstream = asyncio.Event(), asyncio.Event()
    async with AsyncExitStack() as stack:
        producer = await stack.enter_async_context(EventProducer(settings, metrics))
        health = await stack.enter_async_context(HealthServer(metrics.registry))
        stage = await open_store(settings, metrics, stack)
        runner = ConsumerRunner(
            settings, metrics, stage, producer, input_topic=topics.enriched, output_topic=None
        )
        health.ready_checks["store"] = runner.is_ready
        http = await stack.enter_async_context(
            httpx.AsyncClient(base_url=f"http://127.0.0.1:{health.port}")
        )

        async def ready() -> bool:
            return (await http.get("/readyz")).status_code == 200

        run_task = asyncio.create_task(runner.run(stop=stop, upstream_done=upstream))
        load_task = asyncio.create_task(load(producer))
        try:
            await _until(lambda: rows(metrics, "inserted", "postgresql") > 0, 60, "first rows")
            assert await ready()
            generation = runner._consumer._coordinator.generation  # type: ignore[union-attr]

            await outage_postgres.run("stop")
            down_at = time.perf_counter()
            went_down = await _until(lambda: not runner.is_ready(), 15, "not ready")
            samples = []
            while time.perf_counter() - down_at < 30:
                samples.append(await ready())
                await asyncio.sleep(1)
            stored_before_restart = rows(metrics, "inserted", "postgresql")
        finally:
            await outage_postgres.run("start")
        came_back = await _until(runner.is_ready, 60, "ready again")
        assert await ready()
        # The group kept this member through the outage (no rebalance): aiokafka heartbeats
        # from a background task while the runner holds the batch in its retry loop.
        assert runner._consumer is not None
        assert runner._consumer._coordinator.generation == generation
        await asyncio.wait_for(load_task, 120)
        upstream.set()
        await asyncio.wait_for(run_task, 120)

    assert samples and not any(samples), samples
    retries = metrics.retries.labels("store")._value.get()
    assert retries > 0
    with psycopg.connect(postgres_url) as conn:
        count, distinct, v2 = conn.execute(
            "SELECT count(*), count(DISTINCT item_id), count(*) FILTER (WHERE version = 2)"
            " FROM items"
        ).fetchone()  # type: ignore[misc]
    assert (count, distinct, v2) == (n, n, len(range(0, n, 3)))
    print(
        f"\npostgres outage: not ready {went_down:.1f} s after stop, down 30 s "
        f"({len(samples)} /readyz samples, all 503), ready {came_back:.1f} s after start; "
        f"{stored_before_restart} rows before restart, {count} after drain, {int(retries)} "
        f"retries, generation {generation} unchanged"
    )
