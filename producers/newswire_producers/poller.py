"""The poller: one poll of one feed, fetch -> parse -> normalize -> publish -> plan -> save.

Each poll publishes the feed's items to ``newswire.items.raw`` keyed by their dedup key and
waits for Kafka's acknowledgement before it saves the feed's state (validators, body hash,
the next poll and its reason), so a crash re-polls instead of losing items.

Conditional GET (RFC 9110 §13.1): the stored ETag and Last-Modified are sent; a 304
publishes and parses nothing, and neither does a 200 whose body hashes like the last one.
A failed poll is recorded in the state (outcome, error, counts) and scheduled again with
backoff, never dropped: the only feeds the poller stops polling are those the server
declared gone (410), and those it disables in the registry with that reason. A permanent
redirect (301/308) moves the feed's URL in the registry; its identity (``feed_id``, item
ids) stays that of the URL it was registered under.
"""

from __future__ import annotations

import asyncio
import hashlib
import random
import time
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial

from newswire.errors import FeedError, FetchError
from newswire.fetch.fetcher import Fetcher, HttpStatusError
from newswire.kafka.producer import EventProducer, Record
from newswire.log import get_logger
from newswire.metrics import Metrics
from newswire.settings import Settings, Topics
from newswire_producers.feed_state import FeedState, iso, save_states
from newswire_producers.normalize.normalizer import normalize
from newswire_producers.pacing.clock import Clock, SystemClock
from newswire_producers.pacing.next_poll import (
    FeedHints,
    HttpHints,
    NextPoll,
    SchedulePolicy,
    interval_from_arrivals,
    interval_from_dates,
    plan_next_poll,
    read_feed_hints,
    read_http_hints,
)
from newswire_producers.pacing.politeness import HostGate, PolitenessPolicy, host_of
from newswire_producers.parse.parse_worker import parse_bounded
from newswire_producers.registry import FeedRecord, publish_feeds
from newswire_schemas import Event, EventType, Item

log = get_logger(__name__)

SOURCE = "urn:newswire:producer"


@dataclass
class PollSummary:
    feeds: int = 0
    items: int = 0
    outcomes: Counter[str] = field(default_factory=Counter)


@dataclass(frozen=True, slots=True)
class PollResult:
    """What one poll did: its outcome, items published, the saved state, and the feed's
    registry record as it is now (moved or disabled by this poll)."""

    outcome: str
    items: int
    state: FeedState
    feed: FeedRecord


@dataclass(frozen=True, slots=True)
class _Parsed:
    items: list[Item]
    hints: FeedHints
    post_interval_s: float | None


class Poller:
    """Polls feeds and publishes their items. Holds the feeds' state in memory and in Kafka.

    ``clock`` (default: the system clock) dates everything; ``gate`` learns of refusals
    and successes per host; ``rng`` drives jitter (seed it for reproducible schedules).
    """

    def __init__(
        self,
        settings: Settings,
        metrics: Metrics,
        producer: EventProducer,
        fetcher: Fetcher,
        states: Mapping[str, FeedState] | None = None,
        *,
        clock: Clock | None = None,
        gate: HostGate | None = None,
        rng: random.Random | None = None,
    ) -> None:
        self._settings = settings
        self._metrics = metrics
        self._producer = producer
        self._fetcher = fetcher
        self._topics = Topics(settings.topic_prefix)
        self._states = dict(states or {})
        self.clock: Clock = clock or SystemClock()
        self.gate = gate or HostGate(PolitenessPolicy.from_settings(settings), self.clock)
        self.rng = rng or random.Random()
        self.policy = SchedulePolicy.from_settings(settings)
        if settings.feed_state_policy == "before_publish":
            log.warning("UNSAFE: feed state saved before its items are acknowledged")

    def state(self, feed_id: str) -> FeedState | None:
        return self._states.get(feed_id)

    @property
    def states(self) -> Mapping[str, FeedState]:
        return self._states

    def adopt(self, states: Mapping[str, FeedState]) -> None:
        """Take states loaded from Kafka for feeds this poller does not know yet."""
        for feed_id, state in states.items():
            self._states.setdefault(feed_id, state)

    def forget(self, feed_id: str) -> None:
        self._states.pop(feed_id, None)

    async def poll(self, feed: FeedRecord) -> PollResult:
        """Poll one feed once. Feed errors are recorded in its state and metrics, never
        raised; broker failures (BrokerUnavailable) are raised, and then nothing is saved.
        Cancel-safe in the same way: a cancelled poll saves nothing and is polled again."""
        state = self._states.get(feed.feed_id) or FeedState(feed.feed_id, feed.url)
        now = self.clock.now()
        try:
            result = await self._fetcher.fetch(
                feed.url, etag=state.etag, last_modified=state.last_modified
            )
        except FetchError as exc:
            return await self._failed(feed, state, exc, now)
        self.gate.succeeded(host_of(feed.url), feed.feed_id)
        self._metrics.fetch_seconds.observe(result.elapsed_s)
        self._metrics.fetch_bytes.inc(len(result.body))
        http = read_http_hints(result.headers, now)
        base = state.with_(
            url=feed.url,
            last_polled=iso(now),
            last_status=result.status,
            polls_total=state.polls_total + 1,
            retry_after_until="",
            disabled_reason="",
        )
        if result.permanent_redirect:
            feed = await self._moved(feed, result.permanent_redirect)
            base = base.with_(url=feed.url)
        if result.not_modified:
            # RFC 9111 §4.3.4: a 304 may carry fresher validators; keep ours otherwise.
            base = base.with_(
                etag=result.etag or state.etag,
                last_modified=result.last_modified or state.last_modified,
                last_ok=iso(now),
                items_last_poll=0,
                new_items_last_poll=0,
            )
            return await self._done(feed, base, "not_modified", 0, http, now)
        body_hash = hashlib.sha256(result.body).hexdigest()
        validators = {"etag": result.etag, "last_modified": result.last_modified}
        if body_hash == state.body_hash:
            # No validators (or ignored ones), same bytes as last time: nothing to parse.
            base = base.with_(**validators, last_ok=iso(now), new_items_last_poll=0)
            return await self._done(feed, base, "unchanged", 0, http, now)
        started = time.perf_counter()
        try:
            # Normalizing (sanitizing included) runs where parsing does, under its bounds.
            normalized = await parse_bounded(
                result.body,
                url=result.final_url,
                then=partial(
                    normalize, feed_url=feed.identity_url, fetched=datetime.fromtimestamp(now, UTC)
                ),  # the registered URL, not the current one: item ids derive from it (301)
                content_type=result.content_type,
                timeout_s=self._settings.parse_timeout_s,
            )
            parsed = await asyncio.to_thread(self._scheduling_hints, normalized, result.body, now)
        except FeedError as exc:
            self._metrics.parse_errors.labels(exc.reason).inc()
            return await self._failed(feed, base.with_(polls_total=state.polls_total), exc, now)
        self._metrics.parse_seconds.observe(time.perf_counter() - started)  # + normalize
        items = parsed.items
        records = [
            Record.of(self._topics.raw, Event(EventType.OBSERVED, SOURCE, item)) for item in items
        ]
        hints = parsed.hints
        new_state = base.with_(
            **validators,
            body_hash=body_hash,
            last_ok=iso(now),
            items_last_poll=len(items),
            ttl_s=hints.ttl_s,
            sy_period_s=hints.sy_period_s,
            skip_hours=tuple(sorted(hints.skip_hours)),
            skip_days=tuple(sorted(hints.skip_days)),
            post_interval_s=parsed.post_interval_s,
        ).remember_items((i.item_id for i in items), now)
        unsafe = self._settings.feed_state_policy == "before_publish"  # control runs only
        if unsafe:
            done = await self._done(feed, new_state, "ok", len(items), http, now)
        await self._producer.publish(records)
        self._metrics.items_published.inc(len(records))
        self._metrics.items_per_fetch.observe(len(records))
        fetched = datetime.fromtimestamp(now, UTC)
        for item in items:
            if item.published is not None:
                self._metrics.freshness.labels("published_to_fetched").observe(
                    max(0.0, (fetched - item.published).total_seconds())
                )
        if unsafe:
            return done
        return await self._done(feed, new_state, "ok", len(items), http, now)

    def _scheduling_hints(self, items: list[Item], body: bytes, now: float) -> _Parsed:
        """Off the event loop: read the feed's scheduling hints and its posting interval."""
        dates = [i.published.timestamp() for i in items if i.published is not None]
        return _Parsed(items, read_feed_hints(body), interval_from_dates(dates, now))

    def _post_interval(self, state: FeedState, now: float) -> float | None:
        return interval_from_arrivals(state.arrivals, now) or state.post_interval_s

    def _hints(self, state: FeedState) -> FeedHints:
        return FeedHints(
            state.ttl_s, state.sy_period_s, frozenset(state.skip_hours), frozenset(state.skip_days)
        )

    async def _done(
        self,
        feed: FeedRecord,
        state: FeedState,
        outcome: str,
        items: int,
        http: HttpHints,
        now: float,
    ) -> PollResult:
        plan = plan_next_poll(
            self.policy,
            now,
            self.rng,
            feed=self._hints(state),
            http=http,
            post_interval_s=self._post_interval(state, now),
        )
        state = _planned(state, plan).with_(
            last_outcome=outcome, last_error="", consecutive_errors=0
        )
        await self._save(state, outcome, plan.reason)
        log.info("polled", feed=feed.url, outcome=outcome, items=items, next_poll=plan.reason)
        return PollResult(outcome, items, state, feed)

    async def _failed(
        self, feed: FeedRecord, state: FeedState, exc: FeedError, now: float
    ) -> PollResult:
        outcome = str(getattr(exc, "outcome", "parse_error"))
        if isinstance(exc, HttpStatusError):
            status = exc.status
        else:  # no response (a fetch error), or the 2xx whose body did not parse
            status = 0 if isinstance(exc, FetchError) else state.last_status
        errors = state.consecutive_errors + 1
        state = state.with_(
            last_outcome=outcome,
            last_error=f"{type(exc).__name__}: {exc}"[:500],
            last_status=status,
            consecutive_errors=errors,
            errors_total=state.errors_total + 1,
            polls_total=state.polls_total + 1,
            last_polled=iso(now),
            disabled_reason="",  # polled, so not disabled (any more)
        )
        if status == 410:  # RFC 9110 §15.5.11: gone for good, "remove links to it"
            reason = f"410 Gone on {iso(now)[:19]}Z"
            feed = feed.with_(disabled=reason)
            await publish_feeds(self._producer, self._topics.feeds, [feed])
            self._metrics.feed_changes.labels("disabled").inc()
            state = state.with_(
                disabled_reason=reason,
                next_poll="",
                next_poll_reason="disabled",
                next_poll_detail="the server says the feed is gone for good; "
                "`newswire feeds resume` polls it again",
            )
            await self._save(state, outcome, "disabled")
            log.warning("feed disabled", feed=feed.url, reason=reason)
            return PollResult(outcome, 0, state, feed)
        http = HttpHints()
        if isinstance(exc, HttpStatusError):
            http = HttpHints(retry_after_s=read_http_hints(exc.headers, now).retry_after_s)
        if http.retry_after_s is not None:
            until = now + http.retry_after_s
            state = state.with_(retry_after_until=iso(until))
            if status in (429, 503) and self.gate.refused(host_of(feed.url), feed.feed_id, until):
                log.warning("host held", host=host_of(feed.url), until=iso(until))
        plan = plan_next_poll(
            self.policy,
            now,
            self.rng,
            feed=self._hints(state),
            http=http,
            post_interval_s=self._post_interval(state, now),
            errors=errors,
        )
        state = _planned(state, plan)
        await self._save(state, outcome, plan.reason)
        log.warning(
            "poll failed",
            feed=feed.url,
            outcome=outcome,
            error=state.last_error,
            errors=errors,
            next_poll=plan.reason,
        )
        return PollResult(outcome, 0, state, feed)

    async def _moved(self, feed: FeedRecord, url: str) -> FeedRecord:
        """A permanent redirect (RFC 9110 §15.4.2, §15.4.9): fetch ``url`` from now on."""
        moved = feed.moved_to(url)
        await publish_feeds(self._producer, self._topics.feeds, [moved])
        self._metrics.feed_changes.labels("moved").inc()
        log.info("feed moved", feed=feed.url, to=url)
        return moved

    async def _save(self, state: FeedState, outcome: str, reason: str) -> None:
        await save_states(self._producer, self._topics.feed_state, [state])
        self._states[state.feed_id] = state
        self._metrics.fetches.labels(outcome).inc()
        self._metrics.next_polls.labels(reason).inc()


def _planned(state: FeedState, plan: NextPoll) -> FeedState:
    return state.with_(
        next_poll=iso(plan.at), next_poll_reason=plan.reason, next_poll_detail=plan.detail
    )
