"""How the dedup stage is wired: raw -> unique, with its seen-store."""

from __future__ import annotations

from contextlib import AsyncExitStack
from pathlib import Path

from consumers.dedup.seen_store import SqliteSeenStore
from consumers.dedup.stage import DedupStage
from newswire.kafka.stage import StageService
from newswire.metrics import Metrics
from newswire.settings import Settings, Topics


def seen_store_path(settings: Settings) -> Path:
    """The embedded seen-store: one SQLite file per consumer group."""
    return settings.data_dir / f"seen-{Topics(settings.topic_prefix).group('dedup')}.db"


async def open_dedup(settings: Settings, metrics: Metrics, stack: AsyncExitStack) -> DedupStage:
    seen = SqliteSeenStore(seen_store_path(settings))
    stack.callback(seen.close)
    return DedupStage(seen)


SERVICE = StageService(
    name="dedup",
    input_topic=lambda t: t.raw,
    output_topic=lambda t: t.unique,
    open=open_dedup,
)
