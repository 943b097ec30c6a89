"""What dedup compares: per-field fingerprints, a content fingerprint, normalized text.

- :func:`field_fingerprints` (one short hash per user-visible field) tells an update from an
  unchanged re-sighting and names the fields an ``updated`` event changed.
- :func:`content_fingerprint` identifies one article's *content* whatever its guid or URL:
  an item under a new identity whose content fingerprint matches a known item is an
  ``alias`` of it (identity drift). It covers the normalized title and body, so
  case, punctuation, whitespace and markup changes do not matter, and it is empty for items
  too short to identify (a bare "Untitled" must not alias every other "Untitled").
- :func:`normalized_words` is the word sequence story clustering sketches.

All functions are pure and deterministic across processes and versions of Python (blake2b,
never ``hash()``): fingerprints are stored in the shared seen-store.
"""

from __future__ import annotations

import hashlib
import html
import re
import unicodedata

import orjson

from newswire_schemas import Item

FINGERPRINTED = (
    "title",
    "link",
    "summary",
    "content",
    "authors",
    "categories",
    "enclosures",
    "published",
    "updated",
)
# Fewer words than this in title + body: too little to say two items are one article.
MIN_CONTENT_WORDS = 8

_TAG = re.compile(r"<[^>]*>")
_WORD = re.compile(r"\w+")


def _digest(data: bytes, size: int = 8) -> str:
    return hashlib.blake2b(data, digest_size=size).hexdigest()


def field_fingerprints(item: Item) -> dict[str, str]:
    """A 16-hex hash per user-visible field (``FINGERPRINTED``), to tell what changed."""
    data = item.model_dump(mode="json", include=set(FINGERPRINTED))
    return {k: _digest(orjson.dumps(data.get(k))) for k in FINGERPRINTED}


def html_to_text(markup: str) -> str:
    """Markup to plain text, good enough for comparing (not for display)."""
    return html.unescape(_TAG.sub(" ", markup))


def normalized_words(text: str) -> list[str]:
    """NFKC, case-folded words: punctuation, markup remnants and spacing removed."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    # the runs of word characters: no character is both a word character and a space
    return [w for w in _WORD.findall(folded) if w != "_"]


def body_text(item: Item) -> str:
    """The item's body as plain text: the content, else the summary."""
    return item.content.text or html_to_text(item.content.html) or html_to_text(item.summary)


def content_fingerprint(item: Item) -> str:
    """32 hex over the normalized title and body, or "" when there are too few words.

    Equal for copies of one article that differ only in guid, link, case, punctuation,
    whitespace or markup; different as soon as one word differs.
    """
    words = [*normalized_words(item.title), "\x1f", *normalized_words(body_text(item))]
    if len(words) - 1 < MIN_CONTENT_WORDS:
        return ""
    return _digest(" ".join(words).encode(), 16)
