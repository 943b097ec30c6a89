"""HTML from feeds made safe (nh3), and rendered as plain text.

Every HTML string that leaves newswire went through :func:`sanitize` (DESIGN.md, "Safety of
fetching and parsing"): nh3's allow-list of tags and attributes, URLs only http, https or
mailto, relative URLs resolved against the item's base, comments dropped, ``<script>`` and
``<style>`` removed with their content. Markup nested deeper than ``MAX_DEPTH`` elements is
flattened first (the tags beyond that depth dropped, their text kept): an HTML parser's cost
grows faster than linearly with nesting, and 100,000 nested ``<div>`` (under 1 KB gzipped)
would otherwise cost a worker half a minute of CPU.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import TypeVar

import nh3

__all__ = [
    "MAX_DEPTH",
    "Sanitized",
    "active_scheme",
    "flatten_deep",
    "html_to_text",
    "plain_text",
    "sanitize",
    "text_line",
]

#: Elements nested deeper than this are flattened before any parser sees the fragment. No
#: article needs it; browsers themselves stop nesting at 512 (Blink) levels.
MAX_DEPTH = 256

_URL_SCHEMES = {"http", "https", "mailto"}
# Elements whose removal changes what a reader would get: active content, embeds, forms.
_DANGEROUS_TAGS = frozenset(
    {"script", "style", "iframe", "frame", "frameset", "object", "embed", "applet", "form",
     "input", "button", "textarea", "select", "meta", "link", "base", "svg", "math"}
)  # fmt: skip
_URL_ATTRIBUTES = frozenset(
    {"href", "src", "action", "formaction", "xlink:href", "data", "poster", "background",
     "lowsrc", "dynsrc", "cite"}
)  # fmt: skip
_SCHEME_RE = re.compile(r"^([a-z][a-z0-9+.-]*):")
# Schemes a browser runs or reads from the local machine when a link is followed.
_ACTIVE_SCHEMES = frozenset(
    {"javascript", "vbscript", "livescript", "mocha", "data", "file", "blob", "filesystem"}
)
_TAG_LIKE = re.compile(r"<[a-zA-Z!/?]")
# nh3 checks the schemes of href and src only; these allowed attributes also hold URLs.
_UNCHECKED_URL_ATTRIBUTES = frozenset({"cite"})
_ATTRIBUTES = {
    tag: set(attrs) - _UNCHECKED_URL_ATTRIBUTES for tag, attrs in nh3.ALLOWED_ATTRIBUTES.items()
}
_HAS_CITE = re.compile(r"\scite\s*=", re.IGNORECASE)
# A start or end tag (not a comment, doctype or processing instruction).
_TAG = re.compile(r"<(/?)([A-Za-z][^\s/>]*)[^>]*?(/?)>")
_VOID = frozenset(
    {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param",
     "source", "track", "wbr"}
)  # fmt: skip
_CONTROLS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_BLOCK_TAGS = frozenset(
    {"address", "article", "aside", "blockquote", "caption", "dd", "details", "div", "dl", "dt",
     "figcaption", "figure", "footer", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hgroup",
     "hr", "li", "nav", "ol", "p", "pre", "section", "summary", "table", "tr", "ul"}
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class Sanitized:
    html: str
    changed: bool  # something dangerous (scripts, handlers, javascript: URLs, embeds) was removed
    flattened: bool = False  # nesting deeper than MAX_DEPTH was flattened


def sanitize(fragment: str, base: str | None) -> Sanitized:
    """``fragment`` cleaned by nh3, relative URLs resolved against ``base`` (dropped if None).

    Guarantees: the result has only nh3's allowed tags and attributes and only http, https
    or mailto URLs; ``changed`` is True when the input held active or embedded content
    (script, style, iframe, object, form..., ``on*`` handlers, or URLs of other schemes
    such as ``javascript:`` or ``data:``), which sanitizing removed. Never raises.
    """
    if not fragment.strip():
        return Sanitized("", changed=False)
    fragment, flattened = flatten_deep(fragment)
    return Sanitized(
        _clean(fragment, base).strip(), _has_dangerous_markup(fragment), flattened=flattened
    )


def flatten_deep(fragment: str, max_depth: int = MAX_DEPTH) -> tuple[str, bool]:
    """``fragment`` with the tags nested deeper than ``max_depth`` removed (their text
    kept), and whether any were. Linear in the fragment's length; a fragment with fewer
    tags than ``max_depth`` is returned as it is without a scan."""
    if fragment.count("<") <= max_depth:
        return fragment, False
    out: list[str] = []
    open_tags: list[str] = []  # the kept elements, innermost last (at most max_depth)
    excess = 0  # elements opened beyond max_depth and not closed yet (their tags dropped)
    flattened = False
    last = 0
    for tag in _TAG.finditer(fragment):
        closing, name, self_closing = tag.group(1), tag.group(2).lower(), tag.group(3)
        if not closing and (self_closing or name in _VOID):
            continue  # no nesting
        keep = True
        if not closing:
            if len(open_tags) < max_depth:
                open_tags.append(name)
            else:
                excess, keep = excess + 1, False
        elif excess:
            excess, keep = excess - 1, False
        elif name in open_tags:
            del open_tags[len(open_tags) - 1 - open_tags[::-1].index(name) :]
        if not keep:
            flattened = True
            out.append(fragment[last : tag.start()])
            last = tag.end()
    if not flattened:
        return fragment, False
    out.append(fragment[last:])
    return "".join(out), True


def _clean(fragment: str, base: str | None) -> str:
    attributes: dict[str, set[str]] | None = _ATTRIBUTES
    check: Callable[[str, str, str], str | None] | None = None
    if _HAS_CITE.search(fragment):  # rare: keep the cite URLs that pass the scheme rules
        attributes, check = None, _url_attribute
    if base:
        try:
            return nh3.clean(
                fragment, attributes=attributes, attribute_filter=check,
                url_schemes=_URL_SCHEMES, url_relative=("rewrite_with_base", base),
            )  # fmt: skip
        except ValueError:  # a base nh3 cannot parse: fall through and drop relative URLs
            pass
    return nh3.clean(
        fragment, attributes=attributes, attribute_filter=check,
        url_schemes=_URL_SCHEMES, url_relative="deny",
    )  # fmt: skip


def _url_attribute(tag: str, name: str, value: str) -> str | None:
    """nh3's attribute filter: an unchecked URL attribute (``cite``) is kept only when it is
    an absolute URL of an allowed scheme."""
    del tag
    if name not in _UNCHECKED_URL_ATTRIBUTES:
        return value
    return value if _scheme(value) in _URL_SCHEMES else None


def _scheme(url: str) -> str | None:
    """The scheme of ``url`` as a browser reads it (ASCII whitespace and control characters
    inside it ignored, any case), or None for a relative URL."""
    match = _SCHEME_RE.match("".join(c for c in url if c > " ").lower())
    return match.group(1) if match else None


class _DangerScanner(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _DANGEROUS_TAGS:
            self.found = True
        for name, value in attrs:
            if name.startswith("on"):
                self.found = True
            elif name in _URL_ATTRIBUTES and value:
                scheme = _scheme(value)
                if scheme is not None and scheme not in _URL_SCHEMES:
                    self.found = True


def _has_dangerous_markup(fragment: str) -> bool:
    return _parsed(_DangerScanner, fragment).found


_P = TypeVar("_P", bound=HTMLParser)


def _parsed(parser_type: Callable[[], _P], fragment: str) -> _P:
    """``fragment`` fed to a new parser. html.parser (CPython 3.11/3.12) raises
    AssertionError on a marked section it does not know (``<![CD%TA[``); such a section is
    not markup a browser acts on, so the fragment is read again with it as text."""
    parser = parser_type()
    try:
        parser.feed(fragment)
        parser.close()
    except AssertionError:
        parser = parser_type()
        parser.feed(fragment.replace("<![", "&lt;!["))
        parser.close()
    return parser


class _TextCollector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.hidden = 0  # inside script or style: not text a reader sees

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style"):
            self.hidden += 1
        elif tag in _BLOCK_TAGS:
            self.parts.append("\n\n")
        elif tag == "br":
            self.parts.append("\n")
        elif tag in ("td", "th", "img"):
            self.parts.append(" ")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style"):
            self.hidden = max(0, self.hidden - 1)
        elif tag in _BLOCK_TAGS:
            self.parts.append("\n\n")

    def handle_data(self, data: str) -> None:
        if self.hidden:
            return
        # Line breaks in the source are not line breaks in the rendering; C0 controls (a
        # NUL from "&#0;" in a not-well-formed feed) are not text at all.
        self.parts.append(_CONTROLS.sub("", data).replace("\r", " ").replace("\n", " "))


def html_to_text(fragment: str) -> str:
    """Plain text of an HTML fragment: entities decoded, whitespace collapsed, blocks
    (paragraphs, list items, headings...) separated by a blank line, ``<br>`` kept as a
    newline; the content of script and style elements is not text. Never raises.
    """
    paragraphs = []
    for block in re.split(r"\n{2,}", "".join(_parsed(_TextCollector, fragment).parts)):
        lines = (" ".join(line.split()) for line in block.split("\n"))
        paragraph = "\n".join(line for line in lines if line)
        if paragraph:
            paragraphs.append(paragraph)
    return "\n\n".join(paragraphs)


def text_line(fragment: str) -> str:
    """Plain text of an HTML fragment on one line (tags stripped, entities decoded,
    all whitespace collapsed to single spaces): for titles and names."""
    return " ".join(html_to_text(fragment).split())


def plain_text(value: str) -> str:
    """A title, name or category as plain text on one line: tags stripped and entities
    decoded until neither is left (a feed that escaped HTML twice, ``&amp;lt;svg
    onload=...&amp;gt;``, decodes into markup once per pass; after three passes a value
    still holding markup is dropped: it is not text). Never raises."""
    value = " ".join(value.split())
    for _ in range(3):
        if not _TAG_LIKE.search(value) and "&" not in value:
            return value
        decoded = text_line(value)
        if decoded == value:
            return value
        value = decoded
    return "" if _TAG_LIKE.search(value) else value


def active_scheme(value: str) -> str | None:
    """The scheme of ``value`` when it is one a browser would run (``javascript:``,
    ``data:``, ...), read as a browser does (whitespace and controls inside ignored)."""
    scheme = _scheme(value)
    return scheme if scheme in _ACTIVE_SCHEMES else None
