"""The poller: fetch -> parse -> normalize -> publish, per feed, politely bounded.

Each poll publishes the feed's items to ``newswire.items.raw`` keyed by their dedup key and
waits for Kafka's acknowledgement before it saves the feed's state (validators, body hash),
so a crash re-polls instead of losing items.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime

from newswire.errors import FeedError, NewswireError
from newswire.kafka.producer import EventProducer, Record
from newswire.log import get_logger
from newswire.metrics import Metrics
from newswire.settings import Settings, Topics
from producers.feed_state import FeedState, save_states
from producers.fetcher import Fetcher
from producers.normalizer import normalize
from producers.parser import parse_feed
from producers.registry import FeedRecord
from schemas import Event, EventType

log = get_logger(__name__)

SOURCE = "urn:newswire:producer"


@dataclass
class PollSummary:
    feeds: int = 0
    items: int = 0
    outcomes: Counter[str] = field(default_factory=Counter)


class Poller:
    """Polls feeds and publishes their items. Holds the feeds' state in memory and in Kafka."""

    def __init__(
        self,
        settings: Settings,
        metrics: Metrics,
        producer: EventProducer,
        fetcher: Fetcher,
        states: dict[str, FeedState] | None = None,
    ) -> None:
        self._settings = settings
        self._metrics = metrics
        self._producer = producer
        self._fetcher = fetcher
        self._topics = Topics(settings.topic_prefix)
        self._states = dict(states or {})
        self._limit = asyncio.Semaphore(settings.fetch_concurrency)

    def state(self, feed_id: str) -> FeedState | None:
        return self._states.get(feed_id)

    async def poll_all(self, feeds: list[FeedRecord]) -> PollSummary:
        """Poll every active feed once, at most ``fetch_concurrency`` at a time."""
        summary = PollSummary()
        active = [f for f in feeds if not f.paused]

        async def one(feed: FeedRecord) -> None:
            async with self._limit:
                outcome, items = await self.poll_feed(feed)
            summary.feeds += 1
            summary.items += items
            summary.outcomes[outcome] += 1

        async with asyncio.TaskGroup() as group:
            for feed in active:
                group.create_task(one(feed))
        return summary

    async def poll_feed(self, feed: FeedRecord) -> tuple[str, int]:
        """Poll one feed; returns (outcome, items published). Feed errors are recorded in its
        state and metrics, never raised; broker failures are raised (nothing is saved)."""
        state = self._states.get(feed.feed_id) or FeedState(feed.feed_id, feed.url)
        now = datetime.now(UTC)
        try:
            result = await self._fetcher.fetch(
                feed.url, etag=state.etag, last_modified=state.last_modified
            )
        except FeedError as exc:
            outcome = str(getattr(exc, "outcome", "error"))
            return await self._failed(state, outcome, exc, now)
        self._metrics.fetch_seconds.observe(result.elapsed_s)
        self._metrics.fetch_bytes.inc(len(result.body))
        if result.not_modified:
            return await self._done(state.with_(last_polled=now.isoformat()), "not_modified", 0)
        body_hash = hashlib.sha256(result.body).hexdigest()
        if body_hash == state.body_hash:
            # No validators, same bytes as last time: nothing to parse (issue 3).
            return await self._done(state.with_(last_polled=now.isoformat()), "unchanged", 0)
        try:
            parsed = await asyncio.to_thread(
                parse_feed, result.body, url=result.final_url, content_type=result.content_type
            )
            items = normalize(parsed, feed_url=feed.url, fetched=now)
        except FeedError as exc:
            self._metrics.parse_errors.labels(exc.reason).inc()
            return await self._failed(state, "parse_error", exc, now)
        records = [
            Record.of(self._topics.raw, Event(EventType.OBSERVED, SOURCE, item)) for item in items
        ]
        await self._producer.publish(records)
        self._metrics.items_published.inc(len(records))
        self._metrics.items_per_fetch.observe(len(records))
        for item in items:
            if item.published is not None:
                self._metrics.freshness.labels("published_to_fetched").observe(
                    max(0.0, (now - item.published).total_seconds())
                )
        new_state = state.with_(
            etag=result.etag,
            last_modified=result.last_modified,
            body_hash=body_hash,
            last_polled=now.isoformat(),
            last_ok=now.isoformat(),
            items_last_poll=len(items),
        )
        return await self._done(new_state, "ok", len(items))

    async def _done(self, state: FeedState, outcome: str, items: int) -> tuple[str, int]:
        state = state.with_(last_outcome=outcome, last_error="", consecutive_errors=0)
        await save_states(self._producer, self._topics.feed_state, [state])
        self._states[state.feed_id] = state
        self._metrics.fetches.labels(outcome).inc()
        log.info("polled", feed=state.url, outcome=outcome, items=items)
        return outcome, items

    async def _failed(
        self, state: FeedState, outcome: str, exc: NewswireError, now: datetime
    ) -> tuple[str, int]:
        state = state.with_(
            last_outcome=outcome,
            last_error=f"{type(exc).__name__}: {exc}"[:500],
            consecutive_errors=state.consecutive_errors + 1,
            last_polled=now.isoformat(),
        )
        await save_states(self._producer, self._topics.feed_state, [state])
        self._states[state.feed_id] = state
        self._metrics.fetches.labels(outcome).inc()
        log.warning("poll failed", feed=state.url, outcome=outcome, error=state.last_error)
        return outcome, 0
