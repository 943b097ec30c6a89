"""PostgreSQL down for 30 s under load, with the store as a real process
(``newswire serve store`` on a PostgreSQL store URL).

The database is a private cluster (:class:`private_postgres.PrivatePostgres`), so the
outage never touches the shared test instance. The store must stay up through the outage
(it retries the batch it holds; transient errors never go to the DLQ), exit 0 on SIGTERM
afterwards, and every acknowledged item must be stored once. Halfway through the outage
the store is restarted (SIGTERM, as a rolling deploy would): it must exit 0 and abandon the
batch it holds uncommitted, and its successor keeps retrying until the database is back.

The control run is the same outage with the store committing before it stores
(``NEWSWIRE_UNSAFE_COMMIT_BEFORE_PROCESS``): the batch the restart abandons is already
committed, so the verifier must report it lost.

The in-process version of this test, which also watches ``/readyz`` and the group
generation, is tests/integration/test_store_stage.py.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from pathlib import Path

import psycopg
from ledger import Ledger, LedgerPublisher
from private_postgres import PrivatePostgres
from procs import Service, service_env
from scenario_report import ScenarioResult
from scenarios import UNSAFE, finish_store
from verify import store_rows, until, verdict_result

from newswire.kafka.topics import ensure_topics, pipeline_topics
from newswire.settings import Settings, Topics


async def fresh_database(pg: PrivatePostgres) -> str:
    """A new, empty database on ``pg``; its URL."""
    name = f"reliability_{uuid.uuid4().hex[:10]}"

    def create() -> None:
        with psycopg.connect(pg.url("postgres"), autocommit=True, connect_timeout=10) as conn:
            conn.execute(f"CREATE DATABASE {name}")

    await asyncio.to_thread(create)
    return pg.url(name)


async def postgres_down(
    settings: Settings,
    tmp: Path,
    pg: PrivatePostgres,
    *,
    items: int,
    down_s: float = 30.0,
    unsafe: str | None = None,
) -> ScenarioResult:
    """Items keep arriving while the database is stopped for ``down_s`` seconds; the store
    is restarted halfway through (``unsafe``: the stores run with that control setting)."""
    started = time.monotonic()
    await pg.run("start")
    settings = settings.model_copy(update={"store_url": await fresh_database(pg)})
    topics = Topics(settings.topic_prefix)
    await ensure_topics(settings.kafka_bootstrap, pipeline_topics(settings))
    ledger = Ledger()
    publisher = LedgerPublisher(
        settings, ledger, topics.enriched, items=items, chunk=25, pause_s=0.5, deadline_s=300
    )
    log = tmp / "store.log"
    env = service_env(settings, **(UNSAFE[unsafe] if unsafe else {}))
    store = Service(("store",), env, log).start()
    publishing = asyncio.create_task(publisher.run())
    evidence: dict[str, float] = {"db_down_s": down_s}
    try:

        async def storing() -> bool:
            if not store.alive():
                raise RuntimeError(f"the store died:\n{store.tail()}")
            return bool((await asyncio.to_thread(store_rows, settings.store_url))[0])

        await until(storing, 90, "the first stored rows")
        await pg.run("stop")
        acked_at_stop = len(ledger.acknowledged)
        try:
            await asyncio.sleep(down_s / 2)  # the outage itself, first half
            evidence["restart_exit_code_during_outage"], _ = await store.terminate()
            store = Service(("store",), env, log).start()
            await asyncio.sleep(down_s / 2)
            evidence["acked_during_outage"] = len(ledger.acknowledged) - acked_at_stop
            evidence["store_alive_through_outage"] = int(store.alive())
        finally:
            await pg.run("start")
        await publishing
    except BaseException:
        publishing.cancel()
        await store.kill()
        raise
    code, _ = await store.terminate()
    evidence["store_exit_code_after_outage"] = code
    evidence["db_down_logged"] = log.read_text(errors="replace").count("store database down")
    verdict = await finish_store(settings, Service(("store",), service_env(settings), log), ledger)
    name = f"PostgreSQL down {down_s:.0f} s under load (private cluster, store process)"
    return verdict_result(name, verdict, evidence, started=started, unsafe=unsafe)
