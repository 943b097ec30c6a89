"""What the parsers hand to the normalizer: plain, frozen values (no feedparser objects).

Text fields (``title``, ``summary_html``, ``content_html``) are HTML fragments, not yet
sanitized (the parsers HTML-escape plain-text values, so all are alike). URLs are as the
feed wrote them, possibly relative or unsafe, except that feedparser resolves those inside
an ``xml:base`` scope and ``ParsedFeed.link`` is resolved against the feed URL. The
normalizer sanitizes, resolves and checks them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urljoin

__all__ = [
    "FORMATS",
    "ParsedAuthor",
    "ParsedEnclosure",
    "ParsedEntry",
    "ParsedFeed",
    "join_url",
    "one_line",
    "parse_length",
]

#: The values of ``ParsedFeed.format``.
FORMATS = frozenset({"rss2", "rss1", "rss09x", "atom10", "atom03", "jsonfeed", "other"})


@dataclass(frozen=True, slots=True)
class ParsedAuthor:
    name: str = ""
    email: str = ""
    uri: str = ""  # as written in the feed: may be relative or unsafe


@dataclass(frozen=True, slots=True)
class ParsedEnclosure:
    url: str  # as written in the feed: may be relative or unsafe
    type: str = ""
    length: int | None = None


@dataclass(frozen=True, slots=True)
class ParsedEntry:
    """One entry as the feed states it. URLs are not checked; HTML is not sanitized."""

    guid: str | None = None
    link: str = ""
    title: str = ""  # HTML fragment
    summary_html: str = ""
    content_html: str = ""
    authors: tuple[ParsedAuthor, ...] = ()
    categories: tuple[str, ...] = ()
    enclosures: tuple[ParsedEnclosure, ...] = ()
    published: datetime | None = None  # aware, UTC
    updated: datetime | None = None  # aware, UTC
    published_raw: str | None = None  # the date as written, even when unparseable
    updated_raw: str | None = None
    language: str | None = None
    base: str | None = None  # the xml:base in scope of the entry's text, if any


@dataclass(frozen=True, slots=True)
class ParsedFeed:
    title: str  # HTML fragment
    link: str
    language: str | None
    format: str  # one of FORMATS
    entries: tuple[ParsedEntry, ...]
    flags: frozenset[str]  # QualityFlag values that apply to every entry


def join_url(base: str, url: str) -> str:
    """``url`` resolved against ``base``; "" stays "", and a URL that cannot be parsed is
    returned as it is (the normalizer refuses it later). Never raises."""
    try:
        return urljoin(base, url) if url else ""
    except ValueError:
        return url


def parse_length(value: object) -> int | None:
    """A byte length from feed text: a non-negative int below 10**18, else None."""
    text = str(value).strip() if isinstance(value, str | int) else ""
    return int(text) if text.isdecimal() and len(text) < 19 else None


def one_line(text: object, limit: int = 160) -> str:
    """``str(text)`` on one line, whitespace collapsed, at most ``limit`` characters."""
    return " ".join(str(text).split())[:limit]
