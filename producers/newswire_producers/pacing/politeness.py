"""Politeness towards feed servers: per-host concurrency, a per-host request budget,
host-wide holds when a server refuses several of its feeds, and backoff on errors.

A server that answers 429 or 503 with Retry-After is first believed about *that feed*: the
feed's own next poll honours the delay (newswire_producers.pacing.next_poll). Only when
``refusal_threshold`` distinct feeds of one host were refused within ``refusal_window_s`` is the
whole host held until the latest Retry-After, so one busy feed does not silence its neighbours.

The request budget is in-process when one replica runs. With several it is a
:class:`SharedBudget` (newswire_producers.pacing.redis_budget: a token bucket per host in Redis)
that every replica draws from: ``admit`` then only applies holds, and ``take_shared`` waits for a
token of the cluster-wide bucket before each request. Holds and refusals stay per replica.
The host key is the URL's host name (lower-cased, port ignored).
"""

from __future__ import annotations

import asyncio
import random
from dataclasses import dataclass, field
from typing import Protocol
from urllib.parse import urlsplit
from weakref import WeakValueDictionary

from newswire.settings import Settings
from newswire_producers.pacing.clock import Clock


def host_of(url: str) -> str:
    """The politeness key of ``url``: its host name, lower-cased ("" if none). Never raises."""
    try:
        return (urlsplit(url).hostname or "").lower()
    except ValueError:
        return ""


def backoff_s(errors: int, base_s: float, cap_s: float, rng: random.Random) -> float:
    """Delay after ``errors`` consecutive failures: ``base_s * 2**(errors-1)`` capped at
    ``cap_s``, with "equal jitter" (half fixed, half random), so retries of feeds that
    failed together spread out but never come back sooner than half the step."""
    step = min(cap_s, base_s * 2.0 ** min(max(errors, 1) - 1, 40))
    return step / 2 + rng.uniform(0.0, step / 2)


@dataclass(frozen=True, slots=True)
class PolitenessPolicy:
    per_host_concurrency: int = 2
    requests_per_minute: float = 30.0
    burst: int = 10
    refusal_threshold: int = 3
    refusal_window_s: float = 600.0

    @classmethod
    def from_settings(cls, s: Settings) -> PolitenessPolicy:
        return cls(
            per_host_concurrency=s.per_host_concurrency,
            requests_per_minute=s.per_host_requests_per_minute,
            burst=s.per_host_burst,
            refusal_threshold=s.host_refusal_threshold,
        )


class SharedBudget(Protocol):
    """A per-host request budget shared by replicas
    (newswire_producers.pacing.redis_budget.RedisBudget)."""

    async def take(self, host: str) -> float:
        """Spend one request of ``host``'s budget: 0.0 when spent, else the seconds to wait
        before asking again (nothing spent)."""
        ...


@dataclass(frozen=True, slots=True)
class Deferral:
    """A due poll must wait: until when, and why (``host_budget`` or ``host_retry_after``)."""

    until: float
    reason: str


@dataclass(slots=True)
class _Host:
    tokens: float
    updated: float
    hold_until: float = 0.0
    refusals: dict[str, tuple[float, float]] = field(default_factory=dict)  # feed: (at, until)


class HostGate:
    """Per-host politeness for one producer. Not thread-safe; one event loop."""

    def __init__(
        self, policy: PolitenessPolicy, clock: Clock, shared: SharedBudget | None = None
    ) -> None:
        self.policy = policy
        self._clock = clock
        self._shared = shared
        self._hosts: dict[str, _Host] = {}
        self._slots: WeakValueDictionary[str, asyncio.Semaphore] = WeakValueDictionary()

    def slot(self, host: str) -> asyncio.Semaphore:
        """The host's concurrency slot: ``async with gate.slot(host): ...``. Alive only while
        some poll holds or awaits it."""
        sem = self._slots.get(host)
        if sem is None:
            sem = self._slots[host] = asyncio.Semaphore(self.policy.per_host_concurrency)
        return sem

    def _host(self, host: str, now: float) -> _Host:
        h = self._hosts.get(host)
        if h is None:
            h = self._hosts[host] = _Host(float(self.policy.burst), now)
        rate = self.policy.requests_per_minute / 60.0
        h.tokens = min(float(self.policy.burst), h.tokens + (now - h.updated) * rate)
        h.updated = max(h.updated, now)
        return h

    def admit(self, host: str) -> Deferral | None:
        """May a request to ``host`` start now? None: yes, and one request of the host's
        budget is spent. Otherwise when to ask again and why; nothing is spent."""
        now = self._clock.now()
        h = self._host(host, now)
        if h.hold_until > now:
            return Deferral(h.hold_until, "host_retry_after")
        if self._shared is not None:
            return None  # the budget is the shared one: take_shared
        if h.tokens >= 1.0:
            h.tokens -= 1.0
            return None
        rate = self.policy.requests_per_minute / 60.0
        return Deferral(now + (1.0 - h.tokens) / rate, "host_budget")

    async def take_shared(self, host: str) -> None:
        """Wait for a token of ``host``'s shared budget (no-op without one). Cancel-safe;
        raises what the budget raises (BrokerUnavailable when Redis is away)."""
        if self._shared is None:
            return
        while (wait := await self._shared.take(host)) > 0.0:
            await self._clock.sleep(wait)

    def held_until(self, host: str) -> float | None:
        """When a host-wide hold ends, if one is in force."""
        h = self._hosts.get(host)
        return h.hold_until if h is not None and h.hold_until > self._clock.now() else None

    def refused(self, host: str, feed_id: str, until: float) -> bool:
        """``feed_id`` was refused (429/503) with Retry-After up to ``until``. Returns True
        when this widens to a hold of the whole host (enough distinct feeds refused)."""
        now = self._clock.now()
        h = self._host(host, now)
        window = self.policy.refusal_window_s
        h.refusals = {f: r for f, r in h.refusals.items() if now - r[0] <= window}
        h.refusals[feed_id] = (now, until)
        if len(h.refusals) < self.policy.refusal_threshold:
            return False
        h.hold_until = max(h.hold_until, max(u for _, u in h.refusals.values()))
        return h.hold_until > now

    def succeeded(self, host: str, feed_id: str) -> None:
        """``feed_id`` of ``host`` was answered normally: its earlier refusal no longer
        counts. (Other feeds' refusals do: a host may serve one feed and refuse others.)"""
        h = self._hosts.get(host)
        if h is not None:
            h.refusals.pop(feed_id, None)
