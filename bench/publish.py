"""Tuned producer settings against naive ones, pair by pair on the same records.

Tuned: :class:`newswire.kafka.producer.EventProducer` as the pipeline runs it (acks=all,
idempotence, the configured compression, ``linger_ms``). Naive: a raw ``AIOKafkaProducer``
with acks=1, no idempotence, no compression and ``linger_ms=0`` (no batching delay). Both
publish the same pre-built records the same way (send 500, await their acks); the rounds
alternate A B / B A so that drift on a noisy machine falls on both sides, and each ratio is
taken within a pair.
"""

from __future__ import annotations

import asyncio
import os
import time
from typing import Any

from aiokafka import AIOKafkaProducer

from bench.config import BenchConfig, bench_settings
from bench.loadgen import LoadGen, base_items
from bench.procs import broker_pid, cpu_delta, snapshot
from bench.stats import paired_ratio
from newswire.kafka.producer import EventProducer, Record
from newswire.kafka.topics import TopicSpec, delete_topics, ensure_topics
from newswire.metrics import Metrics

Say = Any
_CHUNK = 500


async def _naive_publish(producer: AIOKafkaProducer, records: list[Record]) -> None:
    for start in range(0, len(records), _CHUNK):
        futures = [
            await producer.send(r.topic, r.value, key=r.key, headers=r.headers)
            for r in records[start : start + _CHUNK]
        ]
        await asyncio.gather(*futures)


async def _tuned_publish(producer: EventProducer, records: list[Record]) -> None:
    for start in range(0, len(records), _CHUNK):
        await producer.publish(records[start : start + _CHUNK])


async def run_publish(cfg: BenchConfig, say: Say) -> dict[str, Any]:
    settings = bench_settings(cfg, "publish")
    topic = f"{settings.topic_prefix}.publish"
    await ensure_topics(settings.kafka_bootstrap, [TopicSpec(topic, settings.topic_partitions)])
    gen = LoadGen(base_items(cfg.run_id), topic, f"{cfg.run_id}-pub")
    records = [gen.record() for _ in range(cfg.publish_events)]
    pids = {"bench": os.getpid()}
    if (bp := broker_pid()) is not None:
        pids["broker"] = bp
    sides: dict[str, list[dict[str, float]]] = {"tuned": [], "naive": []}
    naive = AIOKafkaProducer(
        bootstrap_servers=settings.kafka_bootstrap, acks=1, enable_idempotence=False,
        compression_type=None, linger_ms=0, client_id="bench-naive",
    )  # fmt: skip
    try:
        await naive.start()
        async with EventProducer(settings, Metrics(), client_id="bench-tuned") as tuned:
            await _tuned_publish(tuned, records[:_CHUNK])  # connections and metadata warm
            await _naive_publish(naive, records[:_CHUNK])
            for r in range(cfg.publish_rounds):
                order = ("tuned", "naive") if r % 2 == 0 else ("naive", "tuned")
                for side in order:
                    before, t0 = snapshot(pids), time.monotonic()
                    if side == "tuned":
                        await _tuned_publish(tuned, records)
                    else:
                        await _naive_publish(naive, records)
                    wall, cpu = time.monotonic() - t0, cpu_delta(before, snapshot(pids))
                    sides[side].append(
                        {
                            "items_per_s": len(records) / wall,
                            "client_cpu_s_per_1k": cpu["bench"] / len(records) * 1000,
                            "broker_cpu_s_per_1k": cpu.get("broker", 0.0) / len(records) * 1000,
                        }
                    )
                say(f"publish: pair {r + 1}/{cfg.publish_rounds} done")
    finally:
        await naive.stop()
        await delete_topics(settings.kafka_bootstrap, [topic])

    def col(side: str, key: str) -> list[float]:
        return [x[key] for x in sides[side]]

    return {
        "events_per_round": cfg.publish_events,
        "tuned": sides["tuned"],
        "naive": sides["naive"],
        "throughput_ratio_tuned_over_naive": paired_ratio(
            col("tuned", "items_per_s"), col("naive", "items_per_s")
        ),
        "broker_cpu_ratio_tuned_over_naive": paired_ratio(
            col("tuned", "broker_cpu_s_per_1k"), col("naive", "broker_cpu_s_per_1k")
        ),
    }
