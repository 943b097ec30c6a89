"""The verifier: once the pipeline is quiet, compare what was served, acknowledged, found in
a topic and stored, and turn the verdict into the scenario's report entry
(:func:`verdict_result`). (The scenario record, ``ScenarioResult``, and the ``Report`` live
in tests/scenario_report.py, shared with tests/security; re-exported here.)

Quiet = a consumer group's committed offsets reached the end of its input topic. ``lost``
counts acknowledged items that are not stored; ``duplicates`` counts stored rows beyond one
per item id or per dedup key. A scenario without fault evidence is inconclusive, not green.
"""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.errors import KafkaError
from scenario_report import Report as Report
from scenario_report import ScenarioResult as ScenarioResult

from newswire.kafka.clients import stop_within
from newswire.kafka.reader import read_topic
from newswire_schemas.envelope import EventDecodeError, decode_event


async def committed_offsets(
    bootstrap: str, group: str, topic: str, partitions: int, *, timeout_s: float = 60.0
) -> dict[int, int]:
    """``group``'s committed offset per partition of ``topic``. Asked again until
    ``timeout_s``: a broker thawed a moment ago (SIGCONT) may answer its first metadata
    request with no brokers, and aiokafka then fails with an AssertionError."""
    parts = [TopicPartition(topic, p) for p in range(partitions)]
    deadline = time.monotonic() + timeout_s
    while True:
        consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=group)
        try:
            await consumer.start()
            return {tp.partition: (await consumer.committed(tp) or 0) for tp in parts}
        except (KafkaError, AssertionError):
            if time.monotonic() > deadline:
                raise
        finally:
            await stop_within(consumer.stop)
        await asyncio.sleep(0.5)  # polling a broker that is coming back: no event to wait on


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


async def until(check: Callable[[], Awaitable[bool]], timeout_s: float, what: str) -> None:
    """Return once ``check()`` holds (polled every 0.25 s); AssertionError naming ``what``
    after ``timeout_s``."""
    try:
        async with asyncio.timeout(timeout_s):
            while not await check():  # noqa: ASYNC110 - polling Kafka or a file: no event
                await asyncio.sleep(0.25)
    except TimeoutError:
        raise AssertionError(f"timed out after {timeout_s} s waiting for {what}") from None


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
    """Item ids of every event in ``topic`` (a redelivery or retry appears twice); records
    that are no event (poison) are not counted."""
    ids: Counter[str] = Counter()
    for record in await read_topic(bootstrap, topic):
        with contextlib.suppress(EventDecodeError):
            ids[decode_event(record.headers, record.value).item.item_id] += 1
    return ids


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


def store_rows(store_url: str) -> tuple[Counter[str], Counter[str]]:
    """Rows of the item store at ``store_url`` (SQLite or PostgreSQL): counts per item id
    and per dedup key."""
    if store_url.startswith("sqlite:///"):
        return stored_rows(Path(store_url.removeprefix("sqlite:///")))
    with psycopg.connect(store_url, connect_timeout=10) as conn:
        try:
            rows = conn.execute("SELECT item_id, dedup_key FROM items").fetchall()
        except psycopg.errors.UndefinedTable:  # the store has not migrated yet
            return Counter(), Counter()
    return Counter(r[0] for r in rows), Counter(r[1] for r in rows)


async def verify(
    *, bootstrap: str, topic: str, store_url: str, served: set[str], acknowledged: set[str]
) -> Verdict:
    """Compare what was served and acknowledged with ``topic`` and the store (quiet first)."""
    in_topic = await topic_ids(bootstrap, topic)
    by_id, by_key = await asyncio.to_thread(store_rows, store_url)
    return Verdict(
        served=len(served),
        acknowledged=len(acknowledged),
        in_topic=len(in_topic),
        in_topic_repeats=sum(in_topic.values()) - len(in_topic),
        stored=len(by_id),
        lost=len(acknowledged - set(by_id)),
        duplicates=sum(n - 1 for n in by_id.values()) + sum(n - 1 for n in by_key.values()),
    )


def verdict_result(
    name: str,
    verdict: Verdict,
    evidence: dict[str, Any],
    *,
    started: float,
    unsafe: str | None = None,
    notes: str = "",
    control: dict[str, Any] | None = None,
) -> ScenarioResult:
    """The report entry of a scenario that ``verdict`` judged: items (served), lost and
    duplicates from the verdict, ``evidence`` as the fault evidence, seconds since
    ``started`` (``time.monotonic()``) rounded to 0.1 s; a control run (``unsafe`` set) is
    named ``<name> [control: <unsafe>]``. Not judged yet: ``passed`` stays False until
    :func:`assert_clean` or :func:`assert_control_caught` judges it."""
    return ScenarioResult(
        name=name if unsafe is None else f"{name} [control: {unsafe}]",
        items=verdict.served,
        lost=verdict.lost,
        duplicates=verdict.duplicates,
        fault_evidence=evidence,
        control_detected=None,
        seconds=round(time.monotonic() - started, 1),
        notes=notes,
        control=control or {},
    )


def assert_clean(result: ScenarioResult, report: Report, *evidence: str) -> None:
    """Judge ``result``, add it to the report, and fail unless the fault demonstrably hit
    (every ``evidence`` key non-zero) and nothing was lost or stored twice."""
    result.judge(evidence_keys=evidence)
    report.add(result)
    assert all(result.fault_evidence.get(k) for k in evidence), f"inconclusive: {result}"
    assert result.lost == 0, result
    assert result.duplicates == 0, result
    assert result.passed, result


def assert_control_caught(
    safe: ScenarioResult | None, control: ScenarioResult, report: Report
) -> None:
    """Mark a control run (unsafe configuration) detected when the verifier found loss or
    duplicates, add it to the report, and fail when it did not: the harness would be blind."""
    control.control_detected = control.lost > 0 or control.duplicates > 0
    control.passed = control.control_detected
    control.notes = "unsafe configuration: the verifier must report loss or duplicates"
    report.add(control)
    assert control.control_detected, f"harness blind: unsafe run looked clean: {control}"
