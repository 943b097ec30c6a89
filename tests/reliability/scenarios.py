"""The delivery scenarios, as functions the tests call with a size: each returns a
:class:`verify.ScenarioResult` (figures, evidence the fault hit) and leaves the asserting to
the test, so a control run (unsafe configuration) can use the same code and must be caught.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Callable
from pathlib import Path

from ledger import Ledger, LedgerPublisher
from procs import FAULT_EXIT, SeparateBroker, Service, service_env
from verify import (
    ScenarioResult,
    Verdict,
    committed_offsets,
    quiet,
    stored_rows,
    verdict_result,
    verify,
)

from newswire.kafka.topics import ensure_topics, pipeline_topics
from newswire.settings import Settings, Topics

UNSAFE = {
    "commit_before_process": {"NEWSWIRE_COMMIT_POLICY": "before_process"},
    "auto_commit": {"NEWSWIRE_COMMIT_POLICY": "auto"},
    "acks_one": {"NEWSWIRE_PRODUCER_ACKS": "1"},
    "save_state_before_publish": {"NEWSWIRE_FEED_STATE_POLICY": "before_publish"},
}


def settings_for(make_settings: Callable[..., Settings], bootstrap: str) -> Settings:
    """The scenarios' settings: 3 partitions, 20 s Kafka timeouts, a 5 s drain deadline."""
    return make_settings(bootstrap, kafka_timeout_s=20.0, drain_timeout_s=5.0, topic_partitions=3)


def store_db(settings: Settings) -> Path:
    return Path(settings.store_url.removeprefix("sqlite:///"))


async def finish_store(settings: Settings, service: Service, ledger: Ledger) -> Verdict:
    """Run the store until quiet (its group's offsets at the end of the enriched topic),
    stop it (it must exit 0 on SIGTERM), and verify the ledger against topic and store."""
    topics = Topics(settings.topic_prefix)
    service.start()
    try:
        await service.started()
        await quiet(
            settings.kafka_bootstrap,
            topics.group("store"),
            topics.enriched,
            settings.topic_partitions,
            timeout_s=90,
        )
    finally:
        code, _ = await service.terminate()
    assert code == 0, f"store did not exit 0 on SIGTERM ({code}):\n{service.tail()}"
    return await verify(
        bootstrap=settings.kafka_bootstrap,
        topic=topics.enriched,
        store_url=settings.store_url,
        served=ledger.served,
        acknowledged=ledger.acknowledged,
    )


async def _pending(settings: Settings) -> int:
    """Stored rows minus committed offsets, with the store dead: > 0 means work done and
    not committed (it must be redelivered), < 0 offsets committed for work never done."""
    topics = Topics(settings.topic_prefix)
    committed = await committed_offsets(
        settings.kafka_bootstrap, topics.group("store"), topics.enriched, settings.topic_partitions
    )
    by_id, _ = stored_rows(store_db(settings))
    return len(by_id) - sum(committed.values())


async def store_killed_mid_batch(
    settings: Settings,
    tmp: Path,
    *,
    items: int,
    hook_rounds: int,
    sigkill_rounds: int,
    unsafe: str | None = None,
    seed: int = 8,
) -> ScenarioResult:
    """The store consumer dies mid-batch again and again while items arrive: by the
    runner's fault hook (between processing and commit) and by SIGKILL at random moments."""
    started = time.monotonic()
    rng = random.Random(seed)
    topics = Topics(settings.topic_prefix)
    await ensure_topics(settings.kafka_bootstrap, pipeline_topics(settings))
    ledger = Ledger()
    publisher = LedgerPublisher(settings, ledger, topics.enriched, items=items, chunk=25)
    publishing = asyncio.create_task(publisher.run())
    extra = UNSAFE[unsafe] if unsafe else {}
    log = tmp / "store.log"
    evidence = {"hook_exits": 0, "sigkills": 0, "redelivered": 0, "committed_unprocessed": 0}
    try:
        for _ in range(hook_rounds):
            env = service_env(settings, FAULT_EXIT_MID_BATCH=str(rng.randint(1, 3)), **extra)
            service = Service(("store",), env, log).start()
            try:
                code = await service.wait(40)
            except Exception:
                await service.kill()
                raise
            assert code == FAULT_EXIT, f"fault hook did not fire (exit {code}):\n{service.tail()}"
            evidence["hook_exits"] += 1
            pending = await _pending(settings)
            evidence["redelivered" if pending > 0 else "committed_unprocessed"] += abs(pending)
        for _ in range(sigkill_rounds):
            service = Service(("store",), service_env(settings, **extra), log).start()
            await asyncio.sleep(rng.uniform(2.0, 4.0))  # a random moment is the point here
            await service.kill()
            evidence["sigkills"] += 1
            pending = await _pending(settings)
            evidence["redelivered" if pending > 0 else "committed_unprocessed"] += abs(pending)
        await publishing
    finally:
        publishing.cancel()
    verdict = await finish_store(settings, Service(("store",), service_env(settings), log), ledger)
    name = "store consumer SIGKILLed mid-batch, repeatedly"
    return verdict_result(name, verdict, evidence, started=started, unsafe=unsafe)


async def sigterm_under_load(
    settings: Settings,
    tmp: Path,
    *,
    items: int,
    broker: SeparateBroker | None = None,
) -> tuple[ScenarioResult, float, int]:
    """SIGTERM the store while it works through a backlog (optionally with the broker frozen
    by SIGSTOP): it must exit 0 within the drain deadline; nothing is lost. Returns the
    result, the seconds to exit and the exit code."""
    started = time.monotonic()
    topics = Topics(settings.topic_prefix)
    await ensure_topics(settings.kafka_bootstrap, pipeline_topics(settings))
    ledger = Ledger()
    await LedgerPublisher(
        settings, ledger, topics.enriched, items=items, chunk=100, pause_s=0
    ).run()
    log = tmp / "store.log"
    service = Service(("store",), service_env(settings), log).start()
    evidence: dict[str, int | float] = {"stored_before_sigterm": 0, "backlog_at_sigterm": 0}
    try:
        async with asyncio.timeout(60):
            # polling a database file another process writes: no event to wait on
            while not stored_rows(store_db(settings))[0]:
                if not service.alive():
                    raise RuntimeError(f"the store died:\n{service.tail()}")
                await asyncio.sleep(0.05)
        evidence["stored_before_sigterm"] = len(stored_rows(store_db(settings))[0])
        if broker is not None:
            broker.freeze()
            evidence["broker_frozen"] = 1
        try:
            code, seconds = await service.terminate(timeout_s=120)
        finally:
            if broker is not None:
                broker.thaw()
    except BaseException:
        await service.kill()
        raise
    evidence["backlog_at_sigterm"] = items - max(0, await _committed_total(settings))
    evidence["exit_seconds"] = round(seconds, 1)
    verdict = await finish_store(settings, Service(("store",), service_env(settings), log), ledger)
    frozen = " with the broker frozen (SIGSTOP)" if broker is not None else ""
    result = verdict_result(
        f"SIGTERM under load{frozen}",
        verdict,
        evidence,
        started=started,
        notes=f"exit code {code} after {seconds:.1f} s; control: none honest (the drain "
        "finishes the batch in flight, so no unsafe commit order can lose it here; the "
        "abandoned-batch path of a SIGTERM is the PostgreSQL outage's restart, whose "
        "control is caught)",
    )
    return result, seconds, code


async def _committed_total(settings: Settings) -> int:
    topics = Topics(settings.topic_prefix)
    committed = await committed_offsets(
        settings.kafka_bootstrap, topics.group("store"), topics.enriched, settings.topic_partitions
    )
    return sum(committed.values())


async def broker_killed_during_production(
    settings: Settings, tmp: Path, broker: SeparateBroker, *, items: int, kills: int
) -> ScenarioResult:
    """The (separate) broker is SIGKILLed and restarted while the ledger publisher produces
    and the store consumes: every acknowledged item is stored once."""
    started = time.monotonic()
    topics = Topics(settings.topic_prefix)
    await ensure_topics(settings.kafka_bootstrap, pipeline_topics(settings))
    ledger = Ledger()
    publisher = LedgerPublisher(
        settings, ledger, topics.enriched, items=items, chunk=25, pause_s=0.2, deadline_s=400
    )
    log = tmp / "store.log"
    store = Service(("store",), service_env(settings), log).start()
    publishing = asyncio.create_task(publisher.run())
    kills_mid_production = 0
    try:
        for _ in range(kills):
            await asyncio.sleep(2.0)  # let production and consumption run first
            if publishing.done():
                break
            kills_mid_production += len(ledger.acknowledged) < items
            await broker.sigkill()
            await asyncio.sleep(2.0)  # the broker stays dead a while
            await broker.start()
        await publishing
    except BaseException:
        publishing.cancel()
        await store.kill()
        raise
    code, _ = await store.terminate()  # survived the outages: SIGTERM, then a clean final run
    verdict = await finish_store(settings, Service(("store",), service_env(settings), log), ledger)
    evidence = {
        "broker_kills_mid_production": kills_mid_production,
        "producer_retries": ledger.producer_retries,
        "publish_stalls": ledger.publish_stalls,
        "in_topic_repeats": verdict.in_topic_repeats,
        "store_exit_code_after_outages": code,
    }
    return verdict_result(
        "broker SIGKILLed and restarted during production (separate broker)",
        verdict,
        evidence,
        started=started,
        notes="control: the 3-node leader kill [control: acks_one]; on one node acks=1 "
        "waits for the same single write as acks=all (no follower to lose records to)",
    )
