"""Text, names and URLs of lxml elements, read exactly as feedparser 6.0.14 reads them.

The building blocks of :mod:`producers.fastitem`: element text after feedparser's ``pop``
(stripped; in UTF-8 documents Latin-1-read UTF-8 repaired; C1 controls read as
windows-1252), text constructs typed as feedparser types them, RSS and Atom authors, and
URLs resolved against the ``xml:base`` in scope the way feedparser tracks it
(``mixin.unknown_starttag``). Anything these rules do not reproduce raises
:class:`Unsupported`, and the caller hands the document to feedparser.
"""

from __future__ import annotations

import contextlib
import html
import re

from feedparser.html import _cp1252
from feedparser.mixin import _FeedParserMixin
from feedparser.urls import _urljoin as _feedparser_urljoin
from feedparser.urls import make_safe_absolute_uri
from lxml import etree

from producers.parsed import ParsedAuthor

__all__ = [
    "Unsupported",
    "atom_author",
    "content_text",
    "element_base",
    "is_html_type",
    "plain_text",
    "prefix_of",
    "rss_author",
    "split_tag",
    "text_construct",
    "urljoin",
]

XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
XML_BASE = "{http://www.w3.org/XML/1998/namespace}base"
HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})
_TYPE_ALIASES = {"text": "text/plain", "html": "text/html", "xhtml": "application/xhtml+xml"}
# feedparser's prefix for a namespace URI (matched lower-cased, as its track_namespace);
# an unknown namespace gets the document's own prefix (feedparser's unknown_starttag).
_PREFIXES = {uri.lower(): prefix for uri, prefix in _FeedParserMixin.namespaces.items()}
# feedparser's RSS author parsing (mixin._sync_author_detail), verbatim.
_EMAIL_RE = re.compile(
    r"""(([a-zA-Z0-9\_\-\.\+]+)@((\[[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}\.)|(([a-zA-Z0-9\-]+\.)+))([a-zA-Z]{2,4}|[0-9]{1,3})(\]?))(\?subject=\S+)?"""
)
_looks_like_html = _FeedParserMixin.looks_like_html
_C1_RE = re.compile("[\x80-\x9f]")  # the keys of feedparser's _cp1252 table
assert all(0x80 <= key <= 0x9F for key in _cp1252)


class Unsupported(Exception):
    """The element uses something the fast path does not reproduce: use feedparser."""


def split_tag(tag: str) -> tuple[str, str]:
    """``{ns}local`` -> (ns, local); ``local`` -> ("", local)."""
    if tag[0] == "{":
        ns, _, local = tag[1:].partition("}")
        return ns, local
    return "", tag


def prefix_of(el: etree._Element, ns: str) -> str:
    """The prefix feedparser files ``el`` under: "" for RSS/Atom, "dc", "media"..."""
    if not ns:
        return ""
    known = _PREFIXES.get(ns.lower())
    return known if known is not None else (el.prefix or "")


def is_html_type(kind: str) -> bool:
    kind = kind.lower()
    return _TYPE_ALIASES.get(kind, kind) in HTML_TYPES


def urljoin(base: str, uri: str) -> str:
    """feedparser's ``resolve_uri``: ``_urljoin(base, uri)``; with no base only extra
    slashes after "scheme://" change, so the call is skipped when it cannot."""
    return _feedparser_urljoin(base, uri) if base or ":///" in uri else uri


def element_base(el: etree._Element) -> str:
    """The ``xml:base`` feedparser has in scope inside ``el`` (every ancestor's joined in
    turn, unsafe schemes refused, as ``unknown_starttag``); "" when none applies."""
    base = ""
    for node in (*reversed(tuple(el.iterancestors())), el):
        value = node.get(XML_BASE) or base
        base = (make_safe_absolute_uri(base, value) or base) if base else urljoin(base, value)
    return base


def content_text(el: etree._Element, utf8: bool = True) -> str:
    """An element's text as feedparser's ``pop`` returns it: stripped, then (``utf8``: for
    UTF-8 documents) Latin-1-read UTF-8 repaired, and C1 controls read as windows-1252."""
    if len(el):
        raise Unsupported("markup inside a text element")
    text = (el.text or "").strip()
    if text.isascii():
        return text
    if utf8:
        with contextlib.suppress(UnicodeEncodeError, UnicodeDecodeError):
            text = text.encode("iso-8859-1").decode("utf-8")
    # str.translate with a dict costs a Python lookup per character: only when needed.
    return text.translate(_cp1252) if _C1_RE.search(text) else text


def plain_text(el: etree._Element) -> str:
    """Text of an element feedparser pushes without text processing (name, email)."""
    if len(el):
        raise Unsupported("markup inside a text element")
    return (el.text or "").strip()


def text_construct(
    el: etree._Element, *, atom: bool, default_type: str, lang: str | None, utf8: bool = True
) -> tuple[str, str, str]:
    """(type, HTML fragment, xml:lang) of a title/summary/content element, as feedparser
    types it (RSS plain text that looks like HTML is HTML) and xmlfeed reads it."""
    kind = el.get("type", default_type).lower()
    kind = _TYPE_ALIASES.get(kind, kind)
    if el.get("mode") or kind == "application/xhtml+xml":
        raise Unsupported("Atom 0.3 modes and XHTML content")
    if not (kind.startswith("text/") or kind.endswith("xml") or kind in HTML_TYPES):
        raise Unsupported("base64 content")
    value = content_text(el, utf8)
    if not atom and kind == "text/plain" and ("<" in value or "&" in value):
        kind = "text/html" if _looks_like_html(value) else kind
    language = el.get(XML_LANG) or lang or ""
    if kind in HTML_TYPES:
        return kind, value, language
    return kind, html.escape(value, quote=False), language


def rss_author(text: str) -> ParsedAuthor:
    """ "jo@example.org (Jo)" -> name and email, as feedparser's _sync_author_detail."""
    email = ""
    match = _EMAIL_RE.search(text) if "@" in text else None
    if match:
        email = match.group(0)
        text = text.replace(email, "").replace("()", "").replace("<>", "")
        text = text.replace("&lt;&gt;", "").strip()
        if text and text[0] == "(":
            text = text[1:]
        if text and text[-1] == ")":
            text = text[:-1]
        text = text.strip()
    return ParsedAuthor(text, email, "")


def atom_author(el: etree._Element, *, utf8: bool, base: bool) -> ParsedAuthor:
    """An Atom person (or an RSS author with child elements): name, email, uri; the uri
    resolved against its ``xml:base`` when the document has any (``base``)."""
    fields = {"name": "", "email": "", "uri": ""}
    uri_base = ""
    for child in el:
        if isinstance(child.tag, str):
            local = split_tag(child.tag)[1]
            key = "uri" if local in ("uri", "url", "homepage") else local
            if key == "uri":
                fields[key] = content_text(child, utf8)
                uri_base = element_base(child) if base else ""
            elif key in fields:
                fields[key] = plain_text(child)
    if not any(fields.values()):
        if el.text and el.text.strip():
            return rss_author(content_text(el, utf8))
        return ParsedAuthor()
    return ParsedAuthor(fields["name"], fields["email"], urljoin(uri_base, fields["uri"]))
