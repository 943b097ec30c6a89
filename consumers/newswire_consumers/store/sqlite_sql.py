"""The SQLite store's schema migrations and SQL statements, run by
:mod:`newswire_consumers.store.sqlite_store`. Statements take named or positional parameters, never
interpolated values; ``{where}`` is filled with :data:`WHERE` only.

Schema (``PRAGMA user_version`` counts the migrations applied; newer ones run on open):

``items``
    one row per ``item_id`` (unique); ``id INTEGER PRIMARY KEY`` is the rowid the FTS index
    points at (an alias, so ``VACUUM`` cannot renumber it); indexed columns for lookups and
    ``data``, the whole item as orjson, which is what reads return.
``items_fts``
    FTS5 over title, summary, body, authors, categories; ``rowid = items.id``.
"""

from __future__ import annotations

# One SQL script per schema version, run in one transaction with its user_version bump.
# Append only: never edit a migration that has shipped.
MIGRATIONS = (
    """
    CREATE TABLE items (
        id INTEGER PRIMARY KEY, item_id TEXT NOT NULL UNIQUE, version INTEGER NOT NULL,
        dedup_key TEXT NOT NULL, feed_url TEXT NOT NULL, link TEXT NOT NULL,
        title TEXT NOT NULL, published TEXT, fetched TEXT NOT NULL, sort_time TEXT NOT NULL,
        story_id TEXT, language TEXT, data BLOB NOT NULL
    );
    CREATE INDEX items_sort_time ON items (sort_time, item_id);
    CREATE INDEX items_dedup_key ON items (dedup_key);
    CREATE INDEX items_feed_url ON items (feed_url, sort_time);
    CREATE INDEX items_story_id ON items (story_id) WHERE story_id IS NOT NULL;
    CREATE INDEX items_language ON items (language) WHERE language IS NOT NULL;
    CREATE VIRTUAL TABLE items_fts USING fts5(
        title, summary, body, authors, categories, tokenize = 'unicode61 remove_diacritics 2'
    );
    """,
)
SCHEMA_VERSION = len(MIGRATIONS)

# The version test is repeated in SQL so this statement alone can never go backwards.
UPSERT = """
    INSERT INTO items (item_id, version, dedup_key, feed_url, link, title, published, fetched,
                       sort_time, story_id, language, data)
    VALUES (:item_id, :version, :dedup_key, :feed_url, :link, :title, :published, :fetched,
            :sort_time, :story_id, :language, :data)
    ON CONFLICT (item_id) DO UPDATE SET
        version = excluded.version, dedup_key = excluded.dedup_key,
        feed_url = excluded.feed_url, link = excluded.link, title = excluded.title,
        published = excluded.published, fetched = excluded.fetched,
        sort_time = excluded.sort_time, story_id = excluded.story_id,
        language = excluded.language, data = excluded.data
    WHERE excluded.version > items.version
    RETURNING id
"""
FTS_INSERT = """
    INSERT INTO items_fts (rowid, title, summary, body, authors, categories)
    VALUES (?, ?, ?, ?, ?, ?)
"""
# bm25 weights per column (title, summary, body, authors, categories): a word in the title
# says more about what an item is about than the same word deep in the body.
SEARCH = """
    SELECT i.data, snippet(items_fts, 2, '[', ']', '…', 24),
           bm25(items_fts, 8.0, 2.0, 1.0, 3.0, 3.0) AS rank
    FROM items_fts JOIN items AS i ON i.id = items_fts.rowid
    WHERE items_fts MATCH :match AND {where}
    ORDER BY rank, i.sort_time DESC, i.item_id
    LIMIT :limit OFFSET :offset
"""
COUNT_MATCHES = """
    SELECT count(*)
    FROM items_fts JOIN items AS i ON i.id = items_fts.rowid
    WHERE items_fts MATCH :match AND {where}
"""
# The filter conditions of every read (ItemFilter); named parameters, never interpolation.
WHERE = """
    (:feed_url IS NULL OR i.feed_url = :feed_url)
    AND (:lang IS NULL OR i.language = :lang
         OR substr(i.language, 1, length(:lang) + 1) = :lang || '-')
    AND (:since IS NULL OR i.sort_time >= :since)
    AND (:until IS NULL OR i.sort_time < :until)
    AND (:story_id IS NULL OR i.story_id = :story_id)
"""
LIST = """
    SELECT i.sort_time, i.item_id, i.data FROM items AS i
    WHERE {where} AND (:after_time IS NULL OR (i.sort_time, i.item_id) < (:after_time, :after_id))
    ORDER BY i.sort_time DESC, i.item_id DESC
    LIMIT :limit
"""
