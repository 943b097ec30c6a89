"""Writes plausible news articles from the phrase bank.

Everything is drawn from the :class:`random.Random` passed in, so the same generator state
always yields the same article: determinism is the caller's to keep by seeding it.
"""

from __future__ import annotations

import html
import random
import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime

from newswire.app.demo.phrasebank import (
    CAPTIONS,
    CIVIC_BODY,
    CLOSERS,
    QUOTE_ATTRIBUTIONS,
    SHARED_BODY,
    TOPICS,
    TopicBank,
)
from newswire.app.demo.phrasebank import names as nm

NUMBER_WORDS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
MONTHS = (
    "January", "February", "March", "April", "May", "June", "July",
    "August", "September", "October", "November", "December",
)  # fmt: skip

# Bits a sanitizer must remove; about one article in five carries one.
UNSAFE_SNIPPETS = (
    '<script>window.dataLayer = window.dataLayer || []; dataLayer.push({"e": "view"});</script>',
    "<p onclick=\"trackShare('story')\">Tap here to share this story with a friend.</p>",
    "<p><a href=\"javascript:void(window.open('/share'))\">Share this article</a></p>",
    '<iframe src="https://ads.example/slot/article-mpu" width="300" height="250"></iframe>',
    '<p><img src="https://pixel.example/t.gif" width="1" height="1" onerror="this.remove()"></p>',
    "<style>.paywall-overlay { display: block; }</style>",
)


@dataclass(frozen=True)
class Article:
    """One written story, before any outlet has put it in a feed."""

    topic: str
    title: str
    summary: str  # plain text, one or two sentences
    body_html: str
    authors: tuple[str, ...]
    categories: tuple[str, ...]
    slug: str  # ASCII, lower-case, hyphenated; derived from the title


def write_article(
    rng: random.Random,
    topic: str,
    *,
    published: datetime,
    host: str,
    unsafe_share: float = 0.2,
) -> Article:
    """Write one article on ``topic`` (a key of ``phrasebank.TOPICS``).

    ``published`` fills the weekday, month and year slots; ``host`` (``https://…``, no
    trailing slash) prefixes image and related-story URLs. Raises ``KeyError`` for an
    unknown topic.
    """
    bank = TOPICS[topic]
    ctx = slot_values(rng, topic, published)
    story = rng.choice(bank.storylines)
    headlines, ledes = bank.fitting("headlines", story), bank.fitting("ledes", story)
    # A storyline's headlines and ledes are written in pairs: the nth lede goes with the nth
    # headline (or with every headline, when the storyline has a single lede).
    pick = rng.randrange(len(headlines))
    title = _fill(headlines[pick], ctx)
    lede = _fill(ledes[pick % len(ledes)], ctx)
    slug = slugify(title)
    body, second = _body(
        rng, bank, story, ctx, lede=lede, host=host, slug=slug, published=published
    )
    summary = f"{lede} {second}" if second and rng.random() < 0.4 else lede
    authors = tuple(_name(rng) for _ in range(1 if rng.random() < 0.8 else 2))
    tags = rng.sample(bank.tags, k=rng.choice((0, 1, 1, 2)))
    return Article(
        topic=topic,
        title=title,
        summary=summary,
        body_html=body,
        authors=authors,
        categories=(bank.section, *tags),
        slug=slug,
    )


class _Slots(dict[str, str]):
    """Slot values; ``any_*`` slots (incidental figures) draw a fresh value at each use."""

    def __init__(self, rng: random.Random, values: dict[str, str]) -> None:
        super().__init__(values)
        self._rng = rng

    def __missing__(self, key: str) -> str:
        rng = self._rng
        fresh = {
            "any_pct": lambda: f"{rng.uniform(1.2, 9.8):.1f}%",
            "any_big": lambda: f"{rng.randint(12, 98) * 100:,}",
            "any_money": lambda: f"€{rng.randint(2, 95)}m",
            "any_money2": lambda: f"€{rng.uniform(1.1, 9.5):.1f}bn",
        }.get(key)
        if fresh is None:
            raise KeyError(key)
        return fresh()


def slot_values(rng: random.Random, topic: str, published: datetime) -> dict[str, str]:
    """Values for every slot any template may use, consistent within one article.

    The ``any_*`` slots are the exception: each use draws a new figure from ``rng``, so that
    incidental numbers in a body do not all repeat the headline's.
    """
    bank = TOPICS[topic]
    first, last = rng.choice(nm.FIRST_NAMES), rng.choice(nm.LAST_NAMES)
    expert_last = rng.choice([n for n in nm.LAST_NAMES if n != last])
    role = rng.choice(bank.roles)
    place, place2 = rng.sample(nm.PLACES, k=2)
    team, rival = rng.sample(nm.TEAMS, k=2)
    winner = rng.randint(1, 4)
    temp = rng.uniform(35.0, 39.9)
    year = published.year
    values = {
        "person": f"{first} {last}",
        "surname": last,
        "role": role,
        "official": f"{role} {first} {last}",
        "expert": f"{rng.choice(nm.FIRST_NAMES)} {expert_last}",
        "expert_surname": expert_last,
        "expert_title": rng.choice(bank.expert_titles),
        "org": rng.choice(bank.orgs),
        "subject": rng.choice(bank.subjects),
        "place": place,
        "place2": place2,
        "region": rng.choice(nm.REGIONS),
        "street": rng.choice(nm.STREETS),
        "river": rng.choice(nm.RIVERS),
        "council": f"{place} {rng.choice(nm.COUNCIL_KINDS)}",
        "weekday": WEEKDAYS[published.weekday()],
        "month": MONTHS[published.month - 1],
        "year": str(year),
        "past_year": str(year - rng.randint(3, 15)),
        "next_year": str(year + 1),
        "target_year": str((year // 5 + rng.randint(1, 3)) * 5),
        "n": NUMBER_WORDS[rng.randint(2, 9)],  # house style: spell out one to nine
        "n2": str(rng.randint(14, 95)),
        "big": f"{rng.randint(12, 98) * 100:,}",
        "pct": f"{rng.uniform(1.2, 9.8):.1f}%",
        "pct2": f"{rng.uniform(1.2, 9.8):.1f}%",
        "money": f"€{rng.randint(2, 95)}m",
        "money2": f"€{rng.uniform(1.1, 9.5):.1f}bn",
        "money_local": f"€{rng.randint(12, 95) * 10},000",
        "price": f"€{rng.choice((199, 249, 349, 499, 899))}",
        "temp": f"{temp:.1f}°C",
        "temp2": f"{temp - rng.uniform(0.3, 1.4):.1f}°C",
        "minute": _ordinal(rng.randint(55, 94)),
        "ordinal": rng.choice(("third", "fourth", "fifth", "sixth")),
        "score": f"{winner}-{rng.randint(0, winner - 1)}",
        "company": rng.choice(nm.COMPANIES),
        "product": rng.choice(nm.PRODUCTS),
        "team": team,
        "rival": rival,
        "player": _name(rng),
        "player2": _name(rng),
        "venue": rng.choice(nm.VENUES),
        "work": rng.choice(nm.WORKS),
        "artist": _name(rng),
        "newcomer": _name(rng),
        "institute": rng.choice(nm.INSTITUTES),
        "journal": rng.choice(nm.JOURNALS),
        "medical_journal": rng.choice(nm.MEDICAL_JOURNALS),
        "species": rng.choice(nm.SPECIES),
        "hospital": rng.choice(nm.HOSPITALS),
        "condition": rng.choice(nm.CONDITIONS),
        "reporter": _name(rng),
    }
    return _Slots(rng, values)


def slugify(title: str) -> str:
    """An ASCII URL slug of at most nine words: accents folded, punctuation dropped."""
    folded = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode("ascii")
    words = re.sub(r"[^a-z0-9]+", " ", folded.lower()).split()
    return "-".join(words[:9]) or "story"


def word_count(body_html: str) -> int:
    """Words of visible text in an HTML body (scripts and styles not counted)."""
    text = re.sub(r"<(script|style)\b.*?</\1>", " ", body_html, flags=re.DOTALL | re.IGNORECASE)
    return len(html.unescape(re.sub(r"<[^>]+>", " ", text)).split())


def _body(
    rng: random.Random,
    bank: TopicBank,
    story: str,
    ctx: dict[str, str],
    *,
    lede: str,
    host: str,
    slug: str,
    published: datetime,
) -> tuple[str, str]:
    """The HTML body and its second sentence (for a two-sentence summary)."""
    target = rng.randint(300, 620)
    fitting = bank.fitting("body", story)
    own = rng.sample(fitting, k=len(fitting))
    general = SHARED_BODY + CIVIC_BODY if bank.civic else SHARED_BODY
    # General sentences pad a story out; too many and it stops being about anything.
    shared = rng.sample(general, k=min(len(general), max(3, len(own) * 3 // 5)))
    # The top of a story stays on its topic; general sentences come in after that.
    sentences = [_fill(t, ctx) for t in own[:3] + _interleave(rng, own[3:], shared)]
    blocks = [_p(lede)]
    words = len(lede.split())
    paragraphs = 0
    subhead_at = rng.randint(4, 7) if rng.random() < 0.5 else -1
    unsafe_at = rng.randint(2, 6) if rng.random() < 0.2 else -1
    link_at = rng.randint(3, 8) if rng.random() < 0.6 else -1
    second = sentences[0] if sentences else ""
    while sentences and words < target:
        take = min(len(sentences), rng.choice((1, 2, 2, 3)))
        chunk, sentences = sentences[:take], sentences[take:]
        blocks.append(_p(" ".join(chunk)))
        words += sum(len(s.split()) for s in chunk)
        paragraphs += 1
        if paragraphs == 1 and rng.random() < 0.45:
            blocks.append(_figure(rng, ctx, host, slug, published))
        if paragraphs == 2:
            blocks.append(_quote(rng, bank, story, ctx))
            words += word_count(blocks[-1])
        if paragraphs == subhead_at:
            blocks.append(f"<h2>{html.escape(rng.choice(bank.subheads), quote=False)}</h2>")
        if paragraphs == unsafe_at:
            blocks.append(rng.choice(UNSAFE_SNIPPETS))
        if paragraphs == link_at:
            blocks.append(_related(rng, bank, story, ctx, host))
    if rng.random() < 0.3:
        blocks.append(f"<p><em>{html.escape(_fill(rng.choice(CLOSERS), ctx))}</em></p>")
    return "\n".join(blocks), second


def _interleave(rng: random.Random, own: list[str], shared: list[str]) -> list[str]:
    """Mostly on-topic sentences, with general ones mixed in about a third of the time."""
    out: list[str] = []
    while own or shared:
        source = own if own and (not shared or rng.random() < 0.68) else shared
        out.append(source.pop())
    return out


def _quote(rng: random.Random, bank: TopicBank, story: str, ctx: dict[str, str]) -> str:
    # A quote may name its speaker after " | "; otherwise the story's official says it.
    template, _, speaker_template = rng.choice(bank.fitting("quotes", story)).partition(" | ")
    quote = _fill(template, ctx)
    speaker = _fill(speaker_template or "{official}", ctx, capitalise=False)
    if rng.random() < 0.5:
        body, who = html.escape(quote, quote=False), html.escape(speaker, quote=False)
        return f"<blockquote><p>“{body}.”</p><p>— {who[0].upper()}{who[1:]}</p></blockquote>"
    if speaker_template:
        return _p(f"“{quote},” said {speaker}.")
    attribution = _fill(rng.choice(QUOTE_ATTRIBUTIONS), ctx, capitalise=False)
    return _p(f"“{quote},” {attribution}.")


def _figure(
    rng: random.Random, ctx: dict[str, str], host: str, slug: str, published: datetime
) -> str:
    # Some CMSs write root-relative image URLs; resolving them is the parser's job.
    base = "" if rng.random() < 0.3 else host
    src = f"{base}/images/{published:%Y/%m}/{slug}-{rng.randint(1, 9)}.jpg"
    caption = html.escape(_fill(rng.choice(CAPTIONS), ctx), quote=False)
    alt = html.escape(ctx["place"])
    credit = html.escape(_name(rng), quote=False)
    return (
        f'<figure><img src="{src}" alt="{alt}" width="1200" height="800" loading="lazy">'
        f"<figcaption>{caption} Photograph: {credit}</figcaption></figure>"
    )


def _related(
    rng: random.Random, bank: TopicBank, story: str, ctx: dict[str, str], host: str
) -> str:
    section = bank.section.lower()
    kind = rng.randrange(3)
    if kind == 0:  # an earlier story in the same storyline
        title = _fill(rng.choice(bank.fitting("headlines", story)), ctx)
        href = f"{host}/{section}/{slugify(title)}-{rng.randrange(16**6):06x}"
        return f'<p>Read more: <a href="{href}">{html.escape(title, quote=False)}</a></p>'
    if kind == 1:
        org = ctx["org"]
        href = f"https://www.{slugify(org)}.example/publications"
        text = f"published on the {html.escape(org, quote=False)} website"
        return f'<p>The full findings are <a href="{href}">{text}</a>.</p>'
    return f'<p><a href="/{section}/">More {html.escape(bank.section, quote=False)} news</a></p>'


def _fill(template: str, ctx: dict[str, str], *, capitalise: bool = True) -> str:
    text = template.format_map(ctx)
    return text[0].upper() + text[1:] if capitalise else text


def _p(text: str) -> str:
    return f"<p>{html.escape(text, quote=False)}</p>"


def _name(rng: random.Random) -> str:
    return f"{rng.choice(nm.FIRST_NAMES)} {rng.choice(nm.LAST_NAMES)}"


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"
