"""How the dedup stage is wired: raw -> unique, with its seen-store.

``NEWSWIRE_DEDUP_STORE_URL`` picks the backend: empty (default) is the embedded SQLite
file ``<data_dir>/seen-<group>.db``; ``sqlite:///path`` another file; ``redis://...`` the
store shared by replicas, namespaced by the consumer group so pipelines sharing one Redis
do not see each other's keys.
"""

from __future__ import annotations

from contextlib import AsyncExitStack
from pathlib import Path

from newswire.errors import ConfigError
from newswire.kafka.stage import StageService
from newswire.metrics import Metrics
from newswire.settings import Settings, Topics
from newswire_consumers.dedup import ledger
from newswire_consumers.dedup.redis_seen_store import RedisSeenStore
from newswire_consumers.dedup.seen_store import SeenStore
from newswire_consumers.dedup.sqlite_seen_store import SqliteSeenStore
from newswire_consumers.dedup.stage import DedupStage


def seen_store_path(settings: Settings) -> Path:
    """The embedded seen-store: one SQLite file per consumer group."""
    return settings.data_dir / f"seen-{Topics(settings.topic_prefix).group('dedup')}.db"


def redis_namespace(settings: Settings) -> str:
    return f"newswire:dedup:{Topics(settings.topic_prefix).group('dedup')}"


def open_seen_store(settings: Settings) -> tuple[SeenStore, str]:
    """The configured seen-store and its backend name. Raises ConfigError for a bad URL."""
    params = ledger.Params(
        story_threshold=settings.dedup_story_threshold,
        story_window_s=settings.dedup_story_window_hours * 3600,
    )
    retention_s = settings.dedup_retention_days * 86400
    url = settings.dedup_store_url
    if not url:
        return SqliteSeenStore(seen_store_path(settings), params, retention_s), "sqlite"
    if url.startswith("sqlite:///"):
        return SqliteSeenStore(url.removeprefix("sqlite:///"), params, retention_s), "sqlite"
    if url.startswith(("redis://", "rediss://", "unix://")):
        return RedisSeenStore(url, redis_namespace(settings), params, retention_s), "redis"
    raise ConfigError(f"NEWSWIRE_DEDUP_STORE_URL {url!r}: expected sqlite:///path or redis://")


async def open_dedup(settings: Settings, metrics: Metrics, stack: AsyncExitStack) -> DedupStage:
    seen, backend = open_seen_store(settings)
    stack.push_async_callback(seen.aclose)
    stage = DedupStage(seen, metrics, backend=backend)
    return stage


SERVICE = StageService(
    name="dedup",
    input_topic=lambda t: t.raw,
    output_topic=lambda t: t.unique,
    open=open_dedup,
)
