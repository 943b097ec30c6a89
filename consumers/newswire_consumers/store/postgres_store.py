"""The production item store: PostgreSQL with a ``tsvector`` column and a GIN index.

Same contract as :mod:`newswire_consumers.store.sqlite_store` (see
:class:`~newswire_consumers.store.store. ItemStore`); the schema is in
``migrations/postgres/*.sql``, applied on first connect.

Connection: one psycopg 3 connection in autocommit mode, guarded by a lock (thread-safe;
every write is one explicit transaction). It is opened lazily and dropped on any
connection-level error, so a database that goes away and comes back needs no restart: the
call in progress raises :class:`StoreUnavailable` (nothing written), a later call reconnects.

Full-text search uses the ``simple`` configuration (lower-casing, no stemming, any
language), like SQLite's ``unicode61`` tokenizer; ranking is ``ts_rank_cd`` with the
weights title A, authors and categories B, summary C, body D.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Any

import orjson
import psycopg
from psycopg import errors as pg_errors

from newswire.closing import Closing
from newswire.sanitizer import html_to_text
from newswire_consumers.store.migrations import migrate
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
    plan_upsert,
)
from newswire_consumers.store.text import author_names, body_text
from newswire_schemas.item import Item

CONNECT_TIMEOUT_S = 5
_TOKEN = re.compile(r"\w+")
# Errors that say "the database, not this data": retry later on a fresh connection.
_UNAVAILABLE = (
    psycopg.OperationalError,
    psycopg.InterfaceError,
    pg_errors.TransactionRollback,  # serialization failure, deadlock: retry
)

_UPSERT = """
    INSERT INTO items (item_id, version, dedup_key, feed_url, link, title, published, fetched,
                       sort_time, story_id, language, body, data, search)
    VALUES (%(item_id)s, %(version)s, %(dedup_key)s, %(feed_url)s, %(link)s, %(title)s,
            %(published)s, %(fetched)s, %(sort_time)s, %(story_id)s, %(language)s, %(body)s,
            %(data)s,
            setweight(to_tsvector('simple', %(title)s), 'A')
            || setweight(to_tsvector('simple', %(meta)s), 'B')
            || setweight(to_tsvector('simple', %(summary)s), 'C')
            || setweight(to_tsvector('simple', %(body)s), 'D'))
    ON CONFLICT (item_id) DO UPDATE SET
        version = excluded.version, dedup_key = excluded.dedup_key,
        feed_url = excluded.feed_url, link = excluded.link, title = excluded.title,
        published = excluded.published, fetched = excluded.fetched,
        sort_time = excluded.sort_time, story_id = excluded.story_id,
        language = excluded.language, body = excluded.body, data = excluded.data,
        search = excluded.search
    WHERE excluded.version > items.version
"""
_WHERE = """
    (%(feed_url)s::text IS NULL OR i.feed_url = %(feed_url)s::text)
    AND (%(lang)s::text IS NULL OR i.language = %(lang)s::text
         OR left(i.language, length(%(lang)s::text) + 1) = %(lang)s::text || '-')
    AND (%(since)s::timestamptz IS NULL OR i.sort_time >= %(since)s::timestamptz)
    AND (%(until)s::timestamptz IS NULL OR i.sort_time < %(until)s::timestamptz)
    AND (%(story_id)s::text IS NULL OR i.story_id = %(story_id)s::text)
"""
_SEARCH = f"""
    SELECT i.data,
           ts_headline('simple', i.body, q, 'StartSel=[, StopSel=], MaxWords=24, MinWords=8,
                       MaxFragments=1, FragmentDelimiter=…'),
           ts_rank_cd(i.search, q) AS rank
    FROM items AS i, to_tsquery('simple', %(query)s) AS q
    WHERE i.search @@ q AND {_WHERE}
    ORDER BY rank DESC, i.sort_time DESC, i.item_id
    LIMIT %(limit)s OFFSET %(offset)s
"""  # noqa: S608 - _WHERE is a constant; values are bound parameters
_COUNT_MATCHES = f"""
    SELECT count(*) FROM items AS i, to_tsquery('simple', %(query)s) AS q
    WHERE i.search @@ q AND {_WHERE}
"""  # noqa: S608 - as above
_LIST = f"""
    SELECT i.data FROM items AS i
    WHERE {_WHERE} AND (%(after_time)s::timestamptz IS NULL
                        OR (i.sort_time, i.item_id) < (%(after_time)s::timestamptz, %(after_id)s))
    ORDER BY i.sort_time DESC, i.item_id DESC
    LIMIT %(limit)s
"""  # noqa: S608 - as above


def _clean(text: str) -> str:
    return text.replace("\x00", "")  # PostgreSQL text cannot hold NUL


def ts_query(text: str) -> str:
    """The user's words as a safe ``to_tsquery('simple', ...)`` string: every word required.

    Only ``\\w+`` tokens survive, so no operator or quote can reach the parser; a trailing
    ``*`` makes the word's last token a prefix (``:*``). Returns "" when no word remains.
    """
    terms: list[str] = []
    for word in text.split():
        tokens = [f"'{t.lower()}'" for t in _TOKEN.findall(word.rstrip("*"))]
        if tokens and word.endswith("*"):
            tokens[-1] += ":*"
        terms.extend(tokens)
    return " & ".join(terms)


def _row(item: Item) -> dict[str, Any]:
    body = body_text(item)
    summary = html_to_text(item.summary)
    lang = item.language.detected or item.language.declared
    meta = " ; ".join([*author_names(item), *item.categories])
    return {
        "item_id": item.item_id,
        "version": item.version,
        "dedup_key": _clean(item.dedup_key),
        "feed_url": _clean(item.feed_url),
        "link": _clean(item.link),
        "title": _clean(item.title),
        "published": item.published,
        "fetched": item.fetched,
        "sort_time": item.published or item.fetched,
        "story_id": item.story_id,
        "language": normalize_language(lang),
        "body": _clean(body),
        "summary": _clean("" if summary == body else summary),
        "meta": _clean(meta),
        "data": orjson.dumps(item.model_dump(mode="python")),
    }


def _filter_params(where: ItemFilter | None) -> dict[str, Any]:
    w = where or ItemFilter()
    return {
        "feed_url": w.feed_url,
        "lang": w.lang(),
        "since": w.since,
        "until": w.until,
        "story_id": w.story_id,
    }


def _item(data: bytes) -> Item:
    return Item.model_validate_json(bytes(data))


class PostgresStore(Closing):
    """Items in PostgreSQL; see the module docstring for connection handling."""

    def __init__(self, url: str) -> None:
        """Remember ``url``; connect (and migrate) on the first call. Never raises for an
        unreachable database: calls do, with :class:`StoreUnavailable`."""
        self.url = url
        self._lock = threading.Lock()
        self._conn: psycopg.Connection[tuple[Any, ...]] | None = None
        self._closed = False

    def _connection(self) -> psycopg.Connection[tuple[Any, ...]]:
        if self._closed:
            raise RuntimeError("PostgresStore is closed")
        if self._conn is None or self._conn.closed:
            conn = psycopg.connect(self.url, autocommit=True, connect_timeout=CONNECT_TIMEOUT_S)
            try:
                migrate(conn)
            except BaseException:
                conn.close()
                raise
            self._conn = conn
        return self._conn

    def _run(self, work: Any) -> Any:
        """Run ``work(conn)`` under the lock; connection trouble -> StoreUnavailable."""
        with self._lock:
            try:
                return work(self._connection())
            except _UNAVAILABLE as exc:
                if self._conn is not None:
                    self._conn.close()
                    self._conn = None
                raise StoreUnavailable(f"PostgreSQL store: {exc}".strip()) from exc

    def upsert_many(self, items: Sequence[Item]) -> UpsertResult:
        """One transaction: lock the stored rows of the batch, write only what is newer."""

        def work(conn: psycopg.Connection[tuple[Any, ...]]) -> UpsertResult:
            with conn.transaction():
                ids = sorted({i.item_id for i in items})  # sorted: a fixed lock order
                stored = conn.execute(
                    "SELECT item_id, version FROM items WHERE item_id = ANY(%s)"
                    " ORDER BY item_id FOR UPDATE",
                    (ids,),
                ).fetchall()
                to_write, result = plan_upsert(items, {k: int(v) for k, v in stored})
                if to_write:
                    with conn.cursor() as cur:
                        cur.executemany(_UPSERT, [_row(i) for i in to_write])
            return result

        if not items:
            return UpsertResult()
        result: UpsertResult = self._run(work)
        return result

    def _fetch(self, sql: str, params: Sequence[Any] | dict[str, Any]) -> list[tuple[Any, ...]]:
        rows: list[tuple[Any, ...]] = self._run(lambda c: c.execute(sql, params).fetchall())
        return rows

    def get(self, item_id: str) -> Item | None:
        key = item_id.strip().lower()
        if not HEX_PREFIX.fullmatch(key):
            return None
        rows = self._fetch("SELECT data FROM items WHERE item_id LIKE %s LIMIT 2", (key + "%",))
        if len(rows) > 1:
            raise AmbiguousItemId(f"{item_id!r} matches more than one item")
        return _item(rows[0][0]) if rows else None

    def search(
        self, query: str, *, limit: int = 20, offset: int = 0, where: ItemFilter | None = None
    ) -> list[SearchHit]:
        if limit < 1 or offset < 0:
            raise ValueError(f"need limit >= 1 and offset >= 0, got {limit}, {offset}")
        tsq = ts_query(query)
        if not tsq:
            return []
        params = {"query": tsq, "limit": limit, "offset": offset, **_filter_params(where)}
        return [
            SearchHit(_item(data), " ".join(snippet.split()), -float(rank))
            for data, snippet, rank in self._fetch(_SEARCH, params)
        ]

    def count_matches(self, query: str, *, where: ItemFilter | None = None) -> int:
        tsq = ts_query(query)
        if not tsq:
            return 0
        return int(self._fetch(_COUNT_MATCHES, {"query": tsq, **_filter_params(where)})[0][0])

    def list_items(
        self, *, limit: int = 20, cursor: str | None = None, where: ItemFilter | None = None
    ) -> Page:
        if limit < 1:
            raise ValueError(f"limit must be positive, got {limit}")
        after_time, after_id = decode_cursor(cursor) if cursor else (None, None)
        params = {
            **_filter_params(where),
            "after_time": after_time,
            "after_id": after_id,
            "limit": limit + 1,
        }
        rows = self._fetch(_LIST, params)
        items = [_item(data) for (data,) in rows[:limit]]
        last = items[-1] if items and len(rows) > limit else None
        return Page(
            items, encode_cursor(last.published or last.fetched, last.item_id) if last else None
        )

    def story(self, story_id: str) -> list[Item]:
        rows = self._fetch(
            "SELECT data FROM items WHERE story_id = %s ORDER BY sort_time, item_id", (story_id,)
        )
        return [_item(data) for (data,) in rows]

    def count(self) -> int:
        return int(self._fetch("SELECT count(*) FROM items", ())[0][0])

    def feed_urls(self) -> list[str]:
        return [url for (url,) in self._fetch("SELECT DISTINCT feed_url FROM items ORDER BY 1", ())]

    def iter_items(self, *, batch: int = 500) -> Iterator[Item]:
        """Every item, oldest first; keyset pages of ``batch`` (not a snapshot)."""
        if batch < 1:
            raise ValueError(f"batch must be positive, got {batch}")
        after: tuple[Any, str] | None = None
        while True:
            if after is None:
                rows = self._fetch(
                    "SELECT sort_time, item_id, data FROM items"
                    " ORDER BY sort_time, item_id LIMIT %s",
                    (batch,),
                )
            else:
                rows = self._fetch(
                    "SELECT sort_time, item_id, data FROM items WHERE (sort_time, item_id) >"
                    " (%s, %s) ORDER BY sort_time, item_id LIMIT %s",
                    (*after, batch),
                )
            for _, _, data in rows:
                yield _item(data)
            if len(rows) < batch:
                return
            after = (rows[-1][0], rows[-1][1])

    def delete_older_than(self, cutoff: datetime, *, limit: int = 1000) -> int:
        if limit < 1:
            raise ValueError(f"limit must be positive, got {limit}")

        def work(conn: psycopg.Connection[tuple[Any, ...]]) -> int:
            cur = conn.execute(
                "DELETE FROM items WHERE item_id IN (SELECT item_id FROM items"
                " WHERE sort_time < %s ORDER BY sort_time LIMIT %s)",
                (cutoff, limit),
            )
            return cur.rowcount

        deleted: int = self._run(work)
        return deleted

    def ping(self) -> None:
        self._fetch("SELECT 1", ())

    def close(self) -> None:
        """Close the connection. Idempotent; waits for a call in progress."""
        with self._lock:
            self._closed = True
            if self._conn is not None:
                conn, self._conn = self._conn, None
                conn.close()
