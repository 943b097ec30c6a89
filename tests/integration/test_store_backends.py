"""The store contract, run against SQLite and PostgreSQL alike."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, timedelta

import psycopg
import pytest
from factories import make_event, make_item
from store_fixtures import any_store, postgres_server, postgres_url, store_url

from newswire.kafka.stage import Delivery, Incoming
from newswire_consumers.store.export import CSV_COLUMNS, write_csv
from newswire_consumers.store.retention import sweep
from newswire_consumers.store.stage import StoreStage
from newswire_consumers.store.store import (
    AmbiguousItemId,
    ItemFilter,
    ItemStore,
    StoreUnavailable,
    UpsertResult,
    open_store_url,
)
from newswire_schemas import EventType
from newswire_schemas.item import Author, Content, Language

__all__ = ["any_store", "postgres_server", "postgres_url", "store_url"]  # fixtures


def at(day: int, hour: int = 12) -> datetime:
    return datetime(2026, 11, day, hour, tzinfo=UTC)


def test_round_trip_and_idempotent_redelivery(any_store: ItemStore) -> None:
    items = [make_item(i) for i in range(5)]
    assert any_store.upsert_many(items) == UpsertResult(inserted=5)
    for _ in range(3):
        assert any_store.upsert_many(items) == UpsertResult(unchanged=5)
    assert any_store.count() == 5
    assert any_store.get(items[2].item_id) == items[2]


def test_highest_version_wins_in_order(any_store: ItemStore) -> None:
    v1 = make_item(1, title="first")
    v2 = v1.model_copy(update={"version": 2, "title": "second"})
    v3 = v1.model_copy(update={"version": 3, "title": "third"})
    assert any_store.upsert_many([v1, v3, v2]) == UpsertResult(inserted=1, updated=1, unchanged=1)
    assert any_store.upsert_many([v2]) == UpsertResult(unchanged=1)
    stored = any_store.get(v1.item_id)
    assert stored is not None and stored.title == "third"
    assert any_store.search("third")[0].item.version == 3
    assert any_store.search("first") == []  # the old version's words left the index


def test_search_finds_words_only_in_the_body(any_store: ItemStore) -> None:
    target = make_item(1, title="Council meeting", text="The quarry near Ashbourne flooded.")
    any_store.upsert_many([target, make_item(2), make_item(3)])
    hits = any_store.search("ashbourne quarry")
    assert [h.item.item_id for h in hits] == [target.item_id]
    assert "[" in hits[0].snippet and "]" in hits[0].snippet
    assert any_store.search("ashbourne volcano") == []  # every word is required
    assert [h.item.item_id for h in any_store.search("ashb*")] == [target.item_id]


def test_count_matches_counts_past_the_limit_with_the_same_filters(any_store: ItemStore) -> None:
    items = [
        make_item(
            n, title=f"Harbour report {n}", language=Language(declared="en" if n % 2 else "fr")
        )
        for n in range(7)
    ]
    any_store.upsert_many([*items, make_item(9, title="Weather")])
    assert len(any_store.search("harbour", limit=3)) == 3
    assert any_store.count_matches("harbour") == 7
    assert any_store.count_matches("harbour", where=ItemFilter(language="en")) == 3
    assert any_store.count_matches("volcano") == 0 and any_store.count_matches("  ") == 0


def test_title_matches_rank_first(any_store: ItemStore) -> None:
    in_body = make_item(1, title="Weather", text="A long report mentioning heatwave once.")
    in_title = make_item(2, title="Heatwave grips the region", text="Hot days ahead.")
    any_store.upsert_many([in_body, in_title])
    assert [h.item.item_id for h in any_store.search("heatwave")] == [
        in_title.item_id,
        in_body.item_id,
    ]


@pytest.mark.parametrize(
    "query", ['"', "AND", "NEAR(", "a:b", "^x", "(((", "'; DROP TABLE items; --", "*", "!:&|"]
)
def test_hostile_queries_never_raise(any_store: ItemStore, query: str) -> None:
    any_store.upsert_many([make_item(1)])
    any_store.search(query)
    assert any_store.count() == 1


def test_filters(any_store: ItemStore) -> None:
    en = make_item(1, language=Language(detected="en-GB"), published=at(1), story_id="s1")
    de = make_item(2, language=Language(declared="de"), published=at(5), story_id="s1")
    other = make_item(3, feed_url="https://other.example/rss", published=at(9))
    any_store.upsert_many([en, de, other])

    def ids(where: ItemFilter) -> set[str]:
        found = {h.item.item_id for h in any_store.search("story", where=where)}
        listed = {i.item_id for i in any_store.list_items(where=where).items}
        assert found == listed
        return found

    assert ids(ItemFilter(language="en")) == {en.item_id}
    assert ids(ItemFilter(language="EN_gb")) == {en.item_id}
    assert ids(ItemFilter(feed_url="https://other.example/rss")) == {other.item_id}
    assert ids(ItemFilter(since=at(5))) == {de.item_id, other.item_id}
    assert ids(ItemFilter(until=at(5))) == {en.item_id}
    assert ids(ItemFilter(story_id="s1")) == {en.item_id, de.item_id}
    assert [i.item_id for i in any_store.story("s1")] == [en.item_id, de.item_id]
    assert any_store.story("nope") == []


def test_list_items_pages_newest_first_without_gaps(any_store: ItemStore) -> None:
    items = [make_item(i, published=at(1) + timedelta(minutes=i % 4)) for i in range(11)]
    any_store.upsert_many(items)
    seen: list[str] = []
    cursor = None
    while True:
        page = any_store.list_items(limit=3, cursor=cursor)
        seen += [i.item_id for i in page.items]
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    assert sorted(seen) == sorted(i.item_id for i in items) and len(seen) == 11
    times = [any_store.get(s).published for s in seen]  # type: ignore[union-attr]
    assert times == sorted(times, reverse=True)  # type: ignore[type-var]
    with pytest.raises(ValueError, match="cursor"):
        any_store.list_items(cursor="garbage")


def test_get_by_prefix_and_ambiguity(any_store: ItemStore) -> None:
    a = make_item(1, item_id="abcdef01" + "0" * 24)
    b = make_item(2, item_id="abcdef01" + "1" * 24)
    any_store.upsert_many([a, b])
    assert any_store.get("ABCDEF01" + "0" * 10) == a
    with pytest.raises(AmbiguousItemId):
        any_store.get("abcdef01")
    assert any_store.get("zz%_") is None
    assert any_store.get("abcdef0") is None  # shorter than 8


def test_iter_items_and_text_edge_cases(any_store: ItemStore) -> None:
    odd = make_item(
        1,
        title="NUL\x00 and émoji 🗞",
        authors=(Author(name="Zoë"),),
        content=Content(html="<p>x</p>", text="line\x00two"),
    )
    items = [odd, *(make_item(i) for i in range(2, 9))]
    any_store.upsert_many(items)
    assert sorted(i.item_id for i in any_store.iter_items(batch=3)) == sorted(
        i.item_id for i in items
    )
    assert any_store.get(odd.item_id) == odd  # the item comes back exactly as stored
    assert any_store.search("zoë")[0].item.item_id == odd.item_id


def test_delete_older_than_in_batches(any_store: ItemStore) -> None:
    old = [make_item(i, published=at(1)) for i in range(5)]
    new = [make_item(i, published=at(20)) for i in range(5, 8)]
    any_store.upsert_many(old + new)
    assert any_store.delete_older_than(at(10), limit=2) == 2
    assert any_store.delete_older_than(at(10), limit=10) == 3
    assert any_store.delete_older_than(at(10), limit=10) == 0
    assert {i.item_id for i in any_store.iter_items()} == {i.item_id for i in new}
    assert any_store.search("story") and all(
        h.item.item_id in {i.item_id for i in new} for h in any_store.search("story")
    )


def test_open_store_url_picks_the_backend(store_url: str) -> None:
    with open_store_url(store_url) as store:
        store.ping()
        assert type(store).__name__ == (
            "SqliteStore" if store_url.startswith("sqlite") else "PostgresStore"
        )


def test_unreachable_postgres_is_retriable_and_reconnects(postgres_url: str) -> None:
    from newswire_consumers.store.postgres_store import PostgresStore

    dead = PostgresStore("postgresql://postgres@127.0.0.1:9/newswire")  # discard port
    with pytest.raises(StoreUnavailable):
        dead.upsert_many([make_item(1)])
    dead.close()
    with PostgresStore(postgres_url) as store:
        store.upsert_many([make_item(1)])
        # A server-side kill of the store's session stands in for a restart: the next
        # call fails retriably, the one after reconnects.
        pid = store._conn.info.backend_pid  # type: ignore[union-attr]
        with psycopg.connect(postgres_url, autocommit=True) as admin:
            admin.execute("SELECT pg_terminate_backend(%s)", (pid,))
        with pytest.raises(StoreUnavailable):
            store.upsert_many([make_item(2)])
        assert store.upsert_many([make_item(2)]) == UpsertResult(inserted=1)
        assert store.count() == 2


def test_csv_export_flattens_every_field(any_store: ItemStore) -> None:
    item = make_item(
        1,
        authors=(Author(name='A, "quoted"', email="a@example.org"),),
        categories=("x;y", "z"),
        story_id="s9",
        language=Language(detected="en"),
    )
    any_store.upsert_many([item, make_item(2)])
    out = io.StringIO()
    assert write_csv(any_store.iter_items(), out) == 2
    rows = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert tuple(rows[0]) == CSV_COLUMNS
    row = next(r for r in rows if r["item_id"] == item.item_id)
    assert row["story_id"] == "s9" and row["language.detected"] == "en"
    assert json.loads(row["categories"]) == ["x;y", "z"]
    assert json.loads(row["authors"])[0]["name"] == 'A, "quoted"'
    assert row["content.text"] == item.content.text and row["enrichment.word_count"] == ""


async def test_stage_reports_not_ready_while_the_store_is_down(any_store: ItemStore) -> None:
    class Flaky:
        down = True

        def __getattr__(self, name: str) -> object:
            if self.down and name in {"upsert_many", "ping"}:

                def fail(*args: object, **kwargs: object) -> None:
                    raise StoreUnavailable("down")

                return fail
            return getattr(any_store, name)

    flaky = Flaky()
    stage = StoreStage(flaky, backend="test", batch_max=2)  # type: ignore[arg-type]
    batch = [Incoming(make_event(i), Delivery("t", 0, i)) for i in range(5)]
    batch.append(Incoming(make_event(9, EventType.ALIAS, alias_of="f" * 32), Delivery("t", 0, 5)))
    with pytest.raises(StoreUnavailable):
        await stage.process(batch)
    assert not stage.is_ready() and not await stage.probe()
    flaky.down = False
    assert await stage.probe() and stage.is_ready()
    results = await stage.process(batch)
    assert [r.outcome for r in results] == ["stored"] * 5 + ["alias"]  # type: ignore[union-attr]
    assert any_store.count() == 5


async def test_retention_sweeps_in_batches(any_store: ItemStore) -> None:
    now = at(28)
    any_store.upsert_many([make_item(i, published=now - timedelta(days=i)) for i in range(10)])
    deleted = await sweep(any_store, timedelta(days=4, hours=1), batch=2, now=lambda: now)
    assert deleted == 5 and any_store.count() == 5


def test_feed_urls_names_each_feed_of_the_stored_items_once(any_store: ItemStore) -> None:
    assert any_store.feed_urls() == []
    feeds = ["https://b.example/rss", "https://a.example/feed.xml", "https://b.example/rss"]
    any_store.upsert_many([make_item(i, feed_url=url) for i, url in enumerate(feeds)])
    assert any_store.feed_urls() == ["https://a.example/feed.xml", "https://b.example/rss"]
