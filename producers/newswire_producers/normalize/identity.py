"""Stable identities of feeds and items.

The rules (they are part of the event contract: changing them re-keys every item)::

    feed_id      16 hex of sha256(canonical feed url)
    content_hash 64 hex of sha256(NFC(title) US NFC(summary html) US NFC(content html))
    item_id      32 hex of sha256 of the first usable identity, in this order:
                   "guid:" + feed_id + guid      the entry has a guid (scoped to its feed)
                   "link:" + canonical link      the entry has a canonical link
                   "hash:" + content_hash        otherwise
    dedup_key    "link:" + canonical link when there is one, else "id:" + item_id

Within one feed, distinct entries never share an ``item_id``: an entry that repeats the guid
(or, without a guid, the link) of an earlier, different entry falls back to the next identity
(flagged ``guid_repeated`` when it had a guid). A link that different entries of one feed
share identifies none of them (feeds that point every item at their home page), so those
entries get ``"id:" + item_id`` as dedup key instead of the link: two articles of one poll
never meet on one key.
"""

from __future__ import annotations

import hashlib
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from newswire_producers.normalize.canonical_url import canonicalize

__all__ = [
    "EntryKey",
    "Identity",
    "assign_identities",
    "content_hash",
    "dedup_key_for",
    "feed_id_for",
    "item_id_for",
]

_UNIT_SEPARATOR = "\x1f"  # XML forbids it in text: joined parts stay distinguishable


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def feed_id_for(feed_url: str) -> str:
    """16 hex characters identifying the feed at ``feed_url`` (canonicalized first).

    Spellings of one URL that :func:`canonicalize` merges get one ``feed_id``; a URL that
    is not http(s) is hashed as given, stripped, so every string has an id.
    """
    return _sha256(canonicalize(feed_url) or feed_url.strip())[:16]


def content_hash(title: str, summary_html: str, content_html: str) -> str:
    """64 hex sha256 over the NFC-normalized title, summary HTML and content HTML."""
    parts = (unicodedata.normalize("NFC", p) for p in (title, summary_html, content_html))
    return _sha256(_UNIT_SEPARATOR.join(parts))


def item_id_for(feed_id: str, *, guid: str | None, canonical_link: str, hash_: str) -> str:
    """32 hex ``item_id`` from the first of guid, canonical link, content hash that is set.

    Pure and deterministic: the same arguments always give the same id.
    """
    if guid:
        return _sha256("guid:" + feed_id + guid)[:32]
    if canonical_link:
        return _sha256("link:" + canonical_link)[:32]
    return _sha256("hash:" + hash_)[:32]


def dedup_key_for(item_id: str, canonical_link: str) -> str:
    """``"link:" + canonical_link`` when there is a canonical link, else ``"id:" + item_id``."""
    return "link:" + canonical_link if canonical_link else "id:" + item_id


@dataclass(frozen=True, slots=True)
class EntryKey:
    """What identity is computed from: the entry's guid (stripped, None if empty), its
    canonical link ("" if none) and its content hash."""

    guid: str | None
    canonical_link: str
    content_hash: str


@dataclass(frozen=True, slots=True)
class Identity:
    item_id: str
    dedup_key: str
    guid_repeated: bool


def assign_identities(feed_id: str, keys: Sequence[EntryKey]) -> list[Identity]:
    """Identities for the entries of one feed, in the same order as ``keys``.

    Guarantees: entries with equal keys get equal identities (a feed listing one entry twice
    yields one ``item_id``); entries with different keys never share an ``item_id``; the
    first entry carrying a guid gets the guid identity, later different entries with the
    same guid fall back (``guid_repeated``).
    """
    # A link that several different entries of this feed carry identifies none of them.
    keys_per_link: dict[str, set[EntryKey]] = {}
    for key in keys:
        if key.canonical_link:
            keys_per_link.setdefault(key.canonical_link, set()).add(key)
    shared = {link for link, same in keys_per_link.items() if len(same) > 1}

    taken: dict[str, EntryKey] = {}
    identities: list[Identity] = []
    for key in keys:
        candidates = _candidates(feed_id, key)
        # The first candidate not already taken by a different entry of this feed.
        item_id = next(c for c in candidates if taken.setdefault(c, key) == key)
        repeated = bool(key.guid) and item_id != candidates[0]
        link = "" if key.canonical_link in shared else key.canonical_link
        identities.append(Identity(item_id, dedup_key_for(item_id, link), repeated))
    return identities


def _candidates(feed_id: str, key: EntryKey) -> list[str]:
    """The item ids ``key`` may take, best first; the last one is unique to the key."""
    out = []
    if key.guid:
        out.append(item_id_for(feed_id, guid=key.guid, canonical_link="", hash_=""))
    if key.canonical_link:
        out.append(item_id_for(feed_id, guid=None, canonical_link=key.canonical_link, hash_=""))
    out.append(item_id_for(feed_id, guid=None, canonical_link="", hash_=key.content_hash))
    everything = _UNIT_SEPARATOR.join((key.guid or "", key.canonical_link, key.content_hash))
    out.append(_sha256("entry:" + feed_id + everything)[:32])
    return out
