"""The subscriber guide's example (examples/subscriber.py) reads the enriched events the
pipeline produced in this same test, each item once."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

import pytest
from paths import REPO

from newswire.app.demo import FeedServer, generate_site
from newswire.app.pipeline import run_pipeline
from newswire.kafka.reader import read_topic
from newswire.settings import Settings, Topics
from newswire_schemas.envelope import decode_event

pytestmark = pytest.mark.kafka

EXAMPLE = REPO / "examples" / "subscriber.py"


async def test_example_subscriber_reads_the_enriched_events(
    kafka_settings: Settings, tmp_path: Path
) -> None:
    site = generate_site(seed=3)
    with FeedServer() as server:
        server.add_site(site)
        opml = tmp_path / "feeds.opml"
        opml.write_bytes(site.opml(server.base_url))
        summary = await run_pipeline(kafka_settings, feeds_file=opml, until_idle=True)
    unique = len(site.unique_links())
    assert summary.outcome("store", "stored") == unique

    topic = Topics(kafka_settings.topic_prefix).enriched
    events = [
        decode_event(r.headers, r.value)
        for r in await read_topic(kafka_settings.kafka_bootstrap, topic)
    ]
    published = {(e.item.item_id, e.item.version): e for e in events}
    item_ids = {item_id for item_id, _ in published}
    assert len(item_ids) >= unique

    env = {
        **os.environ,
        "NEWSWIRE_KAFKA_BOOTSTRAP": kafka_settings.kafka_bootstrap,
        "NEWSWIRE_TOPIC": topic,
        "NEWSWIRE_GROUP": f"{kafka_settings.topic_prefix}.example-subscriber",
        "STOP_AFTER": str(len(item_ids)),
    }
    proc = await asyncio.create_subprocess_exec(
        sys.executable, str(EXAMPLE), env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    try:
        async with asyncio.timeout(60):
            out, err = await proc.communicate()
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
    assert proc.returncode == 0, err.decode()

    lines = out.decode().splitlines()
    handled = []
    for line in lines:
        ce_type, item_id, version, title = line.split(" ", 3)
        event = published[(item_id, int(version.removeprefix("v")))]
        assert ce_type == event.type.value
        assert title == event.item.title
        handled.append((item_id, event.item.version))
    assert len(handled) == len(set(handled)), "an item version was handled twice"
    assert {item_id for item_id, _ in handled} == item_ids
