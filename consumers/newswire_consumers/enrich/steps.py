"""The enrichment steps: small pure functions from one :class:`Draft` to the next.

Each step reads what earlier steps produced and returns a new Draft with its own fields
set; none does I/O (the article page, when needed, was fetched before the chain runs and
arrives in ``Draft.article``). Order matters: ``sanitize`` -> ``text_fields`` -> ``text`` ->
``reading`` -> ``language`` -> ``keywords`` -> ``publisher`` -> ``lead_image`` (``STEPS``).
A step may raise on a pathological item; the chain then keeps the previous Draft and flags the item.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from urllib.parse import urljoin, urlsplit

from newswire.sanitizer import html_to_text, sanitize, text_line
from newswire_consumers.enrich import language as lang
from newswire_consumers.enrich.extract import Article
from newswire_consumers.enrich.keywords import keywords as top_keywords
from newswire_schemas import Item, Language

WORDS_PER_MINUTE = 230  # a common adult silent-reading rate for non-fiction
_IMG_SRC_RE = re.compile(r"""<img\b[^>]*?\bsrc="([^"]+)\"""", re.IGNORECASE)
_SAFE_IMAGE_RE = re.compile(r"^https?://[^\s\"'<>]+$")
# Something a browser would parse as a tag, a comment or a declaration (WHATWG tag open).
_TAG_RE = re.compile(r"<[a-zA-Z!/?]")
_NO_LANGUAGE = Language()


@dataclass(frozen=True, slots=True)
class Draft:
    """An item on its way through the chain; the fields after ``fulltext_status`` are outputs."""

    item: Item
    article: Article | None = None  # the extracted article page, when full text was fetched
    fulltext_status: str = "not_needed"
    html: str = ""  # sanitized
    summary: str = ""  # sanitized
    sanitized_changed: bool = False
    markup_flattened: bool = False
    text: str = ""
    text_source: str = "feed"
    words: int = 0
    reading_time_s: int = 0
    language: Language = _NO_LANGUAGE
    keywords: tuple[str, ...] = ()
    publisher_domain: str = ""
    lead_image: str = ""


def sanitize_html(d: Draft) -> Draft:
    """Every HTML field through the nh3 allow-list (defence in depth: the producer sanitized
    the feed's HTML already; an article page is sanitized here for the first time)."""
    base = d.item.link or None
    body = sanitize(d.article.html if d.article else d.item.content.html, base)
    summary = sanitize(d.item.summary, base)
    return replace(
        d,
        html=body.html,
        summary=summary.html,
        sanitized_changed=body.changed or summary.changed,
        markup_flattened=body.flattened or summary.flattened,
        text_source="article" if d.article else "feed",
    )


def _markup_free(value: str) -> str:
    """``value`` with any markup in it rendered to text (titles, names and categories are
    plain text; a feed that double-escaped HTML into them must not smuggle tags through)."""
    for _ in range(3):  # entity-encoded markup decodes into markup once per pass
        if not _TAG_RE.search(value):
            return value
        value = text_line(value)
    return "" if _TAG_RE.search(value) else value


def text_fields(d: Draft) -> Draft:
    """Title, feed title, categories and author names without markup."""
    item = d.item
    if not any(_TAG_RE.search(v) for v in _short_texts(item)):
        return d
    authors = tuple(a.model_copy(update={"name": _markup_free(a.name)}) for a in item.authors)
    clean = item.model_copy(
        update={
            "title": _markup_free(item.title),
            "feed_title": _markup_free(item.feed_title),
            "categories": tuple(c for c in map(_markup_free, item.categories) if c),
            "authors": authors,
        }
    )
    return replace(d, item=clean)


def _short_texts(item: Item) -> list[str]:
    return [item.title, item.feed_title, *item.categories, *(a.name for a in item.authors)]


def plain_text(d: Draft) -> Draft:
    """The plain text: the feed's own (the producer derived it from its sanitized HTML, or
    the feed gave plain text) unless the body came from the article page; otherwise derived
    from the *sanitized* HTML, or from the summary when there is no body. Plain text is
    never HTML: subscribers must escape it to show it."""
    if d.article is None and d.item.content.text:
        return replace(d, text=d.item.content.text)
    return replace(d, text=html_to_text(d.html) or html_to_text(d.summary))


def reading(d: Draft) -> Draft:
    words = len(d.text.split())
    return replace(d, words=words, reading_time_s=math.ceil(words * 60 / WORDS_PER_MINUTE))


def language(d: Draft) -> Draft:
    """Detected language and confidence from title + text; the declared one is kept."""
    found = lang.detect(f"{d.item.title}\n{d.text}")
    if found is None:
        return replace(d, language=Language(declared=d.item.language.declared))
    return replace(
        d,
        language=Language(
            declared=d.item.language.declared,
            detected=found.language,
            confidence=found.confidence,
        ),
    )


def keywords(d: Draft) -> Draft:
    return replace(d, keywords=top_keywords(d.item.title, d.text))


def publisher(d: Draft) -> Draft:
    """The link's host, lower case, without a leading ``www.`` (the feed's if no link)."""
    host = urlsplit(d.item.link or d.item.feed_url).hostname or ""
    host = host.lower().rstrip(".")
    return replace(d, publisher_domain=host.removeprefix("www."))


def lead_image(d: Draft) -> Draft:
    """The article page's og:image, else the first image in the body, else an image
    enclosure; only an absolute http(s) URL without quotes or spaces is kept."""
    candidates = [d.article.image if d.article else ""]
    match = _IMG_SRC_RE.search(d.html)
    if match:
        candidates.append(match.group(1).replace("&amp;", "&"))
    candidates += [e.url for e in d.item.enclosures if e.type.startswith("image/")]
    for url in candidates:
        if url:
            absolute = urljoin(d.item.link, url) if d.item.link else url
            if _SAFE_IMAGE_RE.match(absolute):
                return replace(d, lead_image=absolute)
    return d


Step = Callable[[Draft], Draft]
STEPS: tuple[tuple[str, Step], ...] = (
    ("sanitize", sanitize_html),
    ("text_fields", text_fields),
    ("text", plain_text),
    ("reading", reading),
    ("language", language),
    ("keywords", keywords),
    ("publisher", publisher),
    ("lead_image", lead_image),
)
