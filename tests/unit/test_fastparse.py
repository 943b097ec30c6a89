"""The lxml fast path: what it takes, what it declines, that it matches feedparser; the
fast date parser against feedparser's; parse_bounded's time bound."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest
from feedparser.datetimes import _parse_date
from hypothesis import given
from hypothesis import strategies as st

import newswire_producers.parse.parser as parser_module
from newswire.errors import FeedParseError
from newswire_producers.parse.fast.feed import parse_fast
from newswire_producers.parse.feeddates import parse_date
from newswire_producers.parse.parse_worker import parse_bounded
from newswire_producers.parse.parser import parse_feed

URL = "https://news.example/feed.xml"

RSS = b"""<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0" xmlns:media="http://search.yahoo.com/mrss/"
     xmlns:itunes="http://www.itunes.com/DTDs/PodCast-1.0.dtd">
<channel><title>T</title><link>https://news.example/</link>
<itunes:summary>s</itunes:summary><description>d</description>
<item>
  <media:title>fallback</media:title><title>AT&amp;T &lt;b&gt;x&lt;/b&gt;</title>
  <itunes:summary>first summary</itunes:summary><description>&lt;p&gt;desc&lt;/p&gt;</description>
  <guid>https://news.example/1</guid><pubDate>Tue, 10 Jun 2003 04:00:00 +0200</pubDate>
  <author>jo@example.com (Jo)</author><itunes:category text="A"><itunes:category text="B"/>
  </itunes:category><category domain="x">Tech</category>
</item>
<item><title>Two</title><guid isPermaLink="false">g2</guid><link>/two</link>
  <dc:date xmlns:dc="http://purl.org/dc/elements/1.1/">2024-01-02T03:04:05.5+01:00</dc:date>
</item>
</channel></rss>"""


def _both(data: bytes) -> tuple[object, object]:
    return parse_feed(data, url=URL, fast=False), parse_feed(data, url=URL)


def test_fast_path_equals_feedparser_on_a_feed_with_its_order_rules() -> None:
    assert parse_fast(RSS, url=URL) is not None  # the fast path really read it
    reference, fast = _both(RSS)
    assert fast == reference


@pytest.mark.parametrize(
    ("marker", "body"),
    [
        ("undefined entity", b"<rss version='2.0'><channel><item><title>a&nbsp;b</title>"
         b"</item></channel></rss>"),
        ("doctype", b"<!DOCTYPE rss SYSTEM 'x.dtd'><rss version='2.0'><channel><item>"
         b"<title>a</title></item></channel></rss>"),
        ("markup in a guid", b"<rss version='2.0'><channel><item><guid><p>x</p>"
         b"</guid></item></channel></rss>"),
        ("not well-formed", b"<rss version='2.0'><channel><item><title>a</item></rss>"),
    ],
)  # fmt: skip
def test_fast_path_declines_what_feedparser_must_read(marker: str, body: bytes) -> None:
    assert parse_fast(body, url=URL) is None, marker
    reference, result = _both(body)
    assert result == reference


def test_entity_declarations_never_reach_the_fast_path(monkeypatch: pytest.MonkeyPatch) -> None:
    called = []
    monkeypatch.setattr(parser_module, "parse_fast", lambda *a, **k: called.append(1))
    bomb = b'<!DOCTYPE r [<!ENTITY a "aaaa">]><rss version="2.0"><channel/></rss>'
    with pytest.raises(FeedParseError, match="entity declarations"):
        parse_feed(bomb, url=URL)
    assert not called


MEDIA_AND_BASE = b"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xmlns:media="http://search.yahoo.com/mrss/"
      xml:base="https://b.example/blog/">
<title>T</title><link href="/"/>
<entry xml:base="posts/"><id>tag:b,1</id><link href="one.html"/>
  <summary xml:base="https://other.example/">s</summary>
  <author><name>Ann</name><uri>ann</uri></author>
  <media:group><media:title>group title</media:title>
    <media:content url="https://b.example/v.mp4" type="video/mp4">
      <media:description>d</media:description></media:content>
    <media:keywords>a, b,</media:keywords></media:group>
  <updated>2024-01-02T03:04:05Z</updated>
</entry>
</feed>"""


def test_xml_base_and_media_groups_are_read_on_the_fast_path() -> None:
    assert parse_fast(MEDIA_AND_BASE, url=URL) is not None
    reference, fast = _both(MEDIA_AND_BASE)
    assert fast == reference
    entry = fast.entries[0]  # type: ignore[attr-defined]
    assert entry.link == "https://b.example/blog/posts/one.html"
    assert entry.base == "https://b.example/blog/posts/"  # the last summary: media:description
    assert entry.title == "group title"


@pytest.mark.parametrize(
    ("encoding", "text"), [("iso-8859-1", "café"), ("windows-1251", "Новости")]
)
def test_declared_legacy_encodings_take_the_fast_path(encoding: str, text: str) -> None:
    body = f'<?xml version="1.0" encoding="{encoding}"?><rss version="2.0"><channel><item>'
    body += f"<title>{text}</title><guid>g</guid></item></channel></rss>"
    data = body.encode(encoding)
    assert parse_fast(data, url=URL) is not None
    reference, fast = _both(data)
    assert fast == reference
    assert fast.entries[0].title == text  # type: ignore[attr-defined]


def test_latin1_declared_utf8_is_repaired_alike_on_both_paths() -> None:
    body = '<?xml version="1.0" encoding="iso-8859-1"?><rss version="2.0"><channel><item>'
    data = (body + "<title>café</title></item></channel></rss>").encode("utf-8")
    reference, fast = _both(data)
    assert fast == reference
    assert fast.entries[0].title == "café"  # type: ignore[attr-defined]
    assert "encoding_repaired" in fast.flags  # type: ignore[attr-defined]


def test_legacy_bytes_that_do_not_decode_go_to_feedparser(monkeypatch: pytest.MonkeyPatch) -> None:
    called = []
    monkeypatch.setattr(parser_module, "parse_fast", lambda *a, **k: called.append(1))
    body = b'<?xml version="1.0" encoding="windows-1252"?><rss version="2.0"><channel><item>'
    body += b"<title>caf\x81</title></item></channel></rss>"
    parse_feed(body, url=URL)
    assert not called


@pytest.mark.parametrize(
    "raw",
    [
        "Tue, 10 Jun 2003 04:00:00 +0200", "10 Jun 2003 04:00 GMT", "Tue, 10 Jun 2003 04:00:00 EST",
        "Mon, 31 Feb 2003 04:00:00 GMT", "2024-01-02T03:04:05Z", "2024-01-02T03:04:05.123-07:30",
        "2024-01-02", "2024-13-02T03:04:05Z", "Tue, 10 Jun 03 04:00:00 GMT", "garbage", "",
        "Sun, 31 Dec 2023 23:59:60 +0000", "2023-12-31T24:00:00Z",
        # zone names: feedparser's table (fast), unknown and lower-case ones (its path)
        "Tue, 01 Oct 2019 14:30:00 PST", "Tue, 01 Oct 2019 14:30:00 MEST", "01 Oct 2019 14:30 Y",
        "Tue, 01 Oct 2019 14:30:00 UTC", "Tue, 01 Oct 2019 14:30:00 B",
        "Tue, 01 Oct 2019 14:30 pst",
    ],
)  # fmt: skip
def test_dates_equal_feedparser(raw: str) -> None:
    expected = _parse_date(raw)
    want = _utc(expected) if expected else None
    assert parse_date(raw) == want


def _utc(parsed: time.struct_time) -> datetime:
    year, month, day, hour, minute, second = parsed[:6]
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC)


@given(
    st.datetimes(min_value=datetime(1950, 1, 1), max_value=datetime(2090, 1, 1)),
    st.integers(min_value=-14 * 60, max_value=14 * 60),
)
def test_fast_date_shapes_equal_feedparser(moment: datetime, offset_min: int) -> None:
    tz = timedelta(minutes=offset_min)
    sign = "+" if offset_min >= 0 else "-"
    hh, mm = divmod(abs(offset_min), 60)
    for raw in (
        moment.strftime("%a, %d %b %Y %H:%M:%S ") + f"{sign}{hh:02d}{mm:02d}",
        moment.strftime("%Y-%m-%dT%H:%M:%S") + f"{sign}{hh:02d}:{mm:02d}",
    ):
        expected = _parse_date(raw)
        assert parse_date(raw) == _utc(expected), raw
        assert parse_date(raw) == (moment.replace(microsecond=0) - tz).replace(tzinfo=UTC)


async def test_parse_bounded_parses_small_bodies_in_a_thread() -> None:
    feed = await parse_bounded(RSS, url=URL, timeout_s=5)
    assert feed == parse_feed(RSS, url=URL)


async def test_parse_bounded_kills_a_worker_at_the_deadline() -> None:
    item = b"<item><title>t</title><description>" + b"x" * 200 + b"</description></item>"
    big = b"<rss version='2.0'><channel>" + item * 20_000 + b"</channel></rss>"
    started = time.monotonic()
    with pytest.raises(FeedParseError, match="parse timed out"):
        await parse_bounded(big, url=URL, timeout_s=0.05, inline_bytes=1024)
    assert time.monotonic() - started < 5


async def test_parse_bounded_returns_the_worker_result_and_its_errors() -> None:
    padded = RSS.replace(b"<channel>", b"<channel>" + b" " * 4096)
    feed = await parse_bounded(padded, url=URL, timeout_s=30, inline_bytes=1024)
    assert feed == parse_feed(padded, url=URL)
    with pytest.raises(FeedParseError, match="not a feed"):
        await parse_bounded(b"<html>" + b" " * 4096 + b"</html>", url=URL, inline_bytes=1024)
