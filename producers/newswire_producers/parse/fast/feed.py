"""The fast path of XML feed parsing: lxml's C parser and a direct element mapping.

feedparser (:mod:`newswire_producers.parse.xmlfeed`) is the reference; this module reproduces what
it yields for the feeds most servers send, several times faster (8x to 20x and more
on the benchmarks, see bench/parse_bench.py), and answers ``None`` for everything else so
the caller falls back to feedparser. It handles well-formed XML without a DOCTYPE, in
UTF-8 or a single-byte legacy encoding the caller has checked (or UTF-8 the caller
transcoded from a multi-byte one: :mod:`newswire_producers.parse.parser`); RSS 0.90-0.94 and 2.0,
RSS 1.0 (RDF), Atom 1.0, and Atom 0.3 without XHTML content; ``xml:base``
(:func:`newswire_producers.parse.fast.text.xml_bases`); the item elements of
:mod:`newswire_producers.parse.fast.item` (roles: :mod:`newswire_producers.parse.fast.roles`),
extension elements feedparser ignores, XHTML and raw markup
(:mod:`newswire_producers.parse.fast.xhtml`). Anything else (undefined entities, Atom 0.3 modes and
XHTML, plain ``lang``/``base`` attributes, SVG in content...) is feedparser's.
``tests/corpus/test_differential.py`` checks the two agree over the shared corpus.

Safety (DESIGN.md): the parser gets bytes only, never a URL or a path; it expands no
entity (``resolve_entities=False``), loads no DTD, opens no network connection and keeps
libxml2's size limits (``huge_tree=False``); a document with a DOCTYPE is not read here.
"""

from __future__ import annotations

import threading

from lxml import etree

from newswire_producers.parse.fast.item import Cache, entry_from
from newswire_producers.parse.fast.names import Unsupported, split_tag
from newswire_producers.parse.fast.roles import (
    ATOM03,
    ATOM10,
    CORE_NAMESPACES,
    RDF,
    RSS090,
    RSS1,
    summary_state,
)
from newswire_producers.parse.fast.scan import attribute_scan
from newswire_producers.parse.fast.text import (
    Bases,
    content_text,
    is_html_type,
    is_xhtml_type,
    link_href,
    text_construct,
    text_mode,
    urljoin,
    xml_bases,
)
from newswire_producers.parse.parsed import ParsedFeed, join_url

__all__ = ["parse_fast"]

_ITEM_TAGS = tuple(
    f"{{{ns}}}{local}" if ns else local for ns in CORE_NAMESPACES for local in ("item", "entry")
)
_RSS_VERSIONS = {"0.91": "rss09x", "0.92": "rss09x", "0.93": "rss09x", "0.94": "rss09x"}
_XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
_DC = "http://purl.org/dc/elements/1.1/"
_LANGUAGE_TAGS = tuple(f"{{{ns}}}language" if ns else "language" for ns in (*CORE_NAMESPACES, _DC))
_LINKISH = ("link", "id", "guid")
_local = threading.local()  # an lxml parser must not be shared between threads


def _parser(encoding: str | None = None) -> etree.XMLParser:
    """This thread's parser; with ``encoding``, one that reads every document in it
    whatever the document declares."""
    parsers: dict[str | None, etree.XMLParser] | None = getattr(_local, "parsers", None)
    if parsers is None:
        parsers = _local.parsers = {}
    parser = parsers.get(encoding)
    if parser is None:
        if len(parsers) >= 16:
            parsers.clear()  # bounded: one per legacy encoding met (a handful)
        parser = parsers[encoding] = etree.XMLParser(
            encoding=encoding,
            resolve_entities=False,
            no_network=True,
            huge_tree=False,
            load_dtd=False,
            recover=False,
            remove_comments=True,
            remove_pis=True,
            collect_ids=False,
        )
    return parser


def parse_fast(data: bytes, *, url: str, encoding: str | None = None) -> ParsedFeed | None:
    """``data`` as feedparser would read it, or None if feedparser must read it.

    ``data`` must be in the encoding it declares (UTF-8 when none), or in ``encoding``
    (a Python codec name: UTF-8 or a single-byte encoding), which overrides the
    declaration; the caller checks. Guarantees: never raises; a non-None result equals
    (for the fields the normalizer uses) what
    :func:`newswire_producers.parse.xmlfeed.parse_xml_feed` returns when given the same encoding,
    without flags (the caller adds them).
    """
    try:
        root = etree.fromstring(data, _parser(encoding))
        docinfo = root.getroottree().docinfo
        if docinfo.doctype:
            return None  # a DTD may define entities or defaults that feedparser applies
        plain, xml_base = attribute_scan(root)
        if plain:
            return None  # feedparser reads lang="..." as xml:lang: not reproduced here
        used = (encoding or docinfo.encoding or "utf-8").lower().replace("_", "-")
        mode = text_mode(data, utf8=used in ("utf-8", "utf8"))
        # feedparser resolves links against every xml:base in scope; most feeds have none.
        bases = xml_bases(root) if xml_base else None
        return _feed(root, data, url, mode=mode, bases=bases)
    except (etree.XMLSyntaxError, Unsupported, ValueError, LookupError):
        return None


def _feed(
    root: etree._Element, data: bytes, url: str, *, mode: int, bases: Bases | None
) -> ParsedFeed | None:
    if not isinstance(root.tag, str):
        return None
    ns, local = split_tag(root.tag)
    if ns == "" and local == "rss":
        fmt = _RSS_VERSIONS.get(root.get("version", ""), "rss2")
        channel = root.find("channel")
        atom = False
    elif ns == ATOM10 and local == "feed":
        if root.get("version") in ("0.1", "0.2", "0.3"):
            return None
        fmt, channel, atom = "atom10", root, True
    elif ns == ATOM03 and local == "feed":
        # feedparser's version: from the version attribute (_start_feed), "atom" without
        # one; either way it unwraps no <div> of XHTML content (pop: atom10 only), which
        # the fast path always does: such documents are feedparser's.
        if _has_xhtml_type(root):
            return None
        fmt = "atom03" if root.get("version") in ("0.1", "0.2", "0.3") else "atom10"
        channel, atom = root, True
    elif ns == RDF and local == "RDF" and root.find(f"{{{RSS1}}}channel") is not None:
        fmt, channel, atom = "rss1", root.find(f"{{{RSS1}}}channel"), False
    elif ns == RDF and local == "RDF" and root.find(f"{{{RSS090}}}channel") is not None:
        fmt, channel, atom = "rss09x", root.find(f"{{{RSS090}}}channel"), False
    else:
        return None  # Atom 0.3 in the 2005 namespace, CDF, unknown roots: feedparser
    # feedparser reads an item wherever it is; the fast path only the channel's (and for
    # RSS 0.90 and 1.0 the root's, after the channel).
    items = list(root.iter(*_ITEM_TAGS))
    direct = sum(1 for _ in channel.iterchildren(*_ITEM_TAGS)) if channel is not None else 0
    if channel is not root:
        direct += sum(1 for _ in root.iterchildren(*_ITEM_TAGS))
    if direct != len(items):
        raise Unsupported("an item outside the channel")
    if not items and channel is None:
        return None
    channel_lang = _channel_language(channel, mode)
    root_lang = root.get(_XML_LANG) or None
    # Only xml:lang is inherited: feedparser's <language> sets no entry's language.
    lang = (channel.get(_XML_LANG) if channel is not None else None) or root_lang
    carry = summary_state(channel)
    cache: Cache = {}
    entries = tuple(
        [
            entry_from(
                item,
                atom=atom,
                lang=lang,
                has_content=carry and i == 0,
                cache=cache,
                mode=mode,
                url=url if bases is not None else None,
                bases=bases,
            )
            for i, item in enumerate(items)
        ]
    )
    title, title_lang = _feed_title(channel, atom=atom, lang=lang, mode=mode)
    return ParsedFeed(
        title=title,
        link=join_url(url, _feed_link(channel, mode=mode, bases=bases)),
        language=channel_lang or root_lang or title_lang or None,
        format=fmt,
        entries=entries,
        flags=frozenset(),
    )


def _has_xhtml_type(root: etree._Element) -> bool:
    """Some element of the document has an XHTML ``type`` (as feedparser reads types)."""
    return any(is_xhtml_type(kind) for el in root.iter(etree.Element) if (kind := el.get("type")))


def _children(parent: etree._Element | None, local: str) -> list[etree._Element]:
    if parent is None:
        return []
    tags = [f"{{{ns}}}{local}" if ns else local for ns in CORE_NAMESPACES]
    return list(parent.iterchildren(*tags))


def _channel_language(channel: etree._Element | None, mode: int) -> str:
    """The last <language> or dc:language (feedparser stores each, the last one stays)."""
    language = ""
    if channel is not None:
        for child in channel.iterchildren(*_LANGUAGE_TAGS):
            language = content_text(child, mode)
    return language


def _feed_title(
    channel: etree._Element | None, *, atom: bool, lang: str | None, mode: int
) -> tuple[str, str]:
    for el in _children(channel, "title"):
        _, html, language = text_construct(
            el, atom=atom, default_type="text/plain", lang=lang, mode=mode
        )
        if html:
            return html, language
    return "", ""


def _feed_link(channel: etree._Element | None, *, mode: int, bases: Bases | None) -> str:
    """feedparser's feed "link": the last link element, else a permalink id or guid."""
    link: str | None = None
    tags = [f"{{{ns}}}{name}" if ns else name for ns in CORE_NAMESPACES for name in _LINKISH]
    for el in channel.iterchildren(*tags) if channel is not None else ():
        local = split_tag(str(el.tag))[1]
        if local == "link":
            href = link_href(el)
            base = bases.get(el, "") if bases is not None else ""
            if href is None:
                link = urljoin(base, content_text(el, mode))
            elif el.get("rel", "alternate") == "alternate" and is_html_type(
                el.get("type", "text/html")
            ):
                link = urljoin(base, href)
        elif local in ("id", "guid") and link is None and el.get("isPermaLink", "true") == "true":
            link = content_text(el, mode)
    return link or ""
