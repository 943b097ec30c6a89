"""HTML from feeds made safe (nh3), and rendered as plain text.

Every HTML string that leaves newswire went through :func:`sanitize` (DESIGN.md, "Safety of
fetching and parsing"): nh3's allow-list of tags and attributes, URLs only http, https or
mailto, relative URLs resolved against the item's base, comments dropped, ``<script>`` and
``<style>`` removed with their content.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import TypeVar

import nh3

__all__ = ["Sanitized", "html_to_text", "sanitize", "text_line"]

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


def sanitize(fragment: str, base: str | None) -> Sanitized:
    """``fragment`` cleaned by nh3, relative URLs resolved against ``base`` (dropped if None).

    Guarantees: the result has only nh3's allowed tags and attributes and only http, https
    or mailto URLs; ``changed`` is True when the input held active or embedded content
    (script, style, iframe, object, form..., ``on*`` handlers, or URLs of other schemes
    such as ``javascript:`` or ``data:``), which sanitizing removed. Never raises.
    """
    if not fragment.strip():
        return Sanitized("", changed=False)
    return Sanitized(_clean(fragment, base).strip(), changed=_has_dangerous_markup(fragment))


def _clean(fragment: str, base: str | None) -> str:
    if base:
        try:
            return nh3.clean(
                fragment, url_schemes=_URL_SCHEMES, url_relative=("rewrite_with_base", base)
            )
        except ValueError:  # a base nh3 cannot parse: fall through and drop relative URLs
            pass
    return nh3.clean(fragment, url_schemes=_URL_SCHEMES, url_relative="deny")


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
                # Browsers ignore ASCII whitespace and control characters inside a scheme.
                squeezed = "".join(c for c in value if c > " ").lower()
                match = _SCHEME_RE.match(squeezed)
                if match and match.group(1) not in _URL_SCHEMES:
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
