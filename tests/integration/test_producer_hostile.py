"""Hostile feed servers through the poller and the producer service (real broker): each case
ends with a clear outcome in the feed's state and a metric increment, never a hang or a
crash. (The fetcher's own behaviour is unit-tested in tests/unit/test_fetcher.py.)"""

from __future__ import annotations

import random
import time
from collections.abc import AsyncIterator, Callable, Iterator

import pytest
import pytest_asyncio
from bombs import zeros
from route_server import Handler, Server, serve

from newswire.fetch.fetcher import Fetcher
from newswire.fetch.policy import fetch_policy
from newswire.kafka.producer import EventProducer
from newswire.kafka.reader import read_topic
from newswire.kafka.topics import ensure_topics, pipeline_topics
from newswire.metrics import Metrics
from newswire.settings import Settings, Topics
from newswire_producers.feed_state import load_states
from newswire_producers.pacing.clock import VirtualClock
from newswire_producers.poller import Poller
from newswire_producers.registry import FeedRecord, publish_feeds
from newswire_producers.service import ProducerService

pytestmark = pytest.mark.kafka

Action = Callable[[Handler], None]
GOOD = b'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title><item><title>x</title><link>https://news.example/x</link></item></channel></rss>'


@pytest.fixture
def hostile() -> Iterator[Server]:
    yield from serve("127.0.0.1")


@pytest.fixture
def elsewhere() -> Iterator[Server]:
    """A server on 127.0.0.2, which the allow-list (127.0.0.1/32) does not cover."""
    yield from serve("127.0.0.2")


def drip(h: Handler) -> None:
    h.send_response(200)
    h.send_header("Content-Length", "1000")
    h.end_headers()
    try:
        for _ in range(50):  # 10 s at most, far past the 1.5 s deadline
            h.wfile.write(b"<")
            h.wfile.flush()
            time.sleep(0.2)
    except OSError:
        return


def declared_50mb(h: Handler) -> None:
    h.send_response(200)
    h.send_header("Content-Length", str(50 * 2**20))
    h.end_headers()
    try:
        h.wfile.write(b" " * 65536)
    except OSError:
        return


def chunked_50mb(h: Handler) -> None:
    h.send_response(200)
    h.send_header("Transfer-Encoding", "chunked")
    h.end_headers()
    chunk = b" " * 2**20
    try:
        for _ in range(50):
            h.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
        h.wfile.write(b"0\r\n\r\n")
    except OSError:
        return


BOMB = zeros(50, "gzip")  # 50 MiB of zeros, about 50 KiB on the wire

# name -> (route, expected outcome); "{other}" is the 127.0.0.2 server's base URL
CASES: dict[str, tuple[Callable[[Server], Action], str]] = {
    "slow drip": (lambda s: drip, "timeout"),
    "50 MB declared": (lambda s: declared_50mb, "too_large"),
    "50 MB chunked": (lambda s: chunked_50mb, "too_large"),
    "gzip bomb": (lambda s: lambda h: h.reply(200, BOMB, Content_Encoding="gzip"), "too_large"),
    "redirect loop": (lambda s: lambda h: h.reply(302, Location=h.path), "redirect_error"),
    "redirect to 127.0.0.2": (
        lambda s: lambda h: h.reply(302, Location=s.url("/feed")), "blocked"),
    "redirect to metadata": (
        lambda s: lambda h: h.reply(302, Location="http://169.254.169.254/latest/meta-data/"),
        "blocked"),
    "redirect to [::1]": (
        lambda s: lambda h: h.reply(301, Location="http://[::1]:8080/"), "blocked"),
}  # fmt: skip


@pytest_asyncio.fixture(loop_scope="function")
async def settings(kafka_bootstrap: str, make_settings: Callable[..., Settings]) -> Settings:
    s = make_settings(
        kafka_bootstrap, fetch_timeout_s=1.5, poll_first_spread_s=0.0, per_host_burst=20
    )
    await ensure_topics(kafka_bootstrap, pipeline_topics(s))
    return s


@pytest_asyncio.fixture(loop_scope="function")
async def producer(settings: Settings) -> AsyncIterator[tuple[EventProducer, Metrics]]:
    metrics = Metrics()
    async with EventProducer(settings, metrics) as p:
        yield p, metrics


@pytest.mark.parametrize("case", list(CASES))
async def test_hostile_server_ends_in_a_clear_outcome(
    case: str,
    settings: Settings,
    producer: tuple[EventProducer, Metrics],
    hostile: Server,
    elsewhere: Server,
) -> None:
    route, outcome = CASES[case]
    hostile.routes["/feed"] = route(elsewhere)
    elsewhere.routes["/feed"] = lambda h: h.reply(200, GOOD)
    kafka, metrics = producer
    feed = FeedRecord.new(hostile.url("/feed"))
    async with Fetcher(fetch_policy(settings)) as fetcher:
        poller = Poller(
            settings, metrics, kafka, fetcher, clock=VirtualClock(), rng=random.Random(1)
        )
        started = time.monotonic()
        result = await poller.poll(feed)
        elapsed = time.monotonic() - started
    assert elapsed < 5, f"{case} took {elapsed:.1f} s"
    assert result.outcome == outcome and result.items == 0
    assert metrics.fetches.labels(outcome)._value.get() == 1
    state = (await load_states(settings.kafka_bootstrap, Topics(settings.topic_prefix).feed_state))[
        feed.feed_id
    ]
    assert (state.last_outcome, state.consecutive_errors) == (outcome, 1)
    assert state.last_error and state.next_poll and state.next_poll_reason == "backoff"
    assert state.health == "failing" and state.body_hash is None
    assert elsewhere.requests == []  # nothing ever reached the address that is not allowed
    assert await read_topic(settings.kafka_bootstrap, Topics(settings.topic_prefix).raw) == []


async def test_the_service_survives_every_hostile_feed_at_once(
    settings: Settings,
    producer: tuple[EventProducer, Metrics],
    hostile: Server,
    elsewhere: Server,
) -> None:
    kafka, metrics = producer
    feeds = []
    for n, (route, _) in enumerate(CASES.values()):
        hostile.routes[f"/{n}"] = route(elsewhere)
        feeds.append(FeedRecord.new(hostile.url(f"/{n}")))
    hostile.routes["/good"] = lambda h: h.reply(200, GOOD, Content_Type="application/rss+xml")
    feeds.append(FeedRecord.new(hostile.url("/good")))
    topics = Topics(settings.topic_prefix)
    await publish_feeds(kafka, topics.feeds, feeds)
    async with Fetcher(fetch_policy(settings)) as fetcher:
        service = ProducerService(settings, metrics, kafka, fetcher, clock=VirtualClock())
        assert len(await service.load()) == len(CASES) + 1
        started = time.monotonic()
        summary = await service.poll_once()
        assert time.monotonic() - started < 10
    expected = {"ok": 1}
    for _, outcome in CASES.values():
        expected[outcome] = expected.get(outcome, 0) + 1
    assert dict(summary.outcomes) == expected and summary.feeds == len(feeds)
    states = await load_states(settings.kafka_bootstrap, topics.feed_state)
    outcomes = [states[f.feed_id].last_outcome for f in feeds]
    assert outcomes == [o for _, o in CASES.values()] + ["ok"]
    for outcome, count in expected.items():
        assert metrics.fetches.labels(outcome)._value.get() == count
    assert metrics.feeds_by_state.labels("failing")._value.get() == len(CASES)
    assert metrics.feeds_by_state.labels("ok")._value.get() == 1
    assert elsewhere.requests == []
