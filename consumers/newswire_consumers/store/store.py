"""What an item store is: the interface both backends implement, and what they share.

Backends: :mod:`newswire_consumers.store.sqlite_store` (embedded default, FTS5) and
:mod:`newswire_consumers.store.postgres_store` (production, ``tsvector`` + GIN).
:func:`open_store_url` picks one from ``NEWSWIRE_STORE_URL``. One contract test suite runs against
both (``tests/integration/test_store_backends.py``).

The interface is synchronous and thread-safe: the stage calls it through
``asyncio.to_thread``, the read API through Starlette's thread pool, the CLI directly.

Errors every backend raises the same way::

    StoreUnavailable (TransientError)   the database cannot do the work now: retry later
    AmbiguousItemId (NewswireError)     an id prefix matches more than one item
    ConfigError                         the URL or the database cannot be a store
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from types import TracebackType
from typing import Protocol

from newswire.errors import ConfigError, NewswireError, TransientError
from newswire_schemas.item import Item

HEX_PREFIX = re.compile(r"[0-9a-f]{8,32}")


class StoreUnavailable(TransientError):
    """The database could not do the work now (down, locked, disk full); retry later."""


class AmbiguousItemId(NewswireError):
    """An id prefix given to ``get`` matches more than one item."""


@dataclass(frozen=True, slots=True)
class UpsertResult:
    """What one ``upsert_many`` call did, item by item (counts add up to the batch size)."""

    inserted: int = 0
    updated: int = 0
    unchanged: int = 0


@dataclass(frozen=True, slots=True)
class SearchHit:
    """One search result; ``rank``: lower is better; ``snippet`` marks ``[matches]``."""

    item: Item
    snippet: str
    rank: float


@dataclass(frozen=True, slots=True)
class ItemFilter:
    """Conditions every returned item meets; ``None`` means "any".

    ``language`` matches the tag or its subtags (``en`` matches ``en-us``); ``since`` and
    ``until`` bound the item's time (published, else fetched): ``since <= t < until``.
    """

    feed_url: str | None = None
    language: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    story_id: str | None = None

    def lang(self) -> str | None:
        return normalize_language(self.language)


@dataclass(frozen=True, slots=True)
class Page:
    """One page of a listing; ``next_cursor`` is ``None`` on the last page."""

    items: list[Item]
    next_cursor: str | None


class ItemStore(Protocol):
    """An item store. Every method may raise :class:`StoreUnavailable`."""

    def upsert_many(self, items: Sequence[Item]) -> UpsertResult:
        """Store ``items`` in one transaction, all or nothing; idempotent by ``item_id`` and
        ``version`` (the highest version wins; repeats within the batch apply in order)."""
        ...

    def get(self, item_id: str) -> Item | None:
        """The item with this id or unique 8+ hex-digit prefix; raises AmbiguousItemId."""
        ...

    def search(
        self, query: str, *, limit: int = 20, offset: int = 0, where: ItemFilter | None = None
    ) -> list[SearchHit]:
        """Items matching every word of ``query`` (user input, never a syntax error), best
        first. A query without words returns ``[]``."""
        ...

    def count_matches(self, query: str, *, where: ItemFilter | None = None) -> int:
        """How many items :meth:`search` finds for ``query`` and ``where`` with no limit."""
        ...

    def list_items(
        self, *, limit: int = 20, cursor: str | None = None, where: ItemFilter | None = None
    ) -> Page:
        """Items newest first (keyset pagination: stable under concurrent inserts of
        newer items). ``cursor`` is an opaque string from a previous page; raises
        ``ValueError`` for a malformed one."""
        ...

    def story(self, story_id: str) -> list[Item]:
        """Every item of the story, oldest first."""
        ...

    def count(self) -> int:
        """How many items are stored."""
        ...

    def feed_urls(self) -> list[str]:
        """The distinct ``feed_url`` of the stored items (the feeds they come from), sorted."""
        ...

    def iter_items(self, *, batch: int = 500) -> Iterator[Item]:
        """Every item, oldest first, read ``batch`` rows at a time (bounded memory)."""
        ...

    def delete_older_than(self, cutoff: datetime, *, limit: int = 1000) -> int:
        """Delete at most ``limit`` items whose time is before ``cutoff``, in one short
        transaction; returns how many were deleted (loop until it returns < limit)."""
        ...

    def ping(self) -> None:
        """Return if the database answers; raise :class:`StoreUnavailable` if not."""
        ...

    def close(self) -> None:
        """Release the connection. Idempotent; later calls raise ``RuntimeError``."""
        ...

    def __enter__(self) -> ItemStore: ...

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...


def normalize_language(tag: str | None) -> str | None:
    """``EN_us `` -> ``en-us``; ``None`` and blanks -> ``None``."""
    if tag is None or not tag.strip():
        return None
    return tag.strip().lower().replace("_", "-")


def utc_text(value: datetime) -> str:
    """One fixed-width UTC format, so text order is time order."""
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def encode_cursor(sort_time: datetime, item_id: str) -> str:
    """The opaque keyset cursor after the item with this sort time and id."""
    return f"{utc_text(sort_time)}~{item_id}"


def decode_cursor(cursor: str) -> tuple[datetime, str]:
    """Inverse of :func:`encode_cursor`; raises ``ValueError`` for anything else."""
    when, sep, item_id = cursor.partition("~")
    if not sep or not re.fullmatch(r"[0-9a-f]{32}", item_id):
        raise ValueError(f"not a cursor: {cursor!r}")
    return datetime.strptime(when, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC), item_id


def plan_upsert(items: Sequence[Item], stored: dict[str, int]) -> tuple[list[Item], UpsertResult]:
    """Which items to write, given the versions already ``stored`` (item_id -> version).

    Applies the batch in order like one-by-one upserts would: returns the newest version of
    each item that is newer than what is stored, and the counts those one-by-one upserts
    would report. Pure function.
    """
    current = dict(stored)
    latest: dict[str, Item] = {}
    inserted = updated = unchanged = 0
    for item in items:
        old = current.get(item.item_id)
        if old is not None and old >= item.version:
            unchanged += 1
            continue
        if old is None:
            inserted += 1
        else:
            updated += 1
        current[item.item_id] = item.version
        latest[item.item_id] = item
    return list(latest.values()), UpsertResult(inserted, updated, unchanged)


def open_store_url(url: str) -> ItemStore:
    """Open the store ``NEWSWIRE_STORE_URL`` names: ``sqlite:///path`` or
    ``postgresql://...`` (also ``postgres://``). Raises :class:`ConfigError` for any other
    scheme, :class:`StoreUnavailable` when PostgreSQL does not answer."""
    if url.startswith("sqlite:"):
        from newswire_consumers.store.sqlite_store import SqliteStore

        return SqliteStore.from_url(url)
    if url.startswith(("postgresql://", "postgres://")):
        from newswire_consumers.store.postgres_store import PostgresStore

        return PostgresStore(url)
    raise ConfigError(f"unknown store URL (want sqlite:///path or postgresql://...): {url!r}")
