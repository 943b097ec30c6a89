"""Records as ``newswire tail`` shows them: decoded when they are events, filtered on the
fields subscribers ask about, rendered as one JSON object or one line.

Filters are ``FIELD=VALUE`` with FIELD one of ``feed`` (feed id, or a case-insensitive part
of the feed URL or title), ``language`` (declared or detected; ``en`` matches ``en-GB``),
``type`` (``created`` or the full ``newswire.item.created.v1``) and ``reason`` (a DLQ
record's ``dlq_error_class``). Filters on different fields must all match; several filters
on one field match if any does.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import orjson

from newswire.errors import ConfigError
from newswire.kafka.reader import Rec
from newswire.terminal import for_rich
from newswire_schemas.envelope import Event, EventDecodeError, decode_event

FIELDS = ("feed", "language", "type", "reason")


@dataclass(frozen=True, slots=True)
class Filters:
    """Accepted values per field; empty means everything matches."""

    by_field: dict[str, tuple[str, ...]]

    @classmethod
    def parse(cls, specs: list[str]) -> Filters:
        """Raises :class:`ConfigError` naming the bad filter."""
        out: dict[str, list[str]] = defaultdict(list)
        for spec in specs:
            field, sep, value = spec.partition("=")
            field = field.strip().lower()
            if not sep or not value.strip() or field not in FIELDS:
                raise ConfigError(
                    f"bad filter {spec!r}: use FIELD=VALUE with FIELD one of {', '.join(FIELDS)}"
                )
            out[field].append(value.strip().lower())
        return cls({k: tuple(v) for k, v in out.items()})


@dataclass(frozen=True, slots=True)
class Seen:
    """One record and, when it is a newswire event, the event."""

    record: Rec
    event: Event | None

    @classmethod
    def of(cls, record: Rec) -> Seen:
        try:
            event = decode_event(record.headers, record.value)
        except EventDecodeError:
            event = None
        return cls(record, event)

    def header(self, name: str) -> str:
        for key, value in self.record.headers:
            if key == name:
                return str(value.decode("utf-8", "replace"))
        return ""

    def _values(self, field: str) -> list[str]:
        if field == "reason":
            return [self.header("dlq_error_class").lower()]
        if self.event is None:
            return []
        item = self.event.item
        if field == "feed":
            return [item.feed_id, item.feed_url.lower(), item.feed_title.lower()]
        if field == "language":
            return [v.lower() for v in (item.language.declared, item.language.detected) if v]
        return [self.event.type.value, self.event.type.value.split(".")[2]]  # type

    def matches(self, filters: Filters) -> bool:
        for field, wanted in filters.by_field.items():
            values = self._values(field)
            if not any(_match(field, w, v) for w in wanted for v in values):
                return False
        return True

    def to_json(self) -> dict[str, Any]:
        rec = self.record
        out: dict[str, Any] = {
            "topic": rec.topic,
            "partition": rec.partition,
            "offset": rec.offset,
            "timestamp": datetime.fromtimestamp(rec.timestamp / 1000, UTC).isoformat(),
            "key": (rec.key or b"").decode("utf-8", "replace"),
            "headers": {k: v.decode("utf-8", "replace") for k, v in rec.headers},
        }
        if self.event is not None:
            out["type"] = self.event.type.value
            out["item"] = self.event.item.model_dump(mode="json")
        else:
            try:
                out["value"] = orjson.loads(rec.value) if rec.value is not None else None
            except orjson.JSONDecodeError:
                out["value"] = (rec.value or b"").decode("utf-8", "replace")
        return out

    def line(self) -> str:
        """One line for people: time, partition/offset, type, language, feed, title."""
        rec = self.record
        when = datetime.fromtimestamp(rec.timestamp / 1000, UTC).strftime("%H:%M:%S")
        where = f"{rec.partition}/{rec.offset}"
        reason = self.header("dlq_error_class")
        tail = f" [red]{for_rich(reason)}[/red]" if reason else ""
        if self.event is None:
            value = (rec.value or b"")[:100].decode("utf-8", "replace")
            return f"{when} {where} [dim]{for_rich(value)}[/dim]{tail}"
        item = self.event.item
        kind = self.event.type.value.split(".")[2]
        lang = for_rich(item.language.declared or item.language.detected or "?")
        feed = for_rich(item.feed_title or item.feed_url)
        title = for_rich(item.title)
        return f"{when} {where} [bold]{kind}[/bold] {lang} [cyan]{feed}[/cyan] {title}{tail}"


def _match(field: str, wanted: str, value: str) -> bool:
    if field == "feed":
        return wanted == value or wanted in value
    if field == "language":
        return value == wanted or value.startswith(wanted + "-")
    return value == wanted
