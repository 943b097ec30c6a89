"""The scheduler: polls each feed of a changing set when it is due, politely.

It owns a set of feeds (``sync``/``add``/``remove`` change it at runtime, so a replica can
own a subset: replicas shard by registry partition) and keeps a heap of due times. A due
feed is first admitted by the per-host :class:`~newswire_producers.pacing.politeness.HostGate` (a
host-wide Retry-After hold or an exhausted request budget defers it, in memory, with that reason),
then polled under the host's concurrency slot and the global ``fetch_concurrency`` cap.
The poll saves the feed's next due time (:mod:`newswire_producers.pacing.next_poll`) in its state,
which the scheduler follows; a feed loaded with no due time, or one that fell due while no
producer ran, is polled within ``poll_first_spread_s``, staggered.

Time comes from the poller's injected clock, so tests drive a day of polling with a
:class:`~newswire_producers.pacing.clock.VirtualClock` and no sleeping. ``run`` stops on ``stop``:
no new polls start, polls in flight finish (their state saved) up to ``drain_timeout_s``, then are
cancelled (a cancelled poll saves nothing and runs again next time).
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import random
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Protocol

from newswire.errors import NewswireError
from newswire.log import get_logger
from newswire.metrics import FEED_STATES, Metrics
from newswire_producers.feed_state import FeedState, epoch
from newswire_producers.pacing.clock import Clock
from newswire_producers.pacing.next_poll import SchedulePolicy, first_poll
from newswire_producers.pacing.politeness import HostGate, host_of
from newswire_producers.poller import PollResult, PollSummary
from newswire_producers.registry import FeedRecord

log = get_logger(__name__)

#: Called when polling goes idle after a round: what the round did, and the clock time
#: the next feed is due (None: none is scheduled). At most once per ``ROUND_EVERY_S``.
RoundReport = Callable[[PollSummary, float | None], None]
ROUND_EVERY_S = 10.0


class FeedPoller(Protocol):
    """What the scheduler needs from a poller (newswire_producers.poller.Poller)."""

    clock: Clock
    gate: HostGate
    policy: SchedulePolicy
    rng: random.Random

    def state(self, feed_id: str) -> FeedState | None: ...

    async def poll(self, feed: FeedRecord) -> PollResult: ...


@dataclass
class _Entry:
    feed: FeedRecord
    at: float | None = None  # None: not scheduled (inactive, or being polled)
    reason: str = ""
    seq: int = -1


class Scheduler:
    """Polls owned feeds when due. One event loop; not thread-safe."""

    def __init__(
        self,
        poller: FeedPoller,
        metrics: Metrics,
        *,
        concurrency: int,
        drain_timeout_s: float = 30.0,
    ) -> None:
        self._poller = poller
        self._clock = poller.clock
        self._gate = poller.gate
        self._metrics = metrics
        self._drain_timeout_s = drain_timeout_s
        self._global = asyncio.Semaphore(concurrency)
        self._entries: dict[str, _Entry] = {}
        self._heap: list[tuple[float, int, str]] = []
        self._seq = itertools.count()
        self._in_flight: set[str] = set()
        self._polls: dict[str, asyncio.Task[None]] = {}  # run's poll tasks, by feed
        self._wake = asyncio.Event()
        self._parked = False
        self._gauge_dirty = True
        self._gauge_at = 0.0
        self._unsaved = 0  # polls not saved since the last such line
        self._unsaved_at = float("-inf")
        self.on_round: RoundReport | None = None
        self._round = PollSummary()
        self._round_at = float("-inf")

    # -- the feed set --------------------------------------------------------------------

    @property
    def feeds(self) -> list[FeedRecord]:
        """Every owned feed (active or not), by URL."""
        return sorted((e.feed for e in self._entries.values()), key=lambda f: f.url)

    def due(self, feed_id: str) -> tuple[float, str] | None:
        """When the feed is due and why; None when it is not scheduled (inactive, polling)."""
        e = self._entries.get(feed_id)
        return None if e is None or e.at is None else (e.at, e.reason)

    def sync(self, records: Iterable[FeedRecord]) -> None:
        """Own exactly ``records``: add new feeds, apply changes, drop the others."""
        wanted = {r.feed_id: r for r in records}
        for feed_id in [f for f in self._entries if f not in wanted]:
            self.remove(feed_id)
        for record in wanted.values():
            self.add(record)

    def add(self, record: FeedRecord) -> None:
        """Own ``record`` (or take its new version): schedule it if active, unschedule it
        if paused or disabled. Idempotent."""
        e = self._entries.get(record.feed_id)
        if e is None:
            e = self._entries[record.feed_id] = _Entry(record)
        elif e.feed == record:
            return
        e.feed = record
        if not record.active:
            e.at = None
        elif e.at is None and record.feed_id not in self._in_flight:
            self._schedule_loaded(e)
        self._changed()

    def remove(self, feed_id: str) -> None:
        """Stop owning a feed. A poll in flight finishes; it is not scheduled again."""
        if self._entries.pop(feed_id, None) is not None:
            self._changed()

    async def release(self, feed_ids: Iterable[str], timeout_s: float) -> int:
        """Stop owning ``feed_ids`` and return once none of them is being polled: polls in
        flight get ``timeout_s`` to finish (their state saved), then are cancelled (nothing
        saved; the next owner polls again). Returns how many polls were cancelled. After it
        returns, this scheduler sends no request for those feeds (a partition is
        handed over only when its old owner stopped polling it)."""
        ids = list(feed_ids)
        for feed_id in ids:
            self.remove(feed_id)
        running = {t for f in ids if (t := self._polls.get(f)) is not None}
        if not running:
            return 0
        _, pending = await asyncio.wait(running, timeout=timeout_s)
        for task in pending:
            task.cancel()
        for task in pending:
            await _finish(task)
        return len(pending)

    def _schedule_loaded(self, e: _Entry) -> None:
        now = self._clock.now()
        state = self._poller.state(e.feed.feed_id)
        at = state.next_poll_at if state is not None else None
        if at is not None and at > now and not (state and state.disabled_reason):
            assert state is not None
            self._push(e, at, state.next_poll_reason or "base")
            return
        overdue = state is not None and bool(state.last_polled)
        plan = first_poll(self._poller.policy, now, self._poller.rng, overdue=overdue)
        self._push(e, plan.at, plan.reason)

    def _push(self, e: _Entry, at: float, reason: str) -> None:
        e.at, e.reason, e.seq = at, reason, next(self._seq)
        heapq.heappush(self._heap, (at, e.seq, e.feed.feed_id))

    def _valid(self, seq: int, feed_id: str) -> _Entry | None:
        e = self._entries.get(feed_id)
        return e if e is not None and e.seq == seq and e.at is not None else None

    def _next_due(self) -> float | None:
        while self._heap and self._valid(self._heap[0][1], self._heap[0][2]) is None:
            heapq.heappop(self._heap)  # superseded: rescheduled, unscheduled or removed
        return self._heap[0][0] if self._heap else None

    def _changed(self) -> None:
        self._gauge_dirty = True
        self._wake.set()

    # -- polling -------------------------------------------------------------------------

    async def run(self, stop: asyncio.Event) -> None:
        """Poll every owned feed when it is due, until ``stop`` is set; then drain."""
        tasks: set[asyncio.Task[None]] = set()
        stopping = asyncio.create_task(stop.wait())
        try:
            while not stop.is_set():
                self._dispatch(tasks)
                self._refresh_gauge(force=not self._in_flight)
                if not self._in_flight:
                    self._report_round()
                await self._park(stopping)
        finally:
            stopping.cancel()
            await _finish(stopping)
            await self._drain(tasks)

    def _dispatch(self, tasks: set[asyncio.Task[None]]) -> None:
        now = self._clock.now()
        while (at := self._next_due()) is not None and at <= now:
            feed_id = heapq.heappop(self._heap)[2]
            e = self._entries[feed_id]
            deferral = self._gate.admit(host_of(e.feed.url))
            if deferral is not None:
                self._push(e, deferral.until, deferral.reason)
                self._metrics.host_deferrals.labels(deferral.reason).inc()
                continue
            e.at = None
            self._in_flight.add(feed_id)
            task = asyncio.create_task(self._poll(e.feed), name=f"poll-{feed_id}")
            tasks.add(task)
            task.add_done_callback(tasks.discard)
            self._polls[feed_id] = task
            task.add_done_callback(self._forget_poll)

    def _forget_poll(self, task: asyncio.Task[None]) -> None:
        feed_id = task.get_name().removeprefix("poll-")
        if self._polls.get(feed_id) is task:
            del self._polls[feed_id]

    async def _park(self, stopping: asyncio.Task[bool]) -> None:
        """Wait until the next feed is due, the feed set changes, a poll ends, or stop."""
        next_at = self._next_due()
        waiters: list[asyncio.Task[object]] = [asyncio.create_task(self._wake.wait())]
        if next_at is not None:
            # An absolute deadline: the sleeper may start a little later than it is created.
            waiters.append(asyncio.create_task(self._clock.sleep_until(next_at)))
        self._parked = True
        try:
            await asyncio.wait([*waiters, stopping], return_when=asyncio.FIRST_COMPLETED)
        finally:
            self._parked = False
            self._wake.clear()
            for waiter in waiters:
                waiter.cancel()
            for waiter in waiters:
                await _finish(waiter)

    async def _poll(self, feed: FeedRecord) -> None:
        try:
            result = await self._polled(feed)
        except NewswireError as exc:  # the broker is away: nothing was saved; try later
            self._not_saved(feed, exc)
            self._round.outcomes["not_saved"] += 1
            self._retry_later(feed.feed_id)
        except Exception:  # one feed's bug must not stop every other feed (logged, retried)
            log.exception("poll crashed", feed=feed.url)
            self._metrics.fetches.labels("internal_error").inc()
            self._round.outcomes["internal_error"] += 1
            self._retry_later(feed.feed_id)
        else:
            self._after(result)
        finally:
            self._in_flight.discard(feed.feed_id)
            self._changed()

    async def _polled(self, feed: FeedRecord) -> PollResult:
        host = host_of(feed.url)
        async with self._gate.slot(host):
            await self._gate.take_shared(host)  # the cluster-wide budget, if one is set
            async with self._global:
                return await self._poller.poll(feed)

    def _after(self, result: PollResult) -> None:
        """Follow a finished poll: take the registry changes it made, schedule its next."""
        self._round.feeds += 1
        self._round.items += result.items
        self._round.outcomes[result.outcome] += 1
        e = self._entries.get(result.feed.feed_id)
        if e is None:
            return  # removed while it was being polled
        if result.feed != e.feed:  # keep changes made meanwhile (pause), add the poll's own
            changes = {"url": result.feed.url, "origin_url": result.feed.origin_url}
            e.feed = e.feed.with_(**changes, disabled=result.feed.disabled or e.feed.disabled)
        at = result.state.next_poll_at
        if e.feed.active and at is not None:
            self._push(e, at, result.state.next_poll_reason)
        else:
            e.at = None

    def _retry_later(self, feed_id: str) -> None:
        e = self._entries.get(feed_id)
        if e is not None and e.feed.active:
            policy, rng = self._poller.policy, self._poller.rng
            self._push(e, self._clock.now() + policy.min_s * rng.uniform(1.0, 1.5), "error")

    async def _drain(self, tasks: set[asyncio.Task[None]]) -> None:
        if not tasks:
            return
        _, pending = await asyncio.wait(set(tasks), timeout=self._drain_timeout_s)
        for task in pending:
            task.cancel()
        for task in pending:
            await _finish(task)

    async def poll_all(self) -> PollSummary:
        """Poll every active owned feed once (``--until-idle``), politely: per-host slots
        and budget apply; a feed under a Retry-After (its own or its host's) is skipped
        and counted as ``deferred``. Returns when every poll's state is saved. Raises what a
        poll raises (BrokerUnavailable)."""
        summary = PollSummary()

        async def one(e: _Entry) -> None:
            feed, host = e.feed, host_of(e.feed.url)
            state = self._poller.state(feed.feed_id)
            own_hold = epoch(state.retry_after_until) if state is not None else None
            hold = max(own_hold or 0.0, self._gate.held_until(host) or 0.0)
            if hold > self._clock.now():
                summary.outcomes["deferred"] += 1
                return
            while (deferral := self._gate.admit(host)) is not None:
                if deferral.reason != "host_budget":
                    summary.outcomes["deferred"] += 1
                    return
                await self._clock.sleep(deferral.until - self._clock.now())
            e.at = None
            self._in_flight.add(feed.feed_id)
            try:
                result = await self._polled(feed)
            finally:
                self._in_flight.discard(feed.feed_id)
            summary.feeds += 1
            summary.items += result.items
            summary.outcomes[result.outcome] += 1
            self._after(result)

        active = [e for e in self._entries.values() if e.feed.active]
        async with asyncio.TaskGroup() as group:
            for e in active:
                if e.feed.feed_id not in self._in_flight:
                    group.create_task(one(e))
        self._changed()
        self._refresh_gauge(force=True)
        return summary

    # -- observing -----------------------------------------------------------------------

    def _not_saved(self, feed: FeedRecord, exc: NewswireError) -> None:
        """One line a minute while polls cannot be saved (Kafka away: every feed fails)."""
        self._unsaved += 1
        if time.monotonic() - self._unsaved_at >= 60.0:
            log.error("polls not saved", polls=self._unsaved, last_feed=feed.url, error=str(exc))
            self._unsaved, self._unsaved_at = 0, time.monotonic()

    def _report_round(self) -> None:
        """Hand the round that just went idle to ``on_round`` (rate-limited)."""
        if not self._round.outcomes or time.monotonic() - self._round_at < ROUND_EVERY_S:
            return
        done, self._round, self._round_at = self._round, PollSummary(), time.monotonic()
        if self.on_round is not None:
            self.on_round(done, self._next_due())

    def _refresh_gauge(self, *, force: bool = False) -> None:
        """Set newswire_feeds{state} when the feeds changed: at most once a second while
        polls run (an O(feeds) count), and whenever ``force`` (nothing in flight)."""
        if not self._gauge_dirty or (not force and time.monotonic() - self._gauge_at < 1.0):
            return
        counts: Counter[str] = Counter()
        for e in self._entries.values():
            if not e.feed.active:
                counts[e.feed.status] += 1
                continue
            state = self._poller.state(e.feed.feed_id)
            health = state.health if state is not None else "new"
            counts["new" if health == "disabled" else health] += 1  # resumed, not yet polled
        for label in FEED_STATES:
            self._metrics.feeds_by_state.labels(label).set(counts[label])
        self._gauge_dirty, self._gauge_at = False, time.monotonic()

    @property
    def in_flight(self) -> int:
        return len(self._in_flight)

    async def wait_idle(self, timeout_s: float = 10.0) -> None:
        """For tests: return once no poll runs and ``run`` waits for the next due time.
        Raises TimeoutError after ``timeout_s`` real seconds."""
        async with asyncio.timeout(timeout_s):
            while True:
                await asyncio.sleep(0.005)
                due = self._next_due()
                # due == now: parked on a clock sleeper that the clock wakes next (another
                # sleeper with the same deadline was woken first).
                idle = self._parked and not self._in_flight
                if idle and (due is None or due >= self._clock.now()):
                    return


async def _finish(task: asyncio.Task[Any]) -> None:
    """Wait for a (cancelled) task to end without raising its outcome; our own cancellation
    still propagates (``asyncio.wait`` never raises the awaited task's exception)."""
    if not task.done():
        await asyncio.wait({task})
    if not task.cancelled():
        task.exception()  # retrieved: no "exception was never retrieved" warning
