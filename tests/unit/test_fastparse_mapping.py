"""The fast path's newer mappings, each on a snippet cut from a real feed of the
shared corpus: the fast path reads it (``parse_fast`` is not None) and yields exactly what
feedparser yields; and what it must leave to feedparser, it declines."""

from __future__ import annotations

import pytest

from newswire_producers.parse.fast.feed import parse_fast
from newswire_producers.parse.parsed import ParsedFeed
from newswire_producers.parse.parser import parse_feed, parse_feed_path

URL = "https://news.example/feed.xml"
RSS = '<?xml version="1.0" encoding="utf-8"?><rss version="2.0" {ns}><channel><title>T</title>{body}</channel></rss>'  # noqa: E501
ATOM = '<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom" {ns}><title>T</title>{body}</feed>'  # noqa: E501


def _rss(body: str, ns: str = "") -> bytes:
    return RSS.format(ns=ns, body=body).encode()


def _atom(body: str, ns: str = "") -> bytes:
    return ATOM.format(ns=ns, body=body).encode()


READ = {
    # FeedReader/Rss20ISO88591Intranet30.xml: an extension feedparser has no handler for,
    # under a name (source) that means something in RSS.
    "unknown prefix, RSS name": _rss(
        "<item><title>a</title><ret:source>Intranet</ret:source><guid>g</guid></item>",
        'xmlns:ret="http://www.example.com/ret"',
    ),
    # rome/rss_1.0-ns-on-channel.xml: a namespace feedparser knows (prism), no handler.
    "known prefix, no handler": _rss(
        "<item><title>a</title><prism:url>https://x.example/1</prism:url></item>",
        'xmlns:prism="http://prismstandard.org/namespaces/1.2/basic/"',
    ),
    # feed-rs/rss_2.0_spreaker.xml: in the channel a description is "subtitle", so the
    # item's second summary-like element still becomes its content.
    "channel summary state": _rss(
        "<description>chan</description><itunes:summary>chan</itunes:summary>"
        "<googleplay:description>g</googleplay:description>"
        "<item><title>a</title><description>short</description>"
        "<itunes:summary>long text</itunes:summary></item>",
        'xmlns:itunes="http://www.itunes.com/dtds/podcast-1.0.dtd" '
        'xmlns:googleplay="http://www.google.com/schemas/play-podcasts/1.0"',
    ),
    # rome/rsr.xml and FeedReader/Rss20MassaNews.xml: <source> and <image> in an item
    # let a later title replace the first.
    "source unlocks the title": _rss(
        '<item><title>first</title><source url="https://s.example/"/><title>second</title>'
        "<guid>g</guid></item>"
    ),
    "image unlocks the title": _rss(
        "<item><title>first</title><image>https://i.example/a.jpg</image>"
        "<title>second</title></item>"
    ),
    # rome/YouTube-MostPopular.rss: out-of-line content of a binary type, media:
    # description type="plain", YouTube's elements inside a media:group.
    "youtube entry": _atom(
        "<entry><id>tag:y,1</id><title type='text'>clip</title>"
        "<content type='application/x-shockwave-flash' src='https://y.example/v/1'/>"
        "<media:group><media:description type='plain'>about</media:description>"
        "<yt:duration seconds='56'/></media:group></entry>",
        'xmlns:media="http://search.yahoo.com/mrss/" '
        'xmlns:yt="http://gdata.youtube.com/schemas/2007"',
    ),
    # FeedReader/AtomBattleNet.xml, fastfeedparser/osm.xml: XHTML content, serialized as
    # feedparser serializes it (enclosing div dropped, <br></br>, attributes lower-cased).
    "xhtml content": _atom(
        "<entry><id>tag:a,1</id><title>t</title>"
        "<summary type='xhtml'><div xmlns='http://www.w3.org/1999/xhtml'> S &amp; s </div>"
        "</summary><content type='xhtml'><div xmlns='http://www.w3.org/1999/xhtml'>"
        "<p Class='x' REL='NoFollow'>a<br/>b &lt; c</p>\n<img src='i.png' alt='q\"'/></div>"
        "</content></entry>"
    ),
    # rss-parser/reddit-home.rss: an xml:base on the content stays in force after it,
    # for the <id> that follows (feedparser keeps one running base).
    "xml:base after its element": _atom(
        "<entry><title>t</title><content type='html' xml:base='/r/funny/'>x</content>"
        "<id>t3_42tizy</id><link href='c/1'/></entry>"
    ),
    # rome/atom_1.0_bray.xml: href="" is an href (feedparser's _enforce_href).
    "empty href": _atom(
        "<link href='./'/><link rel='self' href=''/>"
        "<entry><id>tag:b,1</id><title>t</title><link href=''/></entry>",
        "xml:base='https://b.example/blog/index.atom'",
    ),
    # rss-parser/reddit-atom.rss: raw (unescaped) markup in an RSS description, which
    # feedparser reads as XHTML from the first child element on.
    "raw markup in rss": _rss(
        "<item><title>t</title><description>lead &amp; <table><tr><td>"
        '<a href="https://r.example/1">x &amp; y</a><br/></td></tr></table> tail'
        "</description></item>"
    ),
    # miniflux/parser__rdf_UTF8.xml: RSS 0.90.
    "rss 0.90": (
        b'<?xml version="1.0" encoding="utf-8"?><rdf:RDF '
        b'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" '
        b'xmlns="http://my.netscape.com/rdf/simple/0.9/"><channel><title>heise</title>'
        b"<link>https://h.example/</link></channel><item><title>OLED</title>"
        b"<link>https://h.example/1</link></item></rdf:RDF>"
    ),
    # rss-parser/giantbomb-podcast.rss: a zone name feedparser knows.
    "pst date": _rss(
        "<item><title>a</title><pubDate>Tue, 01 Oct 2019 14:30:00 PST</pubDate></item>"
    ),
}


@pytest.mark.parametrize("name", sorted(READ))
def test_fast_path_reads_it_as_feedparser_does(name: str) -> None:
    data = READ[name]
    assert parse_fast(data, url=URL) is not None, name
    assert parse_feed(data, url=URL) == parse_feed(data, url=URL, fast=False)


def test_the_mappings_give_the_values_feedparser_gives() -> None:
    # Spot checks of what the equality above compares, so a regression in both paths at
    # once (a feedparser upgrade) still shows.
    def first(name: str) -> ParsedFeed:
        return parse_feed(READ[name], url=URL)

    assert first("source unlocks the title").entries[0].title == "second"
    assert first("channel summary state").entries[0].content_html == "long text"
    xhtml = first("xhtml content").entries[0]
    assert xhtml.summary_html == "S &amp; s"
    assert xhtml.content_html == (
        '<p class="x" rel="nofollow">a<br></br>b &lt; c</p>\n<img src="i.png" alt="q&quot;"></img>'
    )
    assert first("raw markup in rss").entries[0].summary_html == (
        'lead & <table><tr><td><a href="https://r.example/1">x &amp; y</a><br></br></td></tr>'
        "</table> tail"
    )
    assert first("xml:base after its element").entries[0].guid == "/r/funny/t3_42tizy"
    assert first("empty href").link == "https://b.example/blog/"
    assert first("rss 0.90").format == "rss09x"
    pst = first("pst date").entries[0].published
    assert pst is not None and pst.isoformat() == "2019-10-01T22:30:00+00:00"


DECLINED = {
    # feedparser reads lang="..." (no xml: prefix) as xml:lang.
    "plain lang attribute": _rss('<item><title lang="de">a</title></item>'),
    # ... whatever its case, and under an unknown namespace (filed by its local name).
    "namespaced Lang attribute": _rss(
        '<item><title x:Lang="de" xmlns:x="http://x.example/">a</title></item>'
    ),
    # a plain base attribute is an xml:base to feedparser.
    "plain base attribute": _rss('<item><link base="https://b.example/">a</link></item>'),
    # feedparser reads a title wherever it sits, even inside a media:group.
    "rss title in a media group": _rss(
        "<item><media:group><title>x</title></media:group></item>",
        'xmlns:media="http://search.yahoo.com/mrss/"',
    ),
    # feedparser adds xmlns to SVG in XHTML content.
    "svg in xhtml": _atom(
        "<entry><id>1</id><content type='xhtml'><div xmlns='http://www.w3.org/1999/xhtml'>"
        "<svg xmlns='http://www.w3.org/2000/svg'/></div></content></entry>"
    ),
    # a <div> in raw RSS markup: feedparser drops a leading one but keeps its end tag.
    "div in raw rss markup": _rss("<item><description><div><p>x</p></div></description></item>"),
    # base64 content that is not empty: feedparser decodes it.
    "base64 content": _atom(
        "<entry><id>1</id><content type='image/png'>iVBORw0KGgo=</content></entry>"
    ),
    # an unprefixed element of an unknown namespace reads as RSS.
    "unknown default namespace": _rss(
        '<item><source xmlns="http://u.example/">s</source><x xmlns="http://u.example/">'
        "<title>t</title></x></item>"
    ),
}


@pytest.mark.parametrize("name", sorted(DECLINED))
def test_fast_path_declines_what_it_does_not_reproduce(name: str) -> None:
    data = DECLINED[name]
    assert parse_fast(data, url=URL) is None, name
    feed, path = parse_feed_path(data, url=URL)
    assert path == "feedparser"
    assert feed == parse_feed(data, url=URL, fast=False)


def test_parse_feed_path_names_the_parser() -> None:
    assert parse_feed_path(READ["rss 0.90"], url=URL)[1] == "fast"
    assert parse_feed_path(READ["rss 0.90"], url=URL, fast=False)[1] == "feedparser"
    json_feed = b'{"version": "https://jsonfeed.org/version/1.1", "title": "J", "items": []}'
    assert parse_feed_path(json_feed, url=URL)[1] == "json"
