"""The partition leader SIGKILLed right after it acknowledged writes, on the 3-node
cluster (replication factor 3, min.insync.replicas 2, unclean leader election off).

How ``acks=1`` loses, made deterministic: both followers of the partition are frozen
(SIGSTOP), so they cannot fetch; the leader goes on acknowledging ``acks=1`` writes alone;
it is SIGKILLed; the followers are thawed and, still in the ISR (frozen for less than
``replica.lag.time.max.ms``), one of them is elected leader without those records; the old
leader comes back as a follower and truncates them. With ``acks=all`` the same sequence
acknowledges nothing while the followers are frozen, and the publisher's retries land on
the new leader: nothing acknowledged is lost.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

from aiokafka.errors import KafkaError
from cluster import LocalCluster
from ledger import Ledger, LedgerPublisher
from procs import Service, service_env
from scenario_report import ScenarioResult
from scenarios import finish_store
from verify import until, verdict_result

from newswire.errors import BrokerUnavailable
from newswire.kafka.topics import ensure_topics, pipeline_topics
from newswire.settings import Settings, Topics

FROZEN_S = 2.0  # followers frozen this long: far below replica.lag.time.max.ms (30 s)


async def leader_killed_after_acks(
    settings: Settings, tmp: Path, cluster: LocalCluster, *, items: int, unsafe: str | None
) -> ScenarioResult:
    """Publish ledger items to the enriched topic (one partition, RF 3) while the store
    consumes; freeze the followers, kill the leader, thaw, restart it; verify."""
    started = time.monotonic()
    topics = Topics(settings.topic_prefix)
    await ensure_topics(cluster.bootstrap, pipeline_topics(settings))
    publisher_settings = settings
    if unsafe:
        publisher_settings = settings.model_copy(update={"producer_acks": "1"})
    ledger = Ledger()
    publisher = LedgerPublisher(
        publisher_settings, ledger, topics.enriched, items=items, chunk=10, pause_s=0.1,
        deadline_s=300,
    )  # fmt: skip
    log = tmp / "store.log"
    store = Service(("store",), service_env(settings), log).start()
    publishing = asyncio.create_task(publisher.run())
    evidence: dict[str, int] = {}
    try:

        async def quarter_acked() -> bool:
            return len(ledger.acknowledged) >= items // 4

        await until(quarter_acked, 120, "a quarter of the items acknowledged")
        leader, replicas, isr = await cluster.placement(topics.enriched, 0)
        followers = [r for r in replicas if r != leader]
        assert len(followers) == 2 and set(isr) == set(replicas), (leader, replicas, isr)
        acked_before = len(ledger.acknowledged)
        for node in followers:
            cluster.freeze(node)
        try:
            await asyncio.sleep(FROZEN_S)  # acks=1: the leader alone acknowledges meanwhile
            evidence["acked_while_followers_frozen"] = len(ledger.acknowledged) - acked_before
            await cluster.sigkill(leader)
        finally:
            for node in followers:
                cluster.thaw(node)

        async def moved() -> bool:
            try:
                evidence["new_leader"] = (await cluster.placement(topics.enriched, 0))[0]
            except (BrokerUnavailable, KafkaError):  # metadata from the dead node: ask again
                return False
            return evidence["new_leader"] in followers

        await until(moved, 90, "a follower to lead")  # before the old leader may come back
        evidence["leader_killed"] = 1
        evidence["followers_frozen"] = len(followers)
        await cluster.start()  # the old leader rejoins as a follower (and truncates)
        await publishing
    except BaseException:
        publishing.cancel()
        await store.kill()
        raise
    finally:
        cluster.thaw_all()
    code, _ = await store.terminate()
    evidence["producer_retries"] = ledger.producer_retries
    evidence["publish_stalls"] = ledger.publish_stalls
    verdict = await finish_store(settings, Service(("store",), service_env(settings), log), ledger)
    name = "partition leader SIGKILLed right after acks (3-node cluster, RF 3, min ISR 2)"
    return verdict_result(
        name,
        verdict,
        evidence,
        started=started,
        unsafe=unsafe,
        notes=f"store exit code {code} after the fault",
        control={"lost": verdict.lost} if unsafe else None,
    )
