"""Dedup decisions and the crash-safe replay rule (DESIGN.md, Delivery semantics)."""

from __future__ import annotations

from pathlib import Path

from factories import make_event

from consumers.dedup.seen_store import SqliteSeenStore
from consumers.dedup.stage import DedupStage
from newswire.kafka.stage import Delivery, Done, Incoming, Publish
from schemas import EventType


def incoming(n: int, offset: int, partition: int = 0, **overrides: object) -> Incoming:
    return Incoming(make_event(n, **overrides), Delivery("raw", partition, offset))  # type: ignore[arg-type]


async def test_new_key_is_created_and_second_sighting_is_duplicate(tmp_path: Path) -> None:
    stage = DedupStage(SqliteSeenStore(tmp_path / "seen.db"))
    first = await stage.process([incoming(1, offset=0)])
    assert isinstance(first[0], Publish)
    assert first[0].events[0].type is EventType.CREATED
    assert first[0].outcome == "created"
    again = await stage.process([incoming(1, offset=7)])
    assert again == [Done("duplicate")]


async def test_copies_within_one_batch_keep_only_the_first(tmp_path: Path) -> None:
    stage = DedupStage(SqliteSeenStore(tmp_path / "seen.db"))
    results = await stage.process([incoming(1, 0), incoming(1, 1), incoming(2, 2)])
    assert [getattr(r, "outcome", None) for r in results] == ["created", "duplicate", "created"]


async def test_replay_of_the_same_offset_is_not_a_duplicate(tmp_path: Path) -> None:
    """A crash after the seen-store write and before the commit replays the same offset:
    it must be published again, not dropped."""
    path = tmp_path / "seen.db"
    stage = DedupStage(SqliteSeenStore(path))
    await stage.process([incoming(1, offset=5, partition=2)])
    # "restart": a new store on the same file, the same record delivered again
    restarted = DedupStage(SqliteSeenStore(path))
    replay = await restarted.process([incoming(1, offset=5, partition=2)])
    assert isinstance(replay[0], Publish)
    assert replay[0].events[0].type is EventType.CREATED
    assert replay[0].events[0].item.version == 1
    # ... while a different offset with the same content is a duplicate
    assert await restarted.process([incoming(1, offset=6, partition=2)]) == [Done("duplicate")]


async def test_changed_content_is_an_update_with_next_version(tmp_path: Path) -> None:
    stage = DedupStage(SqliteSeenStore(tmp_path / "seen.db"))
    await stage.process([incoming(1, 0)])
    edited = await stage.process([incoming(1, 1, title="Story number 1, corrected")])
    assert isinstance(edited[0], Publish)
    event = edited[0].events[0]
    assert event.type is EventType.UPDATED
    assert event.item.version == 2
    assert event.item.changed_fields == ("title",)
    # replaying the update's offset repeats the update
    replay = await stage.process([incoming(1, 1, title="Story number 1, corrected")])
    assert isinstance(replay[0], Publish)
    assert replay[0].events[0].item.version == 2
    assert replay[0].events[0].type is EventType.UPDATED


async def test_other_item_on_same_key_is_a_duplicate_not_an_update(tmp_path: Path) -> None:
    """Two outlets carrying one wire story: same canonical link, different item ids."""
    stage = DedupStage(SqliteSeenStore(tmp_path / "seen.db"))
    await stage.process([incoming(1, 0, link="https://wire.example/a")])
    other = await stage.process(
        [incoming(2, 1, link="https://wire.example/a", title="Other headline")]
    )
    assert other == [Done("duplicate")]


def test_seen_store_persists_and_closes_idempotently(tmp_path: Path) -> None:
    store = SqliteSeenStore(tmp_path / "seen.db")
    assert store.count() == 0
    store.close()
    store.close()
    assert SqliteSeenStore(tmp_path / "seen.db").count() == 0
