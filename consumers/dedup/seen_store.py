"""The seen-store: what dedup remembers about every dedup key.

For every key it keeps the item that owns it, the item's current version and content
fingerprints, and the delivery (topic, partition, offset) that last changed the entry.
That delivery is what makes dedup crash-safe (DESIGN.md, Delivery semantics): when the
process dies after the seen-store write and before the offset commit, the same record is
delivered again with the same delivery, and :meth:`SqliteSeenStore.observe_batch` reports it
as a replay instead of a duplicate.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

import orjson

from newswire.kafka.stage import Delivery


class Verdict(StrEnum):
    CREATED = "created"
    UPDATED = "updated"
    DUPLICATE = "duplicate"


@dataclass(frozen=True, slots=True)
class Observation:
    """One item as dedup sees it."""

    key: str
    item_id: str
    fields: dict[str, str]  # field name -> fingerprint
    delivery: Delivery


@dataclass(frozen=True, slots=True)
class Decision:
    verdict: Verdict
    owner_item_id: str  # the item that owns the key
    version: int
    changed_fields: tuple[str, ...] = ()
    replay: bool = False


_SCHEMA = """
CREATE TABLE IF NOT EXISTS seen (
    key TEXT PRIMARY KEY,
    item_id TEXT NOT NULL,
    version INTEGER NOT NULL,
    fields BLOB NOT NULL,
    changed BLOB NOT NULL,
    topic TEXT NOT NULL,
    partition INTEGER NOT NULL,
    off INTEGER NOT NULL,
    first_seen REAL NOT NULL DEFAULT ((julianday('now') - 2440587.5) * 86400.0),
    last_seen REAL NOT NULL DEFAULT ((julianday('now') - 2440587.5) * 86400.0)
) WITHOUT ROWID;
"""


class SqliteSeenStore:
    """The embedded seen-store: one SQLite file per dedup instance.

    Thread-safe (one connection behind a lock) so the stage can call it through
    ``asyncio.to_thread``. ``close`` is idempotent.
    """

    def __init__(self, path: str | Path) -> None:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._db: sqlite3.Connection | None = sqlite3.connect(
            path, check_same_thread=False, isolation_level=None
        )
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(_SCHEMA)

    def observe_batch(self, observations: Sequence[Observation]) -> list[Decision]:
        """Decide every observation and record the new state, atomically for the batch.

        Idempotent per delivery: observing the same delivery again returns the same
        verdict as the first time (the replay rule), never DUPLICATE.
        """
        with self._lock:
            db = self._conn()
            db.execute("BEGIN IMMEDIATE")
            try:
                decisions = [self._observe(db, obs) for obs in observations]
            except BaseException:
                db.execute("ROLLBACK")
                raise
            db.execute("COMMIT")
            return decisions

    def _observe(self, db: sqlite3.Connection, obs: Observation) -> Decision:
        d = obs.delivery
        row = db.execute(
            "SELECT item_id, version, fields, changed, topic, partition, off "
            "FROM seen WHERE key = ?",
            (obs.key,),
        ).fetchone()
        fields = orjson.dumps(obs.fields, option=orjson.OPT_SORT_KEYS)
        if row is None:
            db.execute(
                "INSERT INTO seen (key, item_id, version, fields, changed, topic, partition, off) "
                "VALUES (?, ?, 1, ?, ?, ?, ?, ?)",
                (obs.key, obs.item_id, fields, b"[]", d.topic, d.partition, d.offset),
            )
            return Decision(Verdict.CREATED, obs.item_id, 1)
        owner, version, old_fields, changed, topic, partition, offset = row
        if (topic, partition, offset) == (d.topic, d.partition, d.offset):
            # The record that last changed this key, delivered again: a replay after a
            # crash before the offset commit. Repeat the original decision.
            verdict = Verdict.CREATED if version == 1 else Verdict.UPDATED
            return Decision(verdict, owner, version, tuple(orjson.loads(changed)), replay=True)
        stored: dict[str, str] = orjson.loads(old_fields)
        if owner != obs.item_id or stored == obs.fields:
            return Decision(Verdict.DUPLICATE, owner, version)
        diff = tuple(
            sorted(
                k for k in stored.keys() | obs.fields.keys() if stored.get(k) != obs.fields.get(k)
            )
        )
        db.execute(
            "UPDATE seen SET version = ?, fields = ?, changed = ?, "
            "topic = ?, partition = ?, off = ?, "
            "last_seen = (julianday('now') - 2440587.5) * 86400.0 WHERE key = ?",
            (version + 1, fields, orjson.dumps(diff), d.topic, d.partition, d.offset, obs.key),
        )
        return Decision(Verdict.UPDATED, owner, version + 1, diff)

    def count(self) -> int:
        with self._lock:
            (n,) = self._conn().execute("SELECT count(*) FROM seen").fetchone()
            return int(n)

    def close(self) -> None:
        with self._lock:
            if self._db is not None:
                self._db.close()
                self._db = None

    def _conn(self) -> sqlite3.Connection:
        if self._db is None:
            raise RuntimeError("seen-store is closed")
        return self._db
