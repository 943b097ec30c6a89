"""SqliteStore: round trips, idempotent upserts, safe full-text search, files that persist."""

from __future__ import annotations

import asyncio
import hashlib
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from newswire.errors import ConfigError, TransientError
from newswire_consumers.store.sqlite_store import (
    SCHEMA_VERSION,
    AmbiguousItemId,
    SqliteStore,
    StoreUnavailable,
    UpsertResult,
    fts_query,
)
from newswire_schemas.item import Author, Content, Enclosure, Enrichment, Item, Language

T0 = datetime(2026, 11, 28, 14, 5, tzinfo=UTC)


def make_item(n: int = 0, **fields: Any) -> Item:
    """A valid item; ``n`` picks the identity, ``fields`` override anything."""
    base: dict[str, Any] = {
        "item_id": hashlib.sha256(f"item-{n}".encode()).hexdigest()[:32],
        "dedup_key": f"guid:item-{n}",
        "feed_id": "0123456789abcdef",
        "feed_url": "https://news.example/feed.xml",
        "feed_title": "Example News",
        "link": f"https://news.example/articles/{n}",
        "title": f"Headline number {n}",
        "content": Content(html=f"<p>Body of item {n}.</p>", text=f"Body of item {n}."),
        "published": T0 + timedelta(minutes=n),
        "fetched": T0 + timedelta(hours=1),
        "content_hash": hashlib.sha256(f"content-{n}".encode()).hexdigest(),
    }
    base.update(fields)
    return Item(**base)


@pytest.fixture
def store(tmp_path: Path) -> Any:
    with SqliteStore(tmp_path / "items.db") as s:
        yield s


def test_round_trip_returns_an_equal_item(store: SqliteStore) -> None:
    item = make_item(
        1,
        version=3,
        guid="urn:uuid:1",
        title="Zürich: Ständerat stimmt zu — “Ja” 🎉",
        summary="<p>Short <b>summary</b></p>",
        content=Content(html="<p>Löng body</p>", text="Löng body"),
        authors=(Author(name="Ada Lovelace", email="ada@example.org"), Author(name="Bob")),
        categories=("politics", "switzerland"),
        enclosures=(Enclosure(url="https://cdn.example/a.mp3", type="audio/mpeg", length=42),),
        language=Language(declared="de-CH", detected="de", confidence=0.97),
        published=datetime(2026, 1, 2, 3, 4, 5, 678901, tzinfo=UTC),
        updated=datetime(2026, 1, 2, 4, 0, tzinfo=UTC),
        quality_flags=("encoding_repaired",),
        story_id="s-1",
        alias_of=None,
        changed_fields=("title",),
        enrichment=Enrichment(word_count=2, reading_time_seconds=1, enriched_at=T0),
    )
    assert store.upsert_many([item]) == UpsertResult(inserted=1)
    assert store.get(item.item_id) == item
    assert store.get(make_item(2).item_id) is None


def test_redelivery_is_idempotent(store: SqliteStore) -> None:
    items = [make_item(n) for n in range(5)]
    assert store.upsert_many(items) == UpsertResult(inserted=5)
    for _ in range(20):
        assert store.upsert_many(items) == UpsertResult(unchanged=5)
    assert store.count() == 5
    assert len(store.search("body")) == 5  # no duplicate index rows either


def test_higher_version_replaces_lower_does_not(store: SqliteStore) -> None:
    v1 = make_item(1, title="Mayor opens bridge")
    v2 = make_item(1, version=2, title="Mayor closes tunnel")
    store.upsert_many([v1])
    assert store.upsert_many([v2]) == UpsertResult(updated=1)
    assert store.get(v1.item_id) == v2
    assert store.upsert_many([v1]) == UpsertResult(unchanged=1)  # late, older copy
    same_version_other_title = make_item(1, version=2, title="Something else")
    assert store.upsert_many([same_version_other_title]) == UpsertResult(unchanged=1)
    assert store.get(v1.item_id) == v2
    assert store.count() == 1
    # The full-text index follows the row: old words are gone, new ones found.
    assert store.search("bridge") == []
    assert [h.item for h in store.search("tunnel")] == [v2]


def test_versions_within_one_batch_apply_in_order(store: SqliteStore) -> None:
    batch = [make_item(1), make_item(1, version=3), make_item(1, version=2)]
    assert store.upsert_many(batch) == UpsertResult(inserted=1, updated=1, unchanged=1)
    stored = store.get(make_item(1).item_id)
    assert stored is not None and stored.version == 3


def test_failed_batch_writes_nothing(store: SqliteStore) -> None:
    class Boom(Exception):
        pass

    def items() -> Any:
        yield make_item(1)
        raise Boom

    with pytest.raises(Boom):
        store.upsert_many(items())  # type: ignore[arg-type]
    assert store.count() == 0
    assert store.upsert_many([make_item(1)]) == UpsertResult(inserted=1)  # store still usable


def test_search_finds_a_word_only_in_the_body(store: SqliteStore) -> None:
    target = make_item(1, content=Content(text="The committee met.\n\nA platypus was present."))
    store.upsert_many([target, make_item(2), make_item(3)])
    hits = store.search("platypus")
    assert [h.item for h in hits] == [target]
    assert hits[0].snippet == "The committee met. A [platypus] was present."
    assert isinstance(hits[0].rank, float)


def test_search_uses_the_summary_text_when_there_is_no_content(store: SqliteStore) -> None:
    item = make_item(1, content=Content(), summary="<p>A <b>zeppelin</b> &amp; a kite</p>")
    store.upsert_many([item])
    (hit,) = store.search("zeppelin")
    assert hit.item == item
    assert hit.snippet == "A [zeppelin] & a kite"


def test_search_matches_authors_categories_and_diacritics(store: SqliteStore) -> None:
    item = make_item(
        1, authors=(Author(name="Grace Hopper"),), categories=("Économie",), title="Café news"
    )
    store.upsert_many([item, make_item(2)])
    assert [h.item for h in store.search("hopper")] == [item]
    assert [h.item for h in store.search("economie")] == [item]
    assert [h.item for h in store.search("cafe")] == [item]


def test_search_requires_every_word_and_supports_prefixes(store: SqliteStore) -> None:
    a = make_item(1, content=Content(text="election results are in"))
    b = make_item(2, content=Content(text="election day weather"))
    store.upsert_many([a, b])
    assert {h.item.item_id for h in store.search("election")} == {a.item_id, b.item_id}
    assert [h.item for h in store.search("election results")] == [a]
    assert [h.item for h in store.search("weath*")] == [b]


def test_search_ranks_title_matches_first(store: SqliteStore) -> None:
    in_body = make_item(1, content=Content(text="Markets fell; the volcano was mentioned once."))
    in_title = make_item(2, title="Volcano erupts", content=Content(text="Ash everywhere."))
    store.upsert_many([in_body, in_title])
    assert [h.item for h in store.search("volcano")] == [in_title, in_body]
    assert len(store.search("volcano", limit=1)) == 1


@pytest.mark.parametrize(
    "query",
    [
        '"',
        "AND",
        "(",
        "*",
        "NEAR(",
        "AND (",
        'a"b',
        "title:body",
        "^body",
        "body -x",
        "NOT body",
        "body OR",
        "'; DROP TABLE items; --",
        "\x00",
        "",
        "   ",
        "🎉",
    ],
)
def test_search_never_raises_on_hostile_input(store: SqliteStore, query: str) -> None:
    store.upsert_many([make_item(1)])
    assert isinstance(store.search(query), list)
    assert store.count() == 1


def test_operator_words_are_searched_as_words(store: SqliteStore) -> None:
    item = make_item(1, content=Content(text="Salt and pepper, near or far"))
    store.upsert_many([item, make_item(2)])
    assert [h.item for h in store.search("AND")] == [item]
    assert [h.item for h in store.search("NEAR OR")] == [item]
    assert fts_query('a"b NEAR( *') == '"a""b" "NEAR("'


def test_search_filters_by_feed_and_language(store: SqliteStore) -> None:
    en = make_item(1, language=Language(declared="en-US"))
    de = make_item(2, language=Language(declared="en", detected="de"), feed_url="https://b/")
    store.upsert_many([en, de, make_item(3)])
    assert {h.item.item_id for h in store.search("body", language="en")} == {en.item_id}
    assert [h.item for h in store.search("body", language="EN_us")] == [en]
    assert [h.item for h in store.search("body", language="de")] == [de]
    assert [h.item for h in store.search("body", feed_url="https://b/")] == [de]
    assert store.search("body", feed_url="https://b/", language="en") == []
    with pytest.raises(ValueError, match="limit"):
        store.search("body", limit=0)


def test_get_accepts_a_unique_prefix(store: SqliteStore) -> None:
    a = make_item(1, item_id="abcdef01" + "0" * 24)
    b = make_item(2, item_id="abcdef01" + "f" * 24)
    c = make_item(3, item_id="12345678" + "9" * 24)
    store.upsert_many([a, b, c])
    assert store.get("12345678") == c
    assert store.get("ABCDEF010") == a  # case and length do not matter
    assert store.get("abcdef01f") == b
    assert store.get("deadbeef") is None
    with pytest.raises(AmbiguousItemId):
        store.get("abcdef01")
    for not_an_id in ("1234567", "1234", "", "not-hex-at-all", "g" * 32, "1" * 33, "12345678%"):
        assert store.get(not_an_id) is None  # too short, too long or not hex: never matches


def test_iter_items_orders_by_published_then_fetched(store: SqliteStore) -> None:
    items = [
        make_item(1, published=T0 + timedelta(days=2)),
        make_item(2, published=None, fetched=T0 + timedelta(days=1)),
        make_item(3, published=T0 - timedelta(days=3)),
        make_item(4, published=T0),
        make_item(5, published=T0 + timedelta(days=1, seconds=1)),
    ]
    store.upsert_many(items)
    expected = [items[i].item_id for i in (2, 3, 1, 4, 0)]
    for batch in (1, 2, 5, 500):
        assert [i.item_id for i in store.iter_items(batch=batch)] == expected
    with pytest.raises(ValueError, match="batch"):
        next(store.iter_items(batch=0))


def test_iter_items_is_exhaustive_across_batches(store: SqliteStore) -> None:
    same_time = [make_item(n, published=T0) for n in range(23)]  # ties need the id tiebreak
    store.upsert_many(same_time)
    seen = [i.item_id for i in store.iter_items(batch=4)]
    assert sorted(seen) == sorted(i.item_id for i in same_time)
    assert len(seen) == len(set(seen))


def test_data_survives_reopening(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "er" / "items.db"  # parent directories are created
    items = [make_item(n) for n in range(3)]
    with SqliteStore(path) as s:
        s.upsert_many(items)
    with SqliteStore(path) as s:
        assert s.count() == 3
        assert s.get(items[1].item_id) == items[1]
        assert s.upsert_many(items) == UpsertResult(unchanged=3)
    raw = sqlite3.connect(path)
    try:
        assert raw.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert raw.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    finally:
        raw.close()


def test_a_newer_schema_or_a_foreign_file_is_refused(tmp_path: Path) -> None:
    newer = tmp_path / "newer.db"
    raw = sqlite3.connect(newer)
    raw.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    raw.close()
    with pytest.raises(ConfigError, match="schema version"):
        SqliteStore(newer)
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"this is not a database, just some bytes" * 100)
    with pytest.raises(ConfigError):
        SqliteStore(junk)


def test_close_is_idempotent_and_final(tmp_path: Path) -> None:
    s = SqliteStore(tmp_path / "items.db")
    s.close()
    s.close()
    with pytest.raises(RuntimeError, match="closed"):
        s.count()
    with pytest.raises(RuntimeError, match="closed"):
        s.upsert_many([make_item(1)])


def test_a_locked_database_is_a_retriable_error(tmp_path: Path, monkeypatch: Any) -> None:
    path = tmp_path / "items.db"
    monkeypatch.setattr("newswire_consumers.store.sqlite_store.BUSY_TIMEOUT_SECONDS", 0.05)
    with SqliteStore(path) as s:
        other = sqlite3.connect(path, isolation_level=None)
        try:
            other.execute("BEGIN IMMEDIATE")  # another writer holds the lock
            with pytest.raises(StoreUnavailable) as info:
                s.upsert_many([make_item(1)])
            assert isinstance(info.value, TransientError) and info.value.retriable
            other.execute("ROLLBACK")
        finally:
            other.close()
        assert s.upsert_many([make_item(1)]) == UpsertResult(inserted=1)


async def test_concurrent_upserts_from_threads(store: SqliteStore) -> None:
    batches = [[make_item(n) for n in range(k * 10, k * 10 + 10)] for k in range(8)]
    results = await asyncio.gather(*(asyncio.to_thread(store.upsert_many, b) for b in batches))
    assert sum(r.inserted for r in results) == 80
    again = await asyncio.gather(*(asyncio.to_thread(store.upsert_many, b) for b in batches))
    assert all(r == UpsertResult(unchanged=10) for r in again)
    assert store.count() == 80


@pytest.mark.parametrize(
    ("url", "relative"),
    [("sqlite:///data/items.db", "data/items.db"), ("sqlite:///items.db", "items.db")],
)
def test_from_url_relative(tmp_path: Path, monkeypatch: Any, url: str, relative: str) -> None:
    monkeypatch.chdir(tmp_path)
    with SqliteStore.from_url(url) as s:
        s.upsert_many([make_item(1)])
    assert (tmp_path / relative).is_file()


def test_from_url_absolute(tmp_path: Path) -> None:
    path = tmp_path / "abs" / "items.db"
    assert str(path).startswith("/")
    with SqliteStore.from_url(f"sqlite:///{path}") as s:  # four slashes in all
        assert s.count() == 0
    assert path.is_file()


@pytest.mark.parametrize(
    "url",
    [
        "postgresql://localhost/newswire",
        "sqlite://",
        "sqlite:///",
        "sqlite:///dir/",
        "sqlite://host/items.db",
        "sqlite:items.db",
        "items.db",
        "sqlite:///items.db?mode=ro",
        "",
    ],
)
def test_from_url_rejects_other_forms(tmp_path: Path, monkeypatch: Any, url: str) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ConfigError):
        SqliteStore.from_url(url)
    assert list(tmp_path.iterdir()) == []  # nothing was created
