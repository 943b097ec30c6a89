"""JSON Feed 1.0 and 1.1 (https://www.jsonfeed.org/version/1.1/) to a :class:`ParsedFeed`.

The released feedparser (6.0) reads no JSON, so this is ours; orjson does the decoding.
"""

from __future__ import annotations

import codecs
import html
import json
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

import orjson

from newswire.errors import FeedParseError
from newswire_producers.parse.parsed import (
    ParsedAuthor,
    ParsedEnclosure,
    ParsedEntry,
    ParsedFeed,
    join_url,
    one_line,
    parse_length,
)
from newswire_schemas.item import QualityFlag

__all__ = ["parse_json_feed"]


def parse_json_feed(data: bytes, *, url: str, flags: frozenset[str] = frozenset()) -> ParsedFeed:
    """Parse a JSON Feed document (UTF-8, BOM allowed) fetched from ``url``.

    Guarantees: returns the feed with its items in document order, or raises
    :class:`FeedParseError` (invalid JSON, or JSON that is not a JSON Feed). JSON that only
    a lenient decoder reads (raw control characters in strings) and items that are not
    objects are accepted with ``feed_malformed``. ``flags`` are added to the result's.
    """
    out_flags = set(flags)
    try:
        doc = orjson.loads(data.removeprefix(codecs.BOM_UTF8))
    except orjson.JSONDecodeError:
        # Raw control characters in strings are common and harmless: accept, but flag.
        try:
            doc = json.loads(data.decode("utf-8", "replace"), strict=False)
        except (ValueError, RecursionError) as exc:
            raise FeedParseError(f"invalid JSON: {one_line(exc)}") from exc
        out_flags.add(QualityFlag.FEED_MALFORMED.value)
    if not isinstance(doc, dict) or not isinstance(doc.get("items"), list):
        raise FeedParseError("not a feed: JSON without a JSON Feed items list")
    items = [i for i in doc["items"] if isinstance(i, dict)]
    if len(items) != len(doc["items"]):
        out_flags.add(QualityFlag.FEED_MALFORMED.value)
    return ParsedFeed(
        title=html.escape(_str(doc, "title"), quote=False),
        link=join_url(url, _str(doc, "home_page_url")),
        language=_str(doc, "language") or None,
        format="jsonfeed",
        entries=tuple(_entry(i) for i in items),
        flags=frozenset(out_flags),
    )


def _str(obj: Mapping[str, object], key: str) -> str:
    value = obj.get(key)
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)  # JSON Feed 1.0 allowed numeric ids
    return value.strip() if isinstance(value, str) else ""


def _dicts(value: object) -> list[Mapping[str, object]]:
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


def _entry(item: Mapping[str, object]) -> ParsedEntry:
    authors = _dicts(item.get("authors")) or _dicts([item.get("author")])  # 1.1, else 1.0
    enclosures = [
        ParsedEnclosure(_str(a, "url"), _str(a, "mime_type"), parse_length(a.get("size_in_bytes")))
        for a in _dicts(item.get("attachments"))
    ]
    if _str(item, "image"):
        enclosures.append(ParsedEnclosure(_str(item, "image")))
    tags = item.get("tags")
    published_raw = _str(item, "date_published") or None
    updated_raw = _str(item, "date_modified") or None
    return ParsedEntry(
        guid=_str(item, "id") or None,
        link=_str(item, "url") or _str(item, "external_url"),
        title=html.escape(_str(item, "title"), quote=False),
        summary_html=html.escape(_str(item, "summary"), quote=False),
        content_html=_str(item, "content_html") or _text_to_html(_str(item, "content_text")),
        authors=tuple(ParsedAuthor(_str(a, "name"), "", _str(a, "url")) for a in authors),
        categories=tuple(t.strip() for t in tags if isinstance(t, str))
        if isinstance(tags, list)
        else (),
        enclosures=tuple(e for e in enclosures if e.url),
        published=_parse_date(published_raw),
        updated=_parse_date(updated_raw),
        published_raw=published_raw,
        updated_raw=updated_raw,
        language=_str(item, "language") or None,
    )


def _text_to_html(text: str) -> str:
    """Plain text as HTML: blank lines separate paragraphs, single newlines become <br>."""
    paragraphs = (p.strip() for p in re.split(r"\n\s*\n", text))
    return "".join(
        "<p>" + html.escape(p, quote=False).replace("\n", "<br>") + "</p>" for p in paragraphs if p
    )


def _parse_date(raw: str | None) -> datetime | None:
    """RFC 3339 (what JSON Feed requires), else RFC 822; naive times are taken as UTC."""
    if not raw:
        return None
    try:
        parsed = datetime.fromisoformat(raw)
    except ValueError:
        try:
            parsed = parsedate_to_datetime(raw)
        except (TypeError, ValueError, IndexError):
            return None
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=UTC)
    try:
        return parsed.astimezone(UTC)
    except (ValueError, OverflowError):
        return None
