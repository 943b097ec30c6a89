"""Runs the steps over one item: times each step, survives a failing step, builds the Item.

Guarantees of :func:`enrich`: every step's duration is reported to ``observe`` (seconds);
a step that raises leaves the fields it would have set at their previous values, is named
in ``Enrichment.steps_failed`` and adds the ``enrichment_incomplete`` quality flag, and the
item goes on. ``enrich`` itself raises only when the result is not a valid v1 Item (a
deterministic failure: the runner dead-letters that one event).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime

from newswire_consumers.enrich.extract import Article
from newswire_consumers.enrich.steps import STEPS, Draft
from newswire_schemas import Content, Enrichment, Item, QualityFlag

ENRICHMENT_INCOMPLETE = "enrichment_incomplete"  # a step failed; see Enrichment.steps_failed

Observe = Callable[[str, float], None]


def _ignore(step: str, seconds: float) -> None:
    pass


def enrich(
    item: Item,
    now: datetime,
    *,
    article: Article | None = None,
    fulltext_status: str = "not_needed",
    observe: Observe = _ignore,
    on_failure: Callable[[str], None] | None = None,
) -> Item:
    """``item`` with clean content and every enrichment signal (see module docstring)."""
    draft = Draft(item=item, article=article, fulltext_status=fulltext_status)
    failed: list[str] = []
    clock = time.perf_counter
    for name, step in STEPS:
        start = clock()
        try:
            draft = step(draft)
        except Exception:  # noqa: BLE001 - a failing step flags the item, never drops it
            failed.append(name)
            if on_failure is not None:
                on_failure(name)
        observe(name, clock() - start)
    return _build(draft, now, tuple(failed))


def _build(d: Draft, now: datetime, failed: tuple[str, ...]) -> Item:
    item = d.item
    flags = set(item.quality_flags)
    if failed:
        flags.add(ENRICHMENT_INCOMPLETE)
    if d.sanitized_changed:
        flags.add(QualityFlag.HTML_SANITIZED.value)
    if d.markup_flattened:
        flags.add(QualityFlag.MARKUP_FLATTENED.value)
    if "sanitize" in failed:
        # Never let unsanitized HTML out: without a sanitized body, publish none.
        html, summary, text = "", "", d.text
    else:
        html, summary, text = d.html, d.summary, d.text
    if not text:
        flags.add(QualityFlag.CONTENT_MISSING.value)
    return item.model_copy(
        update={
            "summary": summary,
            "content": Content(html=html, text=text),
            "language": d.language if "language" not in failed else item.language,
            "quality_flags": tuple(sorted(flags)),
            "enrichment": Enrichment(
                word_count=d.words,
                reading_time_seconds=d.reading_time_s,
                enriched_at=now,
                text_source=d.text_source,
                fulltext_status=d.fulltext_status,
                keywords=d.keywords,
                publisher_domain=d.publisher_domain,
                lead_image=d.lead_image,
                steps_failed=failed,
            ),
        }
    )
