"""How the enrich stage is wired: unique -> enriched."""

from __future__ import annotations

from contextlib import AsyncExitStack

from consumers.enrich.stage import EnrichStage
from newswire.kafka.stage import StageService
from newswire.metrics import Metrics
from newswire.settings import Settings


async def open_enrich(settings: Settings, metrics: Metrics, stack: AsyncExitStack) -> EnrichStage:
    return EnrichStage()


SERVICE = StageService(
    name="enrich",
    input_topic=lambda t: t.unique,
    output_topic=lambda t: t.enriched,
    open=open_enrich,
)
