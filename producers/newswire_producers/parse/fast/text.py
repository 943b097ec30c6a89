"""Text, names and URLs of lxml elements, read exactly as feedparser 6.0.14 reads them.

The building blocks of :mod:`newswire_producers.parse.fast.item`: element text after feedparser's
``pop`` (stripped; in UTF-8 documents Latin-1-read UTF-8 repaired; C1 controls read as
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

from newswire_producers.parse.fast.names import Unsupported, split_tag
from newswire_producers.parse.fast.xhtml import embedded_markup, xhtml_markup
from newswire_producers.parse.parsed import ParsedAuthor

__all__ = [
    "C1",
    "MOJIBAKE",
    "Bases",
    "atom_author",
    "content_text",
    "is_html_type",
    "is_xhtml_type",
    "link_href",
    "plain_text",
    "repair_text",
    "rss_author",
    "text_construct",
    "text_mode",
    "urljoin",
    "xml_bases",
]

XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
XML_BASE = "{http://www.w3.org/XML/1998/namespace}base"
HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})
# feedparser.mixin.map_content_type, verbatim.
_TYPE_ALIASES = {
    "text": "text/plain", "plain": "text/plain", "html": "text/html",
    "xhtml": "application/xhtml+xml",
}  # fmt: skip
# feedparser's RSS author parsing (mixin._sync_author_detail), verbatim.
_EMAIL_RE = re.compile(
    r"""(([a-zA-Z0-9\_\-\.\+]+)@((\[[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}\.)|(([a-zA-Z0-9\-]+\.)+))([a-zA-Z]{2,4}|[0-9]{1,3})(\]?))(\?subject=\S+)?"""
)
_looks_like_html = _FeedParserMixin.looks_like_html
_C1_RE = re.compile("[\x80-\x9f]")  # the keys of feedparser's _cp1252 table
assert all(0x80 <= key <= 0x9F for key in _cp1252)
#: :func:`text_mode` bits: which repairs of feedparser's ``pop`` can change a text.
MOJIBAKE = 1
C1 = 2
# U+00C2..U+00F4 in UTF-8, followed by U+0080..U+00BF, markup, a reference or "]]>".
_LEAD_BYTES_RE = re.compile(rb"\xc3[\x82-\xb4](?:\xc2[\x80-\xbf]|[<&\]])")
_C1_UTF8_RE = re.compile(rb"\xc2[\x80-\x9f]")
_C1_BYTE_RE = re.compile(rb"[\x80-\x9f]")
# A character reference to U+0080..U+00FF (decimal 128-255, hex 80-ff).
_CHAR_REF_RE = re.compile(
    rb"&#(?:0*(?:12[89]|1[3-9][0-9]|2[0-4][0-9]|25[0-5])|[xX]0*[89a-fA-F][0-9a-fA-F]);"
)


def link_href(el: etree._Element) -> str | None:
    """The ``href`` feedparser gives a link element (``_enforce_href``: ``url``, else
    ``uri``, else ``href``, when not empty), or None when it has none (a link by text)."""
    if not el.keys():
        return None  # (RSS links have no attribute: one call instead of four)
    value = el.get("url")
    if value is None:
        value = el.get("uri")
        if value is None:
            value = el.get("href")
    return value or el.get("href")


def is_html_type(kind: str) -> bool:
    kind = kind.lower()
    return _TYPE_ALIASES.get(kind, kind) in HTML_TYPES


def is_xhtml_type(kind: str) -> bool:
    """``kind`` (a type attribute) is XHTML as feedparser maps types."""
    kind = kind.lower()
    return _TYPE_ALIASES.get(kind, kind) == "application/xhtml+xml"


def urljoin(base: str, uri: str) -> str:
    """feedparser's ``resolve_uri``: ``_urljoin(base, uri)``; with no base only extra
    slashes after "scheme://" change, so the call is skipped when it cannot."""
    return _feedparser_urljoin(base, uri) if base or ":///" in uri else uri


#: Per document with ``xml:base``: every element -> the base feedparser has in scope in it.
Bases = dict[etree._Element, str]


def xml_bases(root: etree._Element) -> Bases:
    """The ``xml:base`` feedparser has in scope inside each element of ``root``.

    feedparser keeps one running base (``mixin.unknown_starttag``/``unknown_endtag``): a
    start tag joins its ``xml:base`` to it (unsafe schemes refused), an end tag restores
    the parent's base only if that one is not empty; so below a root without
    ``xml:base`` an element's base stays in force after it ends, for what follows.
    """
    bases: Bases = {}
    stack: list[str] = []
    base = ""
    # The joins are pure functions of (base, value), and the same few pairs repeat for
    # every element (most have no xml:base and join the base to itself): each pair is
    # joined once per document (the joins were 40% of a Reddit feed's time).
    joined: dict[tuple[str, str], str] = {}
    for event, el in etree.iterwalk(root, events=("start", "end")):
        if event == "start":
            value = el.get(XML_BASE) or base
            key = (base, value)
            found = joined.get(key)
            if found is None:
                found = joined[key] = (
                    (make_safe_absolute_uri(base, value) or base) if base else urljoin(base, value)
                )
            base = found
            stack.append(base)
            bases[el] = base
        else:
            stack.pop()
            if stack and stack[-1]:
                base = stack[-1]
    return bases


def text_mode(data: bytes, *, utf8: bool) -> int:
    """Which of feedparser's text repairs can change any text of the document ``data``.

    feedparser makes both in every document, whatever its encoding: it transcodes each to
    UTF-8 and its parser's encoding is always "utf-8" (``api.py``). :data:`MOJIBAKE`:
    Latin-1-read UTF-8 can only be repaired in a text holding a character U+00C2..U+00F4
    right before one U+0080..U+00BF, which in UTF-8 bytes is ``C3 82..B4`` then ``C2
    80..BF`` (or markup, or a character reference, in between); in another encoding
    (``utf8`` False) the bytes do not show it, so any non-ASCII document may need it.
    :data:`C1`: a C1 control (U+0080..U+009F) is in the text, from ``C2 80..9F`` in UTF-8
    or a byte 80..9F in a single-byte encoding. Character references to U+0080..U+00FF
    enable both. One scan of the bytes per document spares a scan of every text.
    """
    mode = 0
    # Measured: the regular expression finds "&#" faster than bytes.find does
    # ("&" is frequent in feeds); a search for one rare byte (memchr) is next to free.
    if _CHAR_REF_RE.search(data):
        return MOJIBAKE | C1
    if data.isascii():
        return 0
    if utf8:
        if b"\xc2" not in data:
            return 0  # no U+0080..U+00BF at all: nothing to repair
        if _LEAD_BYTES_RE.search(data):
            mode |= MOJIBAKE
        if _C1_UTF8_RE.search(data):
            mode |= C1
    else:
        mode = MOJIBAKE
        if _C1_BYTE_RE.search(data):
            mode |= C1
    return mode


def content_text(el: etree._Element, mode: int = MOJIBAKE | C1) -> str:
    """An element's text as feedparser's ``pop`` returns it: stripped, then (``mode`` has
    :data:`MOJIBAKE`) Latin-1-read UTF-8 repaired, and (:data:`C1`)
    C1 controls read as windows-1252. ``mode`` is :func:`text_mode` of the document."""
    if len(el):
        raise Unsupported("markup inside a text element")
    text = el.text
    if text is None:
        return ""
    text = text.strip()
    return repair_text(text, mode) if mode and not text.isascii() else text


def repair_text(text: str, mode: int) -> str:
    """feedparser's ``pop`` repairs of a stripped text: for a document whose
    :func:`text_mode` is ``mode``, Latin-1-read UTF-8 and C1 controls."""
    if not mode or text.isascii():
        return text
    if mode & MOJIBAKE:
        with contextlib.suppress(UnicodeEncodeError, UnicodeDecodeError):
            text = text.encode("iso-8859-1").decode("utf-8")
    if not mode & C1:
        return text
    # A C1 control is in the text exactly when its UTF-8 holds C2 80..9F; encoding and a
    # bytes search (a literal first byte: memchr) take a third of the time of a search
    # of the str for [\x80-\x9f] (long contents; most have none). Surrogates
    # (never in XML text) would encode as ED ..., never C2.
    if not _C1_UTF8_RE.search(text.encode("utf-8", "surrogatepass")):
        return text
    # str.translate with a dict costs a Python lookup per character: only the matches.
    return _C1_RE.sub(_c1_char, text)


def _c1_char(match: re.Match[str]) -> str:
    char: str = match.group()
    replaced: str = _cp1252.get(ord(char), char)
    return replaced


def plain_text(el: etree._Element) -> str:
    """Text of an element feedparser pushes without text processing (name, email)."""
    if len(el):
        raise Unsupported("markup inside a text element")
    return (el.text or "").strip()


def text_construct(
    el: etree._Element, atom: bool, default_type: str, lang: str | None, mode: int = 3
) -> tuple[str, str, str]:
    """(type, HTML fragment, xml:lang) of a title/summary/content element, as feedparser
    types it (RSS plain text that looks like HTML is HTML) and xmlfeed reads it."""
    attributes = bool(el.keys())  # (most have none: the lookups below are skipped)
    kind = el.get("type") if attributes else None
    if kind is None:
        kind = default_type  # (the callers' defaults are canonical already)
    else:
        kind = kind.lower()
        kind = _TYPE_ALIASES.get(kind, kind)
    if attributes and el.get("mode"):
        raise Unsupported("Atom 0.3 modes")
    children = len(el)
    if kind == "application/xhtml+xml":
        if not atom:
            raise Unsupported("XHTML outside Atom 1.0")  # no <div> unwrapping there
        value = repair_text(xhtml_markup(el).strip(), mode)
        return kind, value, el.get(XML_LANG) or lang or ""
    if children and not atom and kind.startswith("text/"):
        # Raw markup in an RSS text element: feedparser reads it as XHTML.
        value = repair_text(embedded_markup(el).strip(), mode)
        return "application/xhtml+xml", value, el.get(XML_LANG) or lang or ""
    if not (kind.startswith("text/") or kind.endswith("xml") or kind in HTML_TYPES):
        # feedparser base64-decodes other types (_is_base64); xmlfeed keeps no text of
        # them, but the decoded value could fail or differ: only an empty one is read.
        if children or (el.text and el.text.strip()):
            raise Unsupported("base64 content")
        return kind, "", el.get(XML_LANG) or lang or ""
    if children:
        raise Unsupported("markup inside a text element")
    value = el.text or ""  # content_text, inlined: the fast path's hottest line
    value = value.strip()
    if mode and not value.isascii():
        value = repair_text(value, mode)
    if not atom and kind == "text/plain" and ("<" in value or "&" in value):
        kind = "text/html" if _looks_like_html(value) else kind
    language = (el.get(XML_LANG) if attributes else None) or lang or ""
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


def atom_author(el: etree._Element, *, mode: int, bases: Bases | None) -> ParsedAuthor:
    """An Atom person (or an RSS author with child elements): name, email, uri; the uri
    resolved against its ``xml:base`` when the document has any (``bases``)."""
    fields = {"name": "", "email": "", "uri": ""}
    uri_base = ""
    for child in el:
        if isinstance(child.tag, str):
            local = split_tag(child.tag)[1]
            key = "uri" if local in ("uri", "url", "homepage") else local
            if key == "uri":
                fields[key] = content_text(child, mode)
                uri_base = bases.get(child, "") if bases is not None else ""
            elif key in fields:
                fields[key] = plain_text(child)
    if not any(fields.values()):
        if el.text and el.text.strip():
            return rss_author(content_text(el, mode))
        return ParsedAuthor()
    return ParsedAuthor(fields["name"], fields["email"], urljoin(uri_base, fields["uri"]))
