"""The poller against local feed servers and the real broker: conditional GET, unchanged
bodies, permanent redirects, 410 Gone, failing feeds, and the state it saves in Kafka."""

from __future__ import annotations

import random
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any

import pytest
import pytest_asyncio

from newswire.app.demo import FeedServer, Route
from newswire.fetch.fetcher import Fetcher
from newswire.fetch.policy import fetch_policy
from newswire.kafka.producer import EventProducer
from newswire.kafka.reader import read_topic
from newswire.kafka.topics import ensure_topics, pipeline_topics
from newswire.metrics import Metrics
from newswire.settings import Settings, Topics
from newswire_producers import poller as poller_module
from newswire_producers.feed_state import epoch, load_states
from newswire_producers.pacing.clock import VirtualClock
from newswire_producers.poller import Poller
from newswire_producers.registry import FeedRecord, load_registry, publish_feeds
from newswire_schemas.envelope import decode_event

pytestmark = pytest.mark.kafka


async def outcome(poller: Poller, feed: FeedRecord) -> tuple[str, int]:
    """(outcome, items published) of one poll."""
    result = await poller.poll(feed)
    return result.outcome, result.items


def rss(n: int, *, ttl: int | None = None, start: int = 0) -> bytes:
    now = datetime.now(UTC)
    items = "".join(
        f"<item><title>Story {i}</title><link>https://news.example/{i}</link>"
        f"<guid>story-{i}</guid>"
        f"<pubDate>{format_datetime(now - timedelta(hours=i), usegmt=True)}</pubDate></item>"
        for i in range(start, start + n)
    )
    ttl_el = f"<ttl>{ttl}</ttl>" if ttl else ""
    return (
        f'<?xml version="1.0"?><rss version="2.0"><channel><title>Local news</title>'
        f"<link>https://news.example/</link>{ttl_el}{items}</channel></rss>"
    ).encode()


@dataclass
class Kit:
    settings: Settings
    metrics: Metrics
    producer: EventProducer
    fetcher: Fetcher
    clock: VirtualClock

    def poller(self) -> Poller:
        return Poller(
            self.settings, self.metrics, self.producer, self.fetcher,
            clock=self.clock, rng=random.Random(1),
        )  # fmt: skip

    def count(self, outcome: str) -> float:
        value: float = self.metrics.fetches.labels(outcome)._value.get()
        return value

    async def raw(self) -> list[Any]:
        return await read_topic(
            self.settings.kafka_bootstrap, Topics(self.settings.topic_prefix).raw
        )


@pytest_asyncio.fixture(loop_scope="function")  # the test's loop: the producer lives in it
async def kit(kafka_bootstrap: str, make_settings: Callable[..., Settings]) -> AsyncIterator[Kit]:
    settings = make_settings(
        kafka_bootstrap, poll_interval_s=600.0, poll_min_interval_s=60.0, poll_jitter=0.0
    )
    await ensure_topics(kafka_bootstrap, pipeline_topics(settings))
    metrics = Metrics()
    async with (
        EventProducer(settings, metrics) as producer,
        Fetcher(fetch_policy(settings)) as fetcher,
    ):
        yield Kit(settings, metrics, producer, fetcher, VirtualClock())


@asynccontextmanager
async def serving(routes: dict[str, Route]) -> AsyncIterator[FeedServer]:
    with FeedServer(routes) as server:
        yield server


async def test_second_poll_sends_validators_gets_304_and_publishes_nothing(kit: Kit) -> None:
    async with serving({"/feed": Route(rss(5), "application/rss+xml")}) as server:
        feed = FeedRecord.new(server.url("/feed"))
        poller = kit.poller()
        assert await outcome(poller, feed) == ("ok", 5)
        first = poller.state(feed.feed_id)
        assert first is not None and first.etag and first.last_modified
        await kit.clock.advance(700)

        parsed: list[bytes] = []

        async def counting(data: bytes, **kw: Any) -> Any:
            parsed.append(data)
            return await real_parse(data, **kw)

        real_parse = poller_module.parse_bounded
        poller_module.parse_bounded = counting  # type: ignore[assignment]
        try:
            assert await outcome(poller, feed) == ("not_modified", 0)
        finally:
            poller_module.parse_bounded = real_parse
        assert parsed == []  # a 304 is not parsed
        second = server.requests[-1]
        assert second.headers["if-none-match"] == first.etag
        assert second.headers["if-modified-since"] == first.last_modified
        assert second.status == 304

    assert len(await kit.raw()) == 5  # the 304 published nothing
    assert kit.count("not_modified") == 1 and kit.count("ok") == 1
    saved = await load_states(
        kit.settings.kafka_bootstrap, Topics(kit.settings.topic_prefix).feed_state
    )
    state = saved[feed.feed_id]
    assert state.last_outcome == "not_modified" and state.etag == first.etag
    assert state.polls_total == 2 and state.consecutive_errors == 0
    assert state.next_poll and state.next_poll_reason and state.next_poll_detail


async def test_unchanged_body_without_validators_is_not_parsed(
    kit: Kit, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with serving({"/feed": Route(rss(3), "application/rss+xml", etag=False)}) as server:
        feed = FeedRecord.new(server.url("/feed"))
        poller = kit.poller()
        assert await outcome(poller, feed) == ("ok", 3)
        calls: list[bytes] = []

        async def counting(data: bytes, **_: Any) -> None:
            calls.append(data)

        monkeypatch.setattr(poller_module, "parse_bounded", counting)
        assert await outcome(poller, feed) == ("unchanged", 0)
        assert calls == []
        assert "if-none-match" not in server.requests[-1].headers
    assert len(await kit.raw()) == 3
    assert kit.count("unchanged") == 1


async def test_new_items_feed_the_adaptive_schedule_and_the_ttl_is_honoured(kit: Kit) -> None:
    async with serving({"/feed": Route(rss(6, ttl=180), "application/rss+xml")}) as server:
        feed = FeedRecord.new(server.url("/feed"))
        poller = kit.poller()
        await poller.poll(feed)
        state = poller.state(feed.feed_id)
        assert state is not None
        assert state.ttl_s == 180 * 60 and state.next_poll_reason == "ttl"
        assert epoch(state.next_poll) == pytest.approx(kit.clock.now() + 180 * 60)
        assert state.post_interval_s is not None  # items an hour apart: posts ~hourly
        assert len(state.recent_item_ids) == 6

        server.set_route("/feed", Route(rss(6, start=2), "application/rss+xml"))  # 2 new
        await kit.clock.advance(3600)
        await poller.poll(feed)
        state = poller.state(feed.feed_id)
        assert state is not None and state.new_items_last_poll == 2
        assert state.ttl_s is None and state.next_poll_reason == "adaptive"
        assert state.arrivals == ((kit.clock.now(), 2),)


async def test_permanent_redirect_moves_the_feed_but_keeps_its_identity(kit: Kit) -> None:
    async with serving({"/new": Route(rss(2), "application/rss+xml")}) as server:
        server.set_route("/old", Route(b"", status=301, headers={"Location": "/new"}, etag=False))
        feed = FeedRecord.new(server.url("/old"))
        topics = Topics(kit.settings.topic_prefix)
        await publish_feeds(kit.producer, topics.feeds, [feed])
        poller = kit.poller()
        assert (await poller.poll(feed)).outcome == "ok"
        [moved] = await load_registry(kit.settings.kafka_bootstrap, topics.feeds)
        assert (moved.feed_id, moved.url, moved.origin_url) == (
            feed.feed_id, server.url("/new"), server.url("/old"),
        )  # fmt: skip
        await poller.poll(moved)
        assert [r.path for r in server.requests] == ["/old", "/new", "/new"]
    events = [decode_event(r.headers, r.value) for r in await kit.raw()]
    assert {e.item.feed_url for e in events} == {server.url("/old")}  # item ids stay stable
    assert kit.metrics.feed_changes.labels("moved")._value.get() == 1
    state = poller.state(feed.feed_id)
    assert state is not None and state.url == server.url("/new")


async def test_410_disables_the_feed_with_that_reason(kit: Kit) -> None:
    async with serving({"/gone": Route(b"gone", status=410, etag=False)}) as server:
        feed = FeedRecord.new(server.url("/gone"))
        topics = Topics(kit.settings.topic_prefix)
        await publish_feeds(kit.producer, topics.feeds, [feed])
        result = await kit.poller().poll(feed)
    assert result.outcome == "client_error"
    assert result.feed.disabled.startswith("410 Gone") and not result.feed.active
    assert result.state.disabled_reason == result.feed.disabled
    assert (result.state.next_poll, result.state.next_poll_reason) == ("", "disabled")
    [stored] = await load_registry(kit.settings.kafka_bootstrap, topics.feeds)
    assert stored.disabled == result.feed.disabled
    assert kit.metrics.feed_changes.labels("disabled")._value.get() == 1
    assert kit.metrics.next_polls.labels("disabled")._value.get() == 1


async def test_a_failing_feed_keeps_retrying_with_capped_backoff(kit: Kit) -> None:
    async with serving({}) as server:  # every path: 404
        feed = FeedRecord.new(server.url("/missing"))
        poller = kit.poller()
        delays = []
        for n in range(1, 11):
            result = await poller.poll(feed)
            state = result.state
            assert (result.outcome, state.consecutive_errors, state.last_status) == (
                "client_error", n, 404,
            )  # fmt: skip
            assert state.next_poll_reason in ("backoff", "min_interval")
            assert "HTTP 404" in state.last_error and str(n) in state.next_poll_detail
            next_at = epoch(state.next_poll)
            assert next_at is not None
            delays.append(next_at - kit.clock.now())
            await kit.clock.set(next_at)
        assert state.health == "failing" and state.errors_total == 10
    assert max(delays) <= kit.settings.poll_error_max_interval_s
    assert delays[-1] >= kit.settings.poll_error_max_interval_s / 2  # grew up to the cap
    assert kit.count("client_error") == 10
    assert kit.metrics.next_polls.labels("backoff")._value.get() >= 9


async def test_parse_error_is_recorded_and_keeps_no_validators(kit: Kit) -> None:
    async with serving(
        {"/feed": Route(b"<html><body>not a feed</body></html>", "text/html")}
    ) as server:
        feed = FeedRecord.new(server.url("/feed"))
        result = await kit.poller().poll(feed)
    assert result.outcome == "parse_error"
    assert result.state.etag is None and result.state.body_hash is None  # re-parse next time
    assert result.state.consecutive_errors == 1 and result.state.last_status == 200
    assert kit.count("parse_error") == 1
    samples = kit.metrics.parse_errors.collect()[0].samples
    assert sum(s.value for s in samples if s.name.endswith("_total")) == 1
