"""The seen-store interface: what dedup remembers, whatever the backend.

Backends (DESIGN.md, State):

- :class:`~newswire_consumers.dedup.sqlite_seen_store.SqliteSeenStore`: embedded default, one file
  per instance (``sqlite:///path``);
- :class:`~newswire_consumers.dedup.redis_seen_store.RedisSeenStore`: shared by replicas
  (``redis://host:port/db``).

Both keep the same records (see :mod:`newswire_consumers.dedup.ledger`) and make the same decisions;
both apply a batch's decisions atomically with the state they were decided on, so the
replay rule of DESIGN.md (Delivery semantics) holds: observing a delivery (topic, partition,
offset) that already changed the state returns the decision it got the first time, with
``replay=True``, never ``duplicate``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from newswire.errors import TransientError
from newswire.kafka.stage import Delivery
from newswire_consumers.dedup.clustering import StorySketch

# clustering off for this observation
NO_SKETCH = StorySketch((), frozenset(), frozenset(), (), 0.0)


class Verdict(StrEnum):
    CREATED = "created"
    UPDATED = "updated"
    ALIAS = "alias"
    DUPLICATE = "duplicate"


@dataclass(frozen=True, slots=True)
class Observation:
    """One item as dedup sees it."""

    key: str  # the dedup key
    item_id: str
    fields: dict[str, str]  # field name -> fingerprint
    delivery: Delivery
    fingerprint: str = ""  # content fingerprint; "" = too short to identify
    sketch: StorySketch = NO_SKETCH


@dataclass(frozen=True, slots=True)
class Decision:
    verdict: Verdict
    owner_item_id: str  # the item that owns the key (for an alias: the alias's own id)
    version: int
    changed_fields: tuple[str, ...] = ()
    alias_of: str | None = None  # ALIAS: the original item's id
    story_id: str | None = None
    replay: bool = False
    cluster_formed: bool = False  # this item made its story a cluster of two (not on replay)


@dataclass(frozen=True, slots=True)
class StoreStats:
    keys: int
    bytes: int

    @property
    def bytes_per_key(self) -> float:
        return self.bytes / self.keys if self.keys else 0.0


class SeenStoreUnavailable(TransientError):
    """The seen-store could not be read or written (locked, disk full, Redis down): the
    runner retries the batch with backoff; nothing was applied."""


class SeenStore(Protocol):
    """A seen-store backend. Every method may raise :class:`SeenStoreUnavailable`."""

    async def observe_batch(self, observations: Sequence[Observation]) -> list[Decision]:
        """Decide every observation, in order, and record the new state atomically for the
        whole batch (all or nothing). Idempotent per delivery (the replay rule)."""
        ...

    async def stats(self) -> StoreStats:
        """How many keys the store holds and their approximate size in bytes."""
        ...

    async def aclose(self) -> None:
        """Release the backend; idempotent."""
        ...
