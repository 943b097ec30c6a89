"""The CPU cost of polling many mostly unchanged feeds.

``polling_feeds`` feeds are served by the bench feed server; their state (the ETag each
one last served) is seeded into the feed-state topic, as a producer that has polled them
before would have it. Each round, ``polling_changed`` of the feeds get new items, then the
producer polls them all (``ProducerService.poll_once``): unchanged feeds answer 304,
changed ones are fetched, parsed, normalized and published. The producer's CPU seconds for
the round (this process: fetcher, parser, Kafka client) divided by the poll interval is the
fraction of one core that polling that many feeds at that interval costs.
"""

from __future__ import annotations

import os
import statistics
import time
from contextlib import AsyncExitStack
from typing import Any

import httpx

from bench.config import BenchConfig, bench_settings
from bench.e2e import import_feeds
from bench.procs import FeedServerProc, broker_pid, cpu_delta, snapshot
from newswire.kafka.producer import EventProducer
from newswire.kafka.topics import delete_topics, ensure_topics, pipeline_topics
from newswire.metrics import Metrics
from newswire.settings import Topics
from newswire_producers.feed_state import FeedState, save_states
from newswire_producers.registry import FeedRecord
from newswire_producers.service import ProducerService

Say = Any


async def run_polling(cfg: BenchConfig, say: Say) -> dict[str, Any]:
    settings = bench_settings(cfg, "poll")
    topics = Topics(settings.topic_prefix)
    await ensure_topics(settings.kafka_bootstrap, pipeline_topics(settings))
    rounds: list[dict[str, Any]] = []
    try:
        async with AsyncExitStack() as stack:
            metrics = Metrics()
            producer = await stack.enter_async_context(
                EventProducer(settings, metrics, client_id="bench-poll")
            )
            server = stack.enter_context(
                FeedServerProc(feeds=cfg.polling_feeds, items=cfg.polling_items,
                               new_per_change=max(1, cfg.polling_items // 4), run=cfg.run_id)
            )  # fmt: skip
            say(f"polling: seeding the state of {cfg.polling_feeds} feeds (their ETags)")
            states = [
                FeedState(FeedRecord.new(server.url(i)).feed_id, server.url(i), etag=f'"{i}-0"')
                for i in range(cfg.polling_feeds)
            ]
            for start in range(0, len(states), 1000):
                await save_states(producer, topics.feed_state, states[start : start + 1000])
            service = await ProducerService.open(settings, metrics, stack, producer)
            await import_feeds(service, producer, topics.feeds, server)
            pids = {"producer": os.getpid()}
            if (bp := broker_pid()) is not None:
                pids["broker"] = bp
            async with httpx.AsyncClient(base_url=server.base_url, trust_env=False) as control:
                for r in range(1, cfg.polling_rounds + 1):
                    changed = await control.post(
                        "/_bench/change", params={"fraction": cfg.polling_changed, "round": r}
                    )
                    await control.post("/_bench/reset")
                    say(f"polling: round {r}, {changed.json()['changed']} feeds changed")
                    before, t0 = snapshot(pids), time.monotonic()
                    summary = await service.poll_once()
                    wall, cpu = time.monotonic() - t0, cpu_delta(before, snapshot(pids))
                    counts = (await control.get("/_bench/stats")).json()
                    ok, nm = counts.get("200", 0), counts.get("304", 0)
                    rounds.append(
                        {
                            "wall_s": wall,
                            "cpu_s": cpu.get("producer", 0.0),
                            "broker_cpu_s": cpu.get("broker"),
                            "items": summary.items,
                            "outcomes": dict(summary.outcomes),
                            "not_modified_ratio": nm / (ok + nm) if ok + nm else 0.0,
                        }
                    )
    finally:
        names = [s.name for s in pipeline_topics(settings)]
        await delete_topics(settings.kafka_bootstrap, names)
    cpu_s = statistics.median(r["cpu_s"] for r in rounds)
    return {
        "feeds": cfg.polling_feeds,
        "interval_s": cfg.polling_interval_s,
        "changed_fraction": cfg.polling_changed,
        "cpu_s_per_round": cpu_s,
        "cpu_fraction_of_one_core": cpu_s / cfg.polling_interval_s,
        "not_modified_ratio": statistics.median(r["not_modified_ratio"] for r in rounds),
        "wall_s_per_round": statistics.median(r["wall_s"] for r in rounds),
        "rounds": rounds,
    }
