"""End to end on the real broker, and the offered-load sweep.

Layout: the feed server and each consuming stage (dedup, enrich, store) run as their own
processes; the producer (``ProducerService.poll_once``) and the load generator run in this
process. Steps:

1. warm-up: ``warmup_items`` raw events through every stage (consumer groups joined,
   connections open, caches warm); not measured;
2. measured window: one poll of ``e2e_feeds`` feeds whose items are all new, until the
   store has them all. Items/s end to end = items / (poll start -> last store commit); CPU
   per service and the broker's are the deltas over that window;
3. sweep: the load generator offers R = fractions of that max for ``sweep_seconds`` each
   (``fetched`` = publish time); fetched->stored percentiles and achieved throughput per R.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import time
from contextlib import AsyncExitStack
from pathlib import Path
from typing import Any

from bench.config import BenchConfig, bench_settings, settings_env
from bench.loadgen import LoadGen, base_items
from bench.procs import (
    STAGES,
    FeedServerProc,
    StageProcs,
    broker_pid,
    cpu_delta,
    peak_rss_bytes,
    snapshot,
    stage_env,
)
from bench.stats import percentiles
from newswire.kafka.producer import EventProducer
from newswire.kafka.topics import delete_topics, ensure_topics, pipeline_topics
from newswire.metrics import Metrics
from newswire.settings import Settings, Topics
from newswire_producers.registry import FeedRecord, publish_feeds
from newswire_producers.service import ProducerService

Say = Any


def _stage_snapshot(procs: StageProcs) -> dict[str, tuple[float, float]]:
    out = {}
    for stage in STAGES:
        s = procs.stats(stage)
        out[stage] = (float(s.get("consumed", 0.0)), float(s.get("busy_s", 0.0)))
    return out


def seen_store_bytes_per_key(data_dir: Path) -> float | None:
    """Bytes on disk of the dedup seen-store (SQLite db + WAL) over the keys it holds.

    The keys are the rows of the store's largest table (the key table, whatever the seen-
    store's schema calls it). None when there is no SQLite seen-store to read.
    """
    files = list(data_dir.glob("seen-*.db*"))
    db = next((f for f in files if f.name.endswith(".db")), None)
    if db is None:
        return None
    try:
        with contextlib.closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True)) as conn:
            tables = [r[0] for r in conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
            )]  # fmt: skip
            keys = max((conn.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] for t in tables),
                       default=0)  # fmt: skip
    except sqlite3.Error:
        return None
    size = sum(f.stat().st_size for f in files)
    return size / keys if keys else None


async def import_feeds(
    service: ProducerService, producer: EventProducer, topic: str, server: FeedServerProc
) -> None:
    """Register the server's feeds (straight into the registry topic), then load them."""
    records = [FeedRecord.new(server.url(i), f"bench feed {i}") for i in range(server.feeds)]
    for start in range(0, len(records), 1000):
        await publish_feeds(producer, topic, records[start : start + 1000])
    await service.load()


async def run_e2e(cfg: BenchConfig, say: Say) -> dict[str, Any]:
    settings = bench_settings(cfg, "e2e")
    await ensure_topics(settings.kafka_bootstrap, pipeline_topics(settings))
    procs = StageProcs(
        stage_env(settings_env(settings)), cfg.out_dir / "runs" / cfg.run_id / "stages",
        profile_dir=cfg.out_dir if cfg.profile else None,
    )  # fmt: skip
    procs.start()
    try:
        result = await _measure(cfg, settings, procs, say)
        procs.stop()  # dedup closes its seen-store: the WAL is checkpointed
        result["seen_store_bytes_per_key"] = seen_store_bytes_per_key(settings.data_dir)
        result["seen_store_files"] = sorted(p.name for p in settings.data_dir.glob("seen-*"))
        return result
    finally:
        procs.stop()
        await _cleanup(settings)


async def _cleanup(settings: Settings) -> None:
    with contextlib.suppress(Exception):
        names = [s.name for s in pipeline_topics(settings)]
        await delete_topics(settings.kafka_bootstrap, names)


async def _measure(
    cfg: BenchConfig, settings: Settings, procs: StageProcs, say: Say
) -> dict[str, Any]:
    topics = Topics(settings.topic_prefix)
    gen = LoadGen(base_items(cfg.run_id), topics.raw, f"{cfg.run_id}-load")
    result: dict[str, Any] = {}
    async with AsyncExitStack() as stack:
        metrics = Metrics()
        producer = await stack.enter_async_context(
            EventProducer(settings, metrics, client_id="bench-e2e")
        )
        service = await ProducerService.open(settings, metrics, stack, producer)

        say(f"e2e: warm-up, {cfg.warmup_items} events through every stage")
        await gen.burst(producer, cfg.warmup_items)
        await procs.wait_stored(cfg.warmup_items, timeout_s=300)
        stored_before = cfg.warmup_items

        server = stack.enter_context(
            FeedServerProc(feeds=cfg.e2e_feeds, items=cfg.e2e_items, new_per_change=cfg.e2e_items,
                           run=cfg.run_id)
        )  # fmt: skip
        await import_feeds(service, producer, topics.feeds, server)

        pids = {"producer": os.getpid(), **procs.pids}
        if (bp := broker_pid()) is not None:
            pids["broker"] = bp
        say(f"e2e: measured window, {cfg.e2e_feeds} feeds x {cfg.e2e_items} new items")
        profiler = _start_profiler(cfg)
        before, stage_before = snapshot(pids), _stage_snapshot(procs)
        t0 = time.time()
        summary = await service.poll_once()
        poll_s = time.time() - t0
        t_end = await procs.wait_stored(stored_before + summary.items, timeout_s=600)
        after, stage_after = snapshot(pids), _stage_snapshot(procs)
        _stop_profiler(profiler, cfg, "producer")
        items = summary.items
        wall = max(1e-9, t_end - t0)
        cpu = cpu_delta(before, after)
        result["items"] = items
        result["fetch_outcomes"] = dict(summary.outcomes)
        result["e2e_items_per_s"] = items / wall
        result["window_s"] = wall
        result["burst_latency_ms"] = _ms(percentiles(procs.latencies(t0, t_end + 1)))
        stages: dict[str, Any] = {"producer": {"items_per_s": items / max(poll_s, 1e-9)}}
        for stage in STAGES:
            n = stage_after[stage][0] - stage_before[stage][0]
            busy = stage_after[stage][1] - stage_before[stage][1]
            stages[stage] = {
                "items_per_s": n / busy if busy > 0 else 0.0,  # busy capacity
                "wall_items_per_s": n / wall,
                "records": n,
            }
        result["stages"] = stages
        result["cpu_s"] = cpu
        result["cpu_s_per_1k_items"] = (
            {k: v / items * 1000 for k, v in cpu.items()} if items else {}
        )
        result["peak_rss_bytes"] = {"producer": peak_rss_bytes(os.getpid())}

        result["sweep"] = await _sweep(cfg, gen, producer, procs, result["e2e_items_per_s"], say)
    result["peak_rss_bytes"].update(_peaks_now(procs))
    return result


def _peaks_now(procs: StageProcs) -> dict[str, int]:
    return {name: peak_rss_bytes(pid) for name, pid in procs.pids.items()}


async def _sweep(
    cfg: BenchConfig,
    gen: LoadGen,
    producer: EventProducer,
    procs: StageProcs,
    max_rate: float,
    say: Say,
) -> list[dict[str, Any]]:
    points = []
    stored = sum(
        v for k, v in procs.stats("store").get("outcomes", {}).items() if "stage=store" in k
    )
    for fraction in cfg.sweep_fractions:
        rate = max(1.0, fraction * max_rate)
        say(f"sweep: offering {rate:.0f} items/s ({fraction:.0%} of max) for {cfg.sweep_seconds}s")
        t0 = time.time()
        sent, seconds = await gen.publish_at(producer, rate, cfg.sweep_seconds)
        stored += sent
        t_last = await procs.wait_stored(stored, timeout_s=300)
        lat = procs.latencies(t0, t0 + seconds + 0.001)
        points.append(
            {
                "fraction": fraction,
                "offered_items_per_s": sent / seconds,
                "achieved_items_per_s": len(lat) / max(1e-9, t_last - t0),
                "latency_ms": _ms(percentiles(lat)),
                "items": sent,
            }
        )
    return points


def _ms(p: dict[str, float]) -> dict[str, float]:
    return {k: v if k == "n" else v * 1000 for k, v in p.items()}


def _start_profiler(cfg: BenchConfig) -> Any:
    if not cfg.profile:
        return None
    from pyinstrument import Profiler

    profiler = Profiler(async_mode="enabled")
    profiler.start()
    return profiler


def _stop_profiler(profiler: Any, cfg: BenchConfig, name: str) -> None:
    if profiler is None:
        return
    profiler.stop()
    base = cfg.out_dir / f"profile-{name}"
    base.with_suffix(".html").write_text(profiler.output_html())
    base.with_suffix(".txt").write_text(profiler.output_text(unicode=True))
