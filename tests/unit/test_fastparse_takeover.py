"""Documents the fast path took over from feedparser (the wider set of real
captures): legacy encodings nothing declares, multi-byte encodings (decoded by Python's
codecs, as feedparser does), and Atom 0.3. Each is read on the fast path and equals
feedparser's result; what the fast path still leaves to feedparser, it declines."""

from __future__ import annotations

import pytest

import newswire_producers.parse.parser as parser_module
from newswire_producers.parse.fast.feed import parse_fast
from newswire_producers.parse.parsed import ParsedFeed
from newswire_producers.parse.parser import parse_feed, parse_feed_path

URL = "https://news.example/feed.xml"


def _rss(text: str, declaration: str = "") -> str:
    items = "".join(
        f"<item><title>{text} {i}</title><description>{text}</description><guid>g{i}</guid></item>"
        for i in range(3)
    )
    return f"{declaration}<rss version='2.0'><channel><title>T</title>{items}</channel></rss>"


def _both(data: bytes) -> tuple[ParsedFeed, str, ParsedFeed]:
    """(default result, the parser that gave it, feedparser's result)."""
    feed, path = parse_feed_path(data, url=URL)
    return feed, path, parse_feed(data, url=URL, fast=False)


RUSSIAN = "Новости дня: правительство объявило о новых мерах поддержки экономики и граждан"
FRENCH = "Dernières nouvelles : le gouvernement annonce des mesures très attendues à Paris"
HEBREW = "חדשות היום: הממשלה הודיעה על צעדים חדשים לתמיכה בכלכלה ובאזרחים"
JAPANESE = "政府は経済と市民を支援するための新しい措置を発表しました。東京の最新ニュースです。"


@pytest.mark.parametrize(
    ("encoding", "text"),
    [("koi8-r", RUSSIAN), ("cp1251", RUSSIAN), ("iso-8859-1", FRENCH), ("cp1255", HEBREW)],
)
def test_undeclared_single_byte_encodings_take_the_fast_path(encoding: str, text: str) -> None:
    # No XML declaration, no HTTP charset, not UTF-8: both paths read the bytes in the
    # encoding charset_guess finds (parser._parse_xml's hint), and flag the repair.
    feed, path, reference = _both(_rss(text).encode(encoding))
    assert path == "fast"
    assert feed == reference
    assert feed.entries[0].title == f"{text} 0"
    assert "encoding_repaired" in feed.flags


@pytest.mark.parametrize(
    ("encoding", "text"),
    [
        # Shift_JIS 0x5C is "\" to Python (and feedparser) and U+00A5 to iconv's SHIFT_JIS:
        # the fast path must decode with Python's codec, not libxml2's.
        ("shift_jis", JAPANESE + " C:\\news 〜"),
        ("euc-jp", JAPANESE),
        ("euc-kr", "정부는 경제와 시민을 지원하기 위한 새로운 조치를 발표했습니다"),
        ("gb2312", "政府宣布了支持经济和公民的新措施"),  # feedparser reads it as GB18030
        ("big5", "政府宣布了支持經濟和公民的新措施"),
    ],
)
def test_declared_multi_byte_encodings_take_the_fast_path(encoding: str, text: str) -> None:
    data = _rss(text, f'<?xml version="1.0" encoding="{encoding}"?>').encode(encoding)
    feed, path, reference = _both(data)
    assert path == "fast"
    assert feed == reference
    assert feed.entries[0].title == f"{text} 0"
    assert not feed.flags


def test_an_undeclared_multi_byte_encoding_takes_the_fast_path() -> None:
    feed, path, reference = _both(_rss(JAPANESE).encode("euc-jp"))
    assert path == "fast"
    assert feed == reference
    assert feed.entries[0].title == f"{JAPANESE} 0"
    assert "encoding_repaired" in feed.flags


def test_multi_byte_bytes_that_do_not_decode_go_to_feedparser() -> None:
    # feedparser then tries other encodings: not reproduced on the fast path.
    data = _rss(JAPANESE, '<?xml version="1.0" encoding="shift_jis"?>').encode("shift_jis")
    data = data.replace(b"<title>", b"<title>\x81\x20", 1)  # a lead byte, no trail byte
    feed, path, reference = _both(data)
    assert path == "feedparser"
    assert feed == reference


def test_utf8_documents_never_ask_the_charset_guesser(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[bytes] = []
    monkeypatch.setattr(parser_module, "guess_charset", lambda data: calls.append(data))
    feed, path = parse_feed_path(_rss(FRENCH).encode("utf-8"), url=URL)
    assert path == "fast"
    assert feed.entries[0].title == f"{FRENCH} 0"
    assert calls == []


ATOM03 = """<?xml version="1.0" encoding="utf-8"?>
<feed version="0.3" xmlns="http://purl.org/atom/ns#" xml:lang="en">
<title>Old &amp; gold</title><link rel="alternate" type="text/html" href="https://o.example/"/>
<modified>2005-01-02T03:04:05Z</modified>
<entry><title>First</title><link rel="alternate" type="text/html" href="https://o.example/1"/>
  <id>tag:o.example,2005:1</id><issued>2005-01-02T03:04:05+01:00</issued>
  <modified>2005-01-03T03:04:05Z</modified><author><name>Ann</name></author>
  <summary type="text/html">&lt;p&gt;A &amp;amp; b&lt;/p&gt;</summary>
  <content type="text/plain">plain &lt;b&gt; text</content>{extra}</entry>
</feed>"""


def test_atom03_takes_the_fast_path() -> None:
    data = ATOM03.format(extra="").encode()
    assert parse_fast(data, url=URL) is not None
    feed, path, reference = _both(data)
    assert (path, feed) == ("fast", reference)
    entry = feed.entries[0]
    assert (feed.format, entry.link, entry.guid) == (
        "atom03",
        "https://o.example/1",
        "tag:o.example,2005:1",
    )
    assert (
        entry.published is not None and entry.published.isoformat() == "2005-01-02T02:04:05+00:00"
    )
    assert entry.content_html == "plain &lt;b&gt; text"  # Atom: no guessing that it is HTML


def test_atom03_without_a_version_is_atom_to_both_paths() -> None:
    data = ATOM03.format(extra="").replace(' version="0.3"', "").encode()
    feed, path, reference = _both(data)
    assert (path, feed) == ("fast", reference)
    assert feed.format == "atom10"  # feedparser's version "atom"


@pytest.mark.parametrize(
    "extra",
    [
        # feedparser unwraps the <div> of XHTML content in Atom 1.0 only.
        "<content type='application/xhtml+xml'><div xmlns='http://www.w3.org/1999/xhtml'>"
        "<p>x</p></div></content>",
        # Atom 0.3 content modes (escaped, base64, xml).
        "<content type='text/html' mode='escaped'>&lt;p&gt;x&lt;/p&gt;</content>",
    ],
)
def test_atom03_declines_what_it_does_not_reproduce(extra: str) -> None:
    data = ATOM03.format(extra=extra).encode()
    assert parse_fast(data, url=URL) is None
    feed, path, reference = _both(data)
    assert (path, feed) == ("feedparser", reference)


@pytest.mark.parametrize("encoding", ["gb18030", "iso-8859-1", "cp1252"])
def test_latin1_read_utf8_is_repaired_in_every_encoding(encoding: str) -> None:
    # feedparser parses every document as UTF-8 after decoding it (api.py gives its parser
    # the encoding "utf-8"), so its pop() repairs "cafÃ©" to "café" whatever the document
    # was in. (The fast path once did it for UTF-8 documents only; here the document is
    # no valid UTF-8 as a whole, so the Latin-1 path does not read it as UTF-8 either.)
    data = _rss("cafÃ© au lait", f'<?xml version="1.0" encoding="{encoding}"?>')
    data = data.replace("<title>T</title>", "<title>crème</title>")
    feed, path, reference = _both(data.encode(encoding))
    assert (path, feed) == ("fast", reference)
    assert feed.entries[0].title == "café au lait 0"
    assert feed.title == "crème"
