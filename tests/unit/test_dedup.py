"""Dedup decisions against both seen-store backends: exact dedup, updates,
aliases, story ids, and the crash-safe replay rule (DESIGN.md, Delivery semantics).

The Redis cases need the Redis of deploy/redis/local-redis.sh and FAIL without it.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from dedup_support import require_redis
from factories import make_event

from newswire.kafka.stage import Delivery, Done, Incoming, Publish, Result
from newswire.metrics import Metrics
from newswire_consumers.dedup import ledger
from newswire_consumers.dedup.redis_seen_store import RedisSeenStore
from newswire_consumers.dedup.seen_store import SeenStore
from newswire_consumers.dedup.sqlite_seen_store import SqliteSeenStore
from newswire_consumers.dedup.stage import DedupStage
from newswire_schemas import EventType

PARAMS = ledger.Params(story_threshold=0.6, story_window_s=3 * 86400)
DAY = 86400.0
WIRE_BODY = (
    "The central bank held its main interest rate at 4.25 percent on Thursday and said it "
    "expects to cut borrowing costs twice next year as inflation cools faster than forecast, "
    "governor Ada Brennan told reporters in Port Ellery."
)

Opener = Callable[..., SeenStore]


@pytest_asyncio.fixture(
    params=["sqlite", pytest.param("redis", marks=pytest.mark.redis)], loop_scope="function"
)
async def open_store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Opener]:
    """Opens a store on the same state each time it is called: a call is a "restart"."""
    opened: list[SeenStore] = []
    namespace = f"test:{uuid.uuid4().hex}"
    url = require_redis() if request.param == "redis" else ""

    def open_(retention_s: float = 30 * DAY) -> SeenStore:
        store: SeenStore
        if request.param == "redis":
            store = RedisSeenStore(url, namespace, PARAMS, retention_s)
        else:
            store = SqliteSeenStore(tmp_path / "seen.db", PARAMS, retention_s)
        opened.append(store)
        return store

    yield open_
    if request.param == "redis":
        cleaner = RedisSeenStore(url, namespace, PARAMS, DAY)
        await cleaner.clear()
        await cleaner.aclose()
    for store in opened:
        await store.aclose()
        await store.aclose()  # idempotent


def incoming(n: int, offset: int, partition: int = 0, **overrides: Any) -> Incoming:
    return Incoming(make_event(n, **overrides), Delivery("raw", partition, offset))


def outcomes(results: list[Result]) -> list[str]:
    return [r.outcome if isinstance(r, Publish | Done) else "dlq" for r in results]


def event_of(result: Result) -> Any:
    assert isinstance(result, Publish), result
    return result.events[0]


async def test_new_key_is_created_and_second_sighting_is_duplicate(open_store: Opener) -> None:
    stage = DedupStage(open_store())
    first = await stage.process([incoming(1, offset=0)])
    assert event_of(first[0]).type is EventType.CREATED
    assert event_of(first[0]).item.story_id is not None
    assert await stage.process([incoming(1, offset=7)]) == [Done("duplicate")]


async def test_copies_within_one_batch_keep_only_the_first(open_store: Opener) -> None:
    stage = DedupStage(open_store())
    results = await stage.process([incoming(1, 0), incoming(1, 1), incoming(2, 2)])
    assert outcomes(results) == ["created", "duplicate", "created"]


async def test_replay_of_the_same_offset_is_not_a_duplicate(open_store: Opener) -> None:
    """A crash after the seen-store write and before the commit replays the same offset."""
    await DedupStage(open_store()).process([incoming(1, offset=5, partition=2)])
    restarted = DedupStage(open_store())
    replay = await restarted.process([incoming(1, offset=5, partition=2)])
    assert event_of(replay[0]).type is EventType.CREATED
    assert event_of(replay[0]).item.version == 1
    assert await restarted.process([incoming(1, offset=6, partition=2)]) == [Done("duplicate")]


async def test_replay_of_a_whole_batch_repeats_every_decision(open_store: Opener) -> None:
    """Created, duplicate and updated of one key in one batch, replayed after a crash: the
    same three decisions, not an update back to the first content."""
    batch = [
        incoming(1, 10),
        incoming(1, 11),
        incoming(1, 12, title="Story number 1, corrected"),
        incoming(2, 13, link="https://news.example/story/1", title="Copy elsewhere"),
    ]
    first = await DedupStage(open_store()).process(batch)
    again = await DedupStage(open_store()).process(batch)
    assert outcomes(first) == outcomes(again) == ["created", "duplicate", "updated", "alias"]
    assert [event_of(again[i]).item.version for i in (0, 2, 3)] == [1, 2, 1]
    assert event_of(again[0]).item.story_id == event_of(first[0]).item.story_id


async def test_changed_content_is_an_update_with_next_version(open_store: Opener) -> None:
    stage = DedupStage(open_store())
    created = await stage.process([incoming(1, 0)])
    edited = await stage.process([incoming(1, 1, title="Story number 1, corrected")])
    event = event_of(edited[0])
    assert event.type is EventType.UPDATED
    assert (event.item.version, event.item.changed_fields) == (2, ("title",))
    assert event.item.story_id == event_of(created[0]).item.story_id
    replay = await stage.process([incoming(1, 1, title="Story number 1, corrected")])
    assert (event_of(replay[0]).type, event_of(replay[0]).item.version) == (EventType.UPDATED, 2)
    # an unchanged re-sighting of the updated item produces nothing
    assert await stage.process([incoming(1, 2, title="Story number 1, corrected")]) == [
        Done("duplicate")
    ]


async def test_other_item_on_same_key_is_an_alias_once(open_store: Opener) -> None:
    """Two outlets carrying one wire story: same canonical link, different item ids."""
    stage = DedupStage(open_store())
    original = await stage.process([incoming(1, 0, link="https://wire.example/a")])
    other = await stage.process(
        [incoming(2, 1, link="https://wire.example/a", title="Other headline")]
    )
    alias = event_of(other[0])
    assert alias.type is EventType.ALIAS
    assert alias.item.alias_of == event_of(original[0]).item.item_id
    assert alias.item.item_id != alias.item.alias_of
    assert alias.item.story_id == event_of(original[0]).item.story_id
    again = await stage.process([incoming(2, 2, link="https://wire.example/a", title="Other")])
    assert again == [Done("duplicate")]


async def test_same_content_under_a_new_url_on_another_partition_is_an_alias(
    open_store: Opener,
) -> None:
    """Identity drift: new guid and URL, same article; the copies are on other partitions."""
    stage = DedupStage(open_store())
    title = "Central bank holds rates"
    first = await stage.process([incoming(1, 0, partition=0, title=title, text=WIRE_BODY)])
    moved = await stage.process(
        [
            incoming(
                9, 0, partition=1, link="https://news.example/moved-1", title=title, text=WIRE_BODY
            )
        ]
    )
    assert outcomes(moved) == ["alias"]
    assert event_of(moved[0]).item.alias_of == event_of(first[0]).item.item_id
    # too little text to identify an article: no alias, a new item
    short = await stage.process([incoming(2, 1, partition=2, title="Untitled", text="")])
    short_again = await stage.process(
        [incoming(3, 2, partition=2, title="Untitled", text="", link="https://x.example/u")]
    )
    assert outcomes(short) == outcomes(short_again) == ["created"]


async def test_retitled_copies_from_other_outlets_share_a_story(open_store: Opener) -> None:
    metrics = Metrics()
    stage = DedupStage(open_store(), metrics)
    a = await stage.process([incoming(1, 0, text=WIRE_BODY, title="Central bank holds rates")])
    b = await stage.process(
        [incoming(2, 1, text=WIRE_BODY, title="UPDATED: Central bank holds rates – report")]
    )
    other = await stage.process([incoming(3, 2, title="Ferry strike ends after nine days")])
    assert outcomes(a + b + other) == ["created", "created", "created"]
    assert event_of(b[0]).item.story_id == event_of(a[0]).item.story_id
    assert event_of(other[0]).item.story_id != event_of(a[0]).item.story_id
    assert metrics.registry.get_sample_value("newswire_dedup_clusters_formed_total") == 1


async def test_restart_resumes_and_stats_report_bytes_per_key(open_store: Opener) -> None:
    metrics = Metrics()
    await DedupStage(open_store(), metrics).process([incoming(i, i) for i in range(5)])
    stats = await open_store().stats()
    assert stats.keys >= 5
    assert 50 < stats.bytes_per_key < 20_000
    assert (
        metrics.registry.get_sample_value(
            "newswire_dedup_seen_store_duration_seconds_count", {"backend": "sqlite"}
        )
        == 1
    )
    restarted = DedupStage(open_store())
    assert (
        outcomes(await restarted.process([incoming(i, 10 + i) for i in range(5)]))
        == ["duplicate"] * 5
    )


async def test_sqlite_records_expire_after_the_retention(tmp_path: Path) -> None:
    store = SqliteSeenStore(tmp_path / "seen.db", PARAMS, retention_s=1e-6)
    stage = DedupStage(store)
    await stage.process([incoming(1, 0)])
    assert outcomes(await stage.process([incoming(1, 1)])) == ["created"]  # forgotten
    await store.aclose()


@pytest.mark.redis
async def test_redis_records_carry_the_retention_as_ttl() -> None:
    url = require_redis()
    store = RedisSeenStore(url, f"test:{uuid.uuid4().hex}", PARAMS, retention_s=3600)
    try:
        await DedupStage(store).process([incoming(1, 0)])
        client = store._conn()
        keys = [k async for k in client.scan_iter(match=store._prefix + "*")]
        assert keys
        ttls = [await client.ttl(k) for k in keys]
        assert all(3500 < t <= 3600 for t in ttls), ttls
    finally:
        await store.clear()
        await store.aclose()
