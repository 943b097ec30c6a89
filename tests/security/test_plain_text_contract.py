"""The plain-text contract at the edge: titles, feed titles, author names and categories
are plain text on every topic (tags stripped, entities decoded, however many times a feed
escaped them), a guid a browser would run is not published, and URL-valued attributes
(``cite``) pass the same scheme rules as href and src. The JSON Schema says so, and the
contract check rejects what breaks it."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from factories import make_event

from newswire.sanitizer import plain_text, sanitize
from newswire_producers.normalize.normalizer import normalize
from newswire_producers.parse.parser import parse_feed
from newswire_schemas import Author, Event, EventType
from tests.contract import schema_errors

NOW = datetime(2026, 3, 1, tzinfo=UTC)
TAG = re.compile(r"<[a-zA-Z!/?]")
# Markup as feeds put it in text fields: raw (in CDATA), escaped once, escaped twice.
MARKUP = [
    "<![CDATA[<svg onload=alert(1)>Svg</svg> title]]>",
    "&lt;img src=x onerror=alert(1)&gt;Img title",
    "&amp;lt;script&amp;gt;alert(1)&amp;lt;/script&amp;gt;Script title",
    "<![CDATA[&lt;b onmouseover=alert(1)&gt;Bold&lt;/b&gt; title]]>",
]
GUIDS = ["javascript:alert(1)", " JaVa\tScRiPt:alert(1)", "data:text/html,<script>x</script>"]


def feed_with(value: str, guid: str) -> bytes:
    return (
        '<?xml version="1.0"?><rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/">'
        f"<channel><title>{value}</title><link>https://news.example/</link><item>"
        f"<title>{value}</title><link>https://news.example/1</link>"
        f"<guid>{guid.replace('<', '&lt;')}</guid><dc:creator>{value}</dc:creator>"
        f"<category>{value}</category><description>Body</description></item></channel></rss>"
    ).encode()


@pytest.mark.parametrize("value", MARKUP)
@pytest.mark.parametrize("fast", [True, False])
def test_text_fields_of_produced_items_carry_no_markup(value: str, fast: bool) -> None:
    parsed = parse_feed(feed_with(value, "id-1"), url="https://news.example/feed.xml", fast=fast)
    (item,) = normalize(parsed, feed_url="https://news.example/feed.xml", fetched=NOW)
    texts = [item.title, item.feed_title, *item.categories, *(a.name for a in item.authors)]
    assert not [t for t in texts if TAG.search(t)], texts
    assert "title" in item.title  # the words stay
    event = Event(type=EventType.OBSERVED, source="urn:newswire:test", item=item)
    assert schema_errors(event.headers(), event.value()) == []


@pytest.mark.parametrize("guid", GUIDS)
def test_a_guid_a_browser_would_run_is_not_published(guid: str) -> None:
    parsed = parse_feed(feed_with("Title", guid), url="https://news.example/feed.xml")
    (item,) = normalize(parsed, feed_url="https://news.example/feed.xml", fetched=NOW)
    assert item.guid is None and "guid_unsafe_dropped" in item.quality_flags
    (again,) = normalize(parsed, feed_url="https://news.example/feed.xml", fetched=NOW)
    assert again.item_id == item.item_id  # identity still follows the feed's guid


@pytest.mark.parametrize(
    "fields",
    [
        {"title": "<svg onload=alert(1)>"},
        {"feed_title": "<b>x</b>"},
        {"categories": ("<img src=x>",)},
        {"authors": (Author(name="</a>"),)},
        {"guid": "javascript:alert(1)"},
        {"guid": "DATA:text/html,x"},
    ],
)
def test_the_contract_check_rejects_markup_and_active_guids(fields: dict[str, object]) -> None:
    event = make_event(1, **fields)
    assert schema_errors(event.headers(), event.value()), fields


def test_plain_text_decodes_until_no_markup_is_left() -> None:
    assert plain_text("A &amp; B") == "A & B"
    assert plain_text("Why 3 < 4 &gt; 2") == "Why 3 < 4 > 2"
    assert plain_text("&amp;lt;svg onload=x&amp;gt;Headline") == "Headline"
    assert plain_text("<i>Italic</i>  words\n") == "Italic words"


@pytest.mark.parametrize("tag", ["q", "blockquote", "del", "ins"])
def test_cite_urls_pass_the_scheme_rules(tag: str) -> None:
    bad = sanitize(f'<{tag} cite="javascript:alert(1)">x</{tag}>', "https://news.example/")
    assert "cite" not in bad.html and bad.changed
    spaced = sanitize(f'<{tag} cite=" java&#9;script:alert(1)">x</{tag}>', None)
    assert "cite" not in spaced.html
    good = sanitize(f'<{tag} cite="https://source.example/a">x</{tag}>', None)
    assert 'cite="https://source.example/a"' in good.html
