"""The fast path's shortcuts for speed (the wider set of real captures) give what
the slow way gives: the attribute scan against the XPath it replaced, the caches keyed
by prefix where feedparser's reading depends on it, the C1 check, xml:base joins."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from lxml import etree

from newswire_producers.parse.fast.feed import parse_fast
from newswire_producers.parse.fast.scan import attribute_scan
from newswire_producers.parse.parser import parse_feed, parse_feed_path

URL = "https://news.example/feed.xml"
XML_NS = "http://www.w3.org/XML/1998/namespace"
# What attribute_scan computed before (one XPath in libxml2): the oracle.
_ORACLE = etree.XPath(
    "//@*[string-length(local-name()) = 4]"
    "[translate(local-name(), 'LANGBSE', 'langbse') = 'lang'"
    " or translate(local-name(), 'LANGBSE', 'langbse') = 'base']"
)
_NAMES = ["lang", "LANG", "Lang", "base", "bAsE", "xlang", "langx", "lan", "bases", "href"]
_NAMESPACES = ["", "urn:x", XML_NS]


def _oracle(root: etree._Element) -> tuple[bool, bool]:
    plain = xml_base = False
    found = _ORACLE(root)
    for value in found if isinstance(found, list) else ():
        name = getattr(value, "attrname", "")
        if name == f"{{{XML_NS}}}base":
            xml_base = True
        elif name != f"{{{XML_NS}}}lang":
            plain = True
    return plain, xml_base


@given(
    st.lists(
        st.lists(st.tuples(st.sampled_from(_NAMESPACES), st.sampled_from(_NAMES)), max_size=4),
        min_size=1,
        max_size=6,
    )
)
def test_attribute_scan_equals_the_xpath_it_replaced(elements: list[list[tuple[str, str]]]) -> None:
    root = etree.Element("rss")
    parent = root
    for attributes in elements:
        parent = etree.SubElement(parent, "item")  # nested: the scan reaches every depth
        for ns, name in attributes:
            if ns != XML_NS or name in ("lang", "base"):  # xml: allows only its own names
                parent.set(f"{{{ns}}}{name}" if ns else name, "v")
    assert attribute_scan(root) == _oracle(root)


def _content(prefix: str) -> bytes:
    # An unknown namespace under two prefixes: feedparser serializes <zz:rights> in XHTML
    # content, but acts on <dc:rights> (it has a _end_dc_rights handler; the element is
    # nothing the item's fields read, so only the XHTML serializer can refuse it).
    return (
        '<feed xmlns="http://www.w3.org/2005/Atom"><title>T</title><entry><id>1</id>'
        '<content type="xhtml"><div xmlns="http://www.w3.org/1999/xhtml">'
        f'<p>a</p><{prefix}:rights xmlns:{prefix}="urn:x:ext">t</{prefix}:rights></div>'
        "</content></entry></feed>"
    ).encode()


def test_the_xhtml_name_cache_tells_prefixes_of_an_unknown_namespace_apart() -> None:
    for _ in range(2):  # both orders, after the cache has seen the other prefix
        assert parse_fast(_content("zz"), url=URL) is not None
        assert parse_fast(_content("dc"), url=URL) is None
    for prefix in ("zz", "dc"):
        data = _content(prefix)
        assert parse_feed(data, url=URL) == parse_feed(data, url=URL, fast=False)


def _item(prefix: str) -> bytes:
    # dc:description of an unknown namespace is a description to feedparser (it files
    # the element under the document's prefix); zz:description is nothing.
    return (
        f'<rss version="2.0" xmlns:{prefix}="urn:x:other"><channel><title>T</title><item>'
        f"<title>a</title><{prefix}:description>d</{prefix}:description></item>"
        "</channel></rss>"
    ).encode()


@pytest.mark.parametrize("order", [("dc", "zz"), ("zz", "dc")])
def test_the_role_cache_tells_prefixes_of_an_unknown_namespace_apart(
    order: tuple[str, str],
) -> None:
    summaries = {}
    for prefix in order:
        data = _item(prefix)
        feed, path = parse_feed_path(data, url=URL)
        assert (path, feed) == ("fast", parse_feed(data, url=URL, fast=False))
        summaries[prefix] = feed.entries[0].summary_html
    assert summaries == {"dc": "d", "zz": ""}


@pytest.mark.parametrize(
    "text",
    [
        "long text \u0096 with a C1 dash and \u4e16",  # feedparser reads it as windows-1252
        "long text without one, but not Latin-1: \u4e16\u754c " * 50,
        "caf\u00e9 \u0085 \u00a0",
    ],
)
def test_c1_controls_are_read_as_feedparser_reads_them(text: str) -> None:
    # "\u0080" elsewhere makes the document one where C1 controls may be (fasttext.C1).
    body = (
        '<rss version="2.0"><channel><title>T \u0080</title><item><title>a</title>'
        f"<description>{text}</description></item></channel></rss>"
    )
    data = body.encode("utf-8")
    feed, path = parse_feed_path(data, url=URL)
    assert (path, feed) == ("fast", parse_feed(data, url=URL, fast=False))
    assert ("\u2013" in feed.entries[0].summary_html) == ("\u0096" in text)


def test_repeated_xml_base_joins_equal_feedparser() -> None:
    # The same (base, xml:base) pair in several entries, under different parents: the
    # joins are remembered per document, their results must not leak between scopes.
    entries = "".join(
        f'<entry xml:base="{base}"><id>{i}</id><link href="p{i}.html"/>'
        f'<summary xml:base="sub/">s</summary></entry>'
        for i, base in enumerate(["a/", "b/", "a/", "https://o.example/x/", "a/"])
    )
    data = (
        '<feed xmlns="http://www.w3.org/2005/Atom" xml:base="https://b.example/r/">'
        f"<title>T</title>{entries}</feed>"
    ).encode()
    feed, path = parse_feed_path(data, url=URL)
    assert (path, feed) == ("fast", parse_feed(data, url=URL, fast=False))
    assert [e.link for e in feed.entries][:2] == [
        "https://b.example/r/a/p0.html",
        "https://b.example/r/b/p1.html",
    ]
