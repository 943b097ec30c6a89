"""A :class:`ParsedFeed` to contract :class:`Item` events (schemas/newswire_schemas/item.py,
contract v1).

What each field gets, and the quality flag that records a repair or a derivation:

* ``link``: the canonical link (:func:`canonicalize`), relative links resolved against the
  entry's ``xml:base``, else the feed's link, else the feed URL (``link_missing``,
  ``link_unsafe_dropped``). Every other URL field passes :func:`safe_url`.
* ``title``, author names, categories: plain text (tags stripped and entities decoded until
  none is left, whitespace collapsed: :func:`newswire.sanitizer.plain_text`); the title is
  derived from the summary or content text when missing (``title_derived``), else
  ``title_missing``.
* ``summary`` and ``content.html``: nh3-sanitized HTML, relative URLs made absolute
  (``html_sanitized`` when active content was removed, ``markup_flattened`` when nesting
  deeper than the sanitizer's cap was flattened); ``content`` falls back to the summary;
  ``content.text`` is its plain text (``content_missing`` when both are empty).
* ``title``, ``summary``, ``content``, author names, categories: double-encoded UTF-8
  ("attirÃ©") repaired (:mod:`newswire_producers.normalize.mojibake`; ``encoding_repaired``
  when the title, summary or content needed it).
* ``published``/``updated``: UTC; unparseable dates are dropped (``date_unparseable``);
  no date at all gives ``date_missing``; a date more than 10 minutes after ``now`` becomes
  ``fetched`` (``date_in_future_clamped``).
* ``guid``: the feed's id for the entry, published unless it is a URL of a scheme a browser
  runs (``javascript:``, ``data:``...; ``guid_unsafe_dropped``): an RSS guid is a permalink
  by default, and a subscriber may follow it. The item's identity still uses it.
* ``item_id``, ``dedup_key``, ``feed_id``, ``content_hash``:
  :mod:`newswire_producers.normalize.identity` (``guid_missing``, ``guid_repeated``).
  Feed-wide flags (``feed_malformed``, ``encoding_repaired``) are copied onto every item.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from newswire.sanitizer import active_scheme, html_to_text, plain_text, sanitize
from newswire_producers.normalize.canonical_url import canonicalize, safe_url
from newswire_producers.normalize.identity import (
    EntryKey,
    assign_identities,
    content_hash,
    feed_id_for,
)
from newswire_producers.normalize.mojibake import repair
from newswire_producers.parse.parsed import ParsedEntry, ParsedFeed
from newswire_schemas.item import Author, Content, Enclosure, Item, Language, QualityFlag

__all__ = ["FUTURE_TOLERANCE", "TITLE_MAX_CHARS", "normalize"]

#: How far past ``now`` a date may be before it is treated as wrong (clock skew allowance).
FUTURE_TOLERANCE = timedelta(minutes=10)
#: The longest title derived from body text.
TITLE_MAX_CHARS = 120
_LANGUAGE_RE = re.compile(r"^[a-z]{1,8}(-[a-z0-9]{1,8})*$")


_UNSAFE_GUID = QualityFlag.GUID_UNSAFE_DROPPED.value


@dataclass(frozen=True, slots=True)
class _Draft:
    """An item before identities are assigned (they depend on the feed's other entries)."""

    key: EntryKey  # guid, canonical link, content hash
    title: str
    summary: str
    content: Content
    authors: tuple[Author, ...]
    categories: tuple[str, ...]
    enclosures: tuple[Enclosure, ...]
    language: Language
    published: datetime | None
    updated: datetime | None
    flags: frozenset[str]


def normalize(
    feed: ParsedFeed, *, feed_url: str, fetched: datetime, now: datetime | None = None
) -> list[Item]:
    """The feed's entries as valid :class:`Item` values (``version=1``), in feed order.

    ``fetched`` (and ``now``, which defaults to ``fetched``) must be timezone-aware:
    a naive datetime raises ``ValueError``. Deterministic: the same arguments give equal
    items. Never raises for any :class:`ParsedFeed` the parser produces.
    """
    fetched = _as_utc(fetched)
    now = _as_utc(now) if now is not None else fetched
    feed_id = feed_id_for(feed_url)
    feed_link = canonicalize(feed.link, feed_url)
    feed_title = plain_text(feed.title)
    drafts = [_draft(entry, feed, feed_url, feed_link, fetched, now) for entry in feed.entries]
    identities = assign_identities(feed_id, [d.key for d in drafts])
    items = []
    for draft, identity in zip(drafts, identities, strict=True):
        flags = draft.flags | feed.flags
        if identity.guid_repeated:
            flags |= {QualityFlag.GUID_REPEATED.value}
        items.append(
            Item(
                item_id=identity.item_id,
                dedup_key=identity.dedup_key,
                version=1,
                feed_id=feed_id,
                feed_url=feed_url,
                feed_title=feed_title,
                guid=None if _UNSAFE_GUID in draft.flags else draft.key.guid,
                link=draft.key.canonical_link,
                title=draft.title,
                summary=draft.summary,
                content=draft.content,
                authors=draft.authors,
                categories=draft.categories,
                enclosures=draft.enclosures,
                language=draft.language,
                published=draft.published,
                updated=draft.updated,
                fetched=fetched,
                content_hash=draft.key.content_hash,
                quality_flags=tuple(sorted(flags)),
            )
        )
    return items


def _as_utc(value: datetime) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError("normalize needs timezone-aware datetimes")
    return value.astimezone(UTC)


def _draft(
    entry: ParsedEntry,
    feed: ParsedFeed,
    feed_url: str,
    feed_link: str,
    fetched: datetime,
    now: datetime,
) -> _Draft:
    flags: set[str] = set()
    # Base for the entry's own link: xml:base, else the site, else where the feed came from.
    base = _first_http(entry.base, feed_link, feed_url)
    link = canonicalize(entry.link, base) if entry.link else ""
    if not entry.link:
        flags.add(QualityFlag.LINK_MISSING.value)
    elif not link:
        flags.add(QualityFlag.LINK_UNSAFE_DROPPED.value)
    # Base for URLs in the body: xml:base, else the article itself.
    body_base = _first_http(entry.base, link, feed_link, feed_url)

    # Double-encoded UTF-8 is undone on the feed's own strings, before the sanitizer turns
    # a mangled no-break space ("Â\xa0") into "Â&nbsp;", which no longer looks like mojibake.
    raw = (entry.title, entry.summary_html, entry.content_html)
    title_raw, summary_raw, content_raw = fixed = tuple(repair(s) for s in raw)
    if fixed != raw:
        flags.add(QualityFlag.ENCODING_REPAIRED.value)
    summary = sanitize(summary_raw, body_base)
    content = sanitize(content_raw, body_base) if content_raw.strip() else summary
    if summary.changed or content.changed:
        flags.add(QualityFlag.HTML_SANITIZED.value)
    if summary.flattened or content.flattened:
        flags.add(QualityFlag.MARKUP_FLATTENED.value)
    title = plain_text(title_raw)
    text = html_to_text(content.html)
    if not text and not content.html:
        flags.add(QualityFlag.CONTENT_MISSING.value)

    if not title:
        title = _derive_title(html_to_text(summary.html) or text)
        flags.add(QualityFlag.TITLE_DERIVED.value if title else QualityFlag.TITLE_MISSING.value)
    guid = entry.guid.strip() if entry.guid and entry.guid.strip() else None
    if guid is None:
        flags.add(QualityFlag.GUID_MISSING.value)
    elif active_scheme(guid):
        flags.add(_UNSAFE_GUID)

    published, updated = _dates(entry, flags, fetched, now)
    return _Draft(
        key=EntryKey(guid, link, content_hash(title, summary.html, content.html)),
        title=title,
        summary=summary.html,
        content=Content(html=content.html, text=text),
        authors=_authors(entry, body_base),
        categories=_unique_texts(entry.categories),
        enclosures=_enclosures(entry, body_base),
        language=Language(declared=_language(entry.language) or _language(feed.language)),
        published=published,
        updated=updated,
        flags=frozenset(flags),
    )


def _first_http(*candidates: str | None) -> str | None:
    """The first candidate that is an absolute http(s) URL."""
    return next((c for c in candidates if c and canonicalize(c)), None)


def _derive_title(text: str) -> str:
    """The first line of ``text``, cut at a word boundary to at most TITLE_MAX_CHARS, as
    plain text (body text may hold "<blink>" as words; a title holds no markup)."""
    line = plain_text(text.split("\n", 1)[0])
    if len(line) <= TITLE_MAX_CHARS:
        return line
    cut = line[: TITLE_MAX_CHARS - 1].rsplit(" ", 1)[0] or line[: TITLE_MAX_CHARS - 1]
    return cut.rstrip(" ,;:.-") + "…"


def _dates(
    entry: ParsedEntry, flags: set[str], fetched: datetime, now: datetime
) -> tuple[datetime | None, datetime | None]:
    if (entry.published_raw and entry.published is None) or (
        entry.updated_raw and entry.updated is None
    ):
        flags.add(QualityFlag.DATE_UNPARSEABLE.value)
    if entry.published is None and entry.updated is None:
        flags.add(QualityFlag.DATE_MISSING.value)
    limit = now + FUTURE_TOLERANCE
    out: list[datetime | None] = []
    for value in (entry.published, entry.updated):
        if value is not None and value.astimezone(UTC) > limit:
            flags.add(QualityFlag.DATE_IN_FUTURE_CLAMPED.value)
            value = fetched
        out.append(value.astimezone(UTC) if value is not None else None)
    return out[0], out[1]


def _authors(entry: ParsedEntry, base: str | None) -> tuple[Author, ...]:
    seen: set[tuple[str, str, str]] = set()
    authors = []
    for parsed in entry.authors:
        name = _plain(parsed.name)
        email = parsed.email.strip() if "@" in parsed.email else ""
        uri = safe_url(parsed.uri, base) if parsed.uri else ""
        key = (name.casefold(), email.lower(), uri)
        if any(key) and key not in seen:
            seen.add(key)
            authors.append(Author(name=name, email=email, uri=uri))
    return tuple(authors)


def _plain(value: str) -> str:
    """A name or category as plain text on one line, mojibake repaired: feeds put markup
    (``<b>``, entities) in them; the HTML pass is skipped when there is none (the common
    case)."""
    if "<" in value or "&" in value or not value.isprintable():
        return repair(plain_text(value))
    return repair(" ".join(value.split()))


def _unique_texts(values: Iterable[str]) -> tuple[str, ...]:
    """Whitespace-collapsed, non-empty values; the first spelling of case variants wins."""
    seen: set[str] = set()
    out = []
    for value in values:
        text = _plain(value)
        if text and text.casefold() not in seen:
            seen.add(text.casefold())
            out.append(text)
    return tuple(out)


def _enclosures(entry: ParsedEntry, base: str | None) -> tuple[Enclosure, ...]:
    seen: set[str] = set()
    out = []
    for parsed in entry.enclosures:
        url = safe_url(parsed.url, base)
        if url.startswith(("http://", "https://")) and url not in seen:
            seen.add(url)
            length = parsed.length if parsed.length is not None and parsed.length >= 0 else None
            out.append(Enclosure(url=url, type=parsed.type.strip().lower(), length=length))
    return tuple(out)


def _language(tag: str | None) -> str | None:
    """A BCP 47-looking tag in its usual case (``en-US``, ``zh-Hant-TW``), or None."""
    if not tag:
        return None
    candidate = re.split(r"[\s,;]", tag.strip().replace("_", "-"), maxsplit=1)[0].lower()
    if not _LANGUAGE_RE.match(candidate):
        return None
    first, *rest = candidate.split("-")
    subtags = [s.upper() if len(s) == 2 else s.title() if len(s) == 4 else s for s in rest]
    return "-".join([first, *subtags])
