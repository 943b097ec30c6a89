"""``newswire dlq list`` and ``newswire dlq replay`` against the real broker: dead letters
made by the consumer runner, replayed once after a fix, processed once."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from pathlib import Path

import orjson
import pytest
from factories import make_event
from tools_cli import json_lines, newswire

from newswire.app.ops.dlq import REPLAYED_FROM
from newswire.kafka.producer import EventProducer, Record
from newswire.kafka.reader import read_topic
from newswire.kafka.runner import ConsumerRunner
from newswire.kafka.stage import Incoming, Publish, Result
from newswire.kafka.topics import ensure_topics, pipeline_topics
from newswire.metrics import Metrics
from newswire.settings import Settings, Topics
from newswire_schemas import EventType

pytestmark = pytest.mark.kafka


class Dedup:
    """Stands in for the dedup stage (same name, so the same group and DLQ); fails on the
    titles it is told are poison, as a bug would, until the bug is fixed."""

    name = "dedup"

    def __init__(self, poison: frozenset[str] = frozenset()) -> None:
        self.poison = poison
        self.seen: list[str] = []

    async def process(self, batch: Sequence[Incoming]) -> list[Result]:
        for inc in batch:
            if inc.event.item.title in self.poison:
                raise ValueError(f"cannot handle {inc.event.item.title}")
        self.seen.extend(inc.event.item.title for inc in batch)
        return [
            Publish((inc.event.derive(EventType.CREATED, "urn:test", inc.event.item),))
            for inc in batch
        ]


async def drain(settings: Settings, stage: Dedup, records: list[Record]) -> None:
    topics = Topics(settings.topic_prefix)
    metrics = Metrics()
    async with EventProducer(settings, metrics) as producer:
        await producer.publish(records)
        runner = ConsumerRunner(
            settings, metrics, stage, producer, input_topic=topics.raw, output_topic=topics.unique
        )
        upstream = asyncio.Event()
        upstream.set()
        await asyncio.wait_for(runner.run(stop=asyncio.Event(), upstream_done=upstream), 60)


async def test_list_then_replay_once(kafka_settings: Settings, tmp_path: Path) -> None:
    topics = Topics(kafka_settings.topic_prefix)
    await ensure_topics(kafka_settings.kafka_bootstrap, pipeline_topics(kafka_settings))
    good = [make_event(i) for i in range(4)]
    bad = make_event(50, title="explodes")
    garbage = Record(topics.raw, b"garbage-key", b"{not json", good[0].headers())
    records = [Record.of(topics.raw, e) for e in good[:2]]
    records += [garbage, Record.of(topics.raw, bad)]
    records += [Record.of(topics.raw, e) for e in good[2:]]
    await drain(kafka_settings, Dedup(poison=frozenset({"explodes"})), records)

    # list: both dead letters with their reasons and where they came from
    code, out, err = await newswire(kafka_settings, tmp_path, "dlq", "list", "dedup", "--json")
    assert code == 0, err
    listed = json_lines(out)
    assert sorted(str(row["reason"]) for row in listed) == ["ValueError", "undecodable"]
    for row in listed:
        assert row["original_topic"] == topics.raw
        assert isinstance(row["original_offset"], int)
        assert row["stage"] == "dedup"
        assert row["message"]
        assert row["replayed"] is False
    code, table, err = await newswire(kafka_settings, tmp_path, "dlq", "list", "dedup")
    assert code == 0, err
    assert "ValueError" in table and "undecodable" in table

    # dry run: says what it would do, publishes nothing
    code, out, err = await newswire(
        kafka_settings, tmp_path, "dlq", "replay", "dedup", "--reason", "ValueError",
        "--dry-run", "--json",
    )  # fmt: skip
    assert code == 0, err
    dry = orjson.loads(out)
    assert (dry["dead_letters"], dry["selected"], dry["published"]) == (2, 1, 0)
    raw_before = len(await read_topic(kafka_settings.kafka_bootstrap, topics.raw))
    assert raw_before == 6

    # the fix is deployed; replay one reason, then the rest, then again: nothing more
    code, out, err = await newswire(
        kafka_settings, tmp_path, "dlq", "replay", "dedup", "--reason", "ValueError"
    )
    assert code == 0, err
    assert "replayed 1 dead letters" in out
    code, out, err = await newswire(kafka_settings, tmp_path, "dlq", "replay", "dedup", "--json")
    assert code == 0, err
    second = orjson.loads(out)
    assert (second["published"], second["replayed_before"]) == (1, 1)
    code, out, err = await newswire(kafka_settings, tmp_path, "dlq", "replay", "dedup", "--json")
    assert code == 0, err
    assert orjson.loads(out)["published"] == 0, "a second replay re-published dead letters"

    raw = await read_topic(kafka_settings.kafka_bootstrap, topics.raw)
    replayed = [r for r in raw if REPLAYED_FROM in dict(r.headers)]
    assert len(raw) == 8 and len(replayed) == 2
    by_key = {r.key: r for r in replayed}
    assert by_key[b"garbage-key"].value == b"{not json"
    assert by_key[bad.key].value == bad.value()
    assert not any(k.startswith("dlq_") for r in replayed for k, _ in r.headers)
    assert dict(by_key[bad.key].headers)["ce_id"] == bad.id.encode()

    # the stage (fixed) processes the replayed event once; the garbage fails again
    fixed = Dedup()
    await drain(kafka_settings, fixed, [])
    assert fixed.seen == ["explodes"]
    code, out, err = await newswire(kafka_settings, tmp_path, "dlq", "list", "dedup", "--json")
    assert code == 0, err
    after = json_lines(out)
    assert [row["replayed"] for row in after] == [True, True, False]
    assert after[2]["reason"] == "undecodable"


async def test_unknown_stage_is_refused(kafka_settings: Settings, tmp_path: Path) -> None:
    code, _, err = await newswire(kafka_settings, tmp_path, "dlq", "list", "nosuch")
    assert code == 2
    assert "unknown stage 'nosuch'" in err
    assert "dedup, enrich, store" in err
