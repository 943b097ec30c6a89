"""The enrich stage against the real broker: unique -> enriched, drained, nothing lost."""

from __future__ import annotations

import asyncio
from contextlib import AsyncExitStack

import pytest
from factories import make_event

from newswire.kafka.producer import EventProducer, Record
from newswire.kafka.reader import read_topic
from newswire.kafka.runner import ConsumerRunner
from newswire.kafka.topics import ensure_topics, pipeline_topics
from newswire.metrics import Metrics
from newswire.settings import Settings, Topics
from newswire_consumers.enrich.service import SERVICE, open_enrich
from newswire_schemas import EventType
from newswire_schemas.envelope import decode_event

pytestmark = pytest.mark.kafka


async def test_enrich_stage_publishes_enriched_events(kafka_settings: Settings) -> None:
    settings = kafka_settings
    topics = Topics(settings.topic_prefix)
    events = [make_event(i, EventType.CREATED) for i in range(12)]
    await ensure_topics(settings.kafka_bootstrap, pipeline_topics(settings))
    metrics = Metrics()
    async with AsyncExitStack() as stack:
        producer = await stack.enter_async_context(EventProducer(settings, metrics))
        await producer.publish([Record.of(topics.unique, e) for e in events])
        stage = await open_enrich(settings, metrics, stack)
        runner = ConsumerRunner(
            settings,
            metrics,
            stage,
            producer,
            input_topic=SERVICE.input_topic(topics),
            output_topic=SERVICE.output_topic(topics),
        )
        upstream = asyncio.Event()
        upstream.set()
        await asyncio.wait_for(runner.run(stop=asyncio.Event(), upstream_done=upstream), 60)
    records = await read_topic(settings.kafka_bootstrap, topics.enriched)
    out = [decode_event(list(r.headers), r.value) for r in records]
    assert sorted(e.item.item_id for e in out) == sorted(e.item.item_id for e in events)
    for event in out:
        assert event.type == EventType.CREATED and event.source == "urn:newswire:enrich"
        e = event.item.enrichment
        assert e is not None and e.word_count > 0 and e.publisher_domain == "news.example"
        # Factory items are teasers on a reserved .example host: never fetched (RFC 2606).
        assert e.fulltext_status == "skipped"
    assert metrics.registry.get_sample_value(
        "newswire_stage_records_total", {"stage": "enrich", "outcome": "enriched"}
    ) == len(events)
    assert await read_topic(settings.kafka_bootstrap, Topics.dlq(topics.unique)) == []
