"""The chain of enrichment steps: every signal set, a failing step flags and goes on."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from factories import make_event, make_item

from newswire.kafka.stage import Delivery, Incoming, Publish
from newswire.metrics import Metrics
from newswire_consumers.enrich import chain
from newswire_consumers.enrich.stage import EnrichStage
from newswire_consumers.enrich.steps import STEPS, Draft
from newswire_schemas import Author, Content, Enclosure, Language

NOW = datetime(2026, 3, 1, tzinfo=UTC)
BODY = (
    "<p>The harbour authority will close the eastern breakwater for repairs. The breakwater "
    "was damaged by winter storms, and the harbour ferries will use the western channel.</p>"
    '<p><img src="/img/breakwater.jpg" alt=""> Repairs to the breakwater will take a season.</p>'
)


def test_every_signal_is_set() -> None:
    item = make_item(
        1,
        link="https://www.harbour.org/news/breakwater",
        content=Content(html=BODY, text=""),
        language=Language(declared="en-GB"),
        title="Breakwater to close for storm repairs",
    )
    out = chain.enrich(item, NOW)
    e = out.enrichment
    assert e is not None
    assert out.content.text.startswith("The harbour authority")
    assert e.word_count == len(out.content.text.split()) and e.reading_time_seconds > 0
    assert (out.language.declared, out.language.detected) == ("en-GB", "en")
    assert out.language.confidence is not None and out.language.confidence > 0.5
    assert e.keywords[:2] == ("breakwater", "repairs") and "harbour" in e.keywords
    assert e.publisher_domain == "harbour.org"
    assert e.lead_image == "https://www.harbour.org/img/breakwater.jpg"
    assert (e.text_source, e.fulltext_status, e.steps_failed) == ("feed", "not_needed", ())
    assert chain.ENRICHMENT_INCOMPLETE not in out.quality_flags


def test_lead_image_falls_back_to_an_image_enclosure_and_refuses_unsafe_urls() -> None:
    enclosure = Enclosure(url="https://cdn.example.org/a.png", type="image/png")
    item = make_item(2, enclosures=(enclosure,))
    assert chain.enrich(item, NOW).enrichment.lead_image == enclosure.url  # type: ignore[union-attr]
    unsafe = make_item(3, content=Content(html='<img src="javascript:alert(1)">'), link="")
    assert chain.enrich(unsafe, NOW).enrichment.lead_image == ""  # type: ignore[union-attr]


def test_markup_in_short_text_fields_is_rendered_to_text() -> None:
    item = make_item(
        4,
        title='<a href="javascript:alert(1)">Breaking</a> news',
        categories=("<b>Politics</b>", "<script>x</script>"),
        authors=(Author(name="<i>Ann</i> Lee"),),
    )
    out = chain.enrich(item, NOW)
    assert out.title == "Breaking news"
    assert out.categories == ("Politics",)
    assert out.authors[0].name == "Ann Lee"


def test_a_failing_step_flags_the_item_and_the_rest_still_runs(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def explode(d: Draft) -> Draft:
        raise RuntimeError("model corrupt")

    steps = tuple((n, explode if n == "language" else f) for n, f in STEPS)
    monkeypatch.setattr(chain, "STEPS", steps)
    failures: list[str] = []
    out = chain.enrich(make_item(5), NOW, on_failure=failures.append)
    assert failures == ["language"]
    assert out.enrichment is not None and out.enrichment.steps_failed == ("language",)
    assert chain.ENRICHMENT_INCOMPLETE in out.quality_flags
    assert out.enrichment.word_count > 0 and out.enrichment.publisher_domain == "news.example"


def test_a_failed_sanitize_never_publishes_unsanitized_html(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def explode(d: Draft) -> Draft:
        raise RuntimeError("boom")

    monkeypatch.setattr(
        chain, "STEPS", tuple((n, explode if n == "sanitize" else f) for n, f in STEPS)
    )
    out = chain.enrich(make_item(6, content=Content(html="<script>x</script><p>hi</p>")), NOW)
    assert out.content.html == "" and out.summary == ""


async def test_stage_observes_each_step_and_publishes_one_result_per_event() -> None:
    metrics = Metrics()
    events = [make_event(i) for i in range(3)]
    batch = [Incoming(e, Delivery("t", 0, i)) for i, e in enumerate(events)]
    results = await EnrichStage(metrics).process(batch)
    assert [r.events[0].item.item_id for r in results if isinstance(r, Publish)] == [
        e.item.item_id for e in events
    ]
    for name, _ in STEPS:
        count = metrics.registry.get_sample_value(
            "newswire_enrich_step_duration_seconds_count", {"step": name}
        )
        assert count == 3, name
    item = results[0].events[0].item  # type: ignore[union-attr]
    assert item.enrichment is not None and item.enrichment.fulltext_status == "disabled"
