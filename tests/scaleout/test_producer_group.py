"""Producer replicas share the registry through one consumer group, in one
process against the real broker: the feeds split between two services, a service that
leaves hands its feeds over, registry changes reach the owner, and the state travels with
the feed (the new owner sends the old owner's validators)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from datetime import UTC, datetime

import pytest
from scaleout_support import agents, owner_runs, polls_by_feed, serve_feeds

from newswire.app.demo import FeedServer
from newswire.kafka.producer import EventProducer
from newswire.kafka.topics import ensure_topics, pipeline_topics
from newswire.metrics import Metrics
from newswire.settings import Settings, Topics
from newswire_producers.registry import FeedRecord, publish_feeds, remove_feeds
from newswire_producers.service import ProducerService

pytestmark = [pytest.mark.kafka, pytest.mark.timeout(90)]

FEEDS = 24


@asynccontextmanager
async def replica(settings: Settings, name: str) -> AsyncIterator[ProducerService]:
    """A producer service running in the group, as ``name`` (its User-Agent)."""
    mine = settings.model_copy(update={"user_agent": name})
    stop = asyncio.Event()
    async with AsyncExitStack() as stack:
        producer = await stack.enter_async_context(EventProducer(mine, Metrics()))
        service = await ProducerService.open(mine, Metrics(), stack, producer)
        task = asyncio.create_task(service.run_sharded(stop))
        try:
            yield service
        finally:
            stop.set()
            await asyncio.wait_for(task, 30)


async def until(check: Callable[[], bool], timeout_s: float = 30.0) -> None:
    async with asyncio.timeout(timeout_s):
        while not check():  # noqa: ASYNC110 - the services expose no event for this
            await asyncio.sleep(0.05)


def owned(*services: ProducerService) -> list[int]:
    return [len(s.feeds) for s in services]


async def test_two_replicas_split_the_feeds_and_hand_them_over(
    kafka_bootstrap: str, make_settings: Callable[..., Settings]
) -> None:
    settings = make_settings(
        kafka_bootstrap,
        topic_partitions=4,
        poll_interval_s=1.0,
        poll_min_interval_s=1.0,
        poll_max_interval_s=2.0,
        poll_jitter=0.0,
        poll_first_spread_s=0.5,
        poll_adaptive=False,
        per_host_requests_per_minute=6000.0,
        per_host_burst=100,
        per_host_concurrency=8,
        producer_session_timeout_s=6.0,
        producer_heartbeat_s=0.5,
    )
    await ensure_topics(kafka_bootstrap, pipeline_topics(settings))
    topics = Topics(settings.topic_prefix)
    with FeedServer() as server:
        urls = serve_feeds(server, FEEDS, range(3))
        records = [FeedRecord.new(u) for u in urls]
        async with EventProducer(settings, Metrics()) as producer:
            await publish_feeds(producer, topics.feeds, records)
            async with replica(settings, "replica-a") as a:
                await until(lambda: owned(a) == [FEEDS])
                async with replica(settings, "replica-b") as b:
                    # both hold some partitions and together every feed, each once
                    await until(lambda: min(owned(a, b)) > 0 and sum(owned(a, b)) == FEEDS)
                    assert {f.feed_id for f in a.feeds}.isdisjoint(f.feed_id for f in b.feeds)
                    split = datetime.now(UTC)
                    b_paths = {f.url.removeprefix(server.base_url) for f in b.feeds}
                    # b polls its feeds: at least twice each (the second with validators)
                    await until(
                        lambda: all(
                            len(polls_by_feed(server, since=split).get(p, [])) >= 2 for p in b_paths
                        )
                    )
                    # a feed added now reaches its owner; a removed one leaves it
                    extra = FeedRecord.new(server.url("/f/extra"))
                    await publish_feeds(producer, topics.feeds, [extra])
                    await remove_feeds(producer, topics.feeds, [records[0].feed_id])
                    await until(lambda: sum(owned(a, b)) == FEEDS)
                    ids = {f.feed_id for s in (a, b) for f in s.feeds}
                    assert extra.feed_id in ids and records[0].feed_id not in ids
                left = datetime.now(UTC)
                # b left the group: a owns every feed again, and polls b's old feeds
                await until(lambda: owned(a) == [FEEDS])
                await until(
                    lambda: all(
                        any(
                            agent == "replica-a"
                            for _, agent in polls_by_feed(server, since=left).get(p, [])
                        )
                        for p in b_paths - {records[0].url.removeprefix(server.base_url)}
                    )
                )
    # three generations (a; a and b; a): a feed changed hands at most twice
    assert max(owner_runs(polls) for polls in polls_by_feed(server).values()) <= 3
    # while both ran, every feed had one poller
    both = polls_by_feed(server, since=split, until=left)
    assert all(len(agents(polls)) == 1 for polls in both.values())
    after = polls_by_feed(server, since=left)
    for path in b_paths - {records[0].url.removeprefix(server.base_url)}:
        first_a = next(r for r in server.requests if r.path == path and r.time >= left)
        # the state moved with the feed: a's first poll of b's feed is conditional
        assert "if-none-match" in first_a.headers, path
        assert all(agent == "replica-a" for _, agent in after[path])
