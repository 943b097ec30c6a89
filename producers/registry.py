"""The feed registry: the compacted ``newswire.feeds`` topic, keyed by ``feed_id``.

Feed lists come in as OPML (``.opml``, ``.xml``), YAML (``.yaml``, ``.yml``: a list of URLs
or of ``{url, title}`` mappings) or plain text (one URL per line, ``#`` comments).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

import orjson
import yaml

from newswire.errors import ConfigError
from newswire.kafka.producer import EventProducer, Record
from newswire.kafka.table import read_table
from producers.identity import feed_id_for


@dataclass(frozen=True, slots=True)
class FeedRecord:
    """One feed in the registry."""

    feed_id: str
    url: str
    title: str = ""
    paused: bool = False
    added: str = ""  # RFC 3339

    @classmethod
    def new(cls, url: str, title: str = "") -> FeedRecord:
        return cls(feed_id_for(url), url, title, False, datetime.now(UTC).isoformat())

    def to_json(self) -> bytes:
        return orjson.dumps(asdict(self))

    @classmethod
    def from_json(cls, data: bytes) -> FeedRecord:
        raw = orjson.loads(data)
        return cls(
            **{k: raw[k] for k in ("feed_id", "url", "title", "paused", "added") if k in raw}
        )


def read_feed_list(path: Path) -> list[FeedRecord]:
    """Parse a feed list file. Raises :class:`ConfigError` with the reason for a bad file.

    Duplicate URLs are kept once; entries that are not http(s) URLs are refused.
    """
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"cannot read feed list {path}: {exc.strerror}") from exc
    suffix = path.suffix.lower()
    if suffix in (".opml", ".xml"):
        entries = _parse_opml(data, path)
    elif suffix in (".yaml", ".yml"):
        entries = _parse_yaml(data, path)
    else:
        entries = [
            (line.strip(), "")
            for line in data.decode("utf-8", "replace").splitlines()
            if line.strip() and not line.lstrip().startswith("#")
        ]
    records: dict[str, FeedRecord] = {}
    for url, title in entries:
        if not url.lower().startswith(("http://", "https://")):
            raise ConfigError(f"{path}: {url!r} is not an http(s) feed URL")
        record = FeedRecord.new(url, title)
        records.setdefault(record.feed_id, record)
    return list(records.values())


def _parse_opml(data: bytes, path: Path) -> list[tuple[str, str]]:
    if b"<!ENTITY" in data or b"<!DOCTYPE" in data:
        raise ConfigError(f"{path}: OPML with a DOCTYPE or entity declarations is refused")
    try:
        root = ET.fromstring(data)  # noqa: S314 - no DTD, checked above
    except ET.ParseError as exc:
        raise ConfigError(f"{path}: not well-formed OPML: {exc}") from exc
    return [
        (el.attrib["xmlUrl"].strip(), el.attrib.get("title") or el.attrib.get("text") or "")
        for el in root.iter("outline")
        if el.attrib.get("xmlUrl")
    ]


def _parse_yaml(data: bytes, path: Path) -> list[tuple[str, str]]:
    try:
        doc = yaml.safe_load(data)
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML: {exc}") from exc
    items = doc.get("feeds", []) if isinstance(doc, dict) else doc
    if not isinstance(items, list):
        raise ConfigError(f"{path}: expected a list of feeds (or a 'feeds:' list)")
    out: list[tuple[str, str]] = []
    for entry in items:
        if isinstance(entry, str):
            out.append((entry.strip(), ""))
        elif isinstance(entry, dict) and isinstance(entry.get("url"), str):
            out.append((entry["url"].strip(), str(entry.get("title", ""))))
        else:
            raise ConfigError(f"{path}: feed entry {entry!r} has no url")
    return out


async def publish_feeds(producer: EventProducer, topic: str, records: list[FeedRecord]) -> None:
    """Add or replace feeds in the registry; returns when Kafka acknowledged them."""
    await producer.publish(
        [
            Record(topic, r.feed_id.encode(), r.to_json(), [("content-type", b"application/json")])
            for r in records
        ]
    )


async def load_registry(bootstrap: str, topic: str, *, timeout_s: float = 30.0) -> list[FeedRecord]:
    """Every feed in the registry, in a stable order (by URL)."""
    table = await read_table(bootstrap, topic, timeout_s=timeout_s)
    return sorted((FeedRecord.from_json(v) for v in table.values()), key=lambda r: r.url)
