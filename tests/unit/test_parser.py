"""parse_feed: formats, repairs, and what it refuses (with which reason)."""

from __future__ import annotations

import codecs
import gzip
from datetime import UTC, datetime
from pathlib import Path

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from newswire.errors import FeedParseError
from newswire_producers.parse.parser import ParsedAuthor, ParsedEnclosure, ParsedFeed, parse_feed

URL = "https://news.example/feed.xml"

RSS = b"""<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/"
     xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:media="http://search.yahoo.com/mrss/">
<channel>
  <title>News &amp; Views</title>
  <link>/</link>
  <language>en-us</language>
  <item>
    <title>AT&amp;T buys &lt;b&gt;everything&lt;/b&gt;</title>
    <link>/story/1?utm_source=rss</link>
    <guid isPermaLink="false">story-1</guid>
    <description>&lt;p&gt;Short &lt;a href="/rel"&gt;summary&lt;/a&gt;&lt;/p&gt;</description>
    <content:encoded><![CDATA[<p onclick="x()">Full body</p>]]></content:encoded>
    <pubDate>Tue, 10 Jun 2003 04:00:00 +0200</pubDate>
    <author>joe@example.com (Joe Bloggs)</author>
    <category>Tech</category><category>Business</category>
    <enclosure url="/audio.mp3" type="audio/mpeg" length="12345"/>
    <media:content url="https://cdn.example/pic.jpg" type="image/jpeg" fileSize="99"/>
  </item>
  <item>
    <title>Plain</title>
    <content:encoded><![CDATA[<p>Only content</p>]]></content:encoded>
    <dc:date>2024-02-29T23:30:00-01:00</dc:date>
    <pubDate>not a date</pubDate>
    <guid>12345</guid>
  </item>
</channel>
</rss>"""

ATOM = b"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xml:base="https://blog.example/posts/" xml:lang="fr">
  <title type="html">Le &lt;i&gt;blog&lt;/i&gt;</title>
  <link href="https://blog.example/"/>
  <entry>
    <id>tag:blog.example,2024:1</id>
    <title type="text">a &lt; b</title>
    <link rel="alternate" href="first.html"/>
    <link rel="enclosure" href="talk.mp3" type="audio/mpeg" length="7"/>
    <updated>2024-01-02T03:04:05Z</updated>
    <published>2024-01-01T00:00:00+01:00</published>
    <summary type="text">1 &lt; 2 &amp; 3</summary>
    <content type="xhtml"><div xmlns="http://www.w3.org/1999/xhtml"
      ><p>Hi <img src="a.png"/></p></div></content>
    <author><name>Ann</name><uri>/ann</uri><email>ann@example.com</email></author>
    <category term="politique" label="Politique"/>
  </entry>
  <entry>
    <id>urn:uuid:0d6a5a8c-1111-2222-3333-444455556666</id>
    <title>No link</title>
    <updated>2024-01-02T03:04:05Z</updated>
  </entry>
</feed>"""


def parse(data: bytes, **kwargs: object) -> ParsedFeed:
    return parse_feed(data, url=URL, **kwargs)  # type: ignore[arg-type]


def test_rss2_fields() -> None:
    feed = parse(RSS)
    assert (feed.format, feed.title, feed.link, feed.language) == (
        "rss2",
        "News &amp; Views",
        "https://news.example/",
        "en-us",
    )
    assert feed.flags == frozenset()
    first, second = feed.entries
    assert first.guid == "story-1"
    assert first.link == "/story/1?utm_source=rss"  # resolved by the normalizer
    assert first.title == "AT&T buys <b>everything</b>"  # RSS title that looks like HTML
    assert first.summary_html == '<p>Short <a href="/rel">summary</a></p>'
    assert first.content_html == '<p onclick="x()">Full body</p>'  # not sanitized here
    assert first.published == datetime(2003, 6, 10, 2, 0, tzinfo=UTC)
    assert first.published_raw == "Tue, 10 Jun 2003 04:00:00 +0200"
    assert first.authors == (ParsedAuthor(name="Joe Bloggs", email="joe@example.com"),)
    assert first.categories == ("Tech", "Business")
    assert first.enclosures == (
        ParsedEnclosure("/audio.mp3", "audio/mpeg", 12345),
        ParsedEnclosure("https://cdn.example/pic.jpg", "image/jpeg", 99),
    )
    # feedparser copies content into "summary" when there is none: not a summary
    assert second.summary_html == ""
    assert second.content_html == "<p>Only content</p>"
    assert second.published is None and second.published_raw == "not a date"
    assert second.updated == datetime(2024, 3, 1, 0, 30, tzinfo=UTC)
    assert second.guid == "12345"
    assert second.link == ""  # a permalink guid that is no URL is no link


def test_atom10_fields_and_xml_base() -> None:
    feed = parse(ATOM)
    assert (feed.format, feed.title, feed.language) == ("atom10", "Le <i>blog</i>", "fr")
    entry, no_link = feed.entries
    assert entry.link == "https://blog.example/posts/first.html"
    assert entry.base == "https://blog.example/posts/"
    assert entry.title == "a &lt; b"  # plain text is escaped: every title is HTML
    assert entry.summary_html == "1 &lt; 2 &amp; 3"
    assert "<p>Hi <img" in entry.content_html
    assert entry.published == datetime(2023, 12, 31, 23, 0, tzinfo=UTC)
    assert entry.updated == datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)
    assert entry.authors == (ParsedAuthor("Ann", "ann@example.com", "https://blog.example/ann"),)
    assert entry.categories == ("politique",)
    assert entry.enclosures == (
        ParsedEnclosure("https://blog.example/posts/talk.mp3", "audio/mpeg", 7),
    )
    assert entry.language == "fr"
    assert no_link.link == ""  # the urn: id is not turned into a link


@pytest.mark.parametrize(
    ("document", "expected"),
    [
        (
            b'<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" '
            b'xmlns="http://purl.org/rss/1.0/"><channel rdf:about="x"><title>t</title></channel>'
            b'<item rdf:about="https://e.example/1"><title>i</title>'
            b"<link>https://e.example/1</link></item></rdf:RDF>",
            "rss1",
        ),
        (
            b'<rss version="0.91"><channel><title>t</title><item><title>i</title></item>'
            b"</channel></rss>",
            "rss09x",
        ),
        (
            b'<feed version="0.3" xmlns="http://purl.org/atom/ns#"><title>t</title>'
            b"<entry><title>i</title></entry></feed>",
            "atom03",
        ),
    ],
)
def test_formats(document: bytes, expected: str) -> None:
    feed = parse(document)
    assert feed.format == expected
    assert len(feed.entries) == 1


JSON_FEED = {
    "version": "https://jsonfeed.org/version/1.1",
    "title": "J & co",
    "home_page_url": "/",
    "language": "de",
    "items": [
        {
            "id": 42,
            "url": "https://j.example/42",
            "title": "A <title>",
            "content_text": "First para.\nSame para.\n\nSecond <para>.",
            "summary": "S",
            "date_published": "2024-05-01T10:00:00+02:00",
            "date_modified": "yesterday",
            "authors": [{"name": "Bo", "url": "https://j.example/bo"}],
            "tags": ["x", 3, "y"],
            "attachments": [{"url": "https://j.example/a.mp3", "mime_type": "audio/mpeg",
                             "size_in_bytes": 10}],
            "image": "https://j.example/i.png",
            "language": "de-AT",
        },
        {"id": "b", "content_html": "<p>html</p>", "author": {"name": "Old"}},
        "not an item",
    ],
}  # fmt: skip


def test_json_feed() -> None:
    feed = parse(orjson.dumps(JSON_FEED))
    assert (feed.format, feed.title, feed.link, feed.language) == (
        "jsonfeed",
        "J &amp; co",
        "https://news.example/",
        "de",
    )
    assert feed.flags == {"feed_malformed"}  # one item was not an object
    first, second = feed.entries
    assert first.guid == "42"
    assert first.title == "A &lt;title&gt;"
    assert first.content_html == "<p>First para.<br>Same para.</p><p>Second &lt;para&gt;.</p>"
    assert first.summary_html == "S"
    assert first.published == datetime(2024, 5, 1, 8, 0, tzinfo=UTC)
    assert first.updated is None and first.updated_raw == "yesterday"
    assert first.authors == (ParsedAuthor("Bo", "", "https://j.example/bo"),)
    assert first.categories == ("x", "y")
    assert first.enclosures == (
        ParsedEnclosure("https://j.example/a.mp3", "audio/mpeg", 10),
        ParsedEnclosure("https://j.example/i.png"),
    )
    assert first.language == "de-AT"
    assert second.content_html == "<p>html</p>"
    assert second.authors == (ParsedAuthor("Old"),)


def test_json_feed_detected_by_content_type_and_lenient_about_control_characters() -> None:
    data = (
        b'  {"version": "https://jsonfeed.org/version/1", "items": [{"id": "1", "title": "a\tb"}]}'
    )
    feed = parse(data, content_type="application/feed+json")
    assert feed.entries[0].title == "a\tb"
    assert "feed_malformed" in feed.flags


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "empty document"),
        (b" \r\n\t ", "empty document"),
        (b"<!DOCTYPE html><html><head><title>x</title></head><body>hi</body></html>", "HTML page"),
        (b"<note><to>Tove</to></note>", "not a feed"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "not a feed"),
        (b"just some text", "not a feed"),
        (b'{"items": [1, 2', "invalid JSON"),
        (b'{"hello": "world"}', "not a feed: JSON"),
        (b"[1, 2, 3]", "not a feed"),
        (b"<rss><channel><title>t</title><oops></channel></rss>", "malformed feed without entries"),
        (
            b'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY x "y">]><rss version="2.0"><channel>'
            b"<item><title>&x;</title></item></channel></rss>",
            "entity declarations are not allowed",
        ),
        (
            b'<?xml version="1.0"?><!doctype rss [<!entity x SYSTEM "file:///etc/passwd">]><rss/>',
            "entity declarations are not allowed",
        ),
        (
            codecs.BOM_UTF16_LE
            + '<?xml version="1.0" encoding="utf-16"?><!DOCTYPE r [<!ENTITY a "b">]><rss/>'.encode(
                "utf-16-le"
            ),
            "entity declarations are not allowed",
        ),
    ],
)
def test_rejects_with_a_one_line_reason(data: bytes, reason: str) -> None:
    with pytest.raises(FeedParseError) as info:
        parse(data)
    message = str(info.value)
    assert reason in message
    assert "\n" not in message and len(message) < 250


def test_entity_text_inside_cdata_is_just_text() -> None:
    data = RSS.replace(b"Full body", b'<!ENTITY xxe SYSTEM "file:///etc/passwd"> explained')
    feed = parse(data)
    assert "&lt;" not in feed.entries[0].content_html
    assert "<!ENTITY xxe" in feed.entries[0].content_html


def test_size_cap_before_and_after_decompression() -> None:
    with pytest.raises(FeedParseError, match="larger than 100 bytes"):
        parse(RSS, max_bytes=100)
    bomb = gzip.compress(RSS + b"<!--" + b" " * 5000 + b"-->")
    assert len(bomb) < 2000
    with pytest.raises(FeedParseError, match="after decompression"):
        parse(bomb, max_bytes=4000)
    assert len(parse(gzip.compress(RSS)).entries) == 2  # gzip without Content-Encoding


def test_never_opens_a_path_or_url(tmp_path: Path) -> None:
    """feedparser.parse(bytes) would open a file of that name: we must not."""
    path = tmp_path / "feed.xml"
    path.write_bytes(RSS)
    with pytest.raises(FeedParseError):
        parse(str(path).encode())
    with pytest.raises(FeedParseError):
        parse(b"http://127.0.0.1:9/feed.xml")


def test_whitespace_and_bom_before_the_xml_declaration() -> None:
    feed = parse(codecs.BOM_UTF8 + b"\n\n   " + RSS)
    assert len(feed.entries) == 2
    assert feed.flags == {"feed_malformed"}


def test_malformed_feed_with_entries_is_accepted_and_flagged() -> None:
    broken = RSS.replace(b"</channel>\n</rss>", b"<item><title>cut off")
    feed = parse(broken)
    assert [e.guid for e in feed.entries][:2] == ["story-1", "12345"]
    assert "feed_malformed" in feed.flags


@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be"])
def test_utf16_without_bom_or_declaration_is_repaired(encoding: str) -> None:
    doc = '<rss version="2.0"><channel><item><title>Grüße</title></item></channel></rss>'
    feed = parse(doc.encode(encoding))
    assert feed.entries[0].title == "Grüße"
    assert feed.flags == {"encoding_repaired"}


def _rss_titled(title: str, declaration: str = "") -> str:
    item = f"<item><title>{title}</title></item>"
    return f'{declaration}<rss version="2.0"><channel>{item}</channel></rss>'


def test_declared_encodings_are_followed() -> None:
    latin = _rss_titled("café", '<?xml version="1.0"\n  encoding="iso-8859-1"?>').encode("latin-1")
    feed = parse(latin)
    assert (feed.entries[0].title, feed.flags) == ("café", frozenset())
    cyrillic = _rss_titled("Привет").encode("windows-1251")
    feed = parse(cyrillic, content_type="application/rss+xml; charset='windows-1251'")
    assert (feed.entries[0].title, feed.flags) == ("Привет", frozenset())


def test_text_xml_without_charset_does_not_mean_us_ascii() -> None:
    feed = parse(_rss_titled("naïve").encode("utf-8"), content_type="text/xml")
    assert (feed.entries[0].title, feed.flags) == ("naïve", frozenset())


def test_wrong_declarations_are_repaired_and_flagged() -> None:
    utf8_called_latin1 = _rss_titled("Grüße", '<?xml version="1.0" encoding="iso-8859-1"?>')
    feed = parse(utf8_called_latin1.encode("utf-8"))
    assert (feed.entries[0].title, feed.flags) == ("Grüße", frozenset({"encoding_repaired"}))
    latin1_called_ascii = _rss_titled("café", '<?xml version="1.0" encoding="us-ascii"?>')
    feed = parse(latin1_called_ascii.encode("latin-1"))
    assert feed.entries[0].title == "café"
    assert feed.flags == {"encoding_repaired"}
    bogus = _rss_titled("x", '<?xml version="1.0" encoding="x-bogus"?>').encode()
    assert parse(bogus).flags == {"encoding_repaired"}


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.one_of(
        st.binary(max_size=300),
        st.builds(
            lambda head, body: head + body,
            st.sampled_from(
                [b"<rss version='2.0'><channel><item>", b"<feed>", b"{", b"\xef\xbb\xbf"]
            ),
            st.binary(max_size=200),
        ),
    )
)
def test_arbitrary_bytes_give_a_feed_or_feed_parse_error(data: bytes) -> None:
    try:
        feed = parse(data)
    except FeedParseError as exc:
        assert "\n" not in str(exc)
        return
    for entry in feed.entries:
        for when in (entry.published, entry.updated):
            assert when is None or when.utcoffset() is not None
