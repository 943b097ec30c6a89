"""The embedded item store: SQLite (WAL) with an FTS5 full-text index.

Delivery is at-least-once, so writes are idempotent by ``item_id`` + ``version``: a
redelivered item never makes a second row and an older version never replaces a newer one.

The schema and its migrations: :mod:`newswire_consumers.store.sqlite_sql`.

Errors: :class:`StoreUnavailable` (retriable) when SQLite cannot do the work now (locked
past the busy timeout, disk full, I/O); :class:`~newswire.errors.ConfigError` when the file
cannot be a store (not a database, made by a newer newswire, no FTS5).
"""

from __future__ import annotations

import re
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from datetime import datetime
from pathlib import Path
from typing import Any

import orjson

from newswire.closing import Closing
from newswire.errors import ConfigError
from newswire.sanitizer import html_to_text
from newswire_consumers.store import sqlite_sql as sql
from newswire_consumers.store.store import (
    HEX_PREFIX,
    AmbiguousItemId,
    ItemFilter,
    Page,
    SearchHit,
    StoreUnavailable,
    UpsertResult,
    decode_cursor,
    encode_cursor,
    normalize_language,
    utc_text,
)
from newswire_consumers.store.text import author_names, body_text
from newswire_schemas.item import Item

__all__ = [
    "AmbiguousItemId",
    "SearchHit",
    "SqliteStore",
    "StoreUnavailable",
    "UpsertResult",
    "fts_query",
]

BUSY_TIMEOUT_SECONDS = 10.0
_WORD = re.compile(r"\w")
SCHEMA_VERSION = sql.SCHEMA_VERSION

_utc = utc_text


def _filter_params(where: ItemFilter | None) -> dict[str, Any]:
    w = where or ItemFilter()
    return {
        "feed_url": w.feed_url,
        "lang": w.lang(),
        "since": _utc(w.since) if w.since else None,
        "until": _utc(w.until) if w.until else None,
        "story_id": w.story_id,
    }


def fts_query(text: str) -> str:
    """The user's words as a safe FTS5 query: each word a quoted phrase, all required.

    Operators (``AND``, ``NEAR(``, ``(``, ``:``, ``^``) become plain words and quotes are
    escaped, so no input raises. A trailing ``*`` on a word keeps its meaning (prefix
    search). Words with no letter or digit are dropped; returns "" if none remain.
    """
    terms = []
    for word in text.split():
        prefix = word.endswith("*")
        word = word.rstrip("*")
        if _WORD.search(word):
            terms.append('"' + word.replace('"', '""') + '"' + ("*" if prefix else ""))
    return " ".join(terms)


@contextmanager
def _transaction(conn: sqlite3.Connection) -> Iterator[None]:
    # BEGIN IMMEDIATE takes the write lock up front: a deferred transaction that later
    # needs to write can fail with SQLITE_BUSY without waiting for the busy timeout.
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise


def _unavailable(path: str, exc: sqlite3.Error) -> StoreUnavailable:
    return StoreUnavailable(f"SQLite store {path!r}: {exc}")


def _fts_row(item: Item) -> tuple[str, str, str, str, str]:
    body = body_text(item)
    summary = html_to_text(item.summary)
    return (
        item.title,
        "" if summary == body else summary,  # do not count the summary twice
        body,
        " ; ".join(author_names(item)),
        " ; ".join(item.categories),
    )


def _columns(item: Item) -> dict[str, Any]:
    lang = item.language.detected or item.language.declared
    return {
        "item_id": item.item_id,
        "version": item.version,
        "dedup_key": item.dedup_key,
        "feed_url": item.feed_url,
        "link": item.link,
        "title": item.title,
        "published": _utc(item.published) if item.published else None,
        "fetched": _utc(item.fetched),
        "sort_time": _utc(item.published or item.fetched),
        "story_id": item.story_id,
        "language": normalize_language(lang),
        "data": orjson.dumps(item.model_dump(mode="python")),
    }


class SqliteStore(Closing):
    """Items in one SQLite file: idempotent upserts, lookups, full-text search.

    Thread-safe: one connection (``check_same_thread=False``) guarded by a lock, so the
    consumer may call it through ``asyncio.to_thread``. Calls block; a cancelled
    ``to_thread`` call still runs to its end in its thread, and each write is one
    transaction, all or nothing. Other processes may read the file meanwhile (WAL).
    Any call after :meth:`close` raises ``RuntimeError``.
    """

    def __init__(self, path: str | Path) -> None:
        """Open (creating parent directories and the file) and migrate the schema.

        Raises :class:`ConfigError` if the file is not a store this version can use.
        """
        self.path = str(path)
        Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._conn: sqlite3.Connection | None = sqlite3.connect(
            self.path,
            timeout=BUSY_TIMEOUT_SECONDS,
            isolation_level=None,  # we issue BEGIN/COMMIT ourselves
            check_same_thread=False,
        )
        try:
            self._conn.execute("PRAGMA journal_mode = WAL")
            self._conn.execute("PRAGMA synchronous = NORMAL")
            self._migrate(self._conn)
        except sqlite3.DatabaseError as exc:
            self._conn.close()
            self._conn = None
            if getattr(exc, "sqlite_errorname", "").startswith(("SQLITE_BUSY", "SQLITE_LOCKED")):
                raise _unavailable(self.path, exc) from exc
            raise ConfigError(f"cannot use {self.path!r} as an item store: {exc}") from exc
        except BaseException:
            self._conn.close()
            self._conn = None
            raise

    @classmethod
    def from_url(cls, url: str) -> SqliteStore:
        """Open the store a ``NEWSWIRE_STORE_URL`` names.

        ``sqlite:///relative/path.db`` (relative to the working directory) or
        ``sqlite:////absolute/path.db``. Raises :class:`ConfigError` for any other form
        (other schemes, a host, no path, query parameters).
        """
        prefix = "sqlite:///"
        if not url.startswith(prefix):
            raise ConfigError(f"not a SQLite store URL (want sqlite:///path): {url!r}")
        path = url[len(prefix) :]
        if not path or path.endswith("/"):
            raise ConfigError(f"SQLite store URL has no file path: {url!r}")
        if "?" in path or "#" in path:
            raise ConfigError(f"SQLite store URL takes no query or fragment: {url!r}")
        return cls(path)

    def _migrate(self, conn: sqlite3.Connection) -> None:
        current = conn.execute("PRAGMA user_version").fetchone()[0]
        if current > SCHEMA_VERSION:
            raise ConfigError(
                f"{self.path!r} has schema version {current}; this newswire knows up to "
                f"{SCHEMA_VERSION}"
            )
        for version in range(current + 1, SCHEMA_VERSION + 1):
            script = sql.MIGRATIONS[version - 1]
            try:
                conn.executescript(f"BEGIN IMMEDIATE; {script}; PRAGMA user_version = {version};")
                conn.execute("COMMIT")
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise

    def _connection(self) -> sqlite3.Connection:
        if self._conn is None:
            raise RuntimeError("SqliteStore is closed")
        return self._conn

    def upsert_many(self, items: Sequence[Item]) -> UpsertResult:
        """Store ``items`` in one transaction; idempotent.

        Per item: insert if its ``item_id`` is new; replace the row and its index entry if
        the incoming ``version`` is greater than the stored one; otherwise change nothing.
        Items repeated within the batch are applied in order. Raises
        :class:`StoreUnavailable` (nothing written) if SQLite cannot write now.
        """
        inserted = updated = unchanged = 0
        with self._lock:
            conn = self._connection()
            try:
                with _transaction(conn):
                    for item in items:
                        old = conn.execute(
                            "SELECT id, version FROM items WHERE item_id = ?", (item.item_id,)
                        ).fetchone()
                        if old is not None and old[1] >= item.version:
                            unchanged += 1
                            continue
                        (rowid,) = conn.execute(sql.UPSERT, _columns(item)).fetchone()
                        if old is None:
                            inserted += 1
                        else:
                            updated += 1
                            conn.execute("DELETE FROM items_fts WHERE rowid = ?", (rowid,))
                        conn.execute(sql.FTS_INSERT, (rowid, *_fts_row(item)))
            except sqlite3.OperationalError as exc:
                raise _unavailable(self.path, exc) from exc
        return UpsertResult(inserted=inserted, updated=updated, unchanged=unchanged)

    def _query(self, sql: str, params: Sequence[Any] | dict[str, Any]) -> list[Any]:
        with self._lock:
            conn = self._connection()
            try:
                return conn.execute(sql, params).fetchall()
            except sqlite3.OperationalError as exc:
                raise _unavailable(self.path, exc) from exc

    def get(self, item_id: str) -> Item | None:
        """The item with this id, or with this unique id prefix (8 to 32 hex digits).

        Case and surrounding blanks are ignored. Returns ``None`` when nothing matches, and
        for anything that is not 8 to 32 hex digits (no item can have such an id). Raises
        :class:`AmbiguousItemId` when a prefix matches more than one item.
        """
        key = item_id.strip().lower()
        if not HEX_PREFIX.fullmatch(key):
            return None
        # Every id is lowercase hex, so [key, key + "g") is exactly the ids starting with key.
        rows = self._query(
            "SELECT item_id, data FROM items WHERE item_id >= ? AND item_id < ? LIMIT 2",
            (key, key + "g"),
        )
        if len(rows) > 1:
            raise AmbiguousItemId(f"{item_id!r} matches more than one item")
        return Item.model_validate_json(rows[0][1]) if rows else None

    def search(
        self,
        query: str,
        *,
        limit: int = 20,
        offset: int = 0,
        where: ItemFilter | None = None,
        feed_url: str | None = None,
        language: str | None = None,
    ) -> list[SearchHit]:
        """Items matching every word of ``query`` and ``where``, best first (bm25).

        ``query`` is user input and is made safe (:func:`fts_query`): it never raises a
        syntax error; a query with no words returns ``[]``. ``feed_url`` and ``language``
        are shorthands for the same fields of ``where`` (kept for older callers). The
        snippet is one line. Raises ``ValueError`` if ``limit < 1`` or ``offset < 0``.
        """
        if limit < 1 or offset < 0:
            raise ValueError(f"need limit >= 1 and offset >= 0, got {limit}, {offset}")
        match = fts_query(query)
        if not match:
            return []
        if feed_url is not None or language is not None:
            where = ItemFilter(feed_url=feed_url, language=language)
        params = {"match": match, "limit": limit, "offset": offset, **_filter_params(where)}
        return [
            SearchHit(Item.model_validate_json(data), " ".join(snippet.split()), float(rank))
            for data, snippet, rank in self._query(sql.SEARCH.format(where=sql.WHERE), params)
        ]

    def count_matches(self, query: str, *, where: ItemFilter | None = None) -> int:
        """How many items :meth:`search` would find with no limit."""
        match = fts_query(query)
        if not match:
            return 0
        params = {"match": match, **_filter_params(where)}
        return int(self._query(sql.COUNT_MATCHES.format(where=sql.WHERE), params)[0][0])

    def list_items(
        self, *, limit: int = 20, cursor: str | None = None, where: ItemFilter | None = None
    ) -> Page:
        """Items meeting ``where``, newest first; see :meth:`ItemStore.list_items`."""
        if limit < 1:
            raise ValueError(f"limit must be positive, got {limit}")
        after_time, after_id = decode_cursor(cursor) if cursor else (None, None)
        params = {
            **_filter_params(where),
            "after_time": _utc(after_time) if after_time else None,
            "after_id": after_id,
            "limit": limit + 1,
        }
        rows = self._query(sql.LIST.format(where=sql.WHERE), params)
        items = [Item.model_validate_json(data) for _, _, data in rows[:limit]]
        more = len(rows) > limit
        last = items[-1] if items else None
        next_cursor = (
            encode_cursor(last.published or last.fetched, last.item_id) if more and last else None
        )
        return Page(items, next_cursor)

    def story(self, story_id: str) -> list[Item]:
        """Every item of the story, oldest first."""
        rows = self._query(
            "SELECT data FROM items WHERE story_id = ? ORDER BY sort_time, item_id", (story_id,)
        )
        return [Item.model_validate_json(data) for (data,) in rows]

    def delete_older_than(self, cutoff: datetime, *, limit: int = 1000) -> int:
        """Delete at most ``limit`` items older than ``cutoff`` (and their index entries)
        in one short transaction, oldest first; returns how many."""
        if limit < 1:
            raise ValueError(f"limit must be positive, got {limit}")
        with self._lock:
            conn = self._connection()
            try:
                with _transaction(conn):
                    ids = [
                        rowid
                        for (rowid,) in conn.execute(
                            "SELECT id FROM items WHERE sort_time < ? ORDER BY sort_time LIMIT ?",
                            (_utc(cutoff), limit),
                        )
                    ]
                    for chunk in (ids[i : i + 500] for i in range(0, len(ids), 500)):
                        marks = ",".join("?" * len(chunk))
                        conn.execute(f"DELETE FROM items_fts WHERE rowid IN ({marks})", chunk)  # noqa: S608 - only "?" marks
                        conn.execute(f"DELETE FROM items WHERE id IN ({marks})", chunk)  # noqa: S608
            except sqlite3.OperationalError as exc:
                raise _unavailable(self.path, exc) from exc
        return len(ids)

    def ping(self) -> None:
        """Raise :class:`StoreUnavailable` if the file cannot be read now."""
        self._query("SELECT 1", ())

    def count(self) -> int:
        """How many items are stored."""
        return int(self._query("SELECT count(*) FROM items", ())[0][0])

    def feed_urls(self) -> list[str]:
        """The feeds the stored items come from (``feed_url``), sorted; read from an index."""
        return [url for (url,) in self._query("SELECT DISTINCT feed_url FROM items ORDER BY 1", ())]

    def iter_items(self, *, batch: int = 500) -> Iterator[Item]:
        """Every item, oldest first by published time (fetched time when unpublished).

        Reads ``batch`` rows at a time (keyset pagination) and holds the lock only while
        reading a batch, so memory stays bounded and writers are not blocked between
        batches. Not a snapshot: an item whose sort time changes while iterating may be
        seen twice or not at all; every other item present throughout is yielded once.
        Raises ``ValueError`` if ``batch < 1``.
        """
        if batch < 1:
            raise ValueError(f"batch must be positive, got {batch}")
        after = ("", "")
        while True:
            rows = self._query(
                "SELECT sort_time, item_id, data FROM items WHERE (sort_time, item_id) > (?, ?)"
                " ORDER BY sort_time, item_id LIMIT ?",
                (*after, batch),
            )
            for _, _, data in rows:
                yield Item.model_validate_json(data)
            if len(rows) < batch:
                return
            after = (rows[-1][0], rows[-1][1])

    def close(self) -> None:
        """Close the connection. Idempotent; waits for a call in progress to finish."""
        with self._lock:
            if self._conn is not None:
                conn, self._conn = self._conn, None
                with suppress(sqlite3.Error):
                    conn.execute("PRAGMA optimize")  # cheap; keeps query plans good
                conn.close()
