"""The producer service's scheduler on a virtual clock, against local feed servers and the
real broker: Retry-After for one feed and for a whole host, the schedule across a restart,
registry changes reaching a running service, and ``poll_once`` skipping held feeds."""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime

import pytest
import pytest_asyncio

from newswire.app.demo import FeedServer, Route
from newswire.fetch.fetcher import Fetcher
from newswire.fetch.policy import fetch_policy
from newswire.kafka.producer import EventProducer
from newswire.kafka.topics import ensure_topics, pipeline_topics
from newswire.metrics import Metrics
from newswire.settings import Settings, Topics
from newswire_producers.pacing.clock import VirtualClock
from newswire_producers.registry import FeedRecord, publish_feeds
from newswire_producers.service import ProducerService

pytestmark = pytest.mark.kafka

FEED = (
    b'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>'
    b"<item><title>One</title><link>https://news.example/1</link><guid>1</guid></item>"
    b"</channel></rss>"
)


def ok() -> Route:
    return Route(FEED, "application/rss+xml")


def refuse(retry_after: str, status: int = 429) -> Route:
    return Route(b"slow down", "text/plain", status=status, headers={"Retry-After": retry_after})


@dataclass
class Env:
    settings: Settings
    metrics: Metrics
    producer: EventProducer
    fetcher: Fetcher
    clock: VirtualClock

    def service(self) -> ProducerService:
        return ProducerService(
            self.settings, self.metrics, self.producer, self.fetcher,
            clock=self.clock, rng=random.Random(2),
        )  # fmt: skip

    async def register(self, *feeds: FeedRecord) -> None:
        await publish_feeds(self.producer, Topics(self.settings.topic_prefix).feeds, list(feeds))


@pytest_asyncio.fixture(loop_scope="function")
async def env(kafka_bootstrap: str, make_settings: Callable[..., Settings]) -> AsyncIterator[Env]:
    settings = make_settings(
        kafka_bootstrap,
        poll_interval_s=30.0,  # short, so that only Retry-After can explain a long wait
        poll_min_interval_s=10.0,
        poll_jitter=0.0,
        poll_first_spread_s=0.0,
        host_refusal_threshold=3,
    )
    await ensure_topics(kafka_bootstrap, pipeline_topics(settings))
    metrics = Metrics()
    async with (
        EventProducer(settings, metrics) as producer,
        Fetcher(fetch_policy(settings)) as fetcher,
    ):
        yield Env(settings, metrics, producer, fetcher, VirtualClock())


class Running:
    """A service as ``newswire run`` runs it (``run_sharded``: the producer group on the
    registry) in a task, once it holds ``feeds`` feeds; ``at(t)`` moves the virtual clock to
    t s after start and waits until the scheduler is idle again."""

    def __init__(self, service: ProducerService, clock: VirtualClock, feeds: int = 1) -> None:
        self.service, self.clock, self.start = service, clock, clock.now()
        self.feeds = feeds
        self.stop = asyncio.Event()
        self.task: asyncio.Task[None] | None = None

    async def __aenter__(self) -> Running:
        self.task = asyncio.create_task(self.service.run_sharded(self.stop))
        await self.until(lambda: len(self.service.feeds) == self.feeds)
        return self

    async def until(self, holds: Callable[[], bool], timeout_s: float = 30.0) -> None:
        """Wait (real time: the group consumer's) until ``holds()``, then until idle."""
        async with asyncio.timeout(timeout_s):
            while not holds():
                assert self.task is not None and not self.task.done(), "the service stopped"
                await asyncio.sleep(0.02)
        await self.idle()

    async def __aexit__(self, *exc: object) -> None:
        self.stop.set()
        assert self.task is not None
        await asyncio.wait_for(self.task, 10)

    async def idle(self) -> None:
        await self.service.wait_idle()

    async def at(self, seconds: float) -> None:
        await self.clock.set(self.start + seconds, settle=self.idle)


def requests_to(server: FeedServer, path: str) -> int:
    return sum(1 for r in server.requests if r.path == path)


async def test_429_retry_after_120_holds_the_next_request_for_120_s(env: Env) -> None:
    with FeedServer({"/feed": refuse("120")}) as server:
        feed = FeedRecord.new(server.url("/feed"))
        await env.register(feed)
        service = env.service()
        async with Running(service, env.clock) as running:
            assert requests_to(server, "/feed") == 1  # the first poll, at once
            state = service.poller.state(feed.feed_id)  # type: ignore[union-attr]
            assert state is not None and state.last_outcome == "rate_limited"
            assert state.next_poll_reason == "retry_after" and state.retry_after_until
            server.set_route("/feed", ok())
            await running.at(60)  # past the 30 s base and the error backoff
            await running.at(119.9)
            assert requests_to(server, "/feed") == 1
            await running.at(120.1)
            assert requests_to(server, "/feed") == 2
            state = service.poller.state(feed.feed_id)  # type: ignore[union-attr]
            assert state is not None and state.last_outcome == "ok"
            assert state.retry_after_until == "" and state.consecutive_errors == 0
    assert env.metrics.fetches.labels("rate_limited")._value.get() == 1
    assert env.metrics.next_polls.labels("retry_after")._value.get() == 1


async def test_retry_after_as_an_http_date_counts_from_the_servers_date(env: Env) -> None:
    later = datetime.fromtimestamp(env.clock.now() + 300, UTC)
    with FeedServer({"/feed": refuse(format_datetime(later, usegmt=True), 503)}) as server:
        feed = FeedRecord.new(server.url("/feed"))
        await env.register(feed)
        service = env.service()
        async with Running(service, env.clock) as running:
            state = service.poller.state(feed.feed_id)  # type: ignore[union-attr]
            assert state is not None and state.last_outcome == "server_error"
            assert state.next_poll_reason == "retry_after"
            server.set_route("/feed", ok())
            await running.at(280)  # the Date header has whole seconds: allow for that
            assert requests_to(server, "/feed") == 1
            await running.at(302)
            assert requests_to(server, "/feed") == 2


async def test_a_host_is_held_only_when_several_of_its_feeds_are_refused(env: Env) -> None:
    with FeedServer({"/a": refuse("600"), "/b": refuse("600"), "/good": ok()}) as server:
        a, b, good = (FeedRecord.new(server.url(p)) for p in ("/a", "/b", "/good"))
        await env.register(a, b, good)
        service = env.service()
        async with Running(service, env.clock, feeds=3) as running:
            await running.at(45)  # two feeds refused: only they wait; /good goes on
            assert requests_to(server, "/good") == 2
            server.set_route("/c", refuse("600"))
            c = FeedRecord.new(server.url("/c"))
            await running.at(61)
            await env.register(c)  # a third feed of the host, refused too: the host is held
            await running.until(lambda: len(service.feeds) == 4)
            assert requests_to(server, "/c") == 1
            polled = requests_to(server, "/good")
            await running.at(300)
            assert requests_to(server, "/good") == polled  # held with them, not polled
            assert service.scheduler is not None
            due = service.scheduler.due(good.feed_id)
            assert due is not None and due[1] == "host_retry_after"
            assert due[0] == pytest.approx(running.start + 660, abs=1)  # the latest Retry-After
            assert env.metrics.host_deferrals.labels("host_retry_after")._value.get() >= 1
            for path in ("/a", "/b", "/c"):
                server.set_route(path, ok())
            await running.at(700)  # the hold and every Retry-After are over
            assert all(requests_to(server, p) >= 2 for p in ("/a", "/b", "/c"))
            assert requests_to(server, "/good") > polled


async def test_the_schedule_survives_a_restart(env: Env) -> None:
    with FeedServer(
        {"/feed": Route(FEED.replace(b"<title>t</title>", b"<title>t</title><ttl>60</ttl>"))}
    ) as server:
        feed = FeedRecord.new(server.url("/feed"))
        await env.register(feed)
        first = env.service()
        async with Running(first, env.clock):
            pass
        assert requests_to(server, "/feed") == 1
        await env.clock.advance(600)  # no producer runs for ten minutes
        second = env.service()  # loads the state the first one saved in Kafka
        async with Running(second, env.clock) as running:
            assert second.scheduler is not None
            due = second.scheduler.due(feed.feed_id)
            assert due is not None and due[1] == "ttl"
            assert due[0] == pytest.approx(running.start - 600 + 3600)
            await running.at(2990)
            assert requests_to(server, "/feed") == 1
            await running.at(3010)
            assert requests_to(server, "/feed") == 2  # the 304 round
            assert server.requests[-1].status == 304


async def test_registry_changes_reach_a_running_service(env: Env) -> None:
    with FeedServer({"/one": ok(), "/two": ok()}) as server:
        one, two = FeedRecord.new(server.url("/one")), FeedRecord.new(server.url("/two"))
        await env.register(one)
        service = env.service()
        async with Running(service, env.clock) as running:
            assert [f.url for f in service.feeds] == [one.url]
            await env.register(two, one.with_(paused=True))
            expected = {one.feed_id: False, two.feed_id: True}
            await running.until(lambda: {f.feed_id: f.active for f in service.feeds} == expected)
            assert requests_to(server, "/two") == 1
            before = requests_to(server, "/one")
            await running.at(300)
            assert requests_to(server, "/one") == before  # paused: not polled
            assert env.metrics.feeds_by_state.labels("paused")._value.get() == 1
            service.remove_feeds([two.feed_id])  # e.g. its partition moved to another replica
            polled = requests_to(server, "/two")
            await running.at(310)
            assert requests_to(server, "/two") == polled
            assert [f.feed_id for f in service.feeds] == [one.feed_id]


async def test_poll_once_skips_a_feed_under_retry_after(env: Env) -> None:
    with FeedServer({"/held": refuse("3600"), "/fine": ok()}) as server:
        held, fine = FeedRecord.new(server.url("/held")), FeedRecord.new(server.url("/fine"))
        await env.register(held, fine)
        service = env.service()
        first = await service.poll_once()
        assert dict(first.outcomes) == {"rate_limited": 1, "ok": 1}
        again = await service.poll_once()
        assert dict(again.outcomes) == {"deferred": 1, "not_modified": 1}
        assert requests_to(server, "/held") == 1
