"""End to end through the real broker: local feed server -> producer -> raw -> dedup ->
unique -> enrich -> enriched -> store. Every served item is stored exactly once, and a
second poll stores nothing new."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from newswire.app.demo import FeedServer, Route, generate_site
from newswire.app.pipeline import run_pipeline
from newswire.kafka.reader import read_topic
from newswire.settings import Settings, Topics
from newswire_consumers.store.sqlite_store import SqliteStore
from newswire_schemas import EventType
from newswire_schemas.envelope import decode_event
from tests.contract import schema_errors

pytestmark = pytest.mark.kafka


def stored(settings: Settings) -> list[str]:
    with SqliteStore.from_url(settings.store_url) as store:
        return [item.link for item in store.iter_items()]


async def test_every_served_item_is_stored_exactly_once(
    kafka_settings: Settings, tmp_path: Path
) -> None:
    site = generate_site(seed=11)
    served = sum(len(f.items) for f in site.feeds)
    unique = site.unique_links()
    assert served > len(unique), "the demo site must carry some stories in several outlets"

    with FeedServer() as server:
        server.add_site(site)
        opml = tmp_path / "feeds.opml"
        opml.write_bytes(site.opml(server.base_url))

        first = await run_pipeline(kafka_settings, feeds_file=opml, until_idle=True)

        assert first.feeds == len(site.feeds)
        assert first.items_fetched == served
        assert first.outcome("dedup", "created") == len(unique)
        # Wire stories carried by several outlets: one created, the other copies aliases.
        assert first.outcome("dedup", "alias") == served - len(unique)
        assert first.outcome("dedup", "duplicate") == 0
        assert first.outcome("store", "stored") == len(unique)
        assert first.dead_lettered == 0
        links = stored(kafka_settings)
        assert Counter(links).most_common(1)[0][1] == 1, "an item was stored twice"
        assert set(links) == unique

        # The topics carry valid v1 events: raw = every served item; unique and enriched =
        # one created event per story link, one alias event per further copy.
        topics = Topics(kafka_settings.topic_prefix)
        expected_types = {EventType.CREATED: len(unique), EventType.ALIAS: served - len(unique)}
        raw = await read_topic(kafka_settings.kafka_bootstrap, topics.raw)
        assert len(raw) == served
        for topic in (topics.unique, topics.enriched):
            records = await read_topic(kafka_settings.kafka_bootstrap, topic)
            events = [decode_event(rec.headers, rec.value) for rec in records]
            assert Counter(e.type for e in events) == expected_types, topic
            created_links = {e.item.link for e in events if e.type is EventType.CREATED}
            assert created_links == unique
            for rec, event in zip(records, events, strict=True):
                assert schema_errors(list(rec.headers), rec.value or b"") == []
                assert rec.key == event.item.dedup_key.encode()
                if event.type is EventType.ALIAS:
                    assert event.item.alias_of and event.item.alias_of != event.item.item_id
                if topic == topics.enriched:
                    assert event.item.enrichment is not None
                    assert event.item.enrichment.word_count > 0

        # Second poll, unchanged feeds: the server answers 304 to the stored validators.
        second = await run_pipeline(kafka_settings, until_idle=True)
        assert second.fetch_outcomes == {"not_modified": len(site.feeds)}
        assert second.items_fetched == 0

        # Third poll: one feed's bytes change (no validators) but its items do not: every
        # item goes through dedup again and is dropped as a duplicate.
        feed = site.feeds[0]
        server.set_route(
            feed.path, Route(body=feed.body + b"\n", content_type=feed.content_type, etag=False)
        )
        third = await run_pipeline(kafka_settings, until_idle=True)
        assert third.items_fetched == len(feed.items)
        assert third.outcome("dedup", "duplicate") == len(feed.items)
        assert third.outcome("dedup", "created") == 0
        assert third.outcome("store", "stored") == 0

    assert sorted(stored(kafka_settings)) == sorted(links)
