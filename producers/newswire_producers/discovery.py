"""Feed discovery: from a URL someone has (a feed or a web page) to the feed to register.

A page names its feeds with ``<link rel="alternate" type="application/rss+xml" href=...>``
(also ``application/atom+xml``, ``application/feed+json``, ``application/rdf+xml``, and
``application/json`` as JSON Feed 1.0 suggested); see the RSS Advisory Board's autodiscovery
spec and HTML's "alternate" link type. Everything is fetched with the hardened
:class:`~newswire.fetch.fetcher.Fetcher` (SSRF guard, caps, deadline), and a candidate counts
as a feed only if the parser reads it (:func:`newswire_producers.parse.parse_worker.parse_bounded`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from html.parser import HTMLParser

from newswire.errors import FeedError, FeedParseError
from newswire.fetch.fetcher import Fetcher, FetchResult
from newswire.sanitizer import text_line
from newswire_producers.parse.parse_worker import parse_bounded
from newswire_producers.parse.parsed import join_url

#: Link types that name a feed, in order of preference.
FEED_TYPES = (
    "application/rss+xml",
    "application/atom+xml",
    "application/feed+json",
    "application/rdf+xml",
    "application/json",
)
_HTML_SCAN_BYTES = 512 * 1024  # <link>s live in <head>; a page's first half MiB is plenty
_HTML_START = re.compile(rb"^\s*(?:<!--.*?-->\s*)*<(?:!doctype\s+html|html|head)\b", re.I | re.S)
_CHARSET = re.compile(r"charset\s*=\s*[\"']?([\w.:-]+)", re.I)


class NoFeedFound(FeedError):
    """The URL is neither a feed nor a page that links a working feed."""

    outcome = "not_a_feed"


@dataclass(frozen=True, slots=True)
class FeedLink:
    url: str
    type: str
    title: str


@dataclass(frozen=True, slots=True)
class Discovered:
    """The feed to register: its URL, its title (plain text), and the page that linked it
    (None when the given URL was the feed itself)."""

    feed_url: str
    title: str
    page_url: str | None


class _LinkParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.base: str | None = None
        self.links: list[tuple[str, str, str]] = []  # (href, type, title)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k.lower(): (v or "").strip() for k, v in attrs}
        if tag == "base" and self.base is None and a.get("href"):
            self.base = a["href"]  # HTML: the first <base href> counts
        elif tag == "link" and a.get("href"):
            rel = a.get("rel", "").lower().split()
            kind = a.get("type", "").lower().split(";")[0].strip()
            if "alternate" in rel and kind in FEED_TYPES:
                self.links.append((a["href"], kind, a.get("title", "")))


def find_feed_links(html: bytes, page_url: str, content_type: str | None = None) -> list[FeedLink]:
    """The feeds a page links with ``<link rel="alternate" type=...>``, absolute, each URL
    once, in order of :data:`FEED_TYPES` preference then page order. Never raises."""
    head = html[:_HTML_SCAN_BYTES]
    charset = _CHARSET.search(content_type or "")
    try:
        text = head.decode(charset.group(1) if charset else "utf-8", "replace")
    except LookupError:  # an unknown charset name
        text = head.decode("utf-8", "replace")
    parser = _LinkParser()
    parser.feed(text)
    parser.close()
    base = join_url(page_url, parser.base) if parser.base else page_url
    seen: set[str] = set()
    out: list[FeedLink] = []
    ranked = sorted(parser.links, key=lambda link: FEED_TYPES.index(link[1]))
    for href, kind, title in ranked:
        url = join_url(base, href)
        if url.lower().startswith(("http://", "https://")) and url not in seen:
            seen.add(url)
            out.append(FeedLink(url, kind, title))
    return out


def looks_like_html(body: bytes) -> bool:
    """Whether ``body`` starts like an HTML document (a doctype, <html> or <head>)."""
    return bool(_HTML_START.match(body[:4096].lstrip(b"\xef\xbb\xbf")))


async def _as_feed(result: FetchResult) -> str | None:
    """The feed's title if ``result`` is a feed the parser reads, else None."""
    try:
        parsed = await parse_bounded(
            result.body, url=result.final_url, content_type=result.content_type
        )
    except FeedParseError:
        return None
    return text_line(parsed.title)


async def discover(fetcher: Fetcher, url: str) -> Discovered:
    """The feed at ``url``, or the first working feed the page at ``url`` links.

    Raises a FetchError (with its ``outcome``) when ``url`` cannot be fetched, and
    NoFeedFound when it is not a feed and links none that works. A permanent redirect of the
    feed is followed into the returned URL.
    """
    result = await fetcher.fetch(url)
    if not looks_like_html(result.body):
        title = await _as_feed(result)
        if title is not None:
            return Discovered(result.permanent_redirect or url, title, None)
    links = find_feed_links(result.body, result.final_url, result.content_type)
    if not links:
        raise NoFeedFound(
            f"{url} is not a feed, and links none with "
            '<link rel="alternate" type="application/rss+xml|atom+xml|feed+json">'
        )
    problems = []
    for link in links:
        try:
            candidate = await fetcher.fetch(link.url)
        except FeedError as exc:
            problems.append(f"{link.url}: {exc}")
            continue
        title = await _as_feed(candidate)
        if title is not None:
            return Discovered(candidate.permanent_redirect or link.url, title or link.title, url)
        problems.append(f"{link.url}: not a feed")
    raise NoFeedFound(f"{url} links feeds, but none works: {'; '.join(problems)}")
