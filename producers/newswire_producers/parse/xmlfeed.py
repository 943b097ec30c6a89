"""RSS 0.9x/1.0/2.0, RDF and Atom through feedparser, to a :class:`ParsedFeed`.

feedparser only ever sees a ``BytesIO`` here: given ``bytes`` it would first try them as a
file path (``open(data)``), given a ``str`` as a URL or a path
(``feedparser.api._open_resource``). Its result is read with ``dict.get`` only, and turned
into plain values at once, so no feedparser object leaves this module.
"""

from __future__ import annotations

import html
import io
import time
from collections.abc import Mapping
from datetime import UTC, datetime
from xml.sax import SAXParseException

import feedparser
from feedparser.exceptions import CharacterEncodingOverride, CharacterEncodingUnknown

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

__all__ = ["parse_xml_feed"]

# feedparser's version string -> our format name. feedparser says "rss"/"atom" when it knows
# the family but not the version.
_FORMAT_OF_VERSION = {
    "rss20": "rss2", "rss": "rss2", "rss10": "rss1", "rss090": "rss09x", "rss091n": "rss09x",
    "rss091u": "rss09x", "rss092": "rss09x", "rss093": "rss09x", "rss094": "rss09x",
    "atom10": "atom10", "atom": "atom10", "atom03": "atom03", "atom02": "atom03",
    "atom01": "atom03",
}  # fmt: skip
_HTML_TYPES = frozenset({"text/html", "application/xhtml+xml", "html", "xhtml"})
_ENCODING_ERRORS = (CharacterEncodingOverride, CharacterEncodingUnknown)


def parse_xml_feed(data: bytes, *, url: str, charset: str | None) -> tuple[ParsedFeed, str]:
    """Parse an XML feed document; return it with the encoding feedparser decoded it with.

    ``charset`` is the encoding to try first (else: XML declaration, BOM, UTF-8; feedparser
    falls back further when decoding fails, and the result then has ``encoding_repaired``).
    Guarantees: entries keep document order; a document with parse errors that still
    yields entries gets ``feed_malformed``; raises :class:`FeedParseError` when the document
    is not a feed, or is malformed without entries. Never raises anything else.
    """
    # Always an XML media type: feedparser then follows the charset parameter, else the
    # XML declaration, else UTF-8 (RFC 7303 section 3); with text/xml and no charset it
    # would assume us-ascii (obsolete RFC 3023).
    content_type = "application/xml" + (f"; charset={charset}" if charset else "")
    try:
        result = feedparser.parse(
            io.BytesIO(data),
            response_headers={"content-type": content_type},
            resolve_relative_uris=False,  # the normalizer resolves, with nh3, against its base
            sanitize_html=False,  # nh3 in the normalizer sanitizes all HTML
        )
    except Exception as exc:  # untrusted input can crash a third-party parser: translate
        raise FeedParseError(f"feed parser failed: {type(exc).__name__}") from exc
    feed = _mapping(_get(result, "feed"))
    raw_entries = _list(_get(result, "entries"))
    version = str(_get(result, "version") or "")
    error = _get(result, "bozo_exception")
    flags: set[str] = set()
    if isinstance(error, _ENCODING_ERRORS):
        flags.add(QualityFlag.ENCODING_REPAIRED.value)
    elif error is not None:
        flags.add(QualityFlag.FEED_MALFORMED.value)
    malformed = QualityFlag.FEED_MALFORMED.value in flags
    if not raw_entries and not version:
        raise FeedParseError(_not_a_feed(data, error if malformed else None))
    if not raw_entries and malformed:
        raise FeedParseError(f"malformed feed without entries: {_describe(error)}")
    parsed = ParsedFeed(
        title=_text_html(feed, "title"),
        link=join_url(url, _str(feed, "link")),
        language=_str(feed, "language") or _detail_language(feed) or None,
        format=_FORMAT_OF_VERSION.get(version, "other"),
        entries=tuple(_xml_entry(_mapping(e), url) for e in raw_entries),
        flags=frozenset(flags),
    )
    return parsed, str(_get(result, "encoding") or "")


def _not_a_feed(data: bytes, error: object) -> str:
    head = data[:4096].lower()
    if b"<html" in head or b"<!doctype html" in head:
        return "not a feed: an HTML page"
    if error is not None:
        return f"not a feed: {_describe(error)}"
    return "not a feed: no RSS, RDF, Atom or JSON Feed document found"


def _describe(error: object) -> str:
    """An XML error on one line: "mismatched tag at line 3, column 2"."""
    if isinstance(error, SAXParseException):
        where = f"line {error.getLineNumber()}, column {error.getColumnNumber()}"
        return one_line(f"{error.getMessage()} at {where}")
    return one_line(error)


def _mapping(value: object) -> Mapping[str, object]:
    return value if isinstance(value, Mapping) else {}


def _get(mapping: Mapping[str, object], key: str) -> object:
    # dict.get, not FeedParserDict.get: that one aliases keys, invents "enclosures" and
    # warns (DeprecationWarning) when "updated" falls back to "published".
    return dict.get(mapping, key) if isinstance(mapping, dict) else mapping.get(key)


def _str(mapping: Mapping[str, object], key: str) -> str:
    value = _get(mapping, key)
    return value.strip() if isinstance(value, str) else ""


def _detail_language(mapping: Mapping[str, object]) -> str:
    return _str(_mapping(_get(mapping, "title_detail")), "language")


def _as_html(detail: Mapping[str, object]) -> str:
    """A feedparser text construct as HTML: HTML as is, text escaped, binary types dropped."""
    value = _get(detail, "value")
    kind = _str(detail, "type").lower()
    if not isinstance(value, str):
        return ""
    if kind in _HTML_TYPES or not kind:
        return value
    if kind.startswith("text/") or kind.endswith("xml"):
        return html.escape(value, quote=False)
    return ""  # Atom content of another media type (images, base64 blobs): not text


def _text_html(mapping: Mapping[str, object], key: str) -> str:
    """The value of ``key`` as HTML, using ``<key>_detail`` to know if it is plain text."""
    detail = _mapping(_get(mapping, key + "_detail"))
    if detail:
        return _as_html(detail)
    return html.escape(_str(mapping, key), quote=False)


def _struct_to_utc(value: object) -> datetime | None:
    if not isinstance(value, time.struct_time):
        return None
    try:
        return datetime(*value[:6], tzinfo=UTC)
    except (ValueError, OverflowError):
        return None


def _xml_entry(entry: Mapping[str, object], url: str) -> ParsedEntry:
    contents = [_mapping(c) for c in _list(_get(entry, "content"))]
    contents.sort(key=lambda c: _str(c, "type").lower() not in _HTML_TYPES)  # stable: HTML first
    content = contents[0] if contents else {}
    # feedparser copies content into "summary" when there is no summary element; only
    # "summary_detail" shows a real one.
    summary = _mapping(_get(entry, "summary_detail"))
    title = _mapping(_get(entry, "title_detail"))
    authors = [_mapping(a) for a in _list(_get(entry, "authors"))]
    if not authors and _str(entry, "author"):
        authors = [{"name": _str(entry, "author")}]
    links = [_mapping(link) for link in _list(_get(entry, "links"))]
    enclosures = [
        ParsedEnclosure(_str(e, "href"), _str(e, "type"), parse_length(_get(e, "length")))
        for e in links
        if _str(e, "rel") == "enclosure"
    ] + [
        ParsedEnclosure(_str(m, "url"), _str(m, "type"), parse_length(_get(m, "filesize")))
        for m in map(_mapping, _list(_get(entry, "media_content")))
    ]
    details = (content, summary, title)  # where feedparser records xml:lang and xml:base
    guid, link = _str(entry, "id"), _str(entry, "link")
    if link == guid and _get(entry, "guidislink") and not link.lower().startswith("http"):
        # feedparser copies an RSS permalink guid (or an Atom id) into "link" when there is
        # no link element; "12345" or "urn:uuid:..." is no link.
        link = ""
    return ParsedEntry(
        guid=guid or None,
        link=link,
        title=_text_html(entry, "title"),
        summary_html=_as_html(summary),
        content_html=_as_html(content),
        authors=tuple(
            ParsedAuthor(_str(a, "name"), _str(a, "email"), _str(a, "href")) for a in authors
        ),
        categories=tuple(
            _str(t, "term") or _str(t, "label") for t in map(_mapping, _list(_get(entry, "tags")))
        ),
        enclosures=tuple(e for e in enclosures if e.url),
        published=_struct_to_utc(_get(entry, "published_parsed")),
        updated=_struct_to_utc(_get(entry, "updated_parsed")),
        published_raw=_str(entry, "published") or None,
        updated_raw=_str(entry, "updated") or None,
        language=_first(details, "language") or None,
        base=join_url(url, _first(details, "base")) or None,
    )


def _list(value: object) -> list[object]:
    return value if isinstance(value, list) else []


def _first(mappings: tuple[Mapping[str, object], ...], key: str) -> str:
    return next((value for m in mappings if (value := _str(m, key))), "")
