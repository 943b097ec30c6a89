"""The demo news site: six made-up outlets, their feeds, and the ledger of what they carry.

Some stories come from a news agency (``https://wire.example``) and run in two or three
outlets at once, each copy under the outlet's own guid and spelling the agency's link its own
way (tracking parameters, a fragment, host case and the default port), so that link
canonicalization, and only that, brings the copies together.
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from newswire.app.demo.articles import Article, write_article
from newswire.app.demo.feeds import (
    ATOM10,
    JSONFEED,
    RSS2,
    DemoItem,
    Entry,
    Outlet,
    render_feed,
    render_opml,
)
from newswire.app.demo.phrasebank import TOPICS

WIRE_HOST = "https://wire.example"
_CMS_EPOCH = datetime(2019, 1, 1, tzinfo=UTC)
WIRE_TOPICS = tuple(t for t in TOPICS if t != "local")

# Ordered so that any prefix of three or more covers all three formats.
OUTLETS = (
    Outlet(
        slug="harbour-gazette",
        name="The Harbour Gazette",
        host="https://www.harbourgazette.example",
        format=RSS2,
        tagline="News from Port Ellery and the coast, since 1868",
        topics=("local", "local", "politics", "economy", "climate", "sport"),
        guid_style="wordpress",
    ),
    Outlet(
        slug="meridian-times",
        name="Meridian Times",
        host="https://www.meridiantimes.example",
        format=ATOM10,
        tagline="Politics, business and the world",
        topics=("politics", "economy", "economy", "technology", "health", "climate"),
        guid_style="tag",
        utc_offset_hours=1,
    ),
    Outlet(
        slug="copperfield-daily",
        name="Copperfield Daily",
        host="https://copperfielddaily.example",
        format=JSONFEED,
        tagline="Sport, culture and what's on",
        topics=("sport", "sport", "culture", "culture", "local"),
        guid_style="url",
    ),
    Outlet(
        slug="northern-ledger",
        name="The Northern Ledger",
        host="https://www.northernledger.example",
        format=RSS2,
        tagline="Independent journalism for the north-east",
        topics=("politics", "local", "health", "economy", "culture"),
        guid_style="code",
        link_suffix="?utm_source=feedburner&utm_medium=feed&utm_campaign=Feed%3A+northernledger",
        ascii_only=True,
        rfc822_gmt=True,
        content_type="text/xml",  # no charset: RFC 7303 makes that US-ASCII, which it is
        undated_items=1,
    ),
    Outlet(
        slug="tidewater-observer",
        name="The Tidewater Observer",
        host="https://tidewaterobserver.example",
        format=ATOM10,
        tagline="Science, environment and health",
        topics=("science", "science", "climate", "health", "technology"),
        guid_style="uuid",
        html_titles=True,
    ),
    Outlet(
        slug="signal-and-noise",
        name="Signal & Noise",
        host="https://signalnoise.example",
        format=JSONFEED,
        tagline="Technology and science, explained",
        topics=("technology", "technology", "science", "economy"),
        guid_style="short",
        ascii_only=True,
    ),
)
_OUTLETS_BY_SLUG = {o.slug: o for o in OUTLETS}


@dataclass(frozen=True)
class DemoFeed:
    outlet: str  # outlet slug
    title: str
    format: str  # "rss2" | "atom10" | "jsonfeed"
    path: str  # URL path on the feed server
    content_type: str
    body: bytes
    items: tuple[DemoItem, ...]  # in feed order


@dataclass(frozen=True)
class DemoSite:
    feeds: tuple[DemoFeed, ...]

    def unique_links(self) -> set[str]:
        """The distinct canonical links over all items: what a deduplicated store must hold."""
        return {item.canonical_link for feed in self.feeds for item in feed.items}

    def opml(self, base_url: str) -> bytes:
        """OPML 2.0 listing every feed at ``base_url`` + its path."""
        base = base_url.rstrip("/")
        outlines = []
        for feed in self.feeds:
            outlet = _OUTLETS_BY_SLUG.get(feed.outlet)
            outlines.append((feed.title, base + feed.path, outlet.home_page if outlet else ""))
        return render_opml("newswire demo outlets", outlines)


@dataclass(frozen=True)
class _WireStory:
    article: Article
    canonical: str
    published: datetime
    carriers: tuple[str, ...]  # outlet slugs
    spellings: tuple[str, ...]  # one raw link per carrier


def generate_site(seed: int = 7, now: datetime | None = None, outlets: int = 6) -> DemoSite:
    """Generate the first ``outlets`` outlets' feeds, dated in the two days before ``now``.

    The same ``(seed, now, outlets)`` always gives byte-identical feeds; ``now`` defaults to
    the current time. An outlet's own stories depend only on ``seed``, ``now`` and its slug.
    Raises ``ValueError`` for a naive ``now`` or ``outlets`` outside 1..6.
    """
    if not 1 <= outlets <= len(OUTLETS):
        raise ValueError(f"outlets must be between 1 and {len(OUTLETS)}, got {outlets}")
    if now is None:
        now = datetime.now(UTC)
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    # Feed dates have whole seconds; so must the ledger, to compare equal after parsing.
    now = now.astimezone(UTC).replace(microsecond=0)
    chosen = OUTLETS[:outlets]
    stories = _wire_stories(random.Random(f"{seed}:wire"), chosen, now)
    feeds = []
    for outlet in chosen:
        entries = _outlet_entries(seed, outlet, now, stories)
        feeds.append(
            DemoFeed(
                outlet=outlet.slug,
                title=outlet.name,
                format=outlet.format,
                path=outlet.path,
                content_type=outlet.media_type,
                body=render_feed(outlet, entries, now),
                items=tuple(e.item for e in entries),
            )
        )
    return DemoSite(feeds=tuple(feeds))


def _wire_stories(
    rng: random.Random, chosen: tuple[Outlet, ...], now: datetime
) -> list[_WireStory]:
    """One agency story per outlet, each carried by two or three of them (none if only one)."""
    if len(chosen) < 2:
        return []
    stories = []
    for index in range(len(chosen)):
        published = now - timedelta(seconds=rng.randint(45 * 60, 40 * 3600))
        article = write_article(rng, rng.choice(WIRE_TOPICS), published=published, host=WIRE_HOST)
        canonical = f"{WIRE_HOST}/{published:%Y/%m}/{article.slug}-{rng.randrange(16**6):06x}"
        carriers = rng.sample([o.slug for o in chosen], k=min(len(chosen), rng.choice((2, 2, 3))))
        spellings = _spellings(canonical)
        # Rotate through the spellings so every kind occurs once there are a few stories.
        raw = tuple(spellings[(index + j) % len(spellings)] for j in range(len(carriers)))
        stories.append(_WireStory(article, canonical, published, tuple(carriers), raw))
    return stories


def _spellings(canonical: str) -> tuple[str, ...]:
    """Ways feeds spell one link that canonicalization must reduce to ``canonical``."""
    path = canonical.removeprefix(WIRE_HOST)
    return (
        canonical,
        f"{canonical}?utm_source=rss&utm_medium=feed",
        f"{canonical}#article-body",
        f"https://Wire.EXAMPLE:443{path}",
        f"{canonical}?fbclid=IwAR2demoX0&utm_campaign=wire",
    )


def _outlet_entries(
    seed: int, outlet: Outlet, now: datetime, stories: list[_WireStory]
) -> list[Entry]:
    """The outlet's feed entries, newest first.

    Its own stories draw only from their own generator, so they do not change with the
    number of outlets (and so of wire stories) in the site.
    """
    rng = random.Random(f"{seed}:{outlet.slug}")
    planned = []
    for _ in range(rng.randint(15, 21)):
        published = now - timedelta(seconds=rng.randint(5 * 60, 47 * 3600))
        topic = rng.choice(outlet.topics)
        planned.append(
            (published, write_article(rng, topic, published=published, host=outlet.host))
        )
    undated = set(rng.sample(range(len(planned)), k=outlet.undated_items))
    used: set[int] = set()
    timeline = []
    for index, (when, article) in enumerate(planned):
        dated = None if index in undated else when
        entry = _own_entry(rng, outlet, article, dated, _cms_id(when, used), now)
        timeline.append((when, entry))
    wire_rng = random.Random(f"{seed}:{outlet.slug}:wire")
    for story in stories:
        if outlet.slug in story.carriers:
            when = story.published + timedelta(minutes=wire_rng.randint(0, 25))
            entry = _wire_entry(wire_rng, outlet, story, when, _cms_id(when, used), now)
            timeline.append((when, entry))
    timeline.sort(key=lambda pair: pair[0], reverse=True)
    return [entry for _, entry in timeline]


def _cms_id(when: datetime, used: set[int]) -> int:
    """An article id that grows with time, as a CMS database's does: one per ten seconds."""
    number = int((when - _CMS_EPOCH).total_seconds()) // 10
    while number in used:
        number += 1
    used.add(number)
    return number


def _own_entry(
    rng: random.Random,
    outlet: Outlet,
    article: Article,
    published: datetime | None,
    number: int,
    now: datetime,
) -> Entry:
    section = TOPICS[article.topic].section.lower()
    day = f"{published:%Y/%m/%d}/" if published is not None else ""
    canonical = f"{outlet.host}/{section}/{day}{article.slug}-{number}"
    item = DemoItem(
        outlet=outlet.slug,
        guid=_guid(rng, outlet, number, canonical),
        link=canonical + outlet.link_suffix,
        canonical_link=canonical,
        title=article.title,
        published=published,
        body_html=article.body_html,
        syndicated=False,
    )
    return _entry(rng, item, article, authors=article.authors, now=now)


def _wire_entry(
    rng: random.Random,
    outlet: Outlet,
    story: _WireStory,
    published: datetime,
    number: int,
    now: datetime,
) -> Entry:
    title = story.article.title
    title = rng.choice((title, title, f"{title} – report", f"UPDATED: {title}"))
    item = DemoItem(
        outlet=outlet.slug,
        guid=_guid(rng, outlet, number, f"{outlet.host}/wire/{number}"),
        link=story.spellings[story.carriers.index(outlet.slug)],
        canonical_link=story.canonical,
        title=title,
        published=published,
        body_html=story.article.body_html,
        syndicated=True,
    )
    byline = (f"{story.article.authors[0]} (Wire Example)",)
    return _entry(rng, item, story.article, authors=byline, now=now)


def _entry(
    rng: random.Random,
    item: DemoItem,
    article: Article,
    *,
    authors: tuple[str, ...],
    now: datetime,
) -> Entry:
    updated = None
    if item.published is not None and rng.random() < 0.2:
        updated = min(now, item.published + timedelta(minutes=rng.randint(5, 90)))
    return Entry(item, article.summary, authors, article.categories, updated)


def _guid(rng: random.Random, outlet: Outlet, number: int, url: str) -> str:
    hostname = outlet.host.split("//", 1)[1].removeprefix("www.")
    style = outlet.guid_style
    if style == "wordpress":
        return f"{outlet.host}/?p={number}"
    if style == "code":
        return f"NL-{number}"
    if style == "tag":  # RFC 4151 tag URI
        return f"tag:{hostname},2019:article/{number}"
    if style == "uuid":
        return f"urn:uuid:{uuid.UUID(int=rng.getrandbits(128), version=4)}"
    if style == "url":
        return url
    return f"sn-{number}"
