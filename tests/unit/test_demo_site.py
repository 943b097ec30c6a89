"""The demo news site: its feeds parse, its ledger matches them, and it is deterministic."""

from __future__ import annotations

import html
import json
import random
import string
import xml.etree.ElementTree as ET
from collections import defaultdict
from datetime import UTC, datetime, timedelta

import feedparser
import pytest

from newswire.app.demo import DemoItem, DemoSite, generate_site
from newswire.app.demo.articles import slot_values, word_count, write_article
from newswire.app.demo.feeds import JSONFEED_VERSION
from newswire.app.demo.phrasebank import CAPTIONS, CIVIC_BODY, CLOSERS, SHARED_BODY, TOPICS
from newswire_producers.normalize.canonical_url import canonicalize

NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
ATOM = "{http://www.w3.org/2005/Atom}"


@pytest.fixture(scope="module")
def site() -> DemoSite:
    return generate_site(seed=7, now=NOW)


def all_items(site: DemoSite) -> list[DemoItem]:
    return [item for feed in site.feeds for item in feed.items]


def test_same_seed_and_now_give_identical_bytes(site: DemoSite) -> None:
    again = generate_site(seed=7, now=NOW)
    assert [f.body for f in again.feeds] == [f.body for f in site.feeds]
    assert again == site
    other = generate_site(seed=8, now=NOW)
    assert [f.body for f in other.feeds] != [f.body for f in site.feeds]


def test_an_outlets_own_stories_do_not_depend_on_how_many_outlets_there_are() -> None:
    three = generate_site(seed=7, now=NOW, outlets=3)
    six = generate_site(seed=7, now=NOW, outlets=6)
    for small, big in zip(three.feeds, six.feeds, strict=False):
        own = [i for i in small.items if not i.syndicated]
        assert own == [i for i in big.items if not i.syndicated]


def test_six_outlets_cover_every_format_at_least_twice(site: DemoSite) -> None:
    formats = [f.format for f in site.feeds]
    assert len(site.feeds) >= 6
    assert {fmt: formats.count(fmt) for fmt in set(formats)} == {
        "rss2": 2,
        "atom10": 2,
        "jsonfeed": 2,
    }
    assert len({f.path for f in site.feeds}) == len(site.feeds)
    for feed in site.feeds:
        assert feed.path.startswith("/feeds/")
        assert feed.path.endswith(".json" if feed.format == "jsonfeed" else ".xml")
        assert 15 <= len(feed.items) <= 25, feed.outlet
        assert {i.outlet for i in feed.items} == {feed.outlet}


@pytest.mark.parametrize("outlets", [1, 3])
def test_fewer_outlets(outlets: int) -> None:
    small = generate_site(seed=7, now=NOW, outlets=outlets)
    assert len(small.feeds) == outlets
    if outlets >= 3:
        assert {f.format for f in small.feeds} == {"rss2", "atom10", "jsonfeed"}
    else:
        assert not any(i.syndicated for i in all_items(small))


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"outlets": 0}, "outlets"),
        ({"outlets": 7}, "outlets"),
        ({"now": datetime(2026, 11, 28, 12, 0)}, "timezone"),  # naive on purpose
    ],
)
def test_invalid_arguments_are_refused(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        generate_site(**kwargs)  # type: ignore[arg-type]


def test_xml_feeds_are_well_formed_and_list_every_item(site: DemoSite) -> None:
    for feed in (f for f in site.feeds if f.format != "jsonfeed"):
        root = ET.fromstring(feed.body)
        if feed.format == "rss2":
            assert root.tag == "rss"
            assert root.get("version") == "2.0"
            entries = root.findall("./channel/item")
            guids = [e.findtext("guid") for e in entries]
        else:
            assert root.tag == f"{ATOM}feed"
            entries = root.findall(f"{ATOM}entry")
            guids = [e.findtext(f"{ATOM}id") for e in entries]
        assert guids == [i.guid for i in feed.items], feed.outlet


def test_json_feeds_declare_version_1_1_and_list_every_item(site: DemoSite) -> None:
    for feed in (f for f in site.feeds if f.format == "jsonfeed"):
        doc = json.loads(feed.body)
        assert doc["version"] == JSONFEED_VERSION == "https://jsonfeed.org/version/1.1"
        assert [i["id"] for i in doc["items"]] == [i.guid for i in feed.items]
        assert [i["url"] for i in doc["items"]] == [i.link for i in feed.items]
        assert [i["title"] for i in doc["items"]] == [i.title for i in feed.items]
        assert [i["content_html"] for i in doc["items"]] == [i.body_html for i in feed.items]


def test_feedparser_reads_rss_and_atom_as_the_ledger_says(site: DemoSite) -> None:
    for feed in (f for f in site.feeds if f.format != "jsonfeed"):
        parsed = feedparser.parse(feed.body)
        assert not parsed.bozo, (feed.outlet, parsed.get("bozo_exception"))
        assert len(parsed.entries) == len(feed.items)
        for entry, item in zip(parsed.entries, feed.items, strict=True):
            assert entry.id == item.guid
            assert entry.link == item.link
            # Atom type="html" titles come back as HTML; unescaping gives the text.
            assert html.unescape(entry.title) == item.title
            if item.published is None:
                assert "published_parsed" not in entry
            else:
                assert datetime(*entry.published_parsed[:6], tzinfo=UTC) == item.published


def test_ledger_is_consistent(site: DemoSite) -> None:
    items = all_items(site)
    for feed in site.feeds:
        guids = [i.guid for i in feed.items]
        assert len(set(guids)) == len(guids), feed.outlet
        dates = [i.published for i in feed.items if i.published is not None]
        assert dates == sorted(dates, reverse=True), "feeds list newest first"
    for item in items:
        assert canonicalize(item.link) == item.canonical_link, item.link
        if item.published is not None:
            assert item.published.tzinfo == UTC
            assert NOW - timedelta(days=2) <= item.published <= NOW
    assert site.unique_links() == {i.canonical_link for i in items}


def test_wire_stories_are_carried_by_several_outlets_under_different_spellings(
    site: DemoSite,
) -> None:
    items = all_items(site)
    copies = [i for i in items if i.syndicated]
    assert 0.10 <= len(copies) / len(items) <= 0.15
    by_link: defaultdict[str, list[DemoItem]] = defaultdict(list)
    for item in copies:
        by_link[item.canonical_link].append(item)
    for link, group in by_link.items():
        assert len({i.outlet for i in group}) == len(group) >= 2, link
        assert len({i.link for i in group}) == len(group), "each copy spells the link its way"
        assert len({i.body_html for i in group}) == 1
    raw = [i.link for i in copies]
    assert any("utm_source=" in link for link in raw)
    assert any("#" in link for link in raw)
    assert any(":443/" in link for link in raw)
    assert len(site.unique_links()) == len(items) - len(copies) + len(by_link)


def test_bodies_are_article_length_html_with_work_for_the_sanitizer(site: DemoSite) -> None:
    bodies = [i.body_html for i in all_items(site)]
    counts = [word_count(b) for b in bodies]
    assert sum(counts) / len(counts) > 250
    assert min(counts) >= 200
    assert max(counts) <= 700
    for tag in ("<p>", "<h2>", "<blockquote>", "<a href=", "<img "):
        assert any(tag in b for b in bodies), tag
    assert all(b.count("<p>") >= 4 for b in bodies)
    unsafe = [b for b in bodies if "<script" in b or "onclick=" in b or "javascript:" in b]
    assert 0 < len(unsafe) < len(bodies) / 2
    assert not any("lorem" in b.lower() for b in bodies)


def test_realistic_messiness(site: DemoSite) -> None:
    items = all_items(site)
    assert [i.outlet for i in items if i.published is None] == ["northern-ledger"]
    text = " ".join(i.title + i.body_html for i in items)
    for char in ("€", "°C", "“", "”", "é"):
        assert char in text, char
    assert any("&" in i.title for i in items)
    ledger = next(f for f in site.feeds if f.outlet == "northern-ledger")
    assert ledger.body.isascii()
    assert b"&#" in ledger.body  # non-ASCII written as character references
    tidewater = next(f for f in site.feeds if f.outlet == "tidewater-observer")
    assert b'<title type="html">' in tidewater.body


def test_opml_lists_every_feed_at_the_base_url(site: DemoSite) -> None:
    root = ET.fromstring(site.opml("http://127.0.0.1:8765/"))
    assert root.tag == "opml"
    assert root.get("version") == "2.0"
    outlines = root.findall("./body/outline")
    assert [o.get("xmlUrl") for o in outlines] == [
        f"http://127.0.0.1:8765{f.path}" for f in site.feeds
    ]
    assert [o.get("text") for o in outlines] == [f.title for f in site.feeds]
    assert all(o.get("htmlUrl", "").startswith("https://") for o in outlines)


def test_every_template_fills_from_the_slot_values() -> None:
    published = datetime(2026, 11, 27, 9, 30, tzinfo=UTC)
    shared = SHARED_BODY + CIVIC_BODY + CAPTIONS + CLOSERS
    for name, bank in TOPICS.items():
        slots = slot_values(random.Random(0), name, published)
        own = [t.text for t in bank.headlines + bank.ledes + bank.body + bank.quotes]
        # A quote may carry its speaker after " | ": both halves are templates.
        for template in (part for text in own + list(shared) for part in text.split(" | ")):
            filled = template.format_map(slots)
            assert "{" not in filled, (name, template)
        for story in bank.storylines:
            assert bank.fitting("ledes", story), (name, story)
            assert bank.fitting("quotes", story), (name, story)
        assert all(len(h.storylines) == 1 for h in bank.headlines), name
        known = set(bank.storylines)
        for t in bank.ledes + bank.body + bank.quotes:
            assert t.storylines <= known, (name, t.text)


def test_articles_are_deterministic_and_slots_never_leak() -> None:
    published = datetime(2026, 11, 27, 9, 30, tzinfo=UTC)
    for seed, topic in enumerate(TOPICS):
        one = write_article(
            random.Random(seed), topic, published=published, host="https://x.example"
        )
        two = write_article(
            random.Random(seed), topic, published=published, host="https://x.example"
        )
        assert one == two
        assert not set(string.ascii_letters).isdisjoint(one.slug)
        assert "{" not in one.title + one.body_html
        assert 1 <= len(one.categories) <= 3
        assert one.categories[0] == TOPICS[topic].section
