"""Small builders for test items and events."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import Any

from newswire_schemas import Content, Event, EventType, Item


def make_item(n: int = 0, **overrides: Any) -> Item:
    link = overrides.pop("link", f"https://news.example/story/{n}")
    title = overrides.pop("title", f"Story number {n}")
    text = overrides.pop("text", f"Body of story {n}. It has several words in it.")
    values: dict[str, Any] = {
        "item_id": hashlib.sha256(f"item{n}".encode()).hexdigest()[:32],
        "dedup_key": f"link:{link}",
        "feed_id": "0" * 15 + "1",
        "feed_url": "https://news.example/feed.xml",
        "link": link,
        "title": title,
        "content": Content(html=f"<p>{text}</p>", text=text),
        "published": datetime(2026, 11, 28, 12, 0, tzinfo=UTC),
        "fetched": datetime.now(UTC),
        "content_hash": hashlib.sha256(f"{title}{text}".encode()).hexdigest(),
    }
    values.update(overrides)
    return Item(**values)


def make_event(n: int = 0, type_: EventType = EventType.OBSERVED, **overrides: Any) -> Event:
    return Event(type=type_, source="urn:newswire:test", item=make_item(n, **overrides))
