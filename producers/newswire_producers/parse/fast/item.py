"""One RSS item or Atom entry (an lxml element) to a :class:`ParsedEntry`, as feedparser.

Each rule cites the feedparser 6.0.14 behaviour it reproduces (``feedparser/mixin.py``
``pop``, ``namespaces/_base.py``, ``namespaces/mediarss.py``);
:mod:`newswire_producers.parse.xmlfeed` then reads feedparser's result the same way this module
builds it. What an element is to feedparser (its role) comes from
:mod:`newswire_producers.parse.fast.roles`. Media RSS containers (``media:group``, and
``media:content`` holding ``media:title``...) are read as feedparser reads them: their elements
count as the item's own, in document order. Where an item holds something these rules do not cover
(markup in a text element that is no text construct, base64 content, an element feedparser knows in
a namespace spelled differently...), :class:`Unsupported` is raised and the whole feed goes to
feedparser. The main loop is the cost of the fast path: its branches are ordered by how
often feeds use them, and per-tag work is cached per document.
"""

from __future__ import annotations

import re

from lxml import etree

from newswire_producers.parse.fast.names import Unsupported, prefix_is_fixed
from newswire_producers.parse.fast.roles import (
    ATOM10,
    CORE_NAMESPACES,
    IGNORED,
    RDF,
    REFUSED,
    RSS1,
    Role,
    classify,
    summary_state,
)
from newswire_producers.parse.fast.text import (
    HTML_TYPES,
    XML_LANG,
    Bases,
    atom_author,
    content_text,
    is_html_type,
    link_href,
    rss_author,
    text_construct,
    urljoin,
)
from newswire_producers.parse.feeddates import parse_date
from newswire_producers.parse.parsed import ParsedAuthor, ParsedEnclosure, ParsedEntry, join_url

__all__ = ["ATOM10", "CORE_NAMESPACES", "RDF", "RSS1", "Cache", "entry_from", "summary_state"]

# mediarss.py: _start_media_group does nothing "but don't break the enclosed tags"; the
# elements inside a group or a media:content land in the item as if they were its own.
_CONTAINERS = frozenset({"media_group", "media_content"})
_LINK_ENTITY_RE = re.compile("&([A-Za-z0-9_]+);")
_ITUNES_SCHEME = "http://www.itunes.com/"
_TEXT_TYPES = HTML_TYPES | {"text/plain"}
_RDF_ABOUT = f"{{{RDF}}}about"
#: Per document: tag -> :data:`newswire_producers.parse.fast.roles.Role` (tags repeat in every
#: item).
Cache = dict[object, Role]
_SKIP: Role = ("", "", IGNORED, True)  # comments and processing instructions
Tag = tuple[str | None, str | None, str | None]
_ROLES_SEEN: dict[object, Role] = {}
_ROLES_SEEN_MAX = 4096


def _role(child: etree._Element, tag: object, cache: Cache) -> Role:
    found = cache.get(tag)
    if found is None:
        found = cache[tag] = _classified(child, tag) if isinstance(tag, str) else _SKIP
    return found


def _classified(child: etree._Element, tag: str) -> Role:
    """:func:`classify`, remembered across documents (feeds use the same few dozen tags;
    classifying them again was 4% of a news feed's time). The answer depends on
    the tag, and on the element's prefix only in a namespace feedparser does not know."""
    key: object = tag
    if tag[0] == "{" and not prefix_is_fixed(tag[1 : tag.index("}")]):
        key = (tag, child.prefix)
    found = _ROLES_SEEN.get(key)
    if found is None:
        if len(_ROLES_SEEN) >= _ROLES_SEEN_MAX:
            _ROLES_SEEN.clear()  # bounded: the tags come from untrusted documents
        found = _ROLES_SEEN[key] = classify(child, tag)
    return found


def _check_nested(el: etree._Element, cache: Cache) -> None:
    """Refuse an element whose descendants feedparser could read into a field (it reads
    most elements wherever they are nested)."""
    for sub in el.iterdescendants():
        if not _role(sub, sub.tag, cache)[3]:
            raise Unsupported(f"{sub.tag!s} inside {el.tag!s}")


def _length(value: str | None) -> int | None:
    """:func:`newswire_producers.parse.parsed.parse_length` for an attribute value (str or None)."""
    if not value:
        return None
    text = value.strip()
    return int(text) if text.isdecimal() and len(text) < 19 else None


def _media_children(container: etree._Element, cache: Cache) -> list[etree._Element]:
    """The Media RSS elements of a Media RSS container, to be read as the item's own.
    Other elements must be inert (YouTube's ``yt:duration``...), else Unsupported."""
    out = []
    for sub in container:
        prefix, _, role, inert = _role(sub, sub.tag, cache)
        if prefix == "media" and isinstance(sub.tag, str):
            out.append(sub)
        elif role == IGNORED and inert:
            if len(sub):
                _check_nested(sub, cache)
        else:
            raise Unsupported(f"{sub.tag!s} inside a media container")
    return out


class _Tags:
    """feedparser's entry tags ([term, scheme, label] lists) with its _add_tag rule:
    nothing when all are empty, no exact duplicates (a set makes the check O(1))."""

    __slots__ = ("items", "seen")

    def __init__(self) -> None:
        self.items: list[list[str | None]] = []
        self.seen: set[Tag] = set()

    def add(self, term: str | None, scheme: str | None, label: str | None) -> None:
        if not (term or scheme or label):
            return
        key = (term, scheme, label)
        if key not in self.seen:
            self.seen.add(key)
            self.items.append([term, scheme, label])

    def add_terms(self, terms: list[str], scheme: str | None) -> None:
        """:meth:`add` of each stripped non-empty term (``_end_itunes_keywords``,
        ``_end_media_keywords``); inlined, as podcasts list a dozen keywords per item."""
        seen, items = self.seen, self.items
        for term in terms:
            term = term.strip()
            key = (term, scheme, None)
            if term and key not in seen:
                seen.add(key)
                items.append([term, scheme, None])

    def category(self, el: etree._Element, prefix: str, mode: int) -> None:
        """feedparser's _start_category then _end_category (media:category has a scheme)."""
        term = scheme = label = None
        if el.keys():  # (an RSS category has none mostly: four lookups spared)
            scheme = el.get("scheme", el.get("domain"))
            term, label = el.get("term"), el.get("label")
        if prefix == "media" and scheme is None:
            scheme = "http://search.yahoo.com/mrss/category_schema"
        self.add(term, scheme, label)
        value = content_text(el, mode)
        if not value:
            return
        items = self.items
        if items and not items[-1][0]:
            # Entries are unique before this, so only the last one matched its old key.
            last = items[-1]
            self.seen.discard((last[0], last[1], last[2]))
            last[0] = value
            self.seen.add((value, last[1], last[2]))
        else:
            self.add(value, None, None)

    def terms(self) -> tuple[str, ...]:
        return tuple([(term or label or "").strip() for term, _, label in self.items])


def entry_from(
    item: etree._Element,
    *,
    atom: bool,
    lang: str | None,
    has_content: bool = False,
    cache: Cache | None = None,
    mode: int = 3,
    url: str | None = None,
    bases: Bases | None = None,
) -> ParsedEntry:
    """The :class:`ParsedEntry` feedparser (read by xmlfeed) makes of ``item``.

    ``has_content`` is feedparser's ``hasContent`` as the item starts: it is reset only at
    the end of an item, so the channel's own elements set it for the first item (see
    :func:`summary_state`). ``cache``: one per document (see :data:`Cache`). ``mode``: the
    document's :func:`newswire_producers.parse.fast.text.text_mode` (which of feedparser's text
    repairs can apply). ``url`` and ``bases``: the document's URL and
    :func:`newswire_producers.parse.fast.text.xml_bases` when it holds ``xml:base`` (links then
    resolve against the base in scope, and ``base`` is set), else None. Raises
    :class:`Unsupported` where feedparser would do something not reproduced here.
    """
    if cache is None:
        cache = {}
    guid: str | None = None
    if item.keys():  # (most items have no attribute: one call instead of four)
        if item.get("href") is not None or item.get("lastmod") is not None:
            raise Unsupported("CDF item attributes")
        lang = item.get(XML_LANG) or lang
        guid = item.get(_RDF_ABOUT)
    has_base = bases is not None
    title = title_lang = title_base = summary_base = base = ""
    summary: tuple[str, str] | None = None
    contents: list[tuple[str, str, str, str]] = []  # (kind, html, lang, xml:base)
    has_summary = title_locked = False
    link: str | None = None
    guid_is_link: bool | None = None
    published_raw: str | None = None
    updated_raw: str | None = None
    authors: list[ParsedAuthor] = []
    tags: _Tags | None = None  # most items have none: made on the first
    enclosures: list[ParsedEnclosure] = []  # feedparser's links, then its media_content
    media: list[ParsedEnclosure] = []
    children: list[etree._Element] = list(item)
    # The branches come in the order of how often feeds use them (this loop is the cost
    # of the fast path).
    for i, child in enumerate(children):
        tag = child.tag
        found = cache.get(tag)
        if found is None:
            found = _role(child, tag, cache)
        role = found[2]
        if not role:
            if len(child):
                _check_nested(child, cache)
            continue
        prefix = found[0]
        if role == REFUSED:
            raise Unsupported(f"{prefix}:{found[1]}")
        if len(child) and role != "author" and role != "itunes_category":
            if role in _CONTAINERS:
                # Read next, in document order: a list iterator (this loop's) yields
                # what is inserted after its position.
                children[i + 1 : i + 1] = _media_children(child, cache)
            else:
                _check_nested(child, cache)
        if bases is not None:
            base = bases.get(child, "")
        if role == "title":
            # feedparser's title_depth: the first non-empty title or dc:title wins; a
            # media:title is a fallback that any later title replaces.
            if not title_locked:
                _, title, title_lang = text_construct(child, atom, "text/plain", lang, mode)
                title_base = base
                title_locked = bool(title) and prefix != "media"
        elif role == "link":
            href = link_href(child)
            if href is None:
                value = content_text(child, mode)
                if "&" in value:
                    value = _LINK_ENTITY_RE.sub(r"&\g<1>", value.replace("&amp;", "&"))
                link = urljoin(base, value)
            else:
                rel = child.get("rel", "alternate")
                kind = child.get("type", "application/atom+xml" if rel == "self" else "text/html")
                href = urljoin(base, href)
                if rel == "alternate" and is_html_type(kind):
                    link = href
                elif rel == "enclosure":
                    length = _length(child.get("length"))
                    enclosures.append(ParsedEnclosure(href.strip(), kind.strip(), length))
        elif role == "guid":
            permalink = child.get("isPermaLink")
            if permalink is None:
                permalink = child.get("ispermalink", "true")
            is_link = permalink == "true"
            value = content_text(child, mode)
            guid = urljoin(base, value) if is_link else value
            if guid_is_link is None:
                guid_is_link = is_link and link is None
            if is_link and link is None:
                link = guid
        elif role == "published":
            published_raw = content_text(child, mode)
        elif role == "description" or role == "summary":
            if has_summary and not has_content:
                # feedparser: a second summary-like element becomes content (text/plain).
                has_content = True
                kind, value, value_lang = text_construct(child, atom, "text/plain", lang, mode)
                contents.append((kind, value, value_lang, base))
            else:
                default = "text/html" if role == "description" else "text/plain"
                _, summary_value, summary_lang = text_construct(child, atom, default, lang, mode)
                summary, summary_base = (summary_value, summary_lang), base
                has_summary = True
        elif role == "encoded" or role == "content":
            default = "text/plain" if role == "content" else "text/html"
            # Out-of-line content (src="...") is read as any other: xmlfeed ignores "src".
            has_content = True
            kind, value, value_lang = text_construct(child, atom, default, lang, mode)
            contents.append((kind, value, value_lang, base))
            if kind in _TEXT_TYPES:
                has_summary = True  # feedparser's _end_content copies it to "summary"
        elif role == "updated":
            updated_raw = content_text(child, mode)
        elif role == "category":
            tags = tags or _Tags()
            tags.category(child, prefix, mode)
        elif role == "author":
            if atom or len(child):
                authors.append(atom_author(child, mode=mode, bases=bases))
            else:
                authors.append(rss_author(content_text(child, mode)))
        elif role == "enclosure":
            href = child.get("url") or child.get("uri") or child.get("href") or ""
            kind = (child.get("type") or "").strip()
            enclosures.append(ParsedEnclosure(href.strip(), kind, _length(child.get("length"))))
        elif role == "media_content":
            size = _length(child.get("fileSize") or child.get("filesize"))
            href, kind = (child.get("url") or "").strip(), (child.get("type") or "").strip()
            media.append(ParsedEnclosure(href, kind, size))
        elif role == "keywords":
            scheme = _ITUNES_SCHEME if prefix == "itunes" else None
            tags = tags or _Tags()
            tags.add_terms(content_text(child, mode).split(","), scheme)
        elif role == "unlock_title":
            title_locked = False  # _start_image, _start_source: title_depth = -1
        elif role == "itunes_category":
            tags = tags or _Tags()
            for sub in child.iter(str(child.tag)):
                tags.add(sub.get("text"), _ITUNES_SCHEME, None)
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
    if media:
        enclosures += media
    guid = guid.strip() if guid else guid
    return ParsedEntry(
        guid=guid or None,
        link=link_out.strip(),
        title=title,
        summary_html=summary_html,
        content_html=content[1] if content else "",
        authors=tuple(authors),
        categories=tags.terms() if tags is not None else (),
        enclosures=tuple([e for e in enclosures if e.url]) if enclosures else (),
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
