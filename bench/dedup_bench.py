"""Cost of the dedup stage per item, in process, no Kafka ("seen-store latency").

Realistic raw events: the demo site's items and the real-world captures of
``../shared/corpus`` (parsed with ``parse_feed`` + ``normalize``), sent as a fixed mix of

- new items (each source item once, then again under a fresh identity with a retouched
  title: a new content fingerprint, the same story, as syndicated copies are),
- re-sightings of an item sent before (unchanged: ``duplicate``),
- updates of an item sent before (title or summary changed: ``updated``),
- aliases (an item sent before under a new guid and link: ``alias``),

on three partitions with increasing offsets, in batches, through ``DedupStage.process`` on
a seen-store that already holds ``--warm`` events. Per phase µs/item: ``fingerprints``
(field + content fingerprints) and ``sketch`` are timed on a pre-pass over the same items
(they are pure), ``seen_store`` is ``observe_batch`` inside ``process``; ``stage`` is the
whole of ``process``. Run::

    .venv/bin/python -m bench.dedup_bench --backend both
    .venv/bin/python -m bench.dedup_bench --backend sqlite --profile .local/bench/dedup

``--profile`` writes pyinstrument ``.html``/``.txt`` profiles of the measured batches (the
SQLite work then runs on the main thread, where pyinstrument sees it).

``--e2e-feeds N`` measures the end-to-end bench's dedup workload instead (its per-item
CPU matches the ``bench.stageproc dedup`` service's): ``--warm`` load-generator clones
(``bench.loadgen``), then the items of N bench feeds of 20 new items (``bench.feedserver``:
three real articles per body, so long bodies and many story candidates), all new::

    .venv/bin/python -m bench.dedup_bench --backend sqlite --e2e-feeds 500 --batch 500
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import random
import tempfile
import time
import uuid
import zlib
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.enrich_bench import corpus_items, demo_items
from newswire.kafka.stage import Delivery, Incoming
from newswire_consumers.dedup import ledger
from newswire_consumers.dedup.clustering import sketch
from newswire_consumers.dedup.fingerprint import content_fingerprint, field_fingerprints
from newswire_consumers.dedup.redis_seen_store import RedisSeenStore
from newswire_consumers.dedup.seen_store import Decision, Observation, SeenStore, StoreStats
from newswire_consumers.dedup.sqlite_seen_store import SqliteSeenStore
from newswire_consumers.dedup.stage import DedupStage
from newswire_schemas import Event, EventType, Item

REDIS_URL = "redis://127.0.0.1:6390/0"
PARAMS = ledger.Params(story_threshold=0.6, story_window_s=3 * 86400.0)
PARTITIONS = 3
KINDS = ("new", "resighting", "update", "alias")
WEIGHTS = (0.55, 0.25, 0.12, 0.08)  # the share of each kind of event


def _id(*parts: object) -> str:
    return hashlib.sha256(repr(parts).encode()).hexdigest()[:32]


def event_stream(items: Sequence[Item], n: int, seed: int = 4) -> list[Incoming]:
    """``n`` raw events of the module docstring's mix; the same arguments give the same
    events (ids, offsets and all)."""
    rng = random.Random(seed)
    sent: list[Item] = []  # the latest version of every item sent
    offsets = [0] * PARTITIONS
    out: list[Incoming] = []
    cursor = 0
    for _ in range(n):
        kind = rng.choices(KINDS, WEIGHTS)[0] if sent else "new"
        if kind == "new":
            src, copy = items[cursor % len(items)], cursor // len(items)
            cursor += 1
            item = src if not copy else _identity(src, copy, title=f"{src.title} ({copy})")
            sent.append(item)
        elif kind == "resighting":
            item = rng.choice(sent)
        elif kind == "update":
            at = rng.randrange(len(sent))
            old = sent[at]
            item = sent[at] = old.model_copy(
                update={"summary": f"{old.summary} Updated {rng.randrange(1000)}."}
            )
        else:
            src = rng.choice(sent)
            item = _identity(src, f"alias{rng.randrange(1 << 30)}", title=src.title)
            sent.append(item)
        part = zlib.crc32(item.dedup_key.encode()) % PARTITIONS
        event = Event(EventType.OBSERVED, "urn:newswire:bench", item)
        out.append(Incoming(event, Delivery("raw", part, offsets[part])))
        offsets[part] += 1
    return out


def e2e_stream(feeds: int, warm: int) -> list[Incoming]:
    """The end-to-end bench's dedup input (module docstring): ``warm`` clones of the load
    generator's items, then every item of ``feeds`` bench feeds; the same arguments give
    the same events."""
    from bench.corpus import load_templates  # only for this workload: parses the corpus
    from bench.feedserver import FeedSet
    from bench.loadgen import base_items
    from newswire_producers.normalize.normalizer import normalize
    from newswire_producers.parse.parser import parse_feed

    at = datetime(2026, 11, 29, tzinfo=UTC)
    base = base_items("dedup-bench")
    items = [
        base[n % len(base)].model_copy(update={**_clone(n), "fetched": at}) for n in range(warm)
    ]
    feed_set = FeedSet(load_templates(), feeds, 20, 20, "dedup-bench")
    for i in range(feeds):
        url = f"{feed_set.base}/f/{i}.xml"
        items.extend(normalize(parse_feed(feed_set.render(i), url=url), feed_url=url, fetched=at))
    return [
        Incoming(Event(EventType.OBSERVED, "urn:newswire:bench", item), Delivery("raw", n % 3, n))
        for n, item in enumerate(items)
    ]


def _clone(n: int) -> dict[str, str]:
    """A fresh identity, as ``bench.loadgen.LoadGen`` gives each event."""
    uid = hashlib.sha256(f"dedup-bench:{n}".encode()).hexdigest()
    link = f"http://127.0.0.1:9/l/dedup-bench/{n}"
    return {
        "item_id": uid[:32],
        "dedup_key": f"link:{link}",
        "link": link,
        "guid": f"urn:bench:dedup-bench:{n}",
        "content_hash": uid,
    }


def _identity(src: Item, tag: object, *, title: str) -> Item:
    link = f"{src.link}#{tag}"
    return src.model_copy(
        update={
            "item_id": _id(src.item_id, tag),
            "dedup_key": f"link:{link}",
            "link": link,
            "title": title,
        }
    )


class TimedStore:
    """A seen-store proxy that sums the time spent in ``observe_batch``; with ``inline``
    an SQLite store runs on the calling thread (for the profiler)."""

    def __init__(self, store: SeenStore, *, inline: bool) -> None:
        self.store = store
        self.inline = inline and isinstance(store, SqliteSeenStore)
        self.seconds = 0.0

    async def observe_batch(self, observations: Sequence[Observation]) -> list[Decision]:
        t0 = time.perf_counter()
        try:
            if self.inline and isinstance(self.store, SqliteSeenStore):
                return self.store.observe_batch_sync(observations)
            return await self.store.observe_batch(observations)
        finally:
            self.seconds += time.perf_counter() - t0

    async def stats(self) -> StoreStats:
        return await self.store.stats()

    async def aclose(self) -> None:
        await self.store.aclose()


async def measure(
    backend: str, events: list[Incoming], warm: int, batch: int, profile: Path | None
) -> dict[str, Any]:
    """Process ``events[:warm]`` unmeasured, then the rest, timed per phase."""
    namespace = f"bench:dedup:{uuid.uuid4().hex}"
    with tempfile.TemporaryDirectory(prefix="dedup-bench-") as tmp:
        real: SeenStore
        if backend == "redis":
            real = RedisSeenStore(REDIS_URL, namespace, PARAMS, 86400.0)
        else:
            real = SqliteSeenStore(Path(tmp) / "seen.db", PARAMS, 86400.0)
        store = TimedStore(real, inline=profile is not None)
        stage = DedupStage(store, backend=backend)
        try:
            for start in range(0, warm, batch):
                await stage.process(events[start : min(start + batch, warm)])
            store.seconds = 0.0
            return await _timed(stage, store, events[warm:], batch, backend, profile)
        finally:
            if isinstance(real, RedisSeenStore):
                await real.clear()
            await store.aclose()


async def _timed(
    stage: DedupStage,
    store: TimedStore,
    events: list[Incoming],
    batch: int,
    backend: str,
    profile: Path | None,
) -> dict[str, Any]:
    profiler = None
    if profile is not None:
        from pyinstrument import Profiler  # only when profiling

        profiler = Profiler(interval=0.0005, async_mode="disabled")
    fp_s = sketch_s = stage_s = 0.0
    outcomes: dict[str, int] = {}
    cpu0 = time.process_time()
    for start in range(0, len(events), batch):
        chunk = events[start : start + batch]
        t0 = time.perf_counter()
        for inc in chunk:
            field_fingerprints(inc.event.item)
            content_fingerprint(inc.event.item)
        t1 = time.perf_counter()
        for inc in chunk:
            sketch(inc.event.item)
        t2 = time.perf_counter()
        if profiler is not None:
            profiler.start()
        results = await stage.process(chunk)
        if profiler is not None:
            profiler.stop()
        stage_s += time.perf_counter() - t2
        fp_s, sketch_s = fp_s + t1 - t0, sketch_s + t2 - t1
        for r in results:
            outcomes[r.outcome] = outcomes.get(r.outcome, 0) + 1  # type: ignore[union-attr]
    cpu = time.process_time() - cpu0 - fp_s - sketch_s  # the pre-pass is pure CPU
    n = len(events)
    if profiler is not None and profile is not None:
        _write_profile(profiler, Path(f"{profile}-{backend}"))
    us = 1e6 / n
    return {
        "backend": backend,
        "items": n,
        "batch": batch,
        "outcomes": dict(sorted(outcomes.items())),
        "items_per_s": round(n / stage_s, 1),
        "items_per_cpu_s": round(n / cpu, 1),
        "us_per_item": {
            "stage": round(stage_s * us, 1),
            "fingerprints": round(fp_s * us, 1),
            "sketch": round(sketch_s * us, 1),
            "seen_store": round(store.seconds * us, 1),
            "other": round((stage_s - store.seconds - fp_s - sketch_s) * us, 1),
        },
    }


def load_items(path: Path | None) -> list[Item]:
    """The demo and corpus items; with ``path``, read from that JSON Lines file, which is
    written first when missing (so runs of two source trees compare the same items)."""
    if path is not None and path.exists():
        lines = path.read_bytes().splitlines()
        return [Item.model_validate_json(line) for line in lines]
    items = demo_items() + corpus_items()
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"".join(i.model_dump_json().encode() + b"\n" for i in items))
    return items


def _write_profile(profiler: Any, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.with_suffix(".html").write_text(profiler.output_html())
    path.with_suffix(".txt").write_text(profiler.output_text(show_all=False))


async def run(
    smoke: bool = False,
    backends: Sequence[str] = ("sqlite", "redis"),
    events: int = 4000,
    warm: int = 2000,
    batch: int = 250,
    profile: Path | None = None,
    items_file: Path | None = None,
    e2e_feeds: int = 0,
) -> dict[str, Any]:
    """The figures of every backend (``smoke``: a few hundred events, measures nothing;
    ``e2e_feeds``: the end-to-end workload of the module docstring, ``events`` unused).
    A coroutine, so ``bench/area_benches.py`` can await it inside its event loop."""
    if smoke:
        events, warm = 300, 100
    if e2e_feeds:
        stream = await asyncio.to_thread(e2e_stream, e2e_feeds, warm)
    else:
        items = await asyncio.to_thread(load_items, items_file)
        stream = event_stream(items, warm + events)
    return {b: await measure(b, stream, warm, batch, profile) for b in backends}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--backend", choices=("sqlite", "redis", "both"), default="both")
    parser.add_argument("--events", type=int, default=4000, help="measured events")
    parser.add_argument("--warm", type=int, default=2000, help="events stored before measuring")
    parser.add_argument("--batch", type=int, default=250, help="events per process() call")
    parser.add_argument("--profile", type=Path, help="write pyinstrument profiles PATH-<backend>.*")
    parser.add_argument("--smoke", action="store_true", help="a few hundred events")
    parser.add_argument("--items", type=Path, help="JSON Lines of items: read, or written first")
    parser.add_argument(
        "--e2e-feeds", type=int, default=0, help="the e2e bench's workload: N feeds x 20 items"
    )
    args = parser.parse_args()
    backends = ("sqlite", "redis") if args.backend == "both" else (args.backend,)
    figures = asyncio.run(
        run(
            args.smoke,
            backends,
            args.events,
            args.warm,
            args.batch,
            args.profile,
            args.items,
            args.e2e_feeds,
        )
    )
    print(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
