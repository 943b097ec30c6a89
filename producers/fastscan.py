"""Whole-document checks that decide whether the fast parse path may read a feed.

Each is one pass in C (an anchored regular expression on the bytes, an XPath on the tree),
because on a large feed a Python-level scan costs as much as the whole parse (issue 3):

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
import threading

from lxml import etree

__all__ = ["attribute_scan", "prolog_ends_at_root"]

# XML 1.0 section 2.8: prolog ::= XMLDecl? Misc* (doctypedecl Misc*)?; Misc is a comment,
# a PI or white space. No doctypedecl here: a DOCTYPE fails the match.
_PROLOG_RE = re.compile(rb"(?:[ \t\r\n]+|<\?.*?\?>|<!--.*?-->)*<[^!?]", re.DOTALL)
_XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
_XML_BASE = "{http://www.w3.org/XML/1998/namespace}base"
# (the length test first: it spares the translate() of most attributes)
_LANG_OR_BASE = (
    "//@*[string-length(local-name()) = 4]"
    "[translate(local-name(), 'LANGBSE', 'langbse') = 'lang'"
    " or translate(local-name(), 'LANGBSE', 'langbse') = 'base']"
)
_local = threading.local()  # one compiled XPath per thread, as the parsers (fastparse)


def _lang_or_base() -> etree.XPath:
    xpath: etree.XPath | None = getattr(_local, "xpath", None)
    if xpath is None:
        xpath = _local.xpath = etree.XPath(_LANG_OR_BASE)
    return xpath


def prolog_ends_at_root(data: bytes, start: int = 0) -> bool:
    """True when ``data[start:]`` is a prolog without DOCTYPE followed by an element."""
    return _PROLOG_RE.match(data, start) is not None


def attribute_scan(root: etree._Element) -> tuple[bool, bool]:
    """(has a plain lang/base attribute, has ``xml:base``) for the tree ``root``.

    "Plain": an attribute whose local name is ``lang`` or ``base`` in any case (feedparser
    lower-cases names, and files an attribute of a namespace it does not know under its
    local name), other than ``xml:lang``/``xml:base``. One XPath pass in C over the
    attributes: cheaper than any scan of the bytes of a content-heavy feed.
    """
    plain = xml_base = False
    found = _lang_or_base()(root)
    for value in found if isinstance(found, list) else ():
        name = getattr(value, "attrname", "")
        if name == _XML_BASE:
            xml_base = True
        elif name != _XML_LANG:
            plain = True
    return plain, xml_base
