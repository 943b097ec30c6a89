"""The per-host budget shared by replicas through Redis: one token bucket per
host, whichever replica spends it, refilled at the configured rate; against the local Redis."""

from __future__ import annotations

import asyncio
import time
import uuid

import pytest

from newswire_producers.pacing.clock import SystemClock
from newswire_producers.pacing.politeness import HostGate, PolitenessPolicy
from newswire_producers.pacing.redis_budget import PolitenessUnavailable, RedisBudget

pytestmark = [pytest.mark.timeout(30), pytest.mark.redis]

POLICY = PolitenessPolicy(requests_per_minute=600.0, burst=5)  # 10 requests/s


def budget(url: str, namespace: str) -> RedisBudget:
    return RedisBudget(url, POLICY, namespace=namespace)


async def test_two_replicas_draw_from_one_bucket_per_host(redis_url: str) -> None:
    ns = f"test-{uuid.uuid4().hex[:8]}"
    async with budget(redis_url, ns) as a, budget(redis_url, ns) as b:
        grants = [await (a if i % 2 else b).take("news.example") == 0.0 for i in range(8)]
        assert grants == [True] * 5 + [False] * 3  # the burst is shared, not per replica
        wait = await a.take("news.example")
        assert 0.0 < wait <= 0.1 + 1e-3  # one token per 0.1 s
        assert await b.take("other.example") == 0.0  # another host, another bucket


async def test_the_shared_rate_holds_across_replicas(redis_url: str) -> None:
    ns = f"test-{uuid.uuid4().hex[:8]}"
    clock = SystemClock()
    async with budget(redis_url, ns) as a, budget(redis_url, ns) as b:
        gates = [HostGate(POLICY, clock, a), HostGate(POLICY, clock, b)]
        for gate in gates:
            assert gate.admit("news.example") is None  # the local budget is not used
        started = time.monotonic()
        granted = 0

        async def replica(gate: HostGate) -> None:
            nonlocal granted
            while time.monotonic() - started < 1.0:
                await gate.take_shared("news.example")
                granted += 1

        await asyncio.gather(*(replica(g) for g in gates))
        elapsed = time.monotonic() - started
    # burst + rate * time (+1 for the token being refilled as the window closes)
    assert 5 + 10 * elapsed + 1 >= granted >= 5 + 10 * 1.0 - 2


async def test_redis_away_is_a_transient_error() -> None:
    with pytest.raises(PolitenessUnavailable):
        async with budget("redis://127.0.0.1:1/0", "absent"):
            pass
