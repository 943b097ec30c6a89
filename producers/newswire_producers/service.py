"""The producer service: the feed registry in, item events out.

Loads the registry (``newswire.feeds``) and the feeds' state (``newswire.feed-state``) from
Kafka and hands the feeds it owns to the :class:`~newswire_producers.scheduler.Scheduler`, which
polls each one when it is due. Two ways to run:

- ``run_sharded`` (``newswire serve producer``, ``newswire run``): the service joins the
  producer group on the registry (:mod:`newswire_producers.sharding`) and polls the feeds of the
  partitions Kafka assigns it; registry changes arrive as they are written. Any number of
  replicas may run; one alone owns everything.
- ``load`` + ``poll_once`` (``newswire run --until-idle``, one process, no group): owns the
  whole registry and polls every active feed once.

With ``politeness_redis_url`` set, the per-host request budget is shared by all replicas
through Redis (newswire_producers.pacing.redis_budget); otherwise it is in-process.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Iterable
from contextlib import AsyncExitStack
from pathlib import Path

from newswire.fetch.fetcher import Fetcher
from newswire.fetch.policy import fetch_policy
from newswire.kafka.producer import EventProducer
from newswire.log import get_logger
from newswire.metrics import Metrics
from newswire.settings import Settings, Topics
from newswire_producers.feed_state import FeedState, load_states
from newswire_producers.pacing.clock import Clock, SystemClock
from newswire_producers.pacing.politeness import HostGate, PolitenessPolicy, SharedBudget
from newswire_producers.pacing.redis_budget import RedisBudget
from newswire_producers.poller import Poller, PollSummary
from newswire_producers.registry import (
    FeedList,
    FeedRecord,
    load_registry,
    publish_feeds,
    read_feed_list,
)
from newswire_producers.scheduler import RoundReport, Scheduler
from newswire_producers.sharding import RegistryShard

log = get_logger(__name__)

#: On stop, polls in flight get this long to finish (and save their state), then are
#: cancelled unsaved: the next run polls those feeds again.
STOP_POLLS_WITHIN_S = 3.0


class ProducerService:
    name = "producer"

    def __init__(
        self,
        settings: Settings,
        metrics: Metrics,
        producer: EventProducer,
        fetcher: Fetcher,
        *,
        clock: Clock | None = None,
        rng: random.Random | None = None,
        budget: SharedBudget | None = None,
    ) -> None:
        self._settings = settings
        self._budget = budget
        self.shard: RegistryShard | None = None
        self._metrics = metrics
        self._producer = producer
        self._fetcher = fetcher
        self._topics = Topics(settings.topic_prefix)
        metrics.init_producer(self._topics)  # the series dashboards and alerts use, at 0
        self._clock = clock or SystemClock()
        self._rng = rng or random.Random()
        self._poller: Poller | None = None
        self._scheduler: Scheduler | None = None
        self.last_import: FeedList | None = None
        self.on_round: RoundReport | None = None  # progress in continuous mode

    @classmethod
    async def open(
        cls,
        settings: Settings,
        metrics: Metrics,
        stack: AsyncExitStack,
        producer: EventProducer,
        *,
        clock: Clock | None = None,
        rng: random.Random | None = None,
    ) -> ProducerService:
        """A service whose fetcher (and shared politeness budget, with
        ``politeness_redis_url``) close with ``stack``. Raises PolitenessUnavailable when
        that Redis does not answer."""
        fetcher = await stack.enter_async_context(Fetcher(fetch_policy(settings)))
        budget = None
        if settings.politeness_redis_url:
            budget = await stack.enter_async_context(
                RedisBudget(
                    settings.politeness_redis_url,
                    PolitenessPolicy.from_settings(settings),
                    namespace=f"newswire:{settings.topic_prefix}:politeness",
                )
            )
        return cls(settings, metrics, producer, fetcher, clock=clock, rng=rng, budget=budget)

    @property
    def feeds(self) -> list[FeedRecord]:
        """The feeds this service owns (active, paused and disabled), by URL."""
        return self._scheduler.feeds if self._scheduler is not None else []

    @property
    def scheduler(self) -> Scheduler | None:
        return self._scheduler

    @property
    def poller(self) -> Poller | None:
        return self._poller

    def is_ready(self) -> bool:
        return self._scheduler is not None

    async def import_feeds(self, path: Path) -> tuple[int, int]:
        """Add the feeds listed in ``path`` that the registry lacks; returns how many good
        entries the file has (all registered now) and how many of them were new. Bad
        entries are logged and kept in
        ``last_import.errors``; a feed already registered keeps its record (pause state,
        moved URL). Raises ConfigError only for a file that cannot be read at all."""
        listed = read_feed_list(path)
        self.last_import = listed
        for bad in listed.errors:
            log.warning("feed list entry skipped", file=str(path), entry=str(bad))
        s = self._settings
        known = {
            r.feed_id
            for r in await load_registry(
                s.kafka_bootstrap, self._topics.feeds, timeout_s=s.kafka_timeout_s
            )
        }
        new = [r for r in listed.records if r.feed_id not in known]
        await publish_feeds(self._producer, self._topics.feeds, new)
        return len(listed.records), len(new)

    def _ensure_scheduler(self, states: dict[str, FeedState]) -> Scheduler:
        if self._scheduler is None:
            s = self._settings
            gate = HostGate(PolitenessPolicy.from_settings(s), self._clock, self._budget)
            self._poller = Poller(
                s, self._metrics, self._producer, self._fetcher, states,
                clock=self._clock, gate=gate, rng=self._rng,
            )  # fmt: skip
            self._scheduler = Scheduler(
                self._poller,
                self._metrics,
                concurrency=s.fetch_concurrency,
                drain_timeout_s=min(s.drain_timeout_s, STOP_POLLS_WITHIN_S),
            )
            self._scheduler.on_round = self.on_round
        return self._scheduler

    async def load(self) -> list[FeedRecord]:
        """(Re)load the registry and own the feeds ``owns`` accepts; the feeds' state is
        loaded once, then kept in memory. Returns the owned feeds."""
        s = self._settings
        registry = await load_registry(
            s.kafka_bootstrap, self._topics.feeds, timeout_s=s.kafka_timeout_s
        )
        if self._scheduler is None:
            states = await load_states(
                s.kafka_bootstrap, self._topics.feed_state, timeout_s=s.kafka_timeout_s
            )
            self._ensure_scheduler(states)
        assert self._scheduler is not None
        self._scheduler.sync(registry)
        return self.feeds

    def add_feeds(
        self, records: Iterable[FeedRecord], states: dict[str, FeedState] | None = None
    ) -> None:
        """Own more feeds now (with their states, when the caller loaded them)."""
        scheduler = self._ensure_scheduler({})
        assert self._poller is not None
        self._poller.adopt(states or {})
        for record in records:
            scheduler.add(record)

    def remove_feeds(self, feed_ids: Iterable[str]) -> None:
        """Stop owning feeds now (a poll in flight finishes and saves its state)."""
        if self._scheduler is not None and self._poller is not None:
            for feed_id in feed_ids:
                self._scheduler.remove(feed_id)
                self._poller.forget(feed_id)

    async def release_feeds(self, feed_ids: Iterable[str], *, stopping: bool = False) -> None:
        """Stop owning feeds and return once none of them is being polled (polls in flight
        get ``drain_timeout_s``, or ``STOP_POLLS_WITHIN_S`` when the service is
        ``stopping``, then are cancelled unsaved). Used on a partition revoke and on stop."""
        ids = list(feed_ids)
        if self._scheduler is not None and self._poller is not None:
            s = self._settings
            within = min(s.drain_timeout_s, STOP_POLLS_WITHIN_S) if stopping else s.drain_timeout_s
            cancelled = await self._scheduler.release(ids, within)
            if cancelled:
                log.warning("polls cancelled on release", polls=cancelled)
            for feed_id in ids:
                self._poller.forget(feed_id)

    async def run_sharded(self, stop: asyncio.Event) -> None:
        """Join the producer group and poll the feeds of the registry partitions held, until
        ``stop``; then leave the group (feeds released, polls in flight finished up to
        ``STOP_POLLS_WITHIN_S``). Raises BrokerUnavailable when Kafka does not answer."""
        scheduler = self._ensure_scheduler({})
        self.shard = RegistryShard(self._settings, self)
        halt = asyncio.Event()  # the scheduler stops after the shard released its feeds
        polling = asyncio.create_task(scheduler.run(halt))
        try:
            await self.shard.run(stop)
        finally:
            halt.set()
            await asyncio.wait({polling})
        polling.result()

    async def poll_once(self) -> PollSummary:
        """Poll every active owned feed once; returns when their items are acknowledged by
        Kafka (feeds under a Retry-After count as ``deferred``)."""
        if self._scheduler is None:
            await self.load()
        assert self._scheduler is not None
        return await self._scheduler.poll_all()

    async def wait_idle(self, timeout_s: float = 10.0) -> None:
        """For tests on a virtual clock: return once no poll runs and nothing is due.
        Raises TimeoutError after ``timeout_s`` real seconds."""
        if self._scheduler is not None:
            await self._scheduler.wait_idle(timeout_s)
