"""Hostile and unusual input through the real store process (``newswire serve
store``): poison events, a duplicate storm and schema skew between producer versions.

Each scenario publishes ledger events (plus the odd records it is about) to the enriched
topic, runs the store until quiet, and verifies the ledger against the store; the DLQ is
read to show where the odd records went. The same code path (the one consumer runner)
serves every stage, so the store stands for all of them here.
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import replace
from pathlib import Path
from typing import Any

import orjson
from ledger import Ledger
from procs import Service, service_env
from scenario_report import ScenarioResult
from scenarios import finish_store
from verify import Verdict, verdict_result

from newswire.kafka.producer import EventProducer, Record
from newswire.kafka.reader import read_topic
from newswire.kafka.topics import ensure_topics, pipeline_topics
from newswire.metrics import Metrics
from newswire.settings import Settings, Topics
from newswire_schemas import Event
from newswire_schemas.item import Item

OVERSIZED_BYTES = 240 * 1024  # under the producer's 256 KiB batch, far over any real item


async def _through_store(
    settings: Settings, tmp: Path, ledger: Ledger, records: list[Record]
) -> tuple[Verdict, Counter[str]]:
    """Publish ``records`` (chunks of 500), run the store until quiet; the verdict and the
    DLQ's records counted by error class."""
    await ensure_topics(settings.kafka_bootstrap, pipeline_topics(settings))
    async with EventProducer(settings, Metrics()) as producer:
        for start in range(0, len(records), 500):
            await producer.publish(records[start : start + 500])
    ledger.acknowledged |= ledger.served  # every publish above returned: acknowledged
    service = Service(("store",), service_env(settings), tmp / "store.log")
    verdict = await finish_store(settings, service, ledger)
    dlq_topic = Topics.dlq(Topics(settings.topic_prefix).enriched)
    dlq = await read_topic(settings.kafka_bootstrap, dlq_topic)
    return verdict, Counter(dict(r.headers)["dlq_error_class"].decode() for r in dlq)


def _good(ledger: Ledger, start: int, count: int) -> list[Event]:
    events = ledger.events(start, count)
    ledger.served.update(e.item.item_id for e in events)
    return events


def poison_records(topic: str, template: Event) -> dict[str, Record]:
    """One record of each poison kind, by name."""
    headers = template.headers()
    future = [(k, b"newswire.item.created.v9" if k == "ce_type" else v) for k, v in headers]
    old_spec = [(k, b"0.3" if k == "ce_specversion" else v) for k, v in headers]
    big = orjson.dumps({"title": "x" * OVERSIZED_BYTES})
    bad_id = orjson.loads(template.value()) | {"item_id": "not-an-id"}
    return {
        "invalid_json": Record(topic, b"poison", b"{not json", headers),
        "unknown_version": Record(topic, b"poison", template.value(), future),
        "unknown_specversion": Record(topic, b"poison", template.value(), old_spec),
        "oversized": Record(topic, b"poison", big, headers),
        "schema_invalid": Record(topic, b"poison", orjson.dumps(bad_id), headers),
        "no_value": Record(topic, b"poison", None, headers),
    }


async def poison_events(settings: Settings, tmp: Path, *, items: int) -> ScenarioResult:
    """Poison records spread among good ones: every poison record in the DLQ, every good
    event stored once."""
    started = time.monotonic()
    topic = Topics(settings.topic_prefix).enriched
    ledger = Ledger()
    good = [Record.of(topic, e) for e in _good(ledger, 0, items)]
    poison = poison_records(topic, ledger.events(items, 1)[0])
    records = list(good)
    for i, record in enumerate(poison.values()):  # spread: poison in the middle of batches
        records.insert((i + 1) * len(good) // (len(poison) + 1), record)
    verdict, dlq = await _through_store(settings, tmp, ledger, records)
    dead = sum(dlq.values())
    # Every record counts, poison too: a poison record not in the DLQ is lost, a DLQ
    # record beyond the poison ones is a duplicate (a good event dead-lettered).
    verdict = replace(
        verdict,
        served=len(records),
        lost=verdict.lost + max(0, len(poison) - dead),
        duplicates=verdict.duplicates + max(0, dead - len(poison)),
    )
    return verdict_result(
        "poison events (invalid JSON, unknown version, oversized, schema-invalid)",
        verdict,
        {"poison_records": len(poison), "dlq_records": dead, **dlq},
        started=started,
        notes=(
            "kinds: " + ", ".join(poison) + "; a handler crashing on one event is covered "
            "in process (tests/integration/test_runner.py): the store has no input that "
            "crashes it deterministically"
        ),
    )


async def duplicate_storm(
    settings: Settings, tmp: Path, *, items: int, copies: int
) -> ScenarioResult:
    """Every item delivered ``copies`` times: stored once each."""
    started = time.monotonic()
    topic = Topics(settings.topic_prefix).enriched
    ledger = Ledger()
    records = [Record.of(topic, e) for e in _good(ledger, 0, items)] * copies
    verdict, dlq = await _through_store(settings, tmp, ledger, records)
    return verdict_result(
        f"duplicate storm ({copies} deliveries of every item)",
        verdict,
        {"records": len(records), "in_topic_repeats": verdict.in_topic_repeats},
        started=started,
        notes=f"dlq records: {sum(dlq.values())}" if dlq else "",
    )


def _skewed(event: Event, topic: str, *, newer: bool) -> Record:
    """``event`` as a newer producer (unknown fields, top level and nested) or an older one
    (every optional field left out) would have written it."""
    value: dict[str, Any] = orjson.loads(event.value())
    if newer:
        value |= {"sentiment": {"score": 0.4, "model": "v2"}, "x_region": ["eu"]}
        value["content"] = value["content"] | {"markdown": "*new*"}
    else:
        optional = {n for n, f in Item.model_fields.items() if not f.is_required()}
        value = {k: v for k, v in value.items() if k not in optional}
    return Record(topic, event.key, orjson.dumps(value), event.headers())


async def schema_skew(settings: Settings, tmp: Path, *, items: int) -> ScenarioResult:
    """Events from a newer producer (unknown fields) and an older one (optional fields
    missing), mixed with current ones: every one stored, none dead-lettered."""
    started = time.monotonic()
    topic = Topics(settings.topic_prefix).enriched
    ledger = Ledger()
    events = _good(ledger, 0, items)
    records = [
        _skewed(e, topic, newer=i % 3 == 1) if i % 3 else Record.of(topic, e)
        for i, e in enumerate(events)
    ]
    verdict, dlq = await _through_store(settings, tmp, ledger, records)
    evidence = {
        "newer_events": len(range(1, items, 3)),
        "older_events": len(range(2, items, 3)),
        "dlq_records": sum(dlq.values()),
    }
    # A skewed event dead-lettered is an event lost to subscribers.
    verdict = replace(verdict, lost=verdict.lost + sum(dlq.values()))
    return verdict_result(
        "schema skew (newer producer: unknown fields; older: optional fields missing)",
        verdict,
        evidence,
        started=started,
    )
