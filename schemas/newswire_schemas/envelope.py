"""CloudEvents 1.0 in Kafka binary mode: attributes as ``ce_*`` record headers, the item
JSON (orjson) as the record value.

See the CloudEvents Kafka protocol binding, section 3.2 (binary content mode).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum

import orjson
from pydantic import ValidationError

from newswire_schemas.item import Item

SPEC_VERSION = "1.0"
CONTENT_TYPE = "application/json"


class EventType(StrEnum):
    """Event types; the ``.v1`` suffix is the contract's major version."""

    OBSERVED = "newswire.item.observed.v1"  # newswire.items.raw: an item as a feed showed it
    CREATED = "newswire.item.created.v1"  # a new item
    UPDATED = "newswire.item.updated.v1"  # a known item whose content changed
    ALIAS = "newswire.item.alias.v1"  # a new identity for a known item (``alias_of``)


class EventDecodeError(ValueError):
    """The record is not a valid newswire event: missing headers, bad JSON or schema."""


Headers = Sequence[tuple[str, bytes]]


@dataclass(frozen=True, slots=True)
class Event:
    """An item event with its CloudEvents attributes."""

    type: EventType
    source: str
    item: Item
    id: str = field(default_factory=lambda: str(uuid.uuid4()))
    time: datetime = field(default_factory=lambda: datetime.now(UTC))

    @property
    def key(self) -> bytes:
        """The record key: the dedup key, so copies of one item meet on one partition."""
        return self.item.dedup_key.encode()

    def headers(self) -> list[tuple[str, bytes]]:
        return [
            ("ce_specversion", SPEC_VERSION.encode()),
            ("ce_id", self.id.encode()),
            ("ce_source", self.source.encode()),
            ("ce_type", self.type.value.encode()),
            ("ce_time", self.time.isoformat().encode()),
            ("ce_subject", self.item.item_id.encode()),
            ("content-type", CONTENT_TYPE.encode()),
        ]

    def value(self) -> bytes:
        return orjson.dumps(self.item.model_dump(mode="python", exclude_none=False))

    def derive(self, type_: EventType, source: str, item: Item) -> Event:
        """A new event (new ``ce_id``) for the next stage."""
        return Event(type=type_, source=source, item=item)


def decode_event(headers: Headers, value: bytes | None) -> Event:
    """Decode a Kafka record into an :class:`Event`.

    Raises :class:`EventDecodeError` for anything that is not a v1 newswire event; the
    caller routes such records to the dead-letter topic.
    """
    attrs = {k: v.decode("utf-8", "replace") for k, v in headers}
    if attrs.get("ce_specversion") != SPEC_VERSION:
        raise EventDecodeError(f"ce_specversion is {attrs.get('ce_specversion')!r}, not 1.0")
    try:
        type_ = EventType(attrs.get("ce_type", ""))
    except ValueError as exc:
        raise EventDecodeError(f"unknown ce_type {attrs.get('ce_type')!r}") from exc
    for name in ("ce_id", "ce_source", "ce_time"):
        if not attrs.get(name):
            raise EventDecodeError(f"missing header {name}")
    if value is None:
        raise EventDecodeError("record has no value")
    try:
        payload = orjson.loads(value)
    except orjson.JSONDecodeError as exc:
        raise EventDecodeError(f"value is not JSON: {exc}") from exc
    try:
        item = Item.model_validate(payload)
        time = datetime.fromisoformat(attrs["ce_time"])
    except (ValidationError, ValueError) as exc:
        raise EventDecodeError(f"value does not match the item schema: {exc}") from exc
    return Event(type=type_, source=attrs["ce_source"], item=item, id=attrs["ce_id"], time=time)
