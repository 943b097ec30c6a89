"""Deeply nested markup (issue: 100,000 nested ``<div>`` cost the sanitizer 21-30 s of CPU,
200,000 ``<ul>`` 129 s): the sanitizer flattens nesting beyond ``MAX_DEPTH`` first, so its
cost follows the input's size, and the item says so (``markup_flattened``). Through the
producer's parse and normalize, and through enrich."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from functools import partial

import pytest
from factories import make_item

from newswire.errors import FeedParseError
from newswire.sanitizer import MAX_DEPTH, flatten_deep, sanitize
from newswire_consumers.enrich import chain
from newswire_producers.normalize.normalizer import normalize
from newswire_producers.parse.parse_worker import INLINE_BYTES, parse_bounded
from newswire_producers.parse.parser import parse_feed
from newswire_schemas import Content

NOW = datetime(2026, 3, 1, tzinfo=UTC)
# Seconds of CPU for a few hundred KB of HTML: nh3 on the flattened fragment takes well
# under one; unflattened, 200,000 levels took 129 s.
CPU_BOUND_S = 5.0


def nested(tag: str, depth: int, text: str = "deep text") -> str:
    return f"<{tag}>" * depth + text + f"</{tag}>" * depth


def cpu(call: object) -> tuple[object, float]:
    start = time.process_time()
    result = call()  # type: ignore[operator]
    return result, time.process_time() - start


@pytest.mark.parametrize("tag", ["div", "ul", "b", "blockquote"])
def test_a_nesting_bomb_is_flattened_within_the_bound(tag: str) -> None:
    sanitized, took = cpu(lambda: sanitize(nested(tag, 200_000), None))
    assert took < CPU_BOUND_S
    assert sanitized.flattened and "deep text" in sanitized.html  # type: ignore[attr-defined]
    assert sanitized.html.count(f"<{tag}>") <= MAX_DEPTH  # type: ignore[attr-defined]


def test_flattening_keeps_text_and_the_kept_structure_and_spares_normal_markup() -> None:
    normal = "<div><p>One <b>two</b></p><ul><li>a</li><li>b<br>c</li></ul></div>" * 300
    assert flatten_deep(normal) == (normal, False)  # many tags, little depth
    html, flat = flatten_deep(nested("div", 10, "x") + "<p>after</p>", max_depth=4)
    assert flat and html == "<div>" * 4 + "x" + "</div>" * 4 + "<p>after</p>"
    # Past the cap every tag is dropped until the elements opened there are closed (an
    # end tag closes the innermost one, whatever its name); the text stays.
    html, flat = flatten_deep("<i>" * 6 + "t</b></i><p>p</p>", max_depth=3)
    assert flat and html == "<i><i><i>tp"


def test_the_producer_flags_an_item_whose_content_was_flattened() -> None:
    bomb = nested("ul", 200_000).replace("&", "&amp;").replace("<", "&lt;")
    feed = (
        '<?xml version="1.0"?><rss version="2.0" '
        'xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel><title>t</title>'
        "<item><title>Bomb</title><link>https://news.example/1</link><guid>1</guid>"
        f"<content:encoded>{bomb}</content:encoded></item></channel></rss>"
    ).encode()
    assert len(feed) > 1_000_000

    def produce() -> object:
        parsed = parse_feed(feed, url="https://news.example/feed.xml")
        return normalize(parsed, feed_url="https://news.example/feed.xml", fetched=NOW)

    (item,), took = cpu(produce)  # type: ignore[misc]
    assert took < CPU_BOUND_S
    assert "markup_flattened" in item.quality_flags
    assert item.content.text == "deep text"


def test_enrich_flattens_and_flags_deep_markup_it_is_given() -> None:
    item = make_item(1, content=Content(html=nested("div", 200_000), text=""))
    out, took = cpu(lambda: chain.enrich(item, NOW))
    assert took < CPU_BOUND_S
    assert "markup_flattened" in out.quality_flags  # type: ignore[attr-defined]
    assert out.content.text == "deep text"  # type: ignore[attr-defined]


def slow_normalize(feed: object) -> object:
    """Stands in for a normalize that never ends (module-level: the worker unpickles it)."""
    time.sleep(60)
    return feed


async def test_what_runs_after_the_parse_shares_its_time_bound() -> None:
    # A body big enough for the worker process: the poller normalizes (and so sanitizes)
    # there, so the parse deadline covers the sanitizer too.
    body = ("x " * 400_000).encode()
    feed = (
        b'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title><item>'
        b"<title>Big</title><link>https://news.example/1</link><description>"
        + body
        + b"</description></item></channel></rss>"
    )
    assert len(feed) > INLINE_BYTES
    started = time.monotonic()
    with pytest.raises(FeedParseError, match="parse timed out"):
        await parse_bounded(
            feed, url="https://news.example/feed.xml", then=slow_normalize, timeout_s=3
        )
    assert time.monotonic() - started < 30
    (item,) = await parse_bounded(
        feed,
        url="https://news.example/feed.xml",
        then=partial(normalize, feed_url="https://news.example/feed.xml", fetched=NOW),
        timeout_s=30,
    )
    assert item.title == "Big"
