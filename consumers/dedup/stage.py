"""The dedup stage: ``newswire.items.raw`` -> ``newswire.items.unique``.

A new dedup key is a ``created`` event; a known key seen again with the same content is
dropped as a duplicate; the same item with changed content is an ``updated`` event with the
next version and the list of changed fields.
"""

from __future__ import annotations

import asyncio
import hashlib
import sqlite3
from collections.abc import Sequence

import orjson

from consumers.dedup.seen_store import Observation, SqliteSeenStore, Verdict
from newswire.errors import TransientError
from newswire.kafka.stage import Done, Incoming, Publish, Result
from schemas import EventType, Item

SOURCE = "urn:newswire:dedup"
_FINGERPRINTED = (
    "title",
    "link",
    "summary",
    "content",
    "authors",
    "categories",
    "enclosures",
    "published",
    "updated",
)


class SeenStoreUnavailable(TransientError):
    """The seen-store could not be written (locked, disk full): retried."""


def fingerprints(item: Item) -> dict[str, str]:
    """A short hash per user-visible field, to tell what an update changed."""
    data = item.model_dump(mode="json", include=set(_FINGERPRINTED))
    return {
        k: hashlib.blake2b(orjson.dumps(data.get(k)), digest_size=8).hexdigest()
        for k in _FINGERPRINTED
    }


class DedupStage:
    name = "dedup"

    def __init__(self, store: SqliteSeenStore) -> None:
        self._store = store

    async def process(self, batch: Sequence[Incoming]) -> list[Result]:
        observations = [
            Observation(
                inc.event.item.dedup_key,
                inc.event.item.item_id,
                fingerprints(inc.event.item),
                inc.delivery,
            )
            for inc in batch
        ]
        try:
            decisions = await asyncio.to_thread(self._store.observe_batch, observations)
        except sqlite3.OperationalError as exc:
            raise SeenStoreUnavailable(str(exc)) from exc
        results: list[Result] = []
        for inc, decision in zip(batch, decisions, strict=True):
            if decision.verdict is Verdict.DUPLICATE:
                results.append(Done("duplicate"))
                continue
            item = inc.event.item.model_copy(
                update={"version": decision.version, "changed_fields": decision.changed_fields}
            )
            type_ = EventType.CREATED if decision.verdict is Verdict.CREATED else EventType.UPDATED
            results.append(
                Publish((inc.event.derive(type_, SOURCE, item),), outcome=decision.verdict.value)
            )
        return results
