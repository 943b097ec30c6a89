"""Element names as feedparser 6.0.14 files them, and the signal to fall back to it: the
bottom of the fast path (:mod:`newswire_producers.parse.fast.xhtml` and
:mod:`newswire_producers.parse.fast.text` build on it)."""

from __future__ import annotations

from feedparser.mixin import _FeedParserMixin
from lxml import etree

__all__ = ["Unsupported", "prefix_is_fixed", "prefix_of", "split_tag"]

# feedparser's prefix for a namespace URI (matched lower-cased, as its track_namespace);
# an unknown namespace gets the document's own prefix (feedparser's unknown_starttag).
_PREFIXES = {uri.lower(): prefix for uri, prefix in _FeedParserMixin.namespaces.items()}


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
    lowered = ns.lower()
    known = _PREFIXES.get(lowered)
    if known is None and "backend.userland.com/rss" in lowered:
        known = ""  # strict.py: "match any backend.userland.com namespace" (as RSS)
    return known if known is not None else (el.prefix or "")


def prefix_is_fixed(ns: str) -> bool:
    """True when :func:`prefix_of` gives every element of namespace ``ns`` the same prefix
    (feedparser knows the namespace), False when it is the element's own."""
    lowered = ns.lower()
    return not ns or lowered in _PREFIXES or "backend.userland.com/rss" in lowered
