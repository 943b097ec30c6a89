"""The news item as it travels through every topic (contract v1).

Additive changes only within a major version: new optional fields may appear, and readers
ignore fields they do not know (``extra="ignore"``).
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, field_validator


class QualityFlag(StrEnum):
    """How a field was derived or repaired. Subscribers may see values added over time."""

    DATE_MISSING = "date_missing"
    DATE_IN_FUTURE_CLAMPED = "date_in_future_clamped"
    DATE_UNPARSEABLE = "date_unparseable"
    GUID_MISSING = "guid_missing"
    GUID_REPEATED = "guid_repeated"
    GUID_UNSAFE_DROPPED = "guid_unsafe_dropped"  # a javascript:/data: guid is not published
    LINK_MISSING = "link_missing"
    LINK_UNSAFE_DROPPED = "link_unsafe_dropped"
    TITLE_MISSING = "title_missing"
    TITLE_DERIVED = "title_derived"
    ENCODING_REPAIRED = "encoding_repaired"
    FEED_MALFORMED = "feed_malformed"
    HTML_SANITIZED = "html_sanitized"
    MARKUP_FLATTENED = "markup_flattened"  # nesting deeper than the sanitizer's cap flattened
    CONTENT_MISSING = "content_missing"
    ENRICHMENT_INCOMPLETE = "enrichment_incomplete"


# Empty, or http(s)/mailto: no javascript:, data: or file: URL leaves newswire.
SAFE_URL = r"^$|^(https?://|mailto:)"


class _Model(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class Author(_Model):
    name: str = ""
    email: str = ""
    uri: str = Field(default="", pattern=SAFE_URL)


class Enclosure(_Model):
    url: str = Field(pattern=SAFE_URL)
    type: str = ""
    length: int | None = Field(default=None, ge=0, le=2**63 - 1)


class Content(_Model):
    """The item body: ``html`` is always sanitized, ``text`` is its plain-text rendering."""

    html: str = ""
    text: str = ""


class Language(_Model):
    declared: str | None = None
    detected: str | None = None
    confidence: float | None = Field(default=None, ge=0, le=1, allow_inf_nan=False)


class Enrichment(_Model):
    """Signals added by the enrichment stage. Every field after ``enriched_at`` is
    optional with a default (additive within v1)."""

    word_count: int = Field(ge=0, le=2**63 - 1)
    reading_time_seconds: int = Field(ge=0, le=2**63 - 1)
    enriched_at: datetime
    # Where content.text came from: the feed itself, or the article page (full text).
    text_source: str = Field(default="feed", pattern=r"^(feed|article)$")
    # What the full-text step did: not_needed, disabled, fetched, cached, robots_disallowed,
    # robots_unreachable, unreachable, timeout, blocked, fetch_failed, extract_empty, skipped
    # (values may be added).
    fulltext_status: str = Field(default="not_needed", pattern=r"^[a-z][a-z0-9_]*$")
    keywords: tuple[str, ...] = ()
    publisher_domain: str = ""  # the link's host without "www.", lower case
    lead_image: str = Field(default="", pattern=SAFE_URL)
    steps_failed: tuple[Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$")], ...] = ()


class Item(_Model):
    """One news item. ``item_id`` is stable across polls; ``version`` grows with updates."""

    item_id: str = Field(pattern=r"^[0-9a-f]{32}$")
    dedup_key: str = Field(min_length=1)
    version: int = Field(default=1, ge=1, le=2**63 - 1)
    feed_id: str = Field(pattern=r"^[0-9a-f]{16}$")
    feed_url: str
    feed_title: str = ""
    guid: str | None = None
    link: str = Field(default="", pattern=SAFE_URL)
    title: str = ""
    summary: str = ""  # sanitized HTML
    content: Content = Content()
    authors: tuple[Author, ...] = ()
    categories: tuple[str, ...] = ()
    enclosures: tuple[Enclosure, ...] = ()
    language: Language = Language()
    published: datetime | None = None
    updated: datetime | None = None
    fetched: datetime
    content_hash: str = Field(pattern=r"^[0-9a-f]{64}$")
    quality_flags: tuple[Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$")], ...] = ()
    story_id: str | None = None
    alias_of: str | None = None
    changed_fields: tuple[str, ...] = ()
    enrichment: Enrichment | None = None

    @field_validator("published", "updated", "fetched")
    @classmethod
    def _must_be_utc(cls, value: datetime | None) -> datetime | None:
        if value is not None and (value.utcoffset() is None or value.utcoffset().total_seconds()):  # type: ignore[union-attr]
            raise ValueError("times must be timezone-aware UTC")
        return value
