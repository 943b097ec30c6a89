"""Time for the scheduler: the system clock, and a virtual clock that tests move by hand.

Everything in the producer that decides *when* (the scheduler, per-host budgets and holds,
the poller's timestamps) reads one injected :class:`Clock`, so a test can run a day of
polling without sleeping: ``await clock.advance(120)`` wakes exactly the sleepers due by
then, in deadline order.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Protocol

Settle = Callable[[], Awaitable[None]]


class Clock(Protocol):
    """Wall-clock time in epoch seconds (UTC) and a way to wait for it."""

    def now(self) -> float: ...

    async def sleep(self, seconds: float) -> None: ...

    async def sleep_until(self, when: float) -> None:
        """Return at ``when`` (epoch seconds), or at once if that has passed."""


class SystemClock:
    """The real clock."""

    def now(self) -> float:
        return time.time()

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(max(0.0, seconds))

    async def sleep_until(self, when: float) -> None:
        await asyncio.sleep(max(0.0, when - time.time()))


class VirtualClock:
    """A clock that moves only when :meth:`advance` (or :meth:`set`) is called.

    ``sleep`` parks the caller until the virtual time reaches its deadline; cancelling a
    sleeper is safe. Starts at ``start`` (default: the real time at construction, so
    timestamps in events still look current).
    """

    def __init__(self, start: float | None = None) -> None:
        self._now = time.time() if start is None else start
        self._sleepers: list[tuple[float, int, asyncio.Future[None]]] = []
        self._seq = itertools.count()

    def now(self) -> float:
        return self._now

    def datetime(self) -> datetime:
        return datetime.fromtimestamp(self._now, UTC)

    @property
    def sleepers(self) -> int:
        """How many callers wait in :meth:`sleep` now."""
        return sum(1 for _, _, fut in self._sleepers if not fut.done())

    async def sleep(self, seconds: float) -> None:
        await self.sleep_until(self._now + seconds)

    async def sleep_until(self, when: float) -> None:
        if when <= self._now:
            await asyncio.sleep(0)
            return
        fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        heapq.heappush(self._sleepers, (when, next(self._seq), fut))
        await fut  # cancelling the caller cancels fut; set() skips done futures

    async def advance(self, seconds: float, *, settle: Settle | None = None) -> None:
        """Move time forward by ``seconds``, waking each sleeper at its own deadline."""
        await self.set(self._now + max(0.0, seconds), settle=settle)

    async def set(self, when: float, *, settle: Settle | None = None) -> None:
        """Move time forward to ``when`` (never backwards), waking sleepers in order.

        After each wake-up the woken tasks run for a few event-loop turns, or, with
        ``settle``, until ``await settle()`` returns: pass one that waits for real I/O the
        woken work started (e.g. a scheduler's ``wait_idle``), so time does not run ahead of
        it and every sleeper it registers meanwhile is woken at its own deadline too.
        """
        while self._sleepers and self._sleepers[0][0] <= when:
            deadline, _, fut = heapq.heappop(self._sleepers)
            self._now = max(self._now, deadline)
            if not fut.done():
                fut.set_result(None)
                await _settle()
                if settle is not None:
                    await settle()
        self._now = max(self._now, when)
        await _settle()
        if settle is not None:
            await settle()


async def _settle(rounds: int = 50) -> None:
    """Let woken tasks run until they wait again (on the clock, I/O or an event): enough
    event-loop turns for a chain of a few awaits and task creations."""
    for _ in range(rounds):
        await asyncio.sleep(0)
