"""Full text against a local article server on 127.0.0.1 (acceptance).

Realistic pages (navigation, cookie banner, related links, comments and a footer around the
article): the extracted text holds the article body and none of the boilerplate. robots.txt
is honoured, pages are cached by URL, and the policy keeps complete feed content.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from factories import make_event

from newswire.app.demo import FeedServer, Route
from newswire.fetch.fetcher import Fetcher, FetchPolicy
from newswire.kafka.stage import Delivery, Incoming, Publish
from newswire.metrics import Metrics
from newswire.sanitizer import html_to_text
from newswire_consumers.enrich.extract import extract_article
from newswire_consumers.enrich.fulltext import ArticleSource, FulltextPolicy
from newswire_consumers.enrich.page_cache import PageCache
from newswire_consumers.enrich.stage import EnrichStage

ARTICLE = [
    "The harbour authority confirmed on Tuesday that the eastern breakwater will close for "
    "repairs from the first week of March, after divers found cracks in three caissons.",
    "Engineers said the damage was caused by the winter storms, which pushed waves higher than "
    "anything recorded since the structure was finished in 1987. Ferries will use the western "
    "channel while the work goes on.",
    "“We would rather close it for a season than lose it for a decade,” said Mara Velling, the "
    "authority's chief engineer, who expects the repairs to cost about twelve million euros.",
    "Fishing crews welcomed the decision but asked for a temporary landing stage near the old "
    "fish market, so that the morning catch does not have to travel around the whole bay.",
    "The council will vote on the landing stage next month. Its planning committee has said it "
    "sees no obstacle, provided the stage is gone before the summer regatta.",
]
BOILERPLATE = {
    "cookie banner": "We use cookies to improve your experience",
    "navigation": "Subscribe to our newsletter",
    "related": "Ten celebrity kitchens you will not believe",
    "trending": "Trending now: lottery numbers announced",
    "comment": "the mayor should resign",
    "comment 2": "buses still run late every single morning",
    "footer": "All rights reserved",
}


def article_page(title: str, paragraphs: list[str] = ARTICLE) -> bytes:
    body = "\n".join(f"<p>{p}</p>" for p in paragraphs)
    b = BOILERPLATE
    return f"""<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>{title} | Harbour Gazette</title>
<meta property="og:image" content="/media/lead.jpg"><script>var dataLayer=[];</script></head>
<body>
<div id="cookie-banner" class="cookie-consent"><p>{b["cookie banner"]}. By continuing to
browse you accept our cookie policy.</p><button>Accept all</button></div>
<header><nav class="main-nav"><ul><li><a href="/">Home</a></li><li><a href="/news">News</a></li>
<li><a href="/sport">Sport</a></li><li><a href="/subscribe">{b["navigation"]}</a></li></ul></nav>
</header>
<main><article class="story"><h1>{title}</h1><p class="byline">By Jon Arkell</p>
{body}
</article>
<aside class="related"><h2>Related stories</h2><ul><li><a href="/a/1">{b["related"]}</a></li>
<li><a href="/a/2">{b["trending"]}</a></li></ul></aside>
<section id="comments" class="comments"><h2>42 comments</h2>
<div class="comment"><p class="author">harbourwatcher</p><p>This is outrageous, {b["comment"]}
and the whole council with him, this has been known for years.</p></div>
<div class="comment"><p class="author">seagull88</p><p>Twelve million wasted while the
{b["comment 2"]} in the old town.</p></div></section></main>
<footer><p>{b["footer"]} Harbour Gazette Media Group. Contact us. Privacy policy.</p></footer>
</body></html>""".encode()


def _html(body: bytes) -> Route:
    return Route(body=body, content_type="text/html; charset=utf-8", etag=False)


@pytest.fixture
def server() -> Iterator[FeedServer]:
    routes = {
        "/robots.txt": Route(b"User-agent: *\nDisallow: /private/\n", "text/plain", etag=False),
        "/news/breakwater": _html(article_page("Harbour breakwater to close for repairs")),
        "/private/memo": _html(article_page("Private memo")),
        "/news/stub": _html(b"<html><body><p>Subscribe to read.</p></body></html>"),
    }
    with FeedServer(routes) as srv:
        yield srv


def _fetcher() -> Fetcher:
    return Fetcher(FetchPolicy(total_timeout_s=5, allow_networks=("127.0.0.1/32",)))


def test_extraction_keeps_the_article_and_drops_boilerplate() -> None:
    article = extract_article(article_page("A title"), "http://127.0.0.1:1/news/x")
    assert article is not None
    text = html_to_text(article.html)
    missing = [p[:40] for p in ARTICLE if p not in text]
    leaked = [name for name, phrase in BOILERPLATE.items() if phrase in text]
    print(f"\nextraction: {len(ARTICLE) - len(missing)}/{len(ARTICLE)} paragraphs, "
          f"{len(leaked)}/{len(BOILERPLATE)} boilerplate blocks leaked")  # fmt: skip
    assert missing == [] and leaked == []
    assert article.image == "http://127.0.0.1:1/media/lead.jpg"


async def test_article_source_fetches_honours_robots_and_caches(
    server: FeedServer, tmp_path: Path
) -> None:
    metrics = Metrics()
    with PageCache(tmp_path / "pages.sqlite", ttl_s=3600) as cache:
        async with _fetcher() as fetcher:
            source = ArticleSource(fetcher, cache, metrics, per_host=2)
            outcome, article = await source.get(server.url("/news/breakwater"))
            assert outcome == "fetched" and article is not None
            assert ARTICLE[2] in html_to_text(article.html)
            assert await source.get(server.url("/private/memo")) == ("robots_disallowed", None)
            assert await source.get(server.url("/news/stub")) == ("extract_empty", None)
            assert (await source.get(server.url("/news/missing")))[0] == "fetch_failed"
            paths = [r.path for r in server.requests]
            # A second enrichment of the same items fetches nothing but what failed.
            again = ArticleSource(fetcher, cache, metrics)
            assert (await again.get(server.url("/news/breakwater")))[0] == "cached"
            assert (await again.get(server.url("/news/stub")))[0] == "extract_empty"
    assert paths.count("/robots.txt") == 1  # cached per origin
    assert "/private/memo" not in paths  # robots.txt said no: never requested
    assert [r.path for r in server.requests][len(paths) :] == []  # all from the cache
    assert (
        metrics.registry.get_sample_value("newswire_enrich_fulltext_total", {"outcome": "cached"})
        == 1
    )


async def test_robots_5xx_means_disallow_and_404_means_allow(tmp_path: Path) -> None:
    page = _html(article_page("Story"))
    with FeedServer({"/robots.txt": Route(b"down", status=503), "/a": page}) as down, FeedServer(
        {"/a": page}
    ) as absent, PageCache(":memory:", 60) as cache:  # fmt: skip
        async with _fetcher() as fetcher:
            source = ArticleSource(fetcher, cache, Metrics())
            assert (await source.get(down.url("/a")))[0] == "robots_unreachable"  # §2.3.1.4
            assert (await source.get(absent.url("/a")))[0] == "fetched"  # §2.3.1.3
            assert "/a" not in [r.path for r in down.requests]  # unreachable robots: no fetch


async def test_an_unreachable_site_is_named_so_not_disallowed(tmp_path: Path) -> None:
    with socket.socket() as closed:  # a port nothing listens on
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    async with _fetcher() as fetcher:
        with PageCache(":memory:", 60) as cache:
            source = ArticleSource(fetcher, cache, Metrics())
            assert await source.get(f"http://127.0.0.1:{port}/story") == ("unreachable", None)


async def test_stage_replaces_teasers_with_the_article_and_keeps_full_feed_text(
    server: FeedServer,
) -> None:
    teaser = make_event(1, link=server.url("/news/breakwater"), text="Breakwater to close.")
    full_text = " ".join(["Complete feed article text with many words."] * 40)
    complete = make_event(2, link=server.url("/news/other"), text=full_text)
    batch = [Incoming(e, Delivery("t", 0, i)) for i, e in enumerate((teaser, complete))]
    with PageCache(":memory:", 60) as cache:
        async with _fetcher() as fetcher:
            stage = EnrichStage(
                Metrics(),
                policy=FulltextPolicy(min_words=150),
                articles=ArticleSource(fetcher, cache, Metrics()),
            )
            results = await stage.process(batch)
    first, second = (r.events[0].item for r in results if isinstance(r, Publish))
    assert first.enrichment is not None and second.enrichment is not None
    assert first.enrichment.text_source == "article"
    assert first.enrichment.fulltext_status == "fetched"
    assert all(p in first.content.text for p in ARTICLE)
    assert not any(b in first.content.text for b in BOILERPLATE.values())
    assert first.enrichment.lead_image == server.url("/media/lead.jpg")
    assert first.enrichment.word_count > 100
    assert (second.enrichment.text_source, second.enrichment.fulltext_status) == (
        "feed",
        "not_needed",
    )
    assert second.content.text == full_text
    assert "/news/other" not in [r.path for r in server.requests]


@pytest.mark.parametrize(
    ("policy", "feed_id", "link", "words", "expected"),
    [
        (FulltextPolicy(), "0" * 16, "https://news.org/a", 500, "not_needed"),
        (FulltextPolicy(), "0" * 16, "https://news.org/a", 20, "needed"),
        (FulltextPolicy(enabled=False), "0" * 16, "https://news.org/a", 20, "disabled"),
        (FulltextPolicy(deny=("news.org",)), "0" * 16, "https://www.news.org/a", 20, "disabled"),
        (FulltextPolicy(deny=("0" * 16,)), "0" * 16, "https://news.org/a", 20, "disabled"),
        (FulltextPolicy(allow=("other.org",)), "0" * 16, "https://news.org/a", 20, "disabled"),
        (FulltextPolicy(allow=("news.org",)), "0" * 16, "https://news.org/a", 20, "needed"),
        (FulltextPolicy(allow=("ws.org",)), "0" * 16, "https://news.org/a", 20, "disabled"),
        (FulltextPolicy(), "0" * 16, "", 20, "skipped"),
        (FulltextPolicy(), "0" * 16, "https://site.example/a", 20, "skipped"),  # RFC 2606
    ],
)
def test_policy(policy: FulltextPolicy, feed_id: str, link: str, words: int, expected: str) -> None:
    assert policy.decide(feed_id, link, words) == expected
