"""The seen-store shared by replicas: Redis (``redis://host:port/db``).

Every record of :mod:`consumers.dedup.ledger` is one Redis string (JSON) under
``<namespace>:<name>``, with a TTL of the retention, restarted by each write or duplicate
sighting. A batch is decided with optimistic locking (Redis transactions, WATCH/MULTI/EXEC):
WATCH every record the decision reads, read them, decide, then write all in one MULTI. If
another replica changed any watched record meanwhile, EXEC fails and the batch is decided
again on fresh state, so a decision is always applied together with the state it was made
on: the replay rule stays atomic across replicas and a content fingerprint claimed on one
partition is seen by a replica deciding another.

Redis errors (down, timeout) become :class:`SeenStoreUnavailable`, which the runner retries.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import orjson
from redis.asyncio import Redis
from redis.exceptions import RedisError, WatchError

from consumers.dedup import ledger
from consumers.dedup.seen_store import Decision, Observation, SeenStoreUnavailable, StoreStats

_MAX_ATTEMPTS = 50  # optimistic retries before reporting a transient failure
_STATS_SAMPLE = 200  # keys whose MEMORY USAGE is measured to estimate bytes per key


class RedisSeenStore:
    """The Redis backend of :class:`~consumers.dedup.seen_store.SeenStore`."""

    def __init__(self, url: str, namespace: str, params: ledger.Params, retention_s: float) -> None:
        self._client: Redis | None = Redis.from_url(
            url, socket_timeout=10, socket_connect_timeout=5, health_check_interval=30
        )
        self._prefix = f"{namespace}:"
        self._params = params
        self._ttl = max(1, int(retention_s))

    async def ping(self) -> None:
        """Raise :class:`SeenStoreUnavailable` unless Redis answers."""
        try:
            await self._conn().ping()
        except (RedisError, OSError) as exc:
            raise SeenStoreUnavailable(f"redis seen-store: {exc!r}") from exc

    async def observe_batch(self, observations: Sequence[Observation]) -> list[Decision]:
        try:
            for _ in range(_MAX_ATTEMPTS):
                try:
                    return await self._attempt(observations)
                except WatchError:
                    continue  # another replica wrote a record we read: decide again
        except (RedisError, OSError) as exc:
            raise SeenStoreUnavailable(f"redis seen-store: {exc!r}") from exc
        raise SeenStoreUnavailable("redis seen-store: too much contention, batch not applied")

    async def _attempt(self, observations: Sequence[Observation]) -> list[Decision]:
        async with self._conn().pipeline(transaction=True) as pipe:
            names = ledger.first_names(observations)
            records = await self._watch_and_load(pipe, names)
            records.update(await self._watch_and_load(pipe, ledger.second_names(records)))
            outcome = ledger.decide(observations, records, self._params)
            pipe.multi()  # type: ignore[no-untyped-call]  # redis-py leaves it untyped
            for name, value in outcome.writes.items():
                pipe.set(self._prefix + name, orjson.dumps(value), ex=self._ttl)
            for name in outcome.touches:
                pipe.expire(self._prefix + name, self._ttl)
            await pipe.execute()
            return outcome.decisions

    async def _watch_and_load(self, pipe: Any, names: list[str]) -> ledger.Records:
        if not names:
            return {}
        keys = [self._prefix + n for n in names]
        await pipe.watch(*keys)
        values = await pipe.mget(keys)
        return {n: orjson.loads(v) for n, v in zip(names, values, strict=True) if v is not None}

    async def stats(self) -> StoreStats:
        """Keys under the namespace (SCAN) and bytes estimated from a sample's MEMORY USAGE."""
        client = self._conn()
        try:
            keys = 0
            sample: list[bytes] = []
            async for key in client.scan_iter(match=self._prefix + "*", count=1000):
                keys += 1
                if len(sample) < _STATS_SAMPLE:
                    sample.append(key)
            sizes = [await client.memory_usage(k) or 0 for k in sample]
        except (RedisError, OSError) as exc:
            raise SeenStoreUnavailable(f"redis seen-store: {exc!r}") from exc
        per_key = sum(sizes) / len(sizes) if sizes else 0.0
        return StoreStats(keys, int(per_key * keys))

    async def clear(self) -> int:
        """Delete every record of the namespace (tests, operators); returns how many."""
        client = self._conn()
        deleted = 0
        keys = [k async for k in client.scan_iter(match=self._prefix + "*", count=1000)]
        for start in range(0, len(keys), 500):
            deleted += await client.delete(*keys[start : start + 500])
        return deleted

    async def aclose(self) -> None:
        """Idempotent."""
        client, self._client = self._client, None
        if client is not None:
            await client.aclose()

    def _conn(self) -> Redis:
        if self._client is None:
            raise RuntimeError("seen-store is closed")
        return self._client
