"""``newswire reprocess`` against the real broker: the dry run counts per partition, a
running stage makes it refuse, the real move makes the stage process the events again."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

import orjson
import pytest
from factories import make_event
from tools_cli import newswire

from newswire.kafka.producer import EventProducer, Record
from newswire.kafka.reader import read_topic
from newswire.kafka.runner import ConsumerRunner
from newswire.kafka.stage import Done, Incoming, Result
from newswire.kafka.topics import ensure_topics, pipeline_topics
from newswire.metrics import Metrics
from newswire.settings import Settings, Topics
from newswire_schemas import EventType

pytestmark = pytest.mark.kafka


class Enrich:
    """Stands in for the enrich stage (same name, so the same group on items.unique)."""

    name = "enrich"

    def __init__(self, expect: int = 0) -> None:
        self.seen: list[str] = []
        self.expect = expect
        self.got_all = asyncio.Event()

    async def process(self, batch: Sequence[Incoming]) -> list[Result]:
        self.seen.extend(inc.event.item.title for inc in batch)
        if len(self.seen) >= self.expect:
            self.got_all.set()
        return [Done("enriched") for _ in batch]


def runner(settings: Settings, stage: Enrich, producer: EventProducer) -> ConsumerRunner:
    topics = Topics(settings.topic_prefix)
    return ConsumerRunner(
        settings, Metrics(), stage, producer, input_topic=topics.unique, output_topic=None
    )


async def drain(settings: Settings, producer: EventProducer) -> list[str]:
    stage = Enrich()
    upstream = asyncio.Event()
    upstream.set()
    await asyncio.wait_for(
        runner(settings, stage, producer).run(stop=asyncio.Event(), upstream_done=upstream), 60
    )
    return stage.seen


async def test_dry_run_refusal_and_move(kafka_settings: Settings, tmp_path: Path) -> None:
    topics = Topics(kafka_settings.topic_prefix)
    await ensure_topics(kafka_settings.kafka_bootstrap, pipeline_topics(kafka_settings))
    old = [make_event(i, EventType.CREATED) for i in range(5)]
    new = [make_event(i, EventType.CREATED) for i in range(100, 104)]
    async with EventProducer(kafka_settings, Metrics()) as producer:
        await producer.publish([Record.of(topics.unique, e) for e in old])
        assert sorted(await drain(kafka_settings, producer)) == sorted(e.item.title for e in old)
        # --since: 1 ms after the newest old record (record timestamps, not this clock)
        newest = max(
            r.timestamp for r in await read_topic(kafka_settings.kafka_bootstrap, topics.unique)
        )
        since = datetime.fromtimestamp((newest + 1) / 1000, UTC)
        await producer.publish([Record.of(topics.unique, e) for e in new])

        # the stage is running: the real move is refused, and nothing changes
        stage = Enrich(expect=len(new))
        stop = asyncio.Event()
        task = asyncio.create_task(runner(kafka_settings, stage, producer).run(stop=stop))
        try:
            await asyncio.wait_for(stage.got_all.wait(), 30)
            code, _, err = await newswire(
                kafka_settings, tmp_path, "reprocess", "enrich", "--since", since.isoformat()
            )
        finally:
            stop.set()
            await asyncio.wait_for(task, 30)
        assert code == 1
        assert "active member" in err and "nothing was changed" in err
        assert sorted(stage.seen) == sorted(e.item.title for e in new)

        # dry run: per partition, exactly the new events; the group's offsets stay put
        code, out, err = await newswire(
            kafka_settings, tmp_path, "reprocess", "enrich", "--since", since.isoformat(),
            "--dry-run", "--json",
        )  # fmt: skip
        assert code == 0, err
        plan = orjson.loads(out)
        assert plan["events"] == len(new)
        assert plan["members"] == 0
        per_partition = {p["partition"]: p["events"] for p in plan["partitions"]}
        new_records = [
            r for r in await read_topic(kafka_settings.kafka_bootstrap, topics.unique)
            if r.timestamp > newest
        ]  # fmt: skip
        for p in per_partition:
            assert per_partition[p] == sum(1 for r in new_records if r.partition == p)
        assert await drain(kafka_settings, producer) == [], "the dry run moved offsets"

        # whole history: every event
        code, out, err = await newswire(
            kafka_settings, tmp_path, "reprocess", "enrich", "--since", "1h", "--dry-run"
        )
        assert code == 0, err
        assert f"would re-process {len(old) + len(new)} events" in out

        # the real move; draining the stage processes the new events again, only them
        code, out, err = await newswire(
            kafka_settings, tmp_path, "reprocess", "enrich", "--since", since.isoformat()
        )
        assert code == 0, err
        assert f"will process {len(new)} events again" in out
        assert sorted(await drain(kafka_settings, producer)) == sorted(e.item.title for e in new)

        # a time after everything moves nothing, and never forward
        later = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
        code, out, err = await newswire(
            kafka_settings, tmp_path, "reprocess", "enrich", "--since", later, "--json"
        )
        assert code == 0, err
        assert orjson.loads(out)["partitions_moved"] == 0


async def test_bad_since_is_refused(kafka_settings: Settings, tmp_path: Path) -> None:
    code, _, err = await newswire(
        kafka_settings, tmp_path, "reprocess", "enrich", "--since", "last tuesday"
    )
    assert code == 2
    assert "--since 'last tuesday'" in err
