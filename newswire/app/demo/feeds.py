"""Renders an outlet's entries as feed bytes, and a list of feeds as OPML.

Formats, each written the way real publishers write it rather than the tidiest way:

* ``rss2``: RSS 2.0 (rssboard.org/rss-specification), summary in ``<description>``, the body
  in ``<content:encoded>`` CDATA, bylines in ``<dc:creator>``; or, for an old CMS, the whole
  body escaped into ``<description>``, one ``<author>`` and every non-ASCII character as a
  numeric character reference.
* ``atom10``: Atom 1.0 (RFC 4287), body as escaped ``type="html"`` content; titles either
  ``type="text"`` or ``type="html"`` (entity-escaped twice over, as RFC 4287 3.1.1.2 allows).
* ``jsonfeed``: JSON Feed 1.1 (jsonfeed.org/version/1.1), ``content_html`` and ``summary``.
* OPML 2.0 (opml.org/spec2.opml) listing feeds as ``<outline type="rss" xmlUrl=…>``.

Every function here is pure: the same arguments give the same bytes.
"""

from __future__ import annotations

import html
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from email.utils import format_datetime
from typing import Any

RSS2, ATOM10, JSONFEED = "rss2", "atom10", "jsonfeed"
FORMATS = (RSS2, ATOM10, JSONFEED)
CONTENT_TYPES = {
    RSS2: "application/rss+xml; charset=utf-8",
    ATOM10: "application/atom+xml; charset=utf-8",
    JSONFEED: "application/feed+json; charset=utf-8",
}
JSONFEED_VERSION = "https://jsonfeed.org/version/1.1"
GENERATOR = "newswire demo"


@dataclass(frozen=True)
class Outlet:
    """A made-up news outlet and the habits of its CMS."""

    slug: str
    name: str
    host: str  # scheme and host, no trailing slash: "https://www.harbourgazette.example"
    format: str  # one of FORMATS
    tagline: str
    topics: tuple[str, ...]
    guid_style: str  # "wordpress" | "code" | "tag" | "uuid" | "url" | "short"
    link_suffix: str = ""  # tracking parameters the CMS appends to every article link
    ascii_only: bool = False  # non-ASCII written as character references / \\u escapes
    html_titles: bool = False  # Atom: titles as type="html"
    utc_offset_hours: int = 0  # the zone its timestamps are written in
    rfc822_gmt: bool = False  # RSS: "GMT" rather than "+0000"
    content_type: str = ""  # overrides the format's usual media type
    undated_items: int = 0  # how many of its own items carry no date

    @property
    def path(self) -> str:
        return f"/feeds/{self.slug}.{'json' if self.format == JSONFEED else 'xml'}"

    @property
    def media_type(self) -> str:
        return self.content_type or CONTENT_TYPES[self.format]

    @property
    def home_page(self) -> str:
        return f"{self.host}/"


@dataclass(frozen=True)
class DemoItem:
    """One item as served: the ledger tests and the demo check the pipeline against."""

    outlet: str  # outlet slug
    guid: str
    link: str  # exactly as written in the feed
    canonical_link: str  # lower-case scheme/host, no default port, fragment or tracking params
    title: str  # plain text, as a reader should see it
    published: datetime | None  # UTC
    body_html: str
    syndicated: bool  # a copy of a wire story carried by several outlets


@dataclass(frozen=True)
class Entry:
    """A ledger item plus what a feed says about it but the ledger does not record."""

    item: DemoItem
    summary: str
    authors: tuple[str, ...]
    categories: tuple[str, ...]
    updated: datetime | None = None


def render_feed(outlet: Outlet, entries: Sequence[Entry], now: datetime) -> bytes:
    """The feed document for ``entries`` in ``outlet.format``; raises ``ValueError`` if unknown."""
    if outlet.format == RSS2:
        return _rss2(outlet, entries, now)
    if outlet.format == ATOM10:
        return _atom10(outlet, entries, now)
    if outlet.format == JSONFEED:
        return _jsonfeed(outlet, entries)
    raise ValueError(f"unknown feed format {outlet.format!r}")


def render_opml(title: str, outlines: Iterable[tuple[str, str, str]]) -> bytes:
    """OPML 2.0 with one ``<outline>`` per ``(text, xml_url, html_url)``."""
    out = [
        '<?xml version="1.0" encoding="utf-8"?>',
        '<opml version="2.0">',
        f"  <head><title>{_x(title)}</title></head>",
        "  <body>",
    ]
    for text, xml_url, html_url in outlines:
        out.append(
            f'    <outline type="rss" text={_a(text)} title={_a(text)}'
            f" xmlUrl={_a(xml_url)} htmlUrl={_a(html_url)}/>"
        )
    out += ["  </body>", "</opml>", ""]
    return "\n".join(out).encode("utf-8")


def _rss2(outlet: Outlet, entries: Sequence[Entry], now: datetime) -> bytes:
    out = [
        '<?xml version="1.0" encoding="utf-8"?>',
        '<rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom"'
        ' xmlns:content="http://purl.org/rss/1.0/modules/content/"'
        ' xmlns:dc="http://purl.org/dc/elements/1.1/">',
        "  <channel>",
        f"    <title>{_x(outlet.name)}</title>",
        f"    <link>{_x(outlet.home_page)}</link>",
        f"    <description>{_x(outlet.tagline)}</description>",
        "    <language>en-gb</language>",
        f"    <lastBuildDate>{_rfc822(outlet, now)}</lastBuildDate>",
        f"    <generator>{GENERATOR}</generator>",
        f'    <atom:link href={_a(outlet.host + outlet.path)} rel="self"'
        ' type="application/rss+xml"/>',
        "    <ttl>15</ttl>",
    ]
    for entry in entries:
        item = entry.item
        permalink = "true" if item.guid == item.link else "false"
        out += [
            "    <item>",
            f"      <title>{_x(item.title)}</title>",
            f"      <link>{_x(item.link)}</link>",
            f'      <guid isPermaLink="{permalink}">{_x(item.guid)}</guid>',
        ]
        if item.published is not None:
            out.append(f"      <pubDate>{_rfc822(outlet, item.published)}</pubDate>")
        if outlet.ascii_only:  # the old CMS: one <author>, which RSS wants as an e-mail address
            desk = "newsdesk@" + outlet.host.split("//", 1)[1].removeprefix("www.")
            byline = " and ".join(entry.authors)
            out.append(f"      <author>{_x(f'{desk} ({byline})')}</author>")
        else:
            out += [f"      <dc:creator>{_x(name)}</dc:creator>" for name in entry.authors]
        out += [f"      <category>{_x(c)}</category>" for c in entry.categories]
        if outlet.ascii_only:
            out.append(f"      <description>{_x(item.body_html)}</description>")
        else:
            out.append(f"      <description>{_x(entry.summary)}</description>")
            out.append(f"      <content:encoded>{_cdata(item.body_html)}</content:encoded>")
        out.append("    </item>")
    out += ["  </channel>", "</rss>", ""]
    text = "\n".join(out)
    return text.encode("ascii", "xmlcharrefreplace") if outlet.ascii_only else text.encode()


def _atom10(outlet: Outlet, entries: Sequence[Entry], now: datetime) -> bytes:
    stamps = [e.updated or e.item.published for e in entries]
    feed_updated = max((s for s in stamps if s is not None), default=now)
    hostname = outlet.host.split("//", 1)[1]
    out = [
        '<?xml version="1.0" encoding="utf-8"?>',
        '<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="en-GB">',
        f"  <title>{_x(outlet.name)}</title>",
        f"  <subtitle>{_x(outlet.tagline)}</subtitle>",
        f'  <link rel="alternate" type="text/html" href={_a(outlet.home_page)}/>',
        f'  <link rel="self" type="application/atom+xml" href={_a(outlet.host + outlet.path)}/>',
        f"  <id>tag:{_x(hostname)},2019:feeds/{_x(outlet.slug)}</id>",
        f"  <updated>{_rfc3339(outlet, feed_updated)}</updated>",
        f"  <generator>{GENERATOR}</generator>",
    ]
    for entry in entries:
        item = entry.item
        if outlet.html_titles:
            # HTML inside XML: "Q&A" is written Q&amp;amp;A, "é" as &amp;#233;.
            title_html = html.escape(item.title, quote=False)
            title_html = title_html.encode("ascii", "xmlcharrefreplace").decode("ascii")
            title = f'<title type="html">{_x(title_html)}</title>'
        else:
            title = f'<title type="text">{_x(item.title)}</title>'
        # RFC 4287 4.1.2: atom:updated is required, so an undated entry gets the feed's time.
        updated = entry.updated or item.published or now
        out += [
            "  <entry>",
            f"    {title}",
            f'    <link rel="alternate" type="text/html" href={_a(item.link)}/>',
            f"    <id>{_x(item.guid)}</id>",
        ]
        if item.published is not None:
            out.append(f"    <published>{_rfc3339(outlet, item.published)}</published>")
        out.append(f"    <updated>{_rfc3339(outlet, updated)}</updated>")
        out += [f"    <author><name>{_x(name)}</name></author>" for name in entry.authors]
        out += [f"    <category term={_a(c)}/>" for c in entry.categories]
        out += [
            f'    <summary type="text">{_x(entry.summary)}</summary>',
            f'    <content type="html">{_x(item.body_html)}</content>',
            "  </entry>",
        ]
    out += ["</feed>", ""]
    return "\n".join(out).encode("utf-8")


def _jsonfeed(outlet: Outlet, entries: Sequence[Entry]) -> bytes:
    items: list[dict[str, Any]] = []
    for entry in entries:
        item = entry.item
        obj: dict[str, Any] = {
            "id": item.guid,
            "url": item.link,
            "title": item.title,
            "summary": entry.summary,
            "content_html": item.body_html,
        }
        if item.published is not None:
            obj["date_published"] = _rfc3339(outlet, item.published)
        if entry.updated is not None:
            obj["date_modified"] = _rfc3339(outlet, entry.updated)
        obj["authors"] = [{"name": name} for name in entry.authors]
        obj["tags"] = list(entry.categories)
        items.append(obj)
    doc = {
        "version": JSONFEED_VERSION,
        "title": outlet.name,
        "home_page_url": outlet.home_page,
        "feed_url": outlet.host + outlet.path,
        "description": outlet.tagline,
        "language": "en-GB",
        "favicon": f"{outlet.host}/favicon.ico",
        "authors": [{"name": outlet.name, "url": outlet.home_page}],
        "items": items,
    }
    if outlet.ascii_only:
        return json.dumps(doc, ensure_ascii=True, separators=(",", ":")).encode("ascii")
    return (json.dumps(doc, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


def _zone(outlet: Outlet) -> timezone:
    return timezone(timedelta(hours=outlet.utc_offset_hours))


def _rfc822(outlet: Outlet, when: datetime) -> str:
    """RFC 5322 3.3 date-time, as RSS 2.0 requires."""
    if outlet.rfc822_gmt:
        return format_datetime(when.astimezone(UTC), usegmt=True)
    return format_datetime(when.astimezone(_zone(outlet)))


def _rfc3339(outlet: Outlet, when: datetime) -> str:
    """RFC 3339 date-time, as Atom (RFC 4287 3.3) and JSON Feed require."""
    local = when.astimezone(_zone(outlet))
    if outlet.utc_offset_hours == 0:
        return local.strftime("%Y-%m-%dT%H:%M:%SZ")
    return local.isoformat(timespec="seconds")


def _x(text: str) -> str:
    """Escape XML character data."""
    return html.escape(text, quote=False)


def _a(text: str) -> str:
    """An XML attribute value, quotes included."""
    return f'"{html.escape(text, quote=True)}"'


def _cdata(text: str) -> str:
    # "]]>" would end the section early: split it across two sections.
    return "<![CDATA[" + text.replace("]]>", "]]]]><![CDATA[>") + "]]>"
