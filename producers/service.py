"""The producer service: the feed registry in, item events out.

Loads the registry (``newswire.feeds``) and the feeds' state (``newswire.feed-state``) from
Kafka, polls the feeds and publishes their items. ``run`` polls every
``poll_interval_s`` until stopped; ``poll_once`` is one round for ``--until-idle``.
"""

from __future__ import annotations

import asyncio
import contextlib
from contextlib import AsyncExitStack
from pathlib import Path

from newswire.kafka.producer import EventProducer
from newswire.metrics import Metrics
from newswire.settings import Settings, Topics
from producers.feed_state import load_states
from producers.fetcher import Fetcher, FetchPolicy
from producers.poller import Poller, PollSummary
from producers.registry import FeedRecord, load_registry, publish_feeds, read_feed_list


def fetch_policy(settings: Settings) -> FetchPolicy:
    return FetchPolicy(
        total_timeout_s=settings.fetch_timeout_s,
        max_body_bytes=settings.fetch_max_bytes,
        user_agent=settings.user_agent,
        allow_networks=settings.fetch_allow_networks,
    )


class ProducerService:
    name = "producer"

    def __init__(
        self, settings: Settings, metrics: Metrics, producer: EventProducer, fetcher: Fetcher
    ) -> None:
        self._settings = settings
        self._metrics = metrics
        self._producer = producer
        self._fetcher = fetcher
        self._topics = Topics(settings.topic_prefix)
        self._poller: Poller | None = None
        self.feeds: list[FeedRecord] = []

    @classmethod
    async def open(
        cls, settings: Settings, metrics: Metrics, stack: AsyncExitStack, producer: EventProducer
    ) -> ProducerService:
        fetcher = await stack.enter_async_context(Fetcher(fetch_policy(settings)))
        return cls(settings, metrics, producer, fetcher)

    def is_ready(self) -> bool:
        return self._poller is not None

    async def import_feeds(self, path: Path) -> int:
        """Add the feeds listed in ``path`` to the registry. Raises ConfigError for a bad file."""
        records = read_feed_list(path)
        await publish_feeds(self._producer, self._topics.feeds, records)
        return len(records)

    async def load(self) -> list[FeedRecord]:
        """(Re)load the registry; the feeds' state is loaded once, then kept in memory."""
        s = self._settings
        self.feeds = await load_registry(
            s.kafka_bootstrap, self._topics.feeds, timeout_s=s.kafka_timeout_s
        )
        if self._poller is None:
            states = await load_states(
                s.kafka_bootstrap, self._topics.feed_state, timeout_s=s.kafka_timeout_s
            )
            self._poller = Poller(s, self._metrics, self._producer, self._fetcher, states)
        return self.feeds

    async def poll_once(self) -> PollSummary:
        """Poll every active feed once; returns when their items are acknowledged by Kafka."""
        if self._poller is None:
            await self.load()
        assert self._poller is not None
        return await self._poller.poll_all(self.feeds)

    async def run(self, stop: asyncio.Event) -> None:
        """Poll all feeds every ``poll_interval_s`` (reloading the registry) until stopped."""
        while not stop.is_set():
            await self.load()
            await self.poll_once()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=self._settings.poll_interval_s)
