"""The dedup stage's exact decisions and stored records on a fixed event sequence.

A pin for speed work on dedup: the demo site's items sent as new items, re-sightings,
updates, aliases and syndicated copies (a retouched title: same story, new content), in
batches on three partitions, plus a replayed batch. Every decision (verdict, owner,
version, changed fields, alias_of, story id, replay, cluster formed) and every stored
record (name and exact stored bytes, TTLs aside; a digest per kind) must equal
``tests/data/dedup/golden.json``, written by the code before the speed work (commit
c7f787f), on both seen-store backends.

Regenerate only for an intended change of decisions or formats::

    .venv/bin/python tests/unit/test_dedup_golden.py > tests/data/dedup/golden.json
"""

from __future__ import annotations

import asyncio
import hashlib
import html
import json
import random
import re
import sqlite3
import sys
import tempfile
import uuid
import zlib
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from redis.asyncio import Redis

from newswire.app.demo.site import generate_site
from newswire.kafka.stage import Delivery, Done, Incoming, Publish
from newswire.metrics import Metrics
from newswire_consumers.dedup import ledger
from newswire_consumers.dedup.redis_seen_store import RedisSeenStore
from newswire_consumers.dedup.seen_store import SeenStore
from newswire_consumers.dedup.sqlite_seen_store import SqliteSeenStore
from newswire_consumers.dedup.stage import DedupStage
from newswire_schemas import Content, Event, EventType, Item

GOLDEN = Path(__file__).resolve().parents[1] / "data" / "dedup" / "golden.json"
PARAMS = ledger.Params(story_threshold=0.6, story_window_s=3 * 86400.0)
T0 = datetime(2026, 3, 1, tzinfo=UTC)
EVENTS, BATCH, PARTITIONS = 1400, 100, 3
COPY_LAG_H, FAR_LAG_H = 2.0, 100.0  # hours between two copies of one item


def demo_items() -> list[Item]:
    """The demo site's items, built directly (not parsed: the pin is on dedup only)."""
    items = []
    for feed in generate_site(seed=7, now=T0).feeds:
        for demo in feed.items:
            text = " ".join(html.unescape(re.sub(r"<[^>]*>", " ", demo.body_html)).split())
            items.append(
                Item(
                    item_id=hashlib.sha256(demo.guid.encode()).hexdigest()[:32],
                    dedup_key=f"link:{demo.canonical_link}",
                    feed_id=hashlib.sha256(feed.path.encode()).hexdigest()[:16],
                    feed_url=f"https://demo.example{feed.path}",
                    link=demo.canonical_link,
                    title=demo.title,
                    summary=text[:200],
                    content=Content(html=demo.body_html, text=text),
                    published=demo.published,
                    fetched=T0,
                    content_hash=hashlib.sha256(f"{demo.title}{text}".encode()).hexdigest(),
                )
            )
    return items


def _copy(src: Item, tag: str, title: str, *, later_h: float = 0.0) -> Item:
    link = f"{src.link}#{tag}"
    item_id = hashlib.sha256(f"{src.item_id}:{tag}".encode()).hexdigest()[:32]
    published = src.published + timedelta(hours=later_h) if src.published else None
    return src.model_copy(
        update={
            "item_id": item_id,
            "dedup_key": f"link:{link}",
            "link": link,
            "title": title,
            "published": published,
        }
    )


def batches() -> list[list[Incoming]]:
    """The fixed sequence, in batches; the fourth batch is delivered twice (a replay).

    Every third demo item, sent again and again as a syndicated copy ``(n)``: for half of
    them each copy ``COPY_LAG_H`` after the previous (one story; their title buckets
    overflow the cap), for the other half ``FAR_LAG_H`` after (outside the story window: a
    new story each time). A third of the updates go to the first item, so its key's
    history overflows; the others to recently sent items."""
    rng = random.Random(20261129)
    items, sent, offsets, stream = demo_items()[::3], [], [0] * PARTITIONS, []
    created = 0
    for n in range(EVENTS):
        roll = rng.random() if sent else 0.0
        if roll < 0.55:
            at = created % len(items)
            src, copy = items[at], created // len(items)
            created += 1
            lag_h = copy * (COPY_LAG_H if at % 2 else FAR_LAG_H)
            item = _copy(src, f"c{copy}", f"{src.title} ({copy})", later_h=lag_h) if copy else src
            sent.append(item)
        elif roll < 0.75:
            item = rng.choice(sent)
        elif roll < 0.92:
            at = 0 if rng.random() < 0.3 else len(sent) - 1 - rng.randrange(min(len(sent), 6))
            item = sent[at] = sent[at].model_copy(update={"summary": f"Update {n}."})
        else:
            src = rng.choice(sent)
            item = _copy(src, f"a{n}", src.title)
            sent.append(item)
        part = zlib.crc32(item.dedup_key.encode()) % PARTITIONS
        event = Event(EventType.OBSERVED, "urn:newswire:test", item, id=f"e{n}", time=T0)
        stream.append(Incoming(event, Delivery("raw", part, offsets[part])))
        offsets[part] += 1
    out = [stream[i : i + BATCH] for i in range(0, len(stream), BATCH)]
    return [*out[:4], out[3], *out[4:]]


async def run_sequence(store: SeenStore) -> list[list[Any]]:
    """Every event's decision as published (or ``duplicate``), and after each batch the
    count of stories that became clusters (``cluster_formed`` is not in the event)."""
    metrics = Metrics()
    stage, seen = DedupStage(store, metrics), []
    for batch in batches():
        for result in await stage.process(batch):
            if isinstance(result, Done):
                seen.append([result.outcome])
                continue
            assert isinstance(result, Publish)
            item = result.events[0].item
            seen.append(
                [
                    result.outcome,
                    result.events[0].type.value,
                    item.item_id,
                    item.version,
                    list(item.changed_fields),
                    item.story_id,
                    item.alias_of,
                ]
            )
        formed = metrics.registry.get_sample_value("newswire_dedup_clusters_formed_total")
        seen.append(["clusters formed", formed])
    return seen


def sqlite_records(path: Path) -> dict[str, bytes]:
    with sqlite3.connect(path) as db:
        return {str(n): bytes(v) for n, v in db.execute("SELECT name, value FROM records")}


async def redis_records(url: str, namespace: str) -> dict[str, bytes]:
    client = Redis.from_url(url)
    try:
        keys = [k async for k in client.scan_iter(match=f"{namespace}:*", count=1000)]
        values = await client.mget(keys) if keys else []
    finally:
        await client.aclose()
    cut = len(namespace) + 1
    return {k.decode()[cut:]: bytes(v) for k, v in zip(keys, values, strict=True)}


def digests(records: dict[str, bytes]) -> dict[str, str]:
    """Per record kind (``k``, ``f``, ``b2``, ``s2``, ``n``): a sha256 over its records'
    names (sorted) and stored bytes (the golden file stays small; a mismatch names the kind)."""
    kinds: dict[str, Any] = {}
    for name in sorted(records):
        digest = kinds.setdefault(name.split(":", 1)[0], hashlib.sha256())
        digest.update(
            b"%d:%s=%d:%s;" % (len(name), name.encode(), len(records[name]), records[name])
        )
    return {kind: digest.hexdigest() for kind, digest in sorted(kinds.items())}


def golden() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(GOLDEN.read_text())
    return data


async def test_sqlite_decisions_and_records_are_the_golden_ones(tmp_path: Path) -> None:
    store = SqliteSeenStore(tmp_path / "seen.db", PARAMS, 30 * 86400.0)
    try:
        decisions = await run_sequence(store)
    finally:
        await store.aclose()
    expected = golden()
    assert decisions == expected["decisions"]
    assert digests(sqlite_records(tmp_path / "seen.db")) == expected["records"]


@pytest.mark.redis
async def test_redis_decisions_and_records_are_the_golden_ones() -> None:
    from dedup_support import require_redis  # tests/ is on sys.path under pytest only

    url, namespace = require_redis(), f"test:golden:{uuid.uuid4().hex}"
    store = RedisSeenStore(url, namespace, PARAMS, 30 * 86400.0)
    try:
        decisions = await run_sequence(store)
        records = await redis_records(url, namespace)
    finally:
        await store.clear()
        await store.aclose()
    expected = golden()
    assert decisions == expected["decisions"]
    assert digests(records) == expected["records"]


def test_the_sequence_covers_every_verdict_and_a_story_cluster() -> None:
    expected = golden()
    verdicts = {d[0] for d in expected["decisions"]}
    assert verdicts == {"created", "updated", "alias", "duplicate", "clusters formed"}
    stories = [d[5] for d in expected["decisions"] if d[0] == "created"]
    assert len(set(stories)) < len(stories)  # some created items joined a story


if __name__ == "__main__":  # print the golden file of the code as it is
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "seen.db"
        seen = SqliteSeenStore(db, PARAMS, 30 * 86400.0)
        result = asyncio.run(run_sequence(seen))
        seen.close()
        lines = ",\n  ".join(json.dumps(d) for d in result)
        records = json.dumps(digests(sqlite_records(db)), indent=2)
        sys.stdout.write(f'{{"decisions": [\n  {lines}\n],\n"records": {records}}}\n')
