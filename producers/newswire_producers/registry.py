"""The feed registry: the compacted ``newswire.feeds`` topic, keyed by ``feed_id``.

A record is the whole truth about a feed's registration: where to fetch it (``url``, which a
permanent redirect updates), the URL it was registered under (``origin_url``: its identity,
so its ``feed_id`` and item ids never change), and whether it is paused (by an operator) or
disabled (by the producer, e.g. on 410 Gone; ``resume`` clears both). Removing a feed writes
a tombstone.

Feed lists come in as OPML (``.opml``, ``.xml``), YAML (``.yaml``, ``.yml``: a list of URLs
or of ``{url, title}`` mappings) or plain text (one URL per line, ``#`` comments). A bad
entry is reported and skipped; only a file that cannot be read at all is an error.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import asdict, dataclass, field, fields, replace
from datetime import UTC, datetime
from pathlib import Path

import orjson
import yaml

from newswire.errors import ConfigError
from newswire.kafka.producer import EventProducer, Record
from newswire.kafka.reader import read_table
from newswire_producers.normalize.identity import feed_id_for

_JSON = [("content-type", b"application/json")]


@dataclass(frozen=True, slots=True)
class FeedRecord:
    """One feed in the registry."""

    feed_id: str
    url: str  # where the feed is fetched now
    title: str = ""
    paused: bool = False  # by an operator (`newswire feeds pause`)
    added: str = ""  # RFC 3339
    disabled: str = ""  # why the producer stopped polling it ("" = not disabled)
    origin_url: str = ""  # the URL it was registered under, when ``url`` has moved since

    @classmethod
    def new(cls, url: str, title: str = "") -> FeedRecord:
        return cls(feed_id_for(url), url, title, False, datetime.now(UTC).isoformat())

    @property
    def identity_url(self) -> str:
        """The URL the feed's ``feed_id`` (and so its items' ids) derive from."""
        return self.origin_url or self.url

    @property
    def active(self) -> bool:
        return not self.paused and not self.disabled

    @property
    def status(self) -> str:
        """active | paused | disabled."""
        return "disabled" if self.disabled else "paused" if self.paused else "active"

    def moved_to(self, url: str) -> FeedRecord:
        """This feed, fetched from ``url`` from now on (301/308); its identity stays."""
        return replace(self, url=url, origin_url=self.identity_url)

    def with_(self, **changes: object) -> FeedRecord:
        return replace(self, **changes)  # type: ignore[arg-type]

    def to_json(self) -> bytes:
        return orjson.dumps(asdict(self))

    @classmethod
    def from_json(cls, data: bytes) -> FeedRecord:
        raw = orjson.loads(data)
        return cls(**{f.name: raw[f.name] for f in fields(cls) if f.name in raw})


@dataclass(frozen=True, slots=True)
class BadEntry:
    """An entry of a feed list that was skipped, and why."""

    where: str  # "line 3", "outline 7", "entry 2"
    entry: str
    reason: str

    def __str__(self) -> str:
        return f"{self.where}: {self.entry!r}: {self.reason}"


@dataclass(frozen=True)
class FeedList:
    """What a feed list file holds: good records (each URL once) and the bad entries."""

    records: list[FeedRecord]
    errors: list[BadEntry] = field(default_factory=list)


def read_feed_list(path: Path) -> FeedList:
    """Parse a feed list file; bad entries are collected in ``errors``, never raised.

    Raises :class:`ConfigError` only when the file cannot be read or parsed as a whole.
    Duplicate URLs (by ``feed_id``) are kept once; entries that are not http(s) URLs are bad.
    """
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"cannot read feed list {path}: {exc.strerror}") from exc
    suffix = path.suffix.lower()
    errors: list[BadEntry] = []
    if suffix in (".opml", ".xml"):
        entries = _parse_opml(data, path)
    elif suffix in (".yaml", ".yml"):
        entries = _parse_yaml(data, path, errors)
    else:
        entries = [
            (f"line {n}", line.strip(), "")
            for n, line in enumerate(data.decode("utf-8", "replace").splitlines(), 1)
            if line.strip() and not line.lstrip().startswith("#")
        ]
    records: dict[str, FeedRecord] = {}
    for where, url, title in entries:
        if not url.lower().startswith(("http://", "https://")):
            errors.append(BadEntry(where, url, "not an http(s) feed URL"))
            continue
        if len(url) > 2048 or any(c.isspace() for c in url):
            errors.append(BadEntry(where, url[:100], "not a valid URL"))
            continue
        record = FeedRecord.new(url, title)
        records.setdefault(record.feed_id, record)
    return FeedList(list(records.values()), errors)


def _parse_opml(data: bytes, path: Path) -> list[tuple[str, str, str]]:
    if b"<!ENTITY" in data or b"<!DOCTYPE" in data:
        raise ConfigError(f"{path}: OPML with a DOCTYPE or entity declarations is refused")
    try:
        root = ET.fromstring(data)  # noqa: S314 - no DTD, checked above
    except ET.ParseError as exc:
        raise ConfigError(f"{path}: not well-formed OPML: {exc}") from exc
    out = []
    for n, el in enumerate(root.iter("outline"), 1):
        url = (el.attrib.get("xmlUrl") or el.attrib.get("xmlurl") or "").strip()
        title = el.attrib.get("title") or el.attrib.get("text") or ""
        if url:
            out.append((f"outline {n}" + (f" ({title[:60]})" if title else ""), url, title))
        elif el.attrib.get("type", "").lower() in ("rss", "atom"):
            out.append((f"outline {n}", title, title))  # a feed outline without its URL
    return out


def _parse_yaml(data: bytes, path: Path, errors: list[BadEntry]) -> list[tuple[str, str, str]]:
    try:
        doc = yaml.safe_load(data)
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML: {exc}") from exc
    items = doc.get("feeds", []) if isinstance(doc, dict) else doc
    if not isinstance(items, list):
        raise ConfigError(f"{path}: expected a list of feeds (or a 'feeds:' list)")
    out: list[tuple[str, str, str]] = []
    for n, entry in enumerate(items, 1):
        if isinstance(entry, str):
            out.append((f"entry {n}", entry.strip(), ""))
        elif isinstance(entry, dict) and isinstance(entry.get("url"), str):
            out.append((f"entry {n}", entry["url"].strip(), str(entry.get("title", ""))))
        else:
            errors.append(BadEntry(f"entry {n}", str(entry)[:100], "has no url"))
    return out


def to_opml(records: list[FeedRecord], title: str = "newswire feeds") -> bytes:
    """An OPML 2.0 document listing ``records`` (their current URLs)."""
    root = ET.Element("opml", version="2.0")
    head = ET.SubElement(root, "head")
    ET.SubElement(head, "title").text = title
    ET.SubElement(head, "dateCreated").text = datetime.now(UTC).strftime(
        "%a, %d %b %Y %H:%M:%S GMT"
    )
    body = ET.SubElement(root, "body")
    for r in records:
        ET.SubElement(body, "outline", type="rss", text=r.title or r.url, xmlUrl=r.url)
        if r.title:
            body[-1].set("title", r.title)
    ET.indent(root)
    document: bytes = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    return document + b"\n"


def find_feed(records: list[FeedRecord], key: str) -> FeedRecord:
    """The feed whose id, unique id prefix (4+ characters) or URL is ``key``.

    Raises ConfigError naming the problem (no such feed, or an ambiguous prefix).
    """
    key = key.strip()
    for r in records:
        if key in (r.feed_id, r.url, r.origin_url):
            return r
    matches = [r for r in records if len(key) >= 4 and r.feed_id.startswith(key.lower())]
    if len(matches) == 1:
        return matches[0]
    if matches:
        raise ConfigError(f"{key!r} matches {len(matches)} feeds; give more of the id")
    raise ConfigError(f"no registered feed has the id or URL {key!r}")


async def publish_feeds(producer: EventProducer, topic: str, records: list[FeedRecord]) -> None:
    """Add or replace feeds in the registry; returns when Kafka acknowledged them."""
    await producer.publish(
        [Record(topic, r.feed_id.encode(), r.to_json(), list(_JSON)) for r in records]
    )


async def remove_feeds(producer: EventProducer, topic: str, feed_ids: list[str]) -> None:
    """Write a tombstone for each feed (the compacted topic then forgets it)."""
    await producer.publish([Record(topic, fid.encode(), None, []) for fid in feed_ids])


async def load_registry(bootstrap: str, topic: str, *, timeout_s: float = 30.0) -> list[FeedRecord]:
    """Every feed in the registry, in a stable order (by URL)."""
    table = await read_table(bootstrap, topic, timeout_s=timeout_s)
    return sorted((FeedRecord.from_json(v) for v in table.values()), key=lambda r: r.url)
