"""One RSS item or Atom entry (an lxml element) to a :class:`ParsedEntry`, as feedparser.

Each rule cites the feedparser 6.0.14 behaviour it reproduces (``feedparser/mixin.py``
``pop``, ``namespaces/_base.py``, ``namespaces/mediarss.py``); :mod:`producers.xmlfeed`
then reads feedparser's result the same way this module builds it. Media RSS containers
(``media:group``, and ``media:content`` holding ``media:title``...) are read as feedparser
reads them: their elements count as the item's own, in document order. Where an item
holds something these rules do not cover (embedded markup in a text element, XHTML or
base64 content, an element feedparser knows in a namespace spelled differently...),
:class:`Unsupported` is raised and the whole feed goes to feedparser.
"""

from __future__ import annotations

import re

from lxml import etree

from producers.fasttext import (
    HTML_TYPES,
    XML_LANG,
    Unsupported,
    atom_author,
    content_text,
    element_base,
    is_html_type,
    prefix_of,
    rss_author,
    split_tag,
    text_construct,
    urljoin,
)
from producers.feeddates import parse_date
from producers.parsed import ParsedAuthor, ParsedEnclosure, ParsedEntry, join_url, parse_length

__all__ = ["ATOM10", "CORE_NAMESPACES", "RDF", "RSS1", "entry_from", "summary_state"]

ATOM10 = "http://www.w3.org/2005/Atom"
RSS1 = "http://purl.org/rss/1.0/"
RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
#: Namespaces feedparser treats as "no prefix": RSS 0.9x/2.0 (none), RSS 1.0, Atom 1.0.
CORE_NAMESPACES = frozenset({"", RSS1, ATOM10})

# (feedparser prefix, local name) -> what feedparser does with the element in an item.
_ROLES: dict[tuple[str, str], str] = {
    ("", "title"): "title", ("", "description"): "description", ("", "summary"): "summary",
    ("", "content"): "content", ("", "link"): "link", ("", "guid"): "guid", ("", "id"): "guid",
    ("", "pubDate"): "published", ("", "published"): "published", ("", "issued"): "published",
    ("", "updated"): "updated", ("", "modified"): "updated", ("", "lastBuildDate"): "updated",
    ("", "author"): "author", ("", "managingEditor"): "author", ("", "category"): "category",
    ("", "keywords"): "category", ("", "enclosure"): "enclosure",
    ("dc", "title"): "title", ("media", "title"): "title", ("dc", "description"): "description",
    ("media", "description"): "description", ("itunes", "summary"): "summary",
    ("content", "encoded"): "encoded", ("dc", "date"): "updated",
    ("dcterms", "modified"): "updated", ("dcterms", "issued"): "published",
    ("dc", "creator"): "author", ("dc", "author"): "author", ("itunes", "author"): "author",
    ("dc", "subject"): "category", ("media", "category"): "category",
    ("itunes", "category"): "itunes_category", ("itunes", "keywords"): "keywords",
    ("media", "keywords"): "keywords", ("media", "content"): "media_content",
    ("media", "group"): "media_group",
}  # fmt: skip
# Local names that matter to feedparser under some prefix: met under a prefix not in
# _ROLES (or inside a container), the feed is feedparser's.
_SENSITIVE = frozenset(local for _, local in _ROLES) | {
    "body", "fullitem", "source", "contributor", "name", "email", "uri", "url", "href",
    "date", "created", "language", "group", "item", "entry", "abstract", "image", "textinput",
}  # fmt: skip
_HARMLESS_PREFIXES = frozenset({"itunes", "media", "dc", "dcterms"})
# mediarss.py: _start_media_group does nothing "but don't break the enclosed tags"; the
# elements inside a group or a media:content land in the item as if they were its own.
_CONTAINERS = frozenset({"media_group", "media_content"})
_LINK_ENTITY_RE = re.compile("&([A-Za-z0-9_]+);")
_ITUNES_SCHEME = "http://www.itunes.com/"
_ITEM_TAGS = frozenset(
    f"{{{ns}}}{local}" if ns else local for ns in CORE_NAMESPACES for local in ("item", "entry")
)
_TEXT_TYPES = HTML_TYPES | {"text/plain"}
Cache = dict[str, tuple[str, str, str | None]]


def _classify(child: etree._Element, tag: str, cache: Cache) -> tuple[str, str, str | None]:
    """(prefix, local, role) of an element; tags repeat, so ``cache`` (one per document,
    since unknown namespaces take the document's prefix) keeps the work per tag."""
    found = cache.get(tag)
    if found is None:
        ns, local = split_tag(tag)
        prefix = prefix_of(child, ns)
        found = cache[tag] = (prefix, local, _ROLES.get((prefix, local)))
    return found


def _check_unknown(child: etree._Element, prefix: str, local: str) -> None:
    """Refuse an element feedparser could read into a field this module fills."""
    if local in _SENSITIVE and prefix not in _HARMLESS_PREFIXES:
        raise Unsupported(f"{prefix}:{local}")
    if len(child):
        for sub in child.iter():
            if sub is not child and isinstance(sub.tag, str):
                sub_ns, sub_local = split_tag(sub.tag)
                if sub_local in _SENSITIVE:
                    raise Unsupported(f"{{{sub_ns}}}{sub_local} inside {local}")


def _media_children(container: etree._Element, cache: Cache) -> list[etree._Element]:
    """The elements of a Media RSS container; anything but Media RSS inside: Unsupported."""
    out = []
    for sub in container:
        if isinstance(sub.tag, str):
            if _classify(sub, sub.tag, cache)[0] != "media":
                raise Unsupported(f"{sub.tag} inside a media container")
            out.append(sub)
    return out


def _add_tag(
    tags: list[list[str | None]], term: str | None, scheme: str | None, label: str | None
) -> None:
    """feedparser's _add_tag: nothing when all are empty, no exact duplicates."""
    if not (term or scheme or label):
        return
    value = [term, scheme, label]
    if value not in tags:
        tags.append(value)


def _category(tags: list[list[str | None]], el: etree._Element, prefix: str, utf8: bool) -> None:
    """feedparser's _start_category then _end_category (media:category has a scheme)."""
    scheme = el.get("scheme", el.get("domain"))
    if prefix == "media" and scheme is None:
        scheme = "http://search.yahoo.com/mrss/category_schema"
    _add_tag(tags, el.get("term"), scheme, el.get("label"))
    value = content_text(el, utf8)
    if not value:
        return
    if tags and not tags[-1][0]:
        tags[-1][0] = value
    else:
        _add_tag(tags, value, None, None)


def summary_state(channel: etree._Element | None) -> bool:
    """feedparser's ``hasContent`` after the channel's elements before the first item."""
    has_summary = has_content = False
    for child in channel if channel is not None else ():
        if not isinstance(child.tag, str):
            continue
        ns, local = split_tag(child.tag)
        role = _ROLES.get((prefix_of(child, ns), local))
        if child.tag in _ITEM_TAGS:
            break
        if role in ("description", "summary"):
            if has_summary and not has_content:
                has_content = True
            has_summary = True
        elif role in ("content", "encoded"):
            has_content = True
    return has_content


def entry_from(
    item: etree._Element,
    *,
    atom: bool,
    lang: str | None,
    has_content: bool = False,
    cache: Cache | None = None,
    utf8: bool = True,
    url: str | None = None,
) -> ParsedEntry:
    """The :class:`ParsedEntry` feedparser (read by xmlfeed) makes of ``item``.

    ``has_content`` is feedparser's ``hasContent`` as the item starts: it is reset only at
    the end of an item, so the channel's own elements set it for the first item (see
    :func:`summary_state`). ``utf8``: the document was UTF-8 (feedparser then repairs
    Latin-1-read UTF-8 in text). ``url``: the document's URL when it holds ``xml:base``
    (links then resolve against the base in scope, and ``base`` is set), else None.
    Raises :class:`Unsupported` where feedparser would do something not reproduced here.
    """
    if cache is None:
        cache = {}
    if item.get("href") is not None or item.get("lastmod") is not None:
        raise Unsupported("CDF item attributes")
    has_base = url is not None
    lang = item.get(XML_LANG) or lang
    title = title_lang = title_base = summary_base = ""
    summary: tuple[str, str] | None = None
    contents: list[tuple[str, str, str, str]] = []  # (kind, html, lang, xml:base)
    has_summary = title_locked = False
    guid: str | None = item.get(f"{{{RDF}}}about")
    link: str | None = None
    guid_is_link: bool | None = None
    published_raw: str | None = None
    updated_raw: str | None = None
    authors: list[ParsedAuthor] = []
    tags: list[list[str | None]] = []  # feedparser's tags: [term, scheme, label]
    enclosures: list[ParsedEnclosure] = []  # feedparser's links, then its media_content
    media: list[ParsedEnclosure] = []
    children: list[etree._Element] = list(item)
    i = 0
    while i < len(children):
        child = children[i]
        i += 1
        if not isinstance(child.tag, str):
            continue
        prefix, local, role = _classify(child, child.tag, cache)
        if role is None:
            _check_unknown(child, prefix, local)
            continue
        if len(child) and role not in ("author", "itunes_category"):
            if role in _CONTAINERS:
                children[i:i] = _media_children(child, cache)  # next, in document order
            else:
                _check_unknown(child, prefix, "container")
        base = element_base(child) if has_base else ""
        if role == "title":
            # feedparser's title_depth: the first non-empty title or dc:title wins; a
            # media:title is a fallback that any later title replaces.
            if not title_locked:
                _, title, title_lang = text_construct(
                    child, atom=atom, default_type="text/plain", lang=lang, utf8=utf8
                )
                title_base = base
                title_locked = bool(title) and prefix != "media"
        elif role in ("description", "summary"):
            default = "text/html" if role == "description" else "text/plain"
            if has_summary and not has_content:
                # feedparser: a second summary-like element becomes content (text/plain).
                has_content = True
                contents.append(
                    (
                        *text_construct(
                            child, atom=atom, default_type="text/plain", lang=lang, utf8=utf8
                        ),
                        base,
                    )
                )
            else:
                _, summary_value, summary_lang = text_construct(
                    child, atom=atom, default_type=default, lang=lang, utf8=utf8
                )
                summary, summary_base = (summary_value, summary_lang), base
                has_summary = True
        elif role in ("content", "encoded"):
            default = "text/plain" if role == "content" else "text/html"
            if role == "content" and child.get("src"):
                raise Unsupported("out-of-line content")
            has_content = True
            kind, value, value_lang = text_construct(
                child, atom=atom, default_type=default, lang=lang, utf8=utf8
            )
            contents.append((kind, value, value_lang, base))
            if kind in _TEXT_TYPES:
                has_summary = True  # feedparser's _end_content copies it to "summary"
        elif role == "link":
            href = child.get("href") or child.get("url") or child.get("uri")
            if href is None:
                value = content_text(child, utf8).replace("&amp;", "&")
                if "&" in value:
                    value = _LINK_ENTITY_RE.sub(r"&\g<1>", value)
                link = urljoin(base, value)
            else:
                rel = child.get("rel", "alternate")
                kind = child.get("type", "application/atom+xml" if rel == "self" else "text/html")
                href = urljoin(base, href)
                if rel == "alternate" and is_html_type(kind):
                    link = href
                elif rel == "enclosure":
                    enclosures.append(
                        ParsedEnclosure(
                            href.strip(), kind.strip(), parse_length(child.get("length"))
                        )
                    )
        elif role == "guid":
            is_link = child.get("isPermaLink", child.get("ispermalink", "true")) == "true"
            value = content_text(child, utf8)
            guid = urljoin(base, value) if is_link else value
            if guid_is_link is None:
                guid_is_link = is_link and link is None
            if is_link and link is None:
                link = guid
        elif role == "published":
            published_raw = content_text(child, utf8)
        elif role == "updated":
            updated_raw = content_text(child, utf8)
        elif role == "author":
            if atom or len(child):
                authors.append(atom_author(child, utf8=utf8, base=has_base))
            else:
                authors.append(rss_author(content_text(child, utf8)))
        elif role == "category":
            _category(tags, child, prefix, utf8)
        elif role == "itunes_category":
            for sub in child.iter(child.tag):
                _add_tag(tags, sub.get("text"), _ITUNES_SCHEME, None)
        elif role == "keywords":
            scheme = _ITUNES_SCHEME if prefix == "itunes" else None
            for term in content_text(child, utf8).split(","):
                if term.strip():  # _end_itunes_keywords, _end_media_keywords
                    _add_tag(tags, term.strip(), scheme, None)
        elif role == "enclosure":
            href = child.get("url") or child.get("uri") or child.get("href") or ""
            enclosures.append(
                ParsedEnclosure(
                    href.strip(),
                    (child.get("type") or "").strip(),
                    parse_length(child.get("length")),
                )
            )
        elif role == "media_content":
            media.append(
                ParsedEnclosure(
                    (child.get("url") or "").strip(),
                    (child.get("type") or "").strip(),
                    parse_length(child.get("fileSize") or child.get("filesize")),
                )
            )
    if len(contents) > 1:
        contents.sort(key=lambda c: not is_html_type(c[0]))  # xmlfeed: HTML content first
    content = contents[0] if contents else None
    summary_html, summary_lang = summary or ("", "")
    link_out = link or ""
    if guid_is_link and link_out == (guid or "") and not link_out.lower().startswith("http"):
        link_out = ""  # xmlfeed: a permalink guid that is no URL is no link
    # xmlfeed: the base (and language) of the content, else the summary, else the title.
    base_out = ""
    if has_base:
        first = (content[3] if content else "") or (summary_base if summary else "") or title_base
        base_out = join_url(url or "", first.strip())
    return ParsedEntry(
        guid=guid.strip() if guid and guid.strip() else None,
        link=link_out.strip(),
        title=title,
        summary_html=summary_html,
        content_html=content[1] if content else "",
        authors=tuple(authors),
        categories=tuple((term or label or "").strip() for term, _, label in tags),
        enclosures=tuple(e for e in enclosures + media if e.url),
        published=parse_date(published_raw) if published_raw else None,
        updated=parse_date(updated_raw) if updated_raw else None,
        published_raw=published_raw or None,
        updated_raw=updated_raw or None,
        language=(content[2] if content else "")
        or (summary_lang if summary else "")
        or title_lang
        or None,
        base=base_out or None,
    )
