"""Article pages already extracted, by URL, in a small SQLite file under ``data_dir``.

Re-enriching an item (a redelivery, an update, a replay from the DLQ) must not fetch its
article again. The cache keeps the *extracted* article (not the raw page: a tenth
of the size, and no second extraction), and also "this page has no article" so a stub page
is not fetched over and over. Fetch failures are not cached: they may be transient.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path

from newswire.closing import Closing
from newswire_consumers.enrich.extract import Article

_SCHEMA = """
CREATE TABLE IF NOT EXISTS pages (
    url TEXT PRIMARY KEY,
    html TEXT,            -- NULL: the page had no article worth keeping
    image TEXT NOT NULL DEFAULT '',
    stored_at REAL NOT NULL
)
"""


class PageCache(Closing):
    """URL -> extracted :class:`Article` (or "none"), each entry valid for ``ttl_s``.

    Thread-safe (one connection behind a lock; calls are short). A context manager with an
    idempotent ``close``. ``path`` of ``":memory:"`` keeps the cache in memory (tests).
    """

    def __init__(self, path: Path | str, ttl_s: float) -> None:
        if isinstance(path, Path):
            path.parent.mkdir(parents=True, exist_ok=True)
        self._ttl_s = ttl_s
        self._lock = threading.Lock()
        self._db: sqlite3.Connection | None = sqlite3.connect(
            str(path), check_same_thread=False, isolation_level=None
        )
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute(_SCHEMA)

    def close(self) -> None:
        """Close the database. Idempotent."""
        with self._lock:
            if self._db is not None:
                self._db.close()
                self._db = None

    def get(self, url: str) -> tuple[bool, Article | None]:
        """``(hit, article)``: ``(True, None)`` means "cached: no article on that page"."""
        with self._lock:
            if self._db is None:
                raise RuntimeError("PageCache is closed")
            row = self._db.execute(
                "SELECT html, image, stored_at FROM pages WHERE url = ?", (url,)
            ).fetchone()
        if row is None or time.time() - row[2] > self._ttl_s:
            return False, None
        return True, (Article(html=row[0], image=row[1]) if row[0] is not None else None)

    def put(self, url: str, article: Article | None) -> None:
        """Remember what ``url`` held (None: no article). Replaces an older entry."""
        with self._lock:
            if self._db is None:
                raise RuntimeError("PageCache is closed")
            self._db.execute(
                "INSERT OR REPLACE INTO pages (url, html, image, stored_at) VALUES (?, ?, ?, ?)",
                (url, article.html if article else None, article.image if article else "",
                 time.time()),
            )  # fmt: skip
