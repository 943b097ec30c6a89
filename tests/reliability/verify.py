"""The verifier: once the pipeline is quiet, compare what was served, acknowledged, found in
a topic and stored; and the scenario record that goes into the report.

Quiet = a consumer group's committed offsets reached the end of its input topic. ``lost``
counts acknowledged items that are not stored; ``duplicates`` counts stored rows beyond one
per item id or per dedup key. A scenario without fault evidence is inconclusive, not green.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition

from newswire.kafka.table import read_topic
from schemas.envelope import decode_event


async def committed_offsets(
    bootstrap: str, group: str, topic: str, partitions: int
) -> dict[int, int]:
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=group)
    await consumer.start()
    try:
        parts = [TopicPartition(topic, p) for p in range(partitions)]
        return {tp.partition: (await consumer.committed(tp) or 0) for tp in parts}
    finally:
        await consumer.stop()


async def quiet(
    bootstrap: str, group: str, topic: str, partitions: int, *, timeout_s: float = 60.0
) -> None:
    """Return once ``group``'s committed offsets reach the end of ``topic``."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=group)
    await consumer.start()
    try:
        parts = [TopicPartition(topic, p) for p in range(partitions)]
        async with asyncio.timeout(timeout_s):
            while True:
                ends = await consumer.end_offsets(parts)
                committed = {tp: await consumer.committed(tp) or 0 for tp in parts}
                if all(committed[tp] >= ends[tp] for tp in parts):
                    return
                await asyncio.sleep(0.25)  # polling committed offsets: Kafka has no event
    finally:
        await consumer.stop()


def stored_rows(db: Path) -> tuple[Counter[str], Counter[str]]:
    """Rows of a SQLite item store: counts per item id and per dedup key (read-only)."""
    if not db.exists():
        return Counter(), Counter()
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=10)
    try:
        rows = conn.execute("SELECT item_id, dedup_key FROM items").fetchall()
    finally:
        conn.close()
    return Counter(r[0] for r in rows), Counter(r[1] for r in rows)


async def topic_ids(bootstrap: str, topic: str) -> Counter[str]:
    """Item ids of every record in ``topic`` (a redelivery or retry appears twice)."""
    records = await read_topic(bootstrap, topic)
    return Counter(decode_event(r.headers, r.value).item.item_id for r in records)


@dataclass
class Verdict:
    served: int
    acknowledged: int
    in_topic: int
    in_topic_repeats: int
    stored: int
    lost: int
    duplicates: int

    @property
    def clean(self) -> bool:
        return self.lost == 0 and self.duplicates == 0


async def verify(
    *, bootstrap: str, topic: str, db: Path, served: set[str], acknowledged: set[str]
) -> Verdict:
    in_topic = await topic_ids(bootstrap, topic)
    by_id, by_key = stored_rows(db)
    return Verdict(
        served=len(served),
        acknowledged=len(acknowledged),
        in_topic=len(in_topic),
        in_topic_repeats=sum(in_topic.values()) - len(in_topic),
        stored=len(by_id),
        lost=len(acknowledged - set(by_id)),
        duplicates=sum(n - 1 for n in by_id.values()) + sum(n - 1 for n in by_key.values()),
    )


@dataclass
class ScenarioResult:
    """One row of report.json. ``control_detected`` is None for a scenario without an
    unsafe control run (not a durability scenario)."""

    name: str
    items: int
    lost: int
    duplicates: int
    fault_evidence: dict[str, Any]
    control_detected: bool | None
    passed: bool = False
    seconds: float = 0.0
    notes: str = ""
    control: dict[str, Any] = field(default_factory=dict)

    def judge(self, *, evidence_keys: tuple[str, ...]) -> None:
        """Set ``passed``: clean, the fault demonstrably hit, and the control detected."""
        bit = all(self.fault_evidence.get(k, 0) for k in evidence_keys)
        if not bit:
            self.notes = (self.notes + " inconclusive: no evidence the fault hit").strip()
        self.passed = (
            self.lost == 0 and self.duplicates == 0 and bit and self.control_detected is not False
        )


class Report:
    """Scenario results of one session, written as report.json and report.md."""

    def __init__(self) -> None:
        self.results: list[ScenarioResult] = []

    def add(self, result: ScenarioResult) -> None:
        self.results.append(result)
        print(f"\nreliability: {json.dumps(asdict(result), sort_keys=True)}")

    def write(self, directory: Path, *, seconds: float) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        rows = [asdict(r) for r in self.results]
        (directory / "report.json").write_text(
            json.dumps({"seconds": round(seconds, 1), "scenarios": rows}, indent=2) + "\n"
        )
        lines = [
            "# newswire reliability report (issue 8)",
            "",
            f"{len(rows)} scenarios, {sum(r.passed for r in self.results)} passed, "
            f"session {seconds:.0f} s.",
            "",
            "| scenario | items | lost | duplicates | fault evidence | control detected | passed |",
            "| --- | ---: | ---: | ---: | --- | --- | --- |",
        ]
        for r in self.results:
            evidence = ", ".join(f"{k}={v}" for k, v in r.fault_evidence.items())
            control = (
                "n/a" if r.control_detected is None else ("yes" if r.control_detected else "NO")
            )
            lines.append(
                f"| {r.name} | {r.items} | {r.lost} | {r.duplicates} | {evidence} | {control} "
                f"| {'yes' if r.passed else 'NO'} |"
            )
        notes = [f"- {r.name}: {r.notes}" for r in self.results if r.notes]
        controls = [
            f"- {r.name}: " + ", ".join(f"{k}={v}" for k, v in r.control.items())
            for r in self.results
            if r.control
        ]
        if controls:
            lines += ["", "## Control runs (unsafe configuration)", "", *controls]
        if notes:
            lines += ["", "## Notes", "", *notes]
        (directory / "report.md").write_text("\n".join(lines) + "\n")
