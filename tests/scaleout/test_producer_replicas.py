"""Acceptance: 3 producer replicas as processes, 200 feeds on a local server.

The server's request log (replicas differ by User-Agent) shows each feed polled by one
replica at a time; after SIGKILL of one replica its feeds are polled by the others within
the group's session timeout plus one poll interval (plus a stated allowance for the
rebalance itself), with the validators the dead replica saved; every served item is stored
once (the consumers run as a fourth process: ``serve dedup enrich store``).
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from processes import service_env
from scaleout_support import agents, guids_served, owner_runs, polls_by_feed, rss, serve_feeds
from services import kill, start, terminate

from newswire.app.demo import FeedServer, Route
from newswire.kafka.producer import EventProducer
from newswire.kafka.reader import read_topic
from newswire.kafka.topics import ensure_topics, pipeline_topics
from newswire.metrics import Metrics
from newswire.settings import Settings, Topics
from newswire_consumers.store.sqlite_store import SqliteStore
from newswire_producers.registry import FeedRecord, publish_feeds
from newswire_schemas import EventType
from newswire_schemas.envelope import decode_event

pytestmark = [pytest.mark.kafka, pytest.mark.slow, pytest.mark.timeout(300)]

FEEDS = 200
REPLICAS = 3
SESSION_S = 6.0
POLL_S = 3.0
REBALANCE_ALLOWANCE_S = 3.0  # heartbeat notice + join/sync + reading the partitions' state


def stored(settings: Settings) -> list[str]:
    store = SqliteStore(settings.store_url.removeprefix("sqlite:///"))
    try:
        return [i.guid or "" for i in store.iter_items()]
    except Exception:
        return []
    finally:
        store.close()


async def until(check: Callable[[], bool], timeout_s: float, what: str) -> None:
    deadline = time.monotonic() + timeout_s
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.25)  # polling a condition with a deadline


async def test_three_replicas_share_200_feeds_and_survive_a_sigkill(
    kafka_bootstrap: str, make_settings: Callable[..., Settings], tmp_path: Path
) -> None:
    settings = make_settings(
        kafka_bootstrap,
        topic_partitions=6,
        poll_interval_s=POLL_S,
        poll_min_interval_s=1.0,
        poll_max_interval_s=POLL_S,
        poll_jitter=0.0,
        poll_first_spread_s=1.0,
        poll_adaptive=False,
        per_host_concurrency=16,
        fetch_concurrency=16,
        per_host_requests_per_minute=60000.0,
        per_host_burst=1000,
        producer_session_timeout_s=SESSION_S,
        producer_heartbeat_s=1.0,
        enrich_fulltext=False,
        drain_timeout_s=5.0,
    )
    await ensure_topics(kafka_bootstrap, pipeline_topics(settings))
    topics = Topics(settings.topic_prefix)
    first, second = range(3), range(5)
    procs = []
    with FeedServer() as server:
        urls = serve_feeds(server, FEEDS, first)
        async with EventProducer(settings, Metrics()) as producer:
            await publish_feeds(producer, topics.feeds, [FeedRecord.new(u) for u in urls])
        try:
            consumers = start(
                ["dedup", "enrich", "store"], service_env(settings), tmp_path / "c.log"
            )
            procs.append(consumers)
            replicas = [
                start(
                    ["producer"],
                    service_env(settings, NEWSWIRE_USER_AGENT=f"replica-{i}"),
                    tmp_path / f"p{i}.log",
                )
                for i in range(REPLICAS)
            ]
            procs.extend(replicas)

            # Stable: in the last two poll intervals every feed was polled, by one replica
            # each, and all three replicas polled.
            def stable() -> bool:
                window = polls_by_feed(
                    server, since=datetime.now(UTC) - timedelta(seconds=2 * POLL_S)
                )
                owners = {a for polls in window.values() for a in agents(polls)}
                one_each = all(len(agents(p)) == 1 for p in window.values())
                return len(window) == FEEDS and len(owners) == REPLICAS and one_each

            await until(stable, 90, "three replicas sharing every feed")
            t0 = datetime.now(UTC) - timedelta(seconds=2 * POLL_S)
            await asyncio.sleep(2 * POLL_S)  # observe the stable group for two more rounds
            t_kill = datetime.now(UTC)
            steady = polls_by_feed(server, since=t0, until=t_kill)
            assert len(steady) == FEEDS
            assert all(len(agents(p)) == 1 for p in steady.values()), "a feed had two pollers"
            victim = "replica-1"
            orphans = {path for path, polls in steady.items() if agents(polls) == {victim}}
            assert 0 < len(orphans) < FEEDS
            kill(replicas[1])
            dead = datetime.now(UTC)  # reaped: no request of the victim's can start after this
            killed_at = time.monotonic()
            for i in range(FEEDS):  # new items everywhere: the new owners must publish them
                server.set_route(f"/f/{i}", Route(rss(i, second), "application/rss+xml"))

            def taken_over() -> bool:
                after = polls_by_feed(server, since=t_kill)
                return all(agents(after.get(p, [])) - {victim} for p in orphans)

            await until(taken_over, SESSION_S + POLL_S + 30, "the orphaned feeds to be polled")
            after = polls_by_feed(server, since=t_kill)
            takeover = max(
                (next(t for t, a in after[p] if a != victim) - t_kill).total_seconds()
                for p in orphans
            )
            print(f"\ntakeover: {takeover:.2f} s for {len(orphans)} feeds "
                  f"(session {SESSION_S} s + poll {POLL_S} s)")  # fmt: skip
            assert takeover <= SESSION_S + POLL_S + REBALANCE_ALLOWANCE_S
            # (between t_kill and the reaping, a poll the victim had begun may still arrive)
            since_dead = polls_by_feed(server, since=dead)
            assert all(victim not in agents(polls) for polls in since_dead.values())
            assert max(owner_runs(polls) for polls in after.values()) <= 2
            # the new owner continued from the dead replica's state: validators sent
            firsts = [
                next(r for r in server.requests if r.path == p and r.time >= t_kill
                     and r.headers.get("user-agent") != victim)
                for p in orphans
            ]  # fmt: skip
            assert all("if-none-match" in r.headers for r in firsts)

            served = guids_served(FEEDS, second)
            await until(lambda: set(stored(settings)) >= served, 120, "every item stored")
            assert time.monotonic() - killed_at > 0
        finally:
            codes = [terminate(p) for p in procs if p is not replicas[1]] if procs else []
            for p in procs:
                kill(p)
    assert codes == [0] * len(codes)
    guids = stored(settings)
    created = Counter(
        e.item.guid
        for r in await read_topic(kafka_bootstrap, topics.unique)
        if (e := decode_event(r.headers, r.value)).type is EventType.CREATED
    )
    duplicated = sum(n - 1 for n in created.values())
    lost = len(served - set(guids))
    print(f"served {len(served)}, stored {len(set(guids))}, lost {lost}, duplicated {duplicated}")
    assert Counter(guids) == Counter(served)  # each once
    assert set(created) == served and all(n == 1 for n in created.values())
