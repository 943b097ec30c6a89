"""The encoding of feeds that declare none and are not UTF-8 (producers/charset_guess.py,
issue 3), on feedparser's own legacy-encoding test feeds from ../shared/corpus."""

from __future__ import annotations

import pytest
from paths import CORPUS

from producers.charset_guess import guess_charset
from producers.parser import parse_feed

LEGACY = {
    "big5": "big5",
    "eucjp": "euc_jp",
    "euckr": "euc_kr",
    "gb2312": "gb2312",
    "koi8r": "koi8-r",
    "tis620": "tis-620",
    "windows1255": "cp1255",
}
# A word of each feed's text (its title, or its description; big5 has no entry), as written.
TITLE_WORD = {
    "big5": "我希望",
    "eucjp": "正月",
    "euckr": "한글닉네임",
    "gb2312": "移民漫画",
    "koi8r": "новогоднюю",
    "tis620": "สำนักงาน",
    "windows1255": "אינטרנט",
}


@pytest.mark.parametrize(("name", "codec"), sorted(LEGACY.items()))
def test_undeclared_legacy_encodings_are_recognised(name: str, codec: str) -> None:
    data = (CORPUS / f"files/feedparser/illformed__chardet__{name}.xml").read_bytes()
    assert guess_charset(data) == codec


@pytest.mark.parametrize(
    "data",
    [
        b"<rss><channel><title>ascii</title></channel></rss>",
        "<rss><title>Zürich, Москва, 日本</title></rss>".encode(),
        # valid UTF-8 cut inside a multi-byte sequence at the end of the sample
        b"<rss><title>" + b"a" * (256 * 1024 - 14) + "é".encode()[:1],
    ],
)
def test_nothing_is_guessed_for_ascii_or_utf8(data: bytes) -> None:
    assert guess_charset(data) is None


@pytest.mark.parametrize("name", sorted(TITLE_WORD))
def test_their_text_reads_as_written_and_is_flagged(name: str) -> None:
    data = (CORPUS / f"files/feedparser/illformed__chardet__{name}.xml").read_bytes()
    feed = parse_feed(data, url="https://feeds.example/legacy")
    titles = [feed.title, *(e.title + e.summary_html for e in feed.entries)]
    assert any(TITLE_WORD[name] in t for t in titles), titles
    assert "encoding_repaired" in feed.flags
