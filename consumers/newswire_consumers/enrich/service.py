"""How the enrich stage is wired: unique -> enriched.

``open_enrich`` builds the stage's resources and registers their cleanup on the exit stack:
the hardened Fetcher (the producer's policy: SSRF guard, caps, deadline) and the page cache
(``<data_dir>/enrich-pages.sqlite``), both only when full text is enabled.
"""

from __future__ import annotations

import asyncio
from contextlib import AsyncExitStack

from newswire.fetch.fetcher import Fetcher
from newswire.fetch.policy import fetch_policy
from newswire.kafka.stage import StageService
from newswire.metrics import Metrics
from newswire.settings import Settings
from newswire_consumers.enrich import language
from newswire_consumers.enrich.fulltext import ArticleSource, FulltextPolicy
from newswire_consumers.enrich.page_cache import PageCache
from newswire_consumers.enrich.stage import EnrichStage

PAGE_CACHE_FILE = "enrich-pages.sqlite"


async def open_enrich(settings: Settings, metrics: Metrics, stack: AsyncExitStack) -> EnrichStage:
    await asyncio.to_thread(language.load)  # half a second; not on the first batch's clock
    policy = FulltextPolicy.from_settings(settings)
    articles = None
    if settings.enrich_fulltext:
        fetcher = await stack.enter_async_context(Fetcher(fetch_policy(settings)))
        cache = stack.enter_context(
            PageCache(settings.data_dir / PAGE_CACHE_FILE, settings.enrich_page_cache_ttl_s)
        )
        articles = ArticleSource(
            fetcher,
            cache,
            metrics,
            per_host=settings.enrich_fetch_per_host,
            concurrency=settings.enrich_fetch_concurrency,
        )
    stage = EnrichStage(metrics, policy=policy, articles=articles)
    return stage


SERVICE = StageService(
    name="enrich",
    input_topic=lambda t: t.unique,
    output_topic=lambda t: t.enriched,
    open=open_enrich,
)
