"""The encoding of feeds that declare none and are not UTF-8
(producers/newswire_producers/parse/charset_guess.py): on feeds of our own in each legacy encoding,
and on feedparser's own legacy-encoding test feeds from the shared corpus (the ``corpus`` tier)."""

from __future__ import annotations

import pytest
from paths import CORPUS

from newswire_producers.parse.charset_guess import guess_charset
from newswire_producers.parse.parser import parse_feed

# Our own text in each legacy encoding the shared corpus has undeclared feeds in.
OWN_TEXT = {
    "big5": "我希望明天的天氣會很好，我們一起去公園散步吧。市政府今天宣布新的公車路線。",
    "euc_jp": "正月の人出は過去最多になり、神社には長い列ができた。東京では朝から晴れて、"
    "多くの人が初詣に訪れました。",
    "euc_kr": "한글닉네임 사용자가 늘어나고 있다는 조사 결과가 나왔다. 서울시는 오늘 발표했다.",
    "gb2312": "移民漫画展在北京开幕，吸引了许多观众前来参观。市政府今天宣布新的公交线路。",
    "koi8_r": "Новогоднюю ёлку установили на главной площади города в субботу.",
    "tis_620": "สำนักงานสถิติแห่งชาติเปิดเผยผลการสำรวจประชากรประจำปี",
    "cp1255": "אינטרנט מהיר יגיע לכל הבתים בעיר עד סוף השנה, כך הודיעה העירייה.",
    "cp1251": "Мост через реку откроют в декабре, сообщили в мэрии.",
    "shift_jis": "新幹線の運転再開について、JR東日本は午後三時から"
    "順次運転を再開すると発表しました。",
}


def _own_feed(text: str, codec: str) -> bytes:
    return (
        '<?xml version="1.0"?>\n<rss version="2.0"><channel><title>News</title>'
        "<link>https://legacy.example/</link><description>d</description>"
        f"<item><title>{text}</title><link>https://legacy.example/1</link>"
        f"<description>{text}</description></item></channel></rss>\n"
    ).encode(codec)


@pytest.mark.parametrize("codec", sorted(OWN_TEXT))
def test_undeclared_legacy_encodings_are_recognised(codec: str) -> None:
    data = _own_feed(OWN_TEXT[codec], codec)
    guessed = guess_charset(data)
    assert guessed is not None
    assert data.decode(guessed) == data.decode(codec)  # the codec or a superset of it
    feed = parse_feed(data, url="https://feeds.example/legacy")
    assert feed.entries[0].title == OWN_TEXT[codec]
    assert "encoding_repaired" in feed.flags


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


# feedparser's legacy-encoding test feeds in the shared corpus: the codec each is in, and a
# word of its text (its title, or its description; big5 has no entry), as written.
CORPUS_FEEDS = {
    "big5": ("big5", "我希望"),
    "eucjp": ("euc_jp", "正月"),
    "euckr": ("euc_kr", "한글닉네임"),
    "gb2312": ("gb2312", "移民漫画"),
    "koi8r": ("koi8-r", "новогоднюю"),
    "tis620": ("tis-620", "สำนักงาน"),
    "windows1255": ("cp1255", "אינטרנט"),
}


@pytest.mark.corpus
@pytest.mark.parametrize("name", sorted(CORPUS_FEEDS))
def test_the_corpus_legacy_feeds_are_recognised_and_read_as_written(name: str) -> None:
    codec, word = CORPUS_FEEDS[name]
    data = (CORPUS / f"files/feedparser/illformed__chardet__{name}.xml").read_bytes()
    assert guess_charset(data) == codec
    feed = parse_feed(data, url="https://feeds.example/legacy")
    titles = [feed.title, *(e.title + e.summary_html for e in feed.entries)]
    assert any(word in t for t in titles), titles
    assert "encoding_repaired" in feed.flags
