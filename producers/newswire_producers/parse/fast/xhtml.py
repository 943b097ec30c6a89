"""Atom XHTML text constructs (``type="xhtml"``) serialized exactly as feedparser does.

feedparser 6.0.14 (strict parser, no sanitizing, no URI resolution) turns the markup of an
XHTML construct back into text as it reads it (``mixin.unknown_starttag`` /
``unknown_endtag`` in content, ``handle_data``, ``pop``):

* a start tag is ``<name attrs>``, an end tag ``</name>`` (an empty element gives both:
  ``<br></br>``), the name being the lower-cased local name without prefix;
* attributes keep document order, names lower-cased, ``rel`` and ``type`` values
  lower-cased, values escaped with ``xml.sax.saxutils.escape`` plus ``"``;
* text is escaped with ``xml.sax.saxutils.escape`` (``&``, ``<``, ``>``);
* in Atom 1.0 an enclosing ``<div>`` that wraps everything is removed, then the result is
  stripped (and repaired as every text: :func:`newswire_producers.parse.fast.text.repair_text`).

What this module does not reproduce raises :class:`Unsupported` (the document goes to
feedparser): an element whose end tag names a feedparser handler (``<title>``, ``<link>``,
``xhtml:body``... which feedparser acts on even inside content), SVG and MathML (feedparser
adds ``xmlns`` attributes and changes its end-tag handling), namespaced attributes other
than ``xml:lang``/``xml:base`` (their keys depend on expat's qname reporting), and
attribute names that collide once lower-cased.
"""

from __future__ import annotations

from feedparser.api import StrictFeedParser
from lxml import etree

from newswire_producers.parse.fast.names import Unsupported, prefix_is_fixed, prefix_of, split_tag

__all__ = ["embedded_markup", "xhtml_markup"]

_XML_NS = "{http://www.w3.org/XML/1998/namespace}"
# tag (or (tag, prefix) in a namespace feedparser does not know) -> (name, refusal).
_NAMES: dict[object, tuple[str, str]] = {}
_NAMES_MAX = 4096
_LOWER_VALUES = frozenset({"rel", "type"})  # strict.py _normalize_attributes


def xhtml_markup(el: etree._Element) -> str:
    """The content of the XHTML construct ``el`` as feedparser's ``pop`` joins it, before
    stripping and text repair. Raises :class:`Unsupported` (see the module docstring)."""
    pieces: list[str] = []
    if el.text:
        pieces.append(_escape(el.text))
    for child in el:
        _element(child, pieces, False)
        if child.tail:
            pieces.append(_escape(child.tail))
    return "".join(_unwrap_div(pieces))


def embedded_markup(el: etree._Element) -> str:
    """The content of an RSS text element that holds raw markup, as feedparser joins it.

    feedparser (``unknown_starttag``: "element declared itself as escaped markup, but it
    isn't really") retypes the element as XHTML at its first child element and from then
    on serializes as above; the text before that child stays as it was (not escaped), and
    outside Atom 1.0 no ``<div>`` is unwrapped. A ``<div>`` anywhere inside is refused:
    feedparser skips a leading one ("typepad does this") but not its end tag.
    """
    pieces = [el.text] if el.text else []
    for child in el:
        _element(child, pieces, True)
        if child.tail:
            pieces.append(_escape(child.tail))
    return "".join(pieces)


def _escape(text: str) -> str:
    """``xml.sax.saxutils.escape(text)``, inlined (it runs once per text node)."""
    return text.replace("&", "&amp;").replace(">", "&gt;").replace("<", "&lt;")


def _name(el: etree._Element, tag: str) -> str:
    """The name feedparser writes for ``tag`` (its lower-cased local name), or raises
    :class:`Unsupported` for an element it does not serialize as text. Cached (this runs
    for every element of XHTML content): the answer depends on the tag alone, and on the
    element's prefix only in a namespace feedparser does not know (keyed by both then)."""
    found = _NAMES.get(tag)
    if found is None:
        ns, local = split_tag(tag)
        key: object = tag if prefix_is_fixed(ns) else (tag, el.prefix)
        found = _NAMES.get(key)
        if found is None:
            name = local.lower()
            prefix = prefix_of(el, ns).lower()
            handler = f"_end_{prefix}_{name}" if prefix else f"_end_{name}"
            if name in ("svg", "math"):
                found = ("", f"<{name}> in XHTML content")
            elif hasattr(StrictFeedParser, handler):
                found = ("", f"<{local}> in XHTML content")
            else:
                found = (name, "")
            if len(_NAMES) >= _NAMES_MAX:
                _NAMES.clear()  # bounded: the tags come from untrusted documents
            _NAMES[key] = found
    if found[1]:
        raise Unsupported(found[1])
    return found[0]


def _element(el: etree._Element, pieces: list[str], refuse_div: bool) -> None:
    tag = el.tag
    if not isinstance(tag, str):
        raise Unsupported("an entity or other node in XHTML content")
    name = _name(el, tag)
    if refuse_div and name == "div":
        raise Unsupported("<div> in XHTML content")
    if el.attrib:
        attrs = []
        seen = set()
        for key, value in el.items():
            if key[0] == "{":
                if not key.startswith(_XML_NS):
                    raise Unsupported("a namespaced attribute in XHTML content")
                key = "xml:" + key[len(_XML_NS) :]
            key = key.lower()
            if key in seen:
                raise Unsupported("attribute names that differ only in case")
            seen.add(key)
            if key in _LOWER_VALUES:
                value = value.lower() or value
            value = _escape(value).replace('"', "&quot;")
            attrs.append(f' {key}="{value}"')
        pieces.append(f"<{name}{''.join(attrs)}>")
    else:
        pieces.append(f"<{name}>")
    text = el.text
    if text:
        pieces.append(_escape(text))
    for child in el:
        _element(child, pieces, refuse_div)
        tail = child.tail
        if tail:
            pieces.append(_escape(tail))
    pieces.append(f"</{name}>")


def _unwrap_div(pieces: list[str]) -> list[str]:
    """feedparser's ``pop`` for Atom 1.0 XHTML: drop blank pieces at both ends, then a
    ``<div>`` that encloses all the rest."""
    while pieces and len(pieces) > 1 and not pieces[-1].strip():
        del pieces[-1]
    while pieces and len(pieces) > 1 and not pieces[0].strip():
        del pieces[0]
    if (
        pieces
        and (pieces[0] == "<div>" or pieces[0].startswith("<div "))
        and pieces[-1] == "</div>"
    ):
        depth = 0
        for piece in pieces[:-1]:
            if piece.startswith("</"):
                depth -= 1
                if depth == 0:
                    break
            elif piece.startswith("<") and not piece.endswith("/>"):
                depth += 1
        else:
            return pieces[1:-1]
    return pieces
