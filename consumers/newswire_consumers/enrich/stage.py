"""The enrich stage: ``newswire.items.unique`` -> ``newswire.items.enriched``.

Per batch: (1) decide, off the event loop, which items carry only a teaser; (2) fetch and
extract their articles concurrently, within the per-host and global limits
(``fulltext.py``); (3) run the chain of steps (``chain.py``) over the batch in a worker
thread, so heartbeats and fetches keep flowing. One result per event, in order.

Nothing is lost: a failing step flags its item and the item is published; only an item
whose result cannot be a valid v1 event makes ``process`` raise, and the runner then
retries the events one by one and dead-letters just that one.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import UTC, datetime

from newswire.kafka.stage import Incoming, Publish, Result
from newswire.metrics import Metrics
from newswire.sanitizer import html_to_text
from newswire_consumers.enrich.chain import enrich
from newswire_consumers.enrich.extract import Article
from newswire_consumers.enrich.fulltext import ArticleSource, FulltextPolicy
from newswire_consumers.enrich.steps import STEPS
from newswire_schemas import Item

SOURCE = "urn:newswire:enrich"


def feed_words(item: Item) -> int:
    """Words of text the feed itself carries for ``item`` (body, else summary)."""
    text = item.content.text or html_to_text(item.content.html) or html_to_text(item.summary)
    return len(text.split())


class EnrichStage:
    name = "enrich"
    outcomes = ("enriched",)  # newswire_stage_records_total{outcome}

    def __init__(
        self,
        metrics: Metrics | None = None,
        *,
        policy: FulltextPolicy | None = None,
        articles: ArticleSource | None = None,
    ) -> None:
        """Without ``articles`` no page is ever fetched (full text is then "disabled")."""
        self._metrics = metrics if metrics is not None else Metrics()
        self._policy = policy if policy is not None else FulltextPolicy(enabled=False)
        self._articles = articles
        steps = self._metrics.enrich_step_seconds
        self._timers = {name: steps.labels(name) for name, _ in STEPS}
        self._failures = self._metrics.enrich_step_failures
        for name, _ in STEPS:  # at 0 from the start, not from the first failure
            self._failures.labels(name)

    async def process(self, batch: Sequence[Incoming]) -> list[Result]:
        statuses = await asyncio.to_thread(self._plan, batch)
        fetched = await asyncio.gather(
            *(
                self._article(inc.event.item, status)
                for inc, status in zip(batch, statuses, strict=True)
            )
        )
        # CPU-bound: off the event loop.
        return await asyncio.to_thread(self._enrich_batch, batch, fetched)

    def _plan(self, batch: Sequence[Incoming]) -> list[str]:
        policy = self._policy
        if self._articles is None:
            policy = FulltextPolicy(enabled=False, min_words=policy.min_words)
        return [
            policy.decide(inc.event.item.feed_id, inc.event.item.link, feed_words(inc.event.item))
            for inc in batch
        ]

    async def _article(self, item: Item, status: str) -> tuple[str, Article | None]:
        if status != "needed" or self._articles is None:
            return status, None
        return await self._articles.get(item.link)

    def _enrich_batch(
        self, batch: Sequence[Incoming], fetched: Sequence[tuple[str, Article | None]]
    ) -> list[Result]:
        now = datetime.now(UTC)
        results: list[Result] = []
        for inc, (status, article) in zip(batch, fetched, strict=True):
            item = enrich(
                inc.event.item,
                now,
                article=article,
                fulltext_status=status,
                observe=self._observe,
                on_failure=self._failed,
            )
            results.append(
                Publish((inc.event.derive(inc.event.type, SOURCE, item),), outcome="enriched")
            )
        return results

    def _observe(self, step: str, seconds: float) -> None:
        self._timers[step].observe(seconds)

    def _failed(self, step: str) -> None:
        self._failures.labels(step).inc()
