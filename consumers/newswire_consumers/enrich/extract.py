"""The main text of an article page, without navigation, related links, banners or comments.

trafilatura does the extraction; this module pins its options and turns its
output into what the enrichment chain needs. ``include_comments=False`` and
``favor_precision=True``: a subscriber is better served by a slightly short article than
by one with a cookie banner or reader comments in it (measured in
``tests/unit/test_enrich_fulltext.py``).
"""

from __future__ import annotations

import html
import logging
import re
from dataclasses import dataclass
from urllib.parse import urljoin

import trafilatura

from newswire.sanitizer import html_to_text

# trafilatura logs every page it finds nothing in at WARNING; that is our outcome, not news.
logging.getLogger("trafilatura").setLevel(logging.ERROR)

MIN_WORDS = 25  # less than this is a stub, a paywall or a consent wall, not an article


@dataclass(frozen=True, slots=True)
class Article:
    """Extracted main content: ``html`` is NOT yet sanitized (the chain sanitizes all HTML);
    ``image`` is the page's declared lead image (og:image) made absolute, not yet vetted."""

    html: str
    image: str = ""


def extract_article(page: bytes | str, url: str) -> Article | None:
    """The article in ``page`` (fetched from ``url``), or None when there is none worth
    keeping (fewer than ``MIN_WORDS`` words). CPU-bound (milliseconds): call it off the event
    loop. Never raises for any input.
    """
    try:
        body = trafilatura.extract(
            page,
            url=url,
            output_format="html",
            include_comments=False,
            include_tables=True,
            include_links=True,
            include_images=False,
            favor_precision=True,
            deduplicate=False,
        )
    except Exception:  # noqa: BLE001 - third-party parser on hostile input: "no article"
        return None
    if not body or len(html_to_text(body).split()) < MIN_WORDS:
        return None
    image = _og_image(page)
    return Article(html=body, image=urljoin(url, image) if image else "")


_META_RE = re.compile(rb"<meta\b[^>]*>", re.IGNORECASE)
_ATTR_RE = re.compile(rb"""([a-z:-]+)\s*=\s*(?:"([^"]*)"|'([^']*)')""", re.IGNORECASE)
_IMAGE_PROPERTIES = (b"og:image", b"og:image:url", b"og:image:secure_url", b"twitter:image")


def _og_image(page: bytes | str) -> str:
    """The Open Graph ``og:image`` (or ``twitter:image``) of a page, or "". Never raises."""
    data = page.encode("utf-8", "replace") if isinstance(page, str) else page
    found: dict[bytes, bytes] = {}
    for tag in _META_RE.finditer(data[:262_144]):  # meta tags live in the head
        attrs = {m[1].lower(): m[2] or m[3] for m in _ATTR_RE.finditer(tag.group())}
        key = (attrs.get(b"property") or attrs.get(b"name") or b"").lower()
        if key in _IMAGE_PROPERTIES and attrs.get(b"content", b"").strip():
            found.setdefault(key, attrs[b"content"].strip())
    for key in _IMAGE_PROPERTIES:
        if key in found:
            return html.unescape(found[key].decode("utf-8", "replace"))
    return ""
