"""What feedparser 6.0.14 does with an element of an RSS item or Atom entry: its role.

:mod:`newswire_producers.parse.fast.item` asks :func:`classify` once per distinct tag of a document
(the answer depends on the document only through the prefix an unknown namespace is written
with, so a per-document cache keyed by the tag is exact). A role names the field the
element feeds (``title``, ``guid``, ``published``...); :data:`IGNORED` means feedparser
keeps the element under a key this project never reads; :data:`REFUSED` means feedparser
could read it into a field the fast path fills in a way not reproduced here, and the whole
document goes to feedparser.

Extensions: feedparser files an element under its prefix for the namespace
(the prefix the document wrote, for a namespace it does not know: ``mixin.
unknown_starttag``) and calls ``_start_<prefix>_<local>`` if such a handler exists;
otherwise it only stores the text under the key ``<prefix>_<local>`` (``push``/``pop``, or
the attributes under that key). Such an element is inert, whatever its local name, when
the prefix is not empty (an unprefixed unknown element is read like an RSS/Atom one),
names no handler and is not a stem of a key xmlfeed reads.

``<image>`` and ``<source>`` in an item only reset feedparser's ``title_depth``
(``_start_image``, ``_start_source``): a later title replaces an earlier one.
"""

from __future__ import annotations

from feedparser.api import StrictFeedParser
from lxml import etree

from newswire_producers.parse.fast.names import prefix_of, split_tag

__all__ = [
    "ATOM03",
    "ATOM10",
    "CORE_NAMESPACES",
    "IGNORED",
    "ITEM_TAGS",
    "RDF",
    "REFUSED",
    "RSS090",
    "RSS1",
    "Role",
    "classify",
    "summary_state",
]

ATOM10 = "http://www.w3.org/2005/Atom"
RSS1 = "http://purl.org/rss/1.0/"
RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
#: Namespaces feedparser treats as "no prefix": RSS 0.9x/2.0 (none), RSS 0.90 and 1.0
#: (RDF), Atom 0.3 and 1.0.
RSS090 = "http://my.netscape.com/rdf/simple/0.9/"
ATOM03 = "http://purl.org/atom/ns#"
CORE_NAMESPACES = frozenset({"", RSS090, RSS1, ATOM03, ATOM10})
ITEM_TAGS = frozenset(
    f"{{{ns}}}{local}" if ns else local for ns in CORE_NAMESPACES for local in ("item", "entry")
)
IGNORED = ""
REFUSED = "!"

# (feedparser prefix, local name) -> what feedparser does with the element in an item.
_ROLES: dict[tuple[str, str], str] = {
    ("", "title"): "title", ("", "description"): "description", ("", "summary"): "summary",
    ("", "content"): "content", ("", "link"): "link", ("", "guid"): "guid", ("", "id"): "guid",
    ("", "pubDate"): "published", ("", "published"): "published", ("", "issued"): "published",
    ("", "updated"): "updated", ("", "modified"): "updated", ("", "lastBuildDate"): "updated",
    ("", "author"): "author", ("", "managingEditor"): "author", ("", "category"): "category",
    ("", "keywords"): "category", ("", "enclosure"): "enclosure",
    ("dc", "title"): "title", ("media", "title"): "title", ("dc", "description"): "description",
    ("media", "description"): "description", ("itunes", "summary"): "summary",
    ("content", "encoded"): "encoded", ("dc", "date"): "updated",
    ("dcterms", "modified"): "updated", ("dcterms", "issued"): "published",
    ("dc", "creator"): "author", ("dc", "author"): "author", ("itunes", "author"): "author",
    ("dc", "subject"): "category", ("media", "category"): "category",
    ("itunes", "category"): "itunes_category", ("itunes", "keywords"): "keywords",
    ("media", "keywords"): "keywords", ("media", "content"): "media_content",
    ("media", "group"): "media_group", ("", "image"): "unlock_title",
    ("", "source"): "unlock_title",
}  # fmt: skip
# Local names that matter to feedparser under some prefix: met under a prefix not in
# _ROLES (or inside a container), the feed is feedparser's.
_SENSITIVE = frozenset(local for _, local in _ROLES) | {
    "body", "fullitem", "source", "contributor", "name", "email", "uri", "url", "href",
    "date", "created", "language", "group", "item", "entry", "abstract", "image", "textinput",
}  # fmt: skip
_HARMLESS_PREFIXES = frozenset({"itunes", "media", "dc", "dcterms"})
# Prefixes that never count as inert: the stems of the result keys xmlfeed reads
# ("title" + "_detail" is "title_detail"), and the Media RSS prefix (its handlers fill
# media_content; the containers are read in fastitem).
_RESERVED_PREFIXES = frozenset({
    "title", "summary", "content", "media", "published", "updated", "author", "guid",
    "links", "tags", "id", "link", "href", "base", "language", "value", "type",
})  # fmt: skip

#: A tag's classification: (feedparser prefix, local name, role, inert when nested).
Role = tuple[str, str, str, bool]


def _inert(prefix: str, local: str) -> bool:
    """True for an element with a prefix (feedparser's, or for a namespace it does not
    know the document's) for which feedparser has no handler: it only stores the text
    under a key of its own (``<prefix>_<local>``) that xmlfeed never reads."""
    if not prefix:
        return False
    p, name = prefix.lower(), local.lower()
    if p in _RESERVED_PREFIXES:
        return False
    return not (
        hasattr(StrictFeedParser, f"_start_{p}_{name}")
        or hasattr(StrictFeedParser, f"_end_{p}_{name}")
    )


def classify(el: etree._Element, tag: str) -> Role:
    """The role of an element with this ``tag`` directly in an item (see the module
    docstring); the last field tells whether it is inert inside an ignored element."""
    ns, local = split_tag(tag)
    prefix = prefix_of(el, ns)
    role = _ROLES.get((prefix, local))
    if role is not None:
        return prefix, local, role, False
    if _inert(prefix, local):
        return prefix, local, IGNORED, True
    if local in _SENSITIVE:
        return prefix, local, REFUSED if prefix not in _HARMLESS_PREFIXES else IGNORED, False
    return prefix, local, IGNORED, True


def summary_state(channel: etree._Element | None) -> bool:
    """feedparser's ``hasContent`` after the channel's elements before the first item."""
    has_summary = has_content = False
    for child in channel if channel is not None else ():
        if not isinstance(child.tag, str):
            continue
        ns, local = split_tag(child.tag)
        role = _ROLES.get((prefix_of(child, ns), local))
        if child.tag in ITEM_TAGS:
            break
        if role in ("description", "summary"):
            if has_summary and not has_content:
                has_content = True  # _start_summary/_start_description: "content"
            elif role == "summary":
                # In the channel a description is stored as "subtitle": only a summary
                # puts "summary" in the context that the check above looks at.
                has_summary = True
        elif role in ("content", "encoded"):
            has_content = True
    return has_content
