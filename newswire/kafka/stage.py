"""What a stage is: a handler plus its state. The runner owns everything else.

A stage gets a batch of decoded events (in partition order) and returns one result per
event, in the same order:

- :class:`Publish`: send these events to the stage's output topic, then count ``outcome``;
- :class:`Done`: nothing to publish (stored, or a duplicate), count ``outcome``;
- :class:`DeadLetter`: this event fails deterministically; send it to the DLQ.

Raising :class:`~newswire.errors.TransientError` means "not now": the runner retries the
whole batch with backoff and never dead-letters it. Raising anything else makes the runner
retry the events one by one, so only the offending events go to the DLQ.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from contextlib import AsyncExitStack
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from newswire_schemas import Event

if TYPE_CHECKING:
    from newswire.metrics import Metrics
    from newswire.settings import Settings, Topics


@dataclass(frozen=True, slots=True)
class Publish:
    events: tuple[Event, ...]
    outcome: str = "published"


@dataclass(frozen=True, slots=True)
class Done:
    outcome: str


@dataclass(frozen=True, slots=True)
class DeadLetter:
    reason: str
    message: str


Result = Publish | Done | DeadLetter


@dataclass(frozen=True, slots=True)
class Delivery:
    """Where an event came from: the replay rule of dedup needs it."""

    topic: str
    partition: int
    offset: int


@dataclass(frozen=True, slots=True)
class Incoming:
    event: Event
    delivery: Delivery


class Stage(Protocol):
    """A pipeline stage. ``name`` labels metrics and names the consumer group; a stage
    that lists its ``outcomes`` (``newswire_stage_records_total{outcome}``) has their
    series created at 0 by the runner."""

    name: str

    async def process(self, batch: Sequence[Incoming]) -> Sequence[Result]:
        """Handle ``batch``; return exactly one result per incoming event, in order."""
        ...


class SupportsReady(Protocol):
    """A stage whose dependencies (a database, say) can be down reports it here; the runner
    adds it to ``/readyz``."""

    def is_ready(self) -> bool: ...


@dataclass(frozen=True, slots=True)
class StageService:
    """How a stage is wired into the pipeline: its topics and how to open it.

    ``open`` builds the stage and registers its resources' cleanup on the exit stack.
    """

    name: str
    input_topic: Callable[[Topics], str]
    output_topic: Callable[[Topics], str | None]
    open: Callable[[Settings, Metrics, AsyncExitStack], Awaitable[Stage]]
