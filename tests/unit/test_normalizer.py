"""normalize (ParsedFeed -> Item), the identity rules and the HTML sanitizer it uses."""

from __future__ import annotations

import unicodedata
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone

import pytest

from newswire.sanitizer import html_to_text, sanitize
from newswire_producers.normalize.identity import (
    EntryKey,
    assign_identities,
    content_hash,
    feed_id_for,
)
from newswire_producers.normalize.normalizer import normalize
from newswire_producers.parse.parsed import ParsedAuthor, ParsedEnclosure, ParsedEntry, ParsedFeed
from newswire_producers.parse.parser import parse_feed
from newswire_schemas import Event, EventType, Item
from tests.contract import schema_errors

FEED_URL = "https://news.example/feed.xml"
FETCHED = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


def feed_of(*entries: ParsedEntry, **fields: object) -> ParsedFeed:
    values: dict[str, object] = {
        "title": "News",
        "link": "https://news.example/",
        "language": "en",
        "format": "rss2",
        "entries": entries,
        "flags": frozenset(),
    }
    values.update(fields)
    return ParsedFeed(**values)  # type: ignore[arg-type]


def entry(n: int = 1, **fields: object) -> ParsedEntry:
    values: dict[str, object] = {
        "guid": f"g{n}",
        "link": f"/story/{n}",
        "title": f"Story {n}",
        "summary_html": f"<p>Summary {n}</p>",
        "published": T0,
    }
    values.update(fields)
    return ParsedEntry(**values)  # type: ignore[arg-type]


def one(parsed_entry: ParsedEntry, **kwargs: object) -> Item:
    (item,) = normalize(feed_of(parsed_entry), feed_url=FEED_URL, fetched=FETCHED, **kwargs)  # type: ignore[arg-type]
    return item


def assert_valid_event(item: Item) -> None:
    event = Event(type=EventType.OBSERVED, source="urn:newswire:test", item=item)
    assert schema_errors(event.headers(), event.value()) == []


# --- fields -------------------------------------------------------------------------------


def test_a_plain_entry() -> None:
    item = one(entry())
    assert item.link == "https://news.example/story/1"
    assert item.title == "Story 1"
    assert item.summary == "<p>Summary 1</p>"
    assert item.content.html == "<p>Summary 1</p>"  # content falls back to the summary
    assert item.content.text == "Summary 1"
    assert item.published == T0 and item.updated is None and item.fetched == FETCHED
    assert item.guid == "g1" and item.version == 1
    assert item.feed_id == feed_id_for(FEED_URL) and item.feed_url == FEED_URL
    assert item.feed_title == "News"
    assert item.language.declared == "en"
    assert item.quality_flags == ()
    assert_valid_event(item)


@pytest.mark.parametrize(
    ("link", "base", "feed_link", "expected"),
    [
        ("/a?utm_source=x#c", None, "https://site.example/", "https://site.example/a"),
        ("b", "https://xml-base.example/dir/", "https://site.example/", "https://xml-base.example/dir/b"),
        ("c", None, "", "https://news.example/c"),  # no feed link: the feed URL
        ("c", None, "javascript:void(0)", "https://news.example/c"),
        ("HTTPS://Other.example:443/x", None, "https://site.example/", "https://other.example/x"),
    ],
)  # fmt: skip
def test_links_are_canonical_and_resolved(
    link: str, base: str | None, feed_link: str, expected: str
) -> None:
    parsed = feed_of(entry(link=link, base=base), link=feed_link)
    (item,) = normalize(parsed, feed_url=FEED_URL, fetched=FETCHED)
    assert item.link == expected
    assert item.dedup_key == "link:" + expected


def test_missing_and_unsafe_links() -> None:
    missing = one(entry(link=""))
    assert (missing.link, missing.quality_flags) == ("", ("link_missing",))
    unsafe = one(entry(link="javascript:alert(1)"))
    assert (unsafe.link, unsafe.quality_flags) == ("", ("link_unsafe_dropped",))
    assert unsafe.dedup_key == "id:" + unsafe.item_id


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ("AT&amp;T  buys\n <b>everything</b>", "AT&T buys everything"),
        ("a &lt; b", "a < b"),
        ("&#8220;Quoted&#8221; &eacute;t&eacute;", "“Quoted” été"),
        ("<script>alert(1)</script>Safe", "Safe"),
    ],
)
def test_titles_are_plain_text(title: str, expected: str) -> None:
    assert one(entry(title=title)).title == expected


def test_title_derived_or_missing() -> None:
    derived = one(entry(title="  ", summary_html="<p>First line of the body.</p><p>More.</p>"))
    assert derived.title == "First line of the body."
    assert "title_derived" in derived.quality_flags
    long_text = "word " * 60
    long_title = one(entry(title="", summary_html=long_text)).title
    assert long_title.endswith("…") and len(long_title) <= 120
    missing = one(entry(title="", summary_html="", content_html=""))
    assert missing.title == ""
    assert {"title_missing", "content_missing"} <= set(missing.quality_flags)


def test_html_is_sanitized_and_urls_resolved() -> None:
    item = one(
        entry(
            summary_html='<p class="lead" style="color:red">Lead <a href="/x">x</a></p>',
            content_html=(
                '<p onclick="steal()">Body <a href="javascript:alert(1)">j</a>'
                '<img src="img/1.png" onerror="x()"></p><script>bad()</script>'
                "<iframe src='https://evil.example'></iframe>"
            ),
        )
    )
    assert item.summary == (
        '<p>Lead <a href="https://news.example/x" rel="noopener noreferrer">x</a></p>'
    )
    assert "script" not in item.content.html and "onclick" not in item.content.html
    assert "javascript" not in item.content.html and "iframe" not in item.content.html
    assert '<img src="https://news.example/story/img/1.png">' in item.content.html
    assert item.content.text == "Body j"
    assert "html_sanitized" in item.quality_flags
    benign = one(entry(summary_html='<p class="x" style="color:red">ok</p>'))
    assert "html_sanitized" not in benign.quality_flags  # dropping styling is not a repair


def test_content_text_paragraphs() -> None:
    html = "<h2>Head</h2><p>One\n  two</p><ul><li>a</li><li>b</li></ul><p>x<br>y</p>"
    assert one(entry(content_html=html)).content.text == "Head\n\nOne two\n\na\n\nb\n\nx\ny"


def test_dates() -> None:
    missing = one(entry(published=None))
    assert missing.published is None and "date_missing" in missing.quality_flags
    only_updated = one(entry(published=None, updated=T0))
    assert only_updated.published is None and only_updated.updated == T0
    assert "date_missing" not in only_updated.quality_flags
    unparseable = one(entry(published=None, published_raw="someday"))
    assert {"date_missing", "date_unparseable"} <= set(unparseable.quality_flags)
    future = one(entry(published=FETCHED + timedelta(days=2), updated=FETCHED + timedelta(hours=1)))
    assert future.published == FETCHED and future.updated == FETCHED
    assert "date_in_future_clamped" in future.quality_flags
    near = one(entry(published=FETCHED + timedelta(minutes=9)))
    assert near.published == FETCHED + timedelta(minutes=9) and not near.quality_flags
    later_now = one(entry(published=FETCHED + timedelta(hours=1)), now=FETCHED + timedelta(hours=2))
    assert later_now.published == FETCHED + timedelta(hours=1)


def test_times_are_utc_and_must_be_aware() -> None:
    cet = timezone(timedelta(hours=1))
    parsed = feed_of(entry())
    (item,) = normalize(parsed, feed_url=FEED_URL, fetched=datetime(2026, 3, 1, 13, tzinfo=cet))
    assert item.fetched == FETCHED and item.fetched.utcoffset() == timedelta(0)
    with pytest.raises(ValueError, match="timezone-aware"):
        normalize(parsed, feed_url=FEED_URL, fetched=datetime(2026, 3, 1, 12))


def test_authors_categories_enclosures_are_cleaned_and_deduplicated() -> None:
    item = one(
        entry(
            authors=(
                ParsedAuthor("Ann  Lee", "ann@example.com", "/ann"),
                ParsedAuthor("ann lee", "ANN@example.com", "https://news.example/ann"),
                ParsedAuthor("Bob", "not-an-email", "javascript:alert(1)"),
                ParsedAuthor(),
            ),
            categories=("Tech", " tech ", "", "World  News"),
            enclosures=(
                ParsedEnclosure("/a.mp3", "Audio/MPEG", 10),
                ParsedEnclosure("https://news.example/a.mp3", "audio/mpeg", 10),
                ParsedEnclosure("javascript:alert(1)", "text/html"),
                ParsedEnclosure("mailto:x@example.com"),
            ),
        )
    )
    assert [(a.name, a.email, a.uri) for a in item.authors] == [
        ("Ann Lee", "ann@example.com", "https://news.example/ann"),
        ("Bob", "", ""),
    ]
    assert item.categories == ("Tech", "World News")
    assert [(e.url, e.type, e.length) for e in item.enclosures] == [
        ("https://news.example/a.mp3", "audio/mpeg", 10)
    ]


def test_markup_in_names_and_categories_becomes_text_and_odd_urls_are_encoded() -> None:
    item = one(
        entry(
            authors=(ParsedAuthor("<b>Ann</b> &amp; Bo", "", ""),),
            categories=("<a href='x'>Tech</a>", "AT&amp;T", "a < b"),
            # XML attribute normalization turns a tab into a space: never a bare space out.
            enclosures=(
                ParsedEnclosure("jav\tascript:alert(1)"),
                ParsedEnclosure("jav ascript:alert(1)"),
            ),
        )
    )
    assert [a.name for a in item.authors] == ["Ann & Bo"]
    assert item.categories == ("Tech", "AT&T", "a < b")
    assert all(" " not in e.url and "\t" not in e.url for e in item.enclosures)
    assert all(e.url.startswith("https://") for e in item.enclosures)


@pytest.mark.parametrize(
    ("entry_language", "feed_language", "expected"),
    [
        ("en_us", "fr", "en-US"),
        (None, "zh-hant-tw", "zh-Hant-TW"),
        ("", "de, en", "de"),
        ("???", None, None),
        (None, None, None),
    ],
)
def test_language(
    entry_language: str | None, feed_language: str | None, expected: str | None
) -> None:
    parsed = feed_of(entry(language=entry_language), language=feed_language)
    (item,) = normalize(parsed, feed_url=FEED_URL, fetched=FETCHED)
    assert item.language.declared == expected


def test_feed_flags_reach_every_item_and_order_is_kept() -> None:
    parsed = feed_of(*(entry(n) for n in range(5)), flags=frozenset({"encoding_repaired"}))
    items = normalize(parsed, feed_url=FEED_URL, fetched=FETCHED)
    assert [i.guid for i in items] == [f"g{n}" for n in range(5)]
    assert all(i.quality_flags == ("encoding_repaired",) for i in items)


# --- identity -----------------------------------------------------------------------------


def test_item_id_rules() -> None:
    with_guid = one(entry(guid=" g1 "))
    assert with_guid.guid == "g1"
    assert with_guid.item_id == one(entry(guid="g1", link="/elsewhere", title="new")).item_id
    no_guid = one(entry(guid=None))
    assert "guid_missing" in no_guid.quality_flags
    assert no_guid.item_id == one(entry(guid="", title="edited")).item_id  # link identity
    neither = one(entry(guid=None, link=""))
    assert neither.dedup_key == "id:" + neither.item_id
    assert neither.item_id != one(entry(guid=None, link="", title="other")).item_id
    for item in (with_guid, no_guid, neither):
        assert len(item.item_id) == 32 and len(item.content_hash) == 64


def test_the_same_guid_in_two_feeds_is_two_items() -> None:
    parsed = feed_of(entry())
    (a,) = normalize(parsed, feed_url=FEED_URL, fetched=FETCHED)
    (b,) = normalize(parsed, feed_url="https://other.example/rss", fetched=FETCHED)
    assert a.item_id != b.item_id


def test_one_article_from_two_outlets_meets_on_one_dedup_key() -> None:
    story = "https://origin.example/story?utm_source=a"
    (a,) = normalize(feed_of(entry(guid="x1", link=story)), feed_url=FEED_URL, fetched=FETCHED)
    (b,) = normalize(
        feed_of(entry(guid="y9", link=story.replace("utm_source=a", "utm_source=b"))),
        feed_url="https://aggregator.example/feed",
        fetched=FETCHED,
    )
    assert a.item_id != b.item_id
    assert a.dedup_key == b.dedup_key == "link:https://origin.example/story"


def test_repeated_guid_keeps_every_item() -> None:
    parsed = feed_of(
        entry(1, guid="same", link="/one"),
        entry(2, guid="same", link="/two"),
        entry(1, guid="same", link="/one"),  # the first entry again: the same item
    )
    first, second, again = normalize(parsed, feed_url=FEED_URL, fetched=FETCHED)
    assert first.item_id != second.item_id
    assert first.item_id == again.item_id
    assert "guid_repeated" in second.quality_flags
    assert "guid_repeated" not in first.quality_flags + again.quality_flags
    assert second.dedup_key == "link:https://news.example/two"


def test_a_link_shared_by_different_entries_identifies_none() -> None:
    parsed = feed_of(entry(1, link="/"), entry(2, link="/"), entry(3, guid=None, link="/"))
    items = normalize(parsed, feed_url=FEED_URL, fetched=FETCHED)
    assert len({i.item_id for i in items}) == 3
    assert [i.dedup_key for i in items] == ["id:" + i.item_id for i in items]


def test_assign_identities_never_merges_different_entries() -> None:
    keys = [
        EntryKey("g", "https://a.example/", "1" * 64),
        EntryKey("g", "https://a.example/", "2" * 64),
        EntryKey("g", "https://a.example/", "3" * 64),
        EntryKey(None, "https://a.example/", "1" * 64),
        EntryKey(None, "", "1" * 64),
    ]
    ids = [i.item_id for i in assign_identities("0" * 16, keys)]
    assert len(set(ids)) == len(keys)
    assert [i.guid_repeated for i in assign_identities("0" * 16, keys)] == [
        False, True, True, False, False,
    ]  # fmt: skip


def test_feed_id_and_content_hash() -> None:
    assert feed_id_for("HTTPS://News.Example:443/feed.xml#x") == feed_id_for(FEED_URL)
    assert len(feed_id_for("not a url")) == 16
    decomposed = unicodedata.normalize("NFD", "Café")
    assert content_hash(decomposed, "", "") == content_hash("Café", "", "")
    assert content_hash("ab", "c", "") != content_hash("a", "bc", "")


# --- sanitizer ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "dangerous",
    [
        "<script>x()</script>",
        '<a href=" JAVA\tSCRIPT:alert(1)">x</a>',
        '<img src="data:image/svg+xml;base64,AAAA">',
        '<div onmouseover="x()">x</div>',
        "<svg><circle/></svg>",
        '<form action="https://evil.example"><input name="p"></form>',
    ],
)
def test_sanitize_flags_what_it_removes(dangerous: str) -> None:
    result = sanitize(dangerous, "https://news.example/")
    assert result.changed
    lowered = result.html.lower()
    assert "script" not in lowered and "data:" not in lowered and "on" + "mouseover" not in lowered


def test_sanitize_without_base_drops_relative_urls() -> None:
    assert sanitize('<a href="/x">x</a>', None).html == '<a rel="noopener noreferrer">x</a>'
    assert html_to_text("<p>a &amp; b</p><p></p><p>c</p>") == "a & b\n\nc"


def test_end_to_end_from_bytes() -> None:
    data = b"""<rss version="2.0"><channel><title>T</title><link>https://site.example/</link>
    <item><title>One</title><link>/1</link><description>&lt;b&gt;bold&lt;/b&gt;</description>
    <pubDate>Sun, 01 Mar 2026 08:00:00 GMT</pubDate></item></channel></rss>"""
    parsed = parse_feed(data, url=FEED_URL)
    (item,) = normalize(parsed, feed_url=FEED_URL, fetched=FETCHED)
    assert (item.link, item.title, item.summary) == ("https://site.example/1", "One", "<b>bold</b>")
    assert item.published == datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
    assert set(item.quality_flags) == {"guid_missing"}
    assert_valid_event(item)
    assert normalize(parsed, feed_url=FEED_URL, fetched=FETCHED) == [item]  # deterministic
    assert replace(parsed, entries=()) and not normalize(
        replace(parsed, entries=()), feed_url=FEED_URL, fetched=FETCHED
    )
