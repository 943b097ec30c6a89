"""The per-host request budget shared by producer replicas: a token bucket per host in Redis.

DESIGN.md, Scale-out: politeness is per host across the whole cluster. Each host has one
bucket (a Redis hash ``<namespace>:host:<host>`` with ``tokens`` and ``ts``) refilled at
``requests_per_minute`` up to ``burst``. One Lua script reads, refills and spends it
atomically, with Redis's own clock (``TIME``), so replicas on machines whose clocks differ
still share one budget and two replicas can never spend the same token. A bucket left
alone expires once it would be full again.

Guarantees: ``take`` spends at most one token and returns 0.0, or spends nothing and
returns how long until a token is there. Redis errors raise :class:`PolitenessUnavailable`
(transient: the scheduler retries the poll later; no request is sent without a token).
"""

from __future__ import annotations

from typing import Any

from redis.asyncio import Redis
from redis.exceptions import RedisError

from newswire.closing import AsyncClosing
from newswire.errors import TransientError
from newswire_producers.pacing.politeness import PolitenessPolicy

# KEYS[1] bucket; ARGV rate (tokens/s), burst. Returns the wait in microseconds (0: spent).
_TAKE = """
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local b = redis.call('HMGET', KEYS[1], 'tokens', 'ts')
local tokens = tonumber(b[1]) or burst
local ts = tonumber(b[2]) or now
if now > ts then tokens = math.min(burst, tokens + (now - ts) * rate) end
local wait = 0
if tokens >= 1 then tokens = tokens - 1 else wait = (1 - tokens) / rate end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'ts', tostring(math.max(now, ts)))
redis.call('PEXPIRE', KEYS[1], math.ceil((burst - tokens) / rate * 1000) + 1000)
return math.ceil(wait * 1000000)
"""


class PolitenessUnavailable(TransientError):
    """Redis, which holds the shared per-host budget, did not answer."""


class RedisBudget(AsyncClosing):
    """A :class:`~newswire_producers.pacing.politeness.SharedBudget` in Redis. An async context
    manager; ``aclose`` is idempotent. Safe to share between tasks of one event loop."""

    def __init__(self, url: str, policy: PolitenessPolicy, *, namespace: str) -> None:
        self._client: Redis = Redis.from_url(url, socket_timeout=5, socket_connect_timeout=5)
        self._rate = policy.requests_per_minute / 60.0
        self._burst = policy.burst
        self._prefix = f"{namespace}:host:"
        self._script: Any = self._client.register_script(_TAKE)
        self._closed = False

    async def __aenter__(self) -> RedisBudget:
        try:
            await self._client.ping()
        except (RedisError, OSError) as exc:
            await self.aclose()
            raise PolitenessUnavailable(f"politeness budget in Redis: {exc!r}") from exc
        return self

    async def aclose(self) -> None:
        if not self._closed:
            self._closed = True
            await self._client.aclose()

    async def take(self, host: str) -> float:
        """Spend one request of ``host``'s budget (0.0), or say how many seconds until one
        is there (nothing spent). Raises PolitenessUnavailable when Redis is away."""
        if self._closed:
            raise PolitenessUnavailable("politeness budget is closed")
        try:
            wait_us = await self._script(keys=[self._prefix + host], args=[self._rate, self._burst])
        except (RedisError, OSError) as exc:
            raise PolitenessUnavailable(f"politeness budget in Redis: {exc!r}") from exc
        return int(wait_us) / 1_000_000
