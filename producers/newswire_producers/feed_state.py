"""Per-feed fetch state, kept in the compacted ``newswire.feed-state`` topic.

A feed's state is written only after its items were acknowledged by Kafka, so a crash
re-polls the feed instead of losing its items. It holds what the next poll needs
(validators, body hash, the publisher's scheduling hints, recent item ids and when new
items arrived) and what an operator needs to know (``newswire feeds show``): the last
outcome and error, error counts, when the next poll is due and why, and why a feed is
disabled. Unknown fields in a stored record are ignored, missing ones take their defaults,
so records of older versions load.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass, fields, replace
from datetime import UTC, datetime
from typing import Any

import orjson

from newswire.kafka.producer import EventProducer, Record
from newswire.kafka.reader import read_table

#: How many item ids a state remembers (to tell new items from ones seen before).
RECENT_ITEM_IDS = 256
#: How many polls that found new items a state remembers (the adaptive schedule's input).
ARRIVALS = 24


def iso(ts: float | None) -> str:
    """RFC 3339 UTC for epoch seconds; "" for None."""
    return "" if ts is None else datetime.fromtimestamp(ts, UTC).isoformat()


def epoch(value: str) -> float | None:
    """Epoch seconds from an RFC 3339 string; None for "" or garbage. Never raises."""
    if not value:
        return None
    try:
        when = datetime.fromisoformat(value)
    except ValueError:
        return None
    return (when if when.tzinfo else when.replace(tzinfo=UTC)).timestamp()


@dataclass(frozen=True, slots=True)
class FeedState:
    feed_id: str
    url: str
    # conditional GET (RFC 9110 §13.1) and the no-validator fallback
    etag: str | None = None
    last_modified: str | None = None
    body_hash: str | None = None
    # the last poll
    last_outcome: str = ""
    last_error: str = ""
    last_status: int = 0  # HTTP status of the last response, 0 when none came
    last_polled: str = ""  # RFC 3339
    last_ok: str = ""
    items_last_poll: int = 0
    new_items_last_poll: int = 0
    # counts
    polls_total: int = 0
    errors_total: int = 0
    consecutive_errors: int = 0
    # the schedule: when and why (reason: a bounded code; detail: for people)
    next_poll: str = ""
    next_poll_reason: str = ""
    next_poll_detail: str = ""
    retry_after_until: str = ""  # the server asked us not to come back before this
    disabled_reason: str = ""  # set when the producer disabled the feed (410 Gone)
    # the publisher's hints, read from the last parsed body (RSS <ttl>, sy:*, skip*)
    ttl_s: float | None = None
    sy_period_s: float | None = None
    skip_hours: tuple[int, ...] = ()  # UTC hours 0-23
    skip_days: tuple[int, ...] = ()  # 0 = Monday
    # what the adaptive schedule learns from
    recent_item_ids: tuple[str, ...] = ()  # newest first, at most RECENT_ITEM_IDS
    arrivals: tuple[tuple[float, int], ...] = ()  # (epoch s, new items) of the last ARRIVALS
    post_interval_s: float | None = None  # from the items' dates at the last parse

    def to_json(self) -> bytes:
        return orjson.dumps(asdict(self))

    @classmethod
    def from_json(cls, data: bytes) -> FeedState:
        raw: dict[str, Any] = orjson.loads(data)
        known = {f.name for f in fields(cls)}
        values = {k: v for k, v in raw.items() if k in known}
        for name in ("skip_hours", "skip_days", "recent_item_ids"):
            if name in values:
                values[name] = tuple(values[name] or ())
        if "arrivals" in values:
            values["arrivals"] = tuple((float(t), int(n)) for t, n in values["arrivals"] or ())
        return cls(**values)

    def with_(self, **changes: object) -> FeedState:
        return replace(self, **changes)  # type: ignore[arg-type]

    def remember_items(self, item_ids: Iterable[str], now: float) -> FeedState:
        """Record the ids of this poll's items: how many are new, and when they arrived.

        The first poll of a feed counts nothing as new arrivals (everything is "new" then).
        """
        ids = list(dict.fromkeys(item_ids))
        known = set(self.recent_item_ids)
        new = [i for i in ids if i not in known]
        recent = tuple(dict.fromkeys([*new, *self.recent_item_ids]))[:RECENT_ITEM_IDS]
        arrivals = self.arrivals
        if new and self.recent_item_ids:
            arrivals = (*arrivals, (now, len(new)))[-ARRIVALS:]
        return self.with_(recent_item_ids=recent, arrivals=arrivals, new_items_last_poll=len(new))

    @property
    def next_poll_at(self) -> float | None:
        return epoch(self.next_poll)

    @property
    def health(self) -> str:
        """new | ok | failing | disabled: for the feeds-by-state gauge and the CLI."""
        if self.disabled_reason:
            return "disabled"
        if self.consecutive_errors:
            return "failing"
        return "ok" if self.last_outcome else "new"


async def load_states(
    bootstrap: str, topic: str, *, timeout_s: float = 30.0
) -> dict[str, FeedState]:
    table = await read_table(bootstrap, topic, timeout_s=timeout_s)
    return {k.decode(): FeedState.from_json(v) for k, v in table.items()}


async def save_states(producer: EventProducer, topic: str, states: list[FeedState]) -> None:
    """Write states; returns when Kafka acknowledged them."""
    await producer.publish(
        [
            Record(topic, s.feed_id.encode(), s.to_json(), [("content-type", b"application/json")])
            for s in states
        ]
    )
