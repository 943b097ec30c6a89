"""Per-feed fetch state, kept in the compacted ``newswire.feed-state`` topic.

A feed's state is written only after its items were acknowledged by Kafka, so a crash
re-polls the feed instead of losing its items.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace

import orjson

from newswire.kafka.producer import EventProducer, Record
from newswire.kafka.table import read_table


@dataclass(frozen=True, slots=True)
class FeedState:
    feed_id: str
    url: str
    etag: str | None = None
    last_modified: str | None = None
    body_hash: str | None = None
    last_outcome: str = ""
    last_error: str = ""
    consecutive_errors: int = 0
    last_polled: str = ""  # RFC 3339
    last_ok: str = ""
    items_last_poll: int = 0

    def to_json(self) -> bytes:
        return orjson.dumps(asdict(self))

    @classmethod
    def from_json(cls, data: bytes) -> FeedState:
        raw = orjson.loads(data)
        known = cls.__dataclass_fields__.keys()
        return cls(**{k: v for k, v in raw.items() if k in known})

    def with_(self, **changes: object) -> FeedState:
        return replace(self, **changes)  # type: ignore[arg-type]


async def load_states(
    bootstrap: str, topic: str, *, timeout_s: float = 30.0
) -> dict[str, FeedState]:
    table = await read_table(bootstrap, topic, timeout_s=timeout_s)
    return {k.decode(): FeedState.from_json(v) for k, v in table.items()}


async def save_states(producer: EventProducer, topic: str, states: list[FeedState]) -> None:
    await producer.publish(
        [
            Record(topic, s.feed_id.encode(), s.to_json(), [("content-type", b"application/json")])
            for s in states
        ]
    )
