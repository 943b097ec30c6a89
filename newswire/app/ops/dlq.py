"""Dead letters: read them with their reasons, and replay them once after a fix.

Replay design. A replay re-publishes a dead letter to its stage's input topic
with the original key and value, the original headers without the ``dlq_*`` ones, and two
headers saying it was replayed: ``newswire_replayed_from`` (``<dlq topic>:<partition>:
<offset>``) and ``newswire_replayed_at``. Each replayed dead letter is then recorded in the
compacted ledger topic ``<prefix>.dlq-replays``, keyed by that same
``<dlq topic>:<partition>:<offset>``. A later replay skips every dead letter the ledger
holds, so running replay twice publishes nothing the second time, and ``--reason`` can
replay one reason now and the others later (a committed offset could not express that).

Guarantee: at-least-once. The ledger entry is written only after Kafka acknowledged the
replayed record; a crash in between replays that record again on the next run, and the
stages are idempotent (dedup by offset and key, the store by ``item_id`` + version). Two
replays of one stage running at the same time may both publish a dead letter.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import orjson

from newswire.app.ops.names import StageTopics
from newswire.app.ops.offsets import OffsetProbe
from newswire.kafka.producer import EventProducer, Record
from newswire.kafka.reader import Rec, TopicReader, read_table
from newswire.kafka.topics import TopicSpec, ensure_topics
from newswire.metrics import Metrics
from newswire.settings import Settings

REPLAYED_FROM = "newswire_replayed_from"
REPLAYED_AT = "newswire_replayed_at"
_CHUNK = 200

Progress = Callable[[int], None]


@dataclass(frozen=True, slots=True)
class DeadLetterRecord:
    """One record of a DLQ topic, with its ``dlq_*`` headers decoded."""

    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes
    headers: tuple[tuple[str, bytes], ...]

    @classmethod
    def of(cls, rec: Rec) -> DeadLetterRecord:
        return cls(
            rec.topic, rec.partition, rec.offset, rec.key, rec.value or b"", tuple(rec.headers)
        )

    def header(self, name: str) -> str:
        for key, value in self.headers:
            if key == name:
                return value.decode("utf-8", "replace")
        return ""

    @property
    def reason(self) -> str:
        return self.header("dlq_error_class") or "unknown"

    @property
    def ledger_key(self) -> str:
        return f"{self.topic}:{self.partition}:{self.offset}"

    def replay_headers(self, now: datetime) -> list[tuple[str, bytes]]:
        """The original headers (no ``dlq_*``, no earlier replay marks) plus the replay's."""
        kept = [
            (k, v)
            for k, v in self.headers
            if not k.startswith("dlq_") and k not in (REPLAYED_FROM, REPLAYED_AT)
        ]
        return [
            *kept,
            (REPLAYED_FROM, self.ledger_key.encode()),
            (REPLAYED_AT, now.isoformat().encode()),
        ]

    def summary(self, replayed: bool) -> dict[str, Any]:
        """A JSON-ready description: where it failed, why, and whether it was replayed."""
        return {
            "dlq_topic": self.topic,
            "dlq_partition": self.partition,
            "dlq_offset": self.offset,
            "stage": self.header("dlq_stage"),
            "original_topic": self.header("dlq_original_topic"),
            "original_partition": _int(self.header("dlq_original_partition")),
            "original_offset": _int(self.header("dlq_original_offset")),
            "reason": self.reason,
            "message": self.header("dlq_error_message"),
            "time": self.header("dlq_time"),
            "key": (self.key or b"").decode("utf-8", "replace"),
            "ce_type": self.header("ce_type"),
            "replayed": replayed,
        }


def _int(text: str) -> int | None:
    return int(text) if text.lstrip("-").isdigit() else None


async def read_dead_letters(
    settings: Settings, names: StageTopics, progress: Progress | None = None
) -> list[DeadLetterRecord]:
    """Every record of the stage's DLQ (none if the topic does not exist yet)."""
    async with OffsetProbe(settings) as probe:
        if not await probe.existing_partitions(names.dlq):
            return []
    out: list[DeadLetterRecord] = []
    async with TopicReader(
        settings.kafka_bootstrap, names.dlq, from_beginning=True, timeout_s=settings.kafka_timeout_s
    ) as reader:
        async for batch in reader.batches(follow=False):
            out.extend(DeadLetterRecord.of(r) for r in batch)
            if progress is not None:
                progress(len(batch))
    return out


async def replayed_keys(settings: Settings, names: StageTopics) -> set[str]:
    """The ledger: keys of every dead letter already replayed (any stage)."""
    async with OffsetProbe(settings) as probe:
        if not await probe.existing_partitions(names.replays):
            return set()
    table = await read_table(
        settings.kafka_bootstrap, names.replays, timeout_s=settings.kafka_timeout_s
    )
    return {k.decode() for k in table}


@dataclass(frozen=True, slots=True)
class ReplayReport:
    total: int  # dead letters in the DLQ
    already: int  # of which replayed earlier
    selected: tuple[DeadLetterRecord, ...]  # to replay now (or would, in a dry run)
    published: int


def select(
    letters: Iterable[DeadLetterRecord], done: set[str], reason: str | None
) -> list[DeadLetterRecord]:
    """Dead letters not yet replayed, with ``reason`` if given."""
    return [
        dl
        for dl in letters
        if dl.ledger_key not in done and (reason is None or dl.reason == reason)
    ]


async def replay(
    settings: Settings,
    names: StageTopics,
    *,
    reason: str | None = None,
    dry_run: bool = False,
    progress: Progress | None = None,
) -> ReplayReport:
    """Re-publish the stage's dead letters not replayed before to its input topic.

    See the module docstring for the guarantees. ``progress`` is called with the number of
    records published after each acknowledged chunk. Raises :class:`BrokerUnavailable`.
    """
    letters = await read_dead_letters(settings, names)
    done = await replayed_keys(settings, names)
    chosen = select(letters, done, reason)
    already = sum(1 for dl in letters if dl.ledger_key in done)
    if dry_run or not chosen:
        return ReplayReport(len(letters), already, tuple(chosen), 0)
    spec = TopicSpec(
        names.replays,
        1,
        settings.topic_replication_factor,
        {"cleanup.policy": "compact", "min.compaction.lag.ms": "0"},
    )
    await ensure_topics(settings.kafka_bootstrap, [spec], settings.kafka_timeout_s)
    published = 0
    async with EventProducer(
        settings, Metrics(), client_id=f"newswire-replay-{names.stage}"
    ) as producer:
        for start in range(0, len(chosen), _CHUNK):
            chunk = chosen[start : start + _CHUNK]
            now = datetime.now(UTC)
            await producer.publish(
                [Record(names.input, dl.key, dl.value, dl.replay_headers(now)) for dl in chunk]
            )
            await producer.publish([_ledger_record(names, dl, now) for dl in chunk])
            published += len(chunk)
            if progress is not None:
                progress(len(chunk))
    return ReplayReport(len(letters), already, tuple(chosen), published)


def _ledger_record(names: StageTopics, dl: DeadLetterRecord, now: datetime) -> Record:
    value = orjson.dumps(
        {
            "stage": names.stage,
            "to_topic": names.input,
            "reason": dl.reason,
            "replayed_at": now.isoformat(),
        }
    )
    return Record(
        names.replays, dl.ledger_key.encode(), value, [("content-type", b"application/json")]
    )
