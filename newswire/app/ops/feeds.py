"""Feed administration: the registry (the compacted ``newswire.feeds`` topic) and the
feeds' fetch state (``newswire.feed-state``) read and changed for an operator.

``newswire feeds`` presents these. Every function takes the settings and raises
:class:`~newswire.errors.ConfigError` for a feed that cannot be found (or a reference that
names several) and :class:`~newswire.errors.BrokerUnavailable` when Kafka does not answer.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path

from newswire.fetch.fetcher import Fetcher
from newswire.fetch.policy import fetch_policy
from newswire.kafka.producer import EventProducer
from newswire.kafka.topics import ensure_topics, pipeline_topics
from newswire.metrics import Metrics
from newswire.settings import Settings, Topics
from newswire_producers.discovery import discover
from newswire_producers.feed_state import FeedState, load_states
from newswire_producers.registry import (
    FeedRecord,
    find_feed,
    load_registry,
    publish_feeds,
    read_feed_list,
    remove_feeds,
)

CHUNK = 100  # feeds published at once by an import


@asynccontextmanager
async def _producer(settings: Settings) -> AsyncIterator[EventProducer]:
    async with EventProducer(settings, Metrics(), client_id="newswire-feeds") as producer:
        yield producer


async def registry(settings: Settings) -> list[FeedRecord]:
    """Every registered feed (the pipeline's topics are created first if missing)."""
    await ensure_topics(
        settings.kafka_bootstrap, pipeline_topics(settings), settings.kafka_timeout_s
    )
    return await load_registry(
        settings.kafka_bootstrap, Topics(settings.topic_prefix).feeds,
        timeout_s=settings.kafka_timeout_s,
    )  # fmt: skip


async def registry_and_states(settings: Settings) -> tuple[list[FeedRecord], dict[str, FeedState]]:
    """The registry and every feed's fetch state, by feed id."""
    records = await registry(settings)
    states = await load_states(
        settings.kafka_bootstrap, Topics(settings.topic_prefix).feed_state,
        timeout_s=settings.kafka_timeout_s,
    )  # fmt: skip
    return records, states


async def publish(settings: Settings, records: list[FeedRecord]) -> None:
    async with _producer(settings) as producer:
        await publish_feeds(producer, Topics(settings.topic_prefix).feeds, records)


@dataclass
class Added:
    record: FeedRecord
    existing: FeedRecord | None = None  # already registered: nothing was added
    page: str | None = None  # the web page the feed was found on


async def add(settings: Settings, url: str, title: str | None, *, check: bool) -> Added:
    """Register ``url``; with ``check``, fetch it first: a feed is added as it is, a web
    page's ``<link rel="alternate">`` feed instead."""
    page = None
    if check:
        async with Fetcher(fetch_policy(settings)) as fetcher:
            found = await discover(fetcher, url)
        url, page = found.feed_url, found.page_url
        title = title if title is not None else found.title
    record = FeedRecord.new(url, title or "")
    registered = await registry(settings)
    existing = next((r for r in registered if record.feed_id == r.feed_id or url == r.url), None)
    if existing is None:
        await publish(settings, [record])
    return Added(record, existing, page)


@dataclass
class Imported:
    added: int
    known: int
    errors: list[str] = field(default_factory=list)


async def import_list(
    settings: Settings, path: Path, progress: Callable[[int, int], None] | None = None
) -> Imported:
    """Add the feeds of a feed list (OPML, YAML, text) the registry lacks; registered ones
    keep their record. ``progress(done, total)`` is called as they are published."""
    listed = read_feed_list(path)
    known = {r.feed_id for r in await registry(settings)}
    new = [r for r in listed.records if r.feed_id not in known]
    total, done = len(listed.records), len(listed.records) - len(new)
    if progress is not None:
        progress(done, total)
    async with _producer(settings) as producer:
        topic = Topics(settings.topic_prefix).feeds
        for start in range(0, len(new), CHUNK):
            chunk = new[start : start + CHUNK]
            await publish_feeds(producer, topic, chunk)
            done += len(chunk)
            if progress is not None:
                progress(done, total)
    return Imported(len(new), total - len(new), [str(e) for e in listed.errors])


async def remove(settings: Settings, key: str) -> FeedRecord:
    """Tombstone a feed's record and its fetch state; returns the record removed."""
    record = find_feed(await registry(settings), key)
    topics = Topics(settings.topic_prefix)
    async with _producer(settings) as producer:
        await remove_feeds(producer, topics.feeds, [record.feed_id])
        await remove_feeds(producer, topics.feed_state, [record.feed_id])
    return record


async def set_paused(settings: Settings, key: str, paused: bool) -> FeedRecord:
    """Pause a feed, or resume it (which also re-enables a feed disabled by a 410)."""
    record = find_feed(await registry(settings), key)
    changed = record.with_(paused=paused) if paused else record.with_(paused=False, disabled="")
    if changed != record:
        await publish(settings, [changed])
    return changed
