"""Whole-document checks that decide whether the fast parse path may read a feed.

Each is one pass, as cheap as measured (on a large feed these checks cost as much
as a good part of the parse):

* :func:`prolog_ends_at_root`: the document starts, after an optional byte-order mark,
  white space, XML declaration, processing instructions and comments, with its root
  element. Entities can only be declared in a DOCTYPE, which sits in that prolog, so a
  document that passes holds no entity declaration (DESIGN.md: rejected before parsing)
  and no DTD at all.
* :func:`attribute_scan`: some element may carry a ``lang`` or ``base`` attribute
  without the ``xml:`` prefix, which feedparser reads as ``xml:lang`` / ``xml:base``
  (``mixin.unknown_starttag``) and the fast path does not.
"""

from __future__ import annotations

import re

from lxml import etree

__all__ = ["attribute_scan", "prolog_ends_at_root"]

# XML 1.0 section 2.8: prolog ::= XMLDecl? Misc* (doctypedecl Misc*)?; Misc is a comment,
# a PI or white space. No doctypedecl here: a DOCTYPE fails the match.
_PROLOG_RE = re.compile(rb"(?:[ \t\r\n]+|<\?.*?\?>|<!--.*?-->)*<[^!?]", re.DOTALL)
_XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
_XML_BASE = "{http://www.w3.org/XML/1998/namespace}base"
_LANG_BASE = frozenset({"lang", "base"})


def prolog_ends_at_root(data: bytes, start: int = 0) -> bool:
    """True when ``data[start:]`` is a prolog without DOCTYPE followed by an element."""
    return _PROLOG_RE.match(data, start) is not None


def attribute_scan(root: etree._Element) -> tuple[bool, bool]:
    """(has a plain lang/base attribute, has ``xml:base``) for the tree ``root``.

    "Plain": an attribute whose local name is ``lang`` or ``base`` in any case (feedparser
    lower-cases names, and files an attribute of a namespace it does not know under its
    local name), other than ``xml:lang``/``xml:base``. Measured: a Python loop
    over the attribute names costs 40% less than the XPath
    ``//@*[translate(local-name(), ...) = 'lang']`` (libxml2 evaluates the predicate
    per attribute), which tests/unit/test_fastparse_shortcuts.py keeps as the oracle.
    """
    plain = xml_base = False
    for el in root.iter(etree.Element):
        for name in el.keys():  # noqa: SIM118 - iterating an lxml element gives its children
            # "{ns}lang" or "lang": the local name is the last four characters
            if len(name) >= 4 and name[-4:].lower() in _LANG_BASE:
                if len(name) > 4 and name[-5] != "}":
                    continue  # a longer local name ("xlang")
                if name == _XML_BASE:
                    xml_base = True
                elif name != _XML_LANG:
                    plain = True
    return plain, xml_base
