"""The enrich stage: ``newswire.items.unique`` -> ``newswire.items.enriched``.

A chain of small pure steps over each item. The foundation chain re-sanitizes the HTML
(defence in depth: every HTML field that leaves newswire is sanitized), derives the plain
text when it is missing, and adds word count and reading time.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Sequence
from datetime import UTC, datetime

from newswire.kafka.stage import Incoming, Publish, Result
from newswire.sanitizer import html_to_text, sanitize
from schemas import Content, Enrichment, Item

SOURCE = "urn:newswire:enrich"
WORDS_PER_MINUTE = 230  # a common adult silent-reading rate for non-fiction


def enrich_item(item: Item, now: datetime) -> Item:
    """The item with clean content and reading signals. Pure; never raises on content."""
    html = sanitize(item.content.html, item.link or None).html
    summary = sanitize(item.summary, item.link or None).html
    text = item.content.text or html_to_text(html) or html_to_text(summary)
    words = len(text.split())
    return item.model_copy(
        update={
            "summary": summary,
            "content": Content(html=html, text=text),
            "enrichment": Enrichment(
                word_count=words,
                reading_time_seconds=math.ceil(words * 60 / WORDS_PER_MINUTE),
                enriched_at=now,
            ),
        }
    )


def _enrich_batch(batch: Sequence[Incoming]) -> list[Result]:
    now = datetime.now(UTC)
    return [
        Publish(
            (inc.event.derive(inc.event.type, SOURCE, enrich_item(inc.event.item, now)),),
            outcome="enriched",
        )
        for inc in batch
    ]


class EnrichStage:
    name = "enrich"

    async def process(self, batch: Sequence[Incoming]) -> list[Result]:
        # CPU-bound: off the event loop so heartbeats and fetches keep flowing.
        return await asyncio.to_thread(_enrich_batch, batch)
