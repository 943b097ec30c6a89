"""Full text: when an item carries less than the article, fetch and extract the article.

The rule: an item needs its article when its feed text has fewer than
``min_words`` words (a teaser, a summary, a title only). Feeds that carry whole articles
keep their own content. Settings turn it off globally (``NEWSWIRE_ENRICH_FULLTEXT``) or per
feed (``NEWSWIRE_ENRICH_FULLTEXT_ALLOW`` / ``_DENY``: feed ids or hosts).

Fetching is polite and safe: the producer's hardened Fetcher (SSRF guard, body caps, a
whole-fetch deadline), robots.txt honoured (``robots.py``), at most ``per_host`` fetches at
once per host and ``concurrency`` in all, and every extracted page cached by URL
(``page_cache.py``) so re-enrichment does not fetch again.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from urllib.parse import urlsplit
from weakref import WeakValueDictionary

from newswire.errors import FetchError
from newswire.fetch.fetcher import Fetcher
from newswire.metrics import Metrics
from newswire.settings import Settings
from newswire_consumers.enrich.extract import Article, extract_article
from newswire_consumers.enrich.page_cache import PageCache
from newswire_consumers.enrich.robots import RobotsCache, network_cause

# Names that never resolve on the public internet (RFC 2606 §2, RFC 6761 §6): asking DNS
# about them only leaks traffic, so they are never fetched.
_RESERVED_SUFFIXES = (".example", ".invalid", ".test", ".localhost", ".local")
_HTML_TYPES = ("text/html", "application/xhtml+xml")


@dataclass(frozen=True, slots=True)
class FulltextPolicy:
    """Which items get their article fetched. Pure: no I/O."""

    enabled: bool = True
    min_words: int = 150
    allow: tuple[str, ...] = ()
    deny: tuple[str, ...] = ()

    @classmethod
    def from_settings(cls, settings: Settings) -> FulltextPolicy:
        return cls(
            enabled=settings.enrich_fulltext,
            min_words=settings.enrich_fulltext_min_words,
            allow=tuple(v.lower() for v in settings.enrich_fulltext_allow),
            deny=tuple(v.lower() for v in settings.enrich_fulltext_deny),
        )

    def decide(self, feed_id: str, link: str, feed_words: int) -> str:
        """``needed``, or why not: ``not_needed`` (the feed text is complete), ``disabled``
        (off, or the feed/host is not allowed), ``skipped`` (no fetchable link)."""
        if feed_words >= self.min_words:
            return "not_needed"
        if not self.enabled:
            return "disabled"
        host = (urlsplit(link).hostname or "").lower() if link else ""
        if self.deny and _listed(self.deny, feed_id, host):
            return "disabled"
        if self.allow and not _listed(self.allow, feed_id, host):
            return "disabled"
        if not host or f".{host}".endswith(_RESERVED_SUFFIXES):
            return "skipped"
        return "needed"


def _listed(entries: tuple[str, ...], feed_id: str, host: str) -> bool:
    return any(e == feed_id or (host and (host == e or host.endswith(f".{e}"))) for e in entries)


class ArticleSource:
    """Fetches and extracts articles; ``get`` is safe to call concurrently for many URLs.

    Never raises for a URL, a response or a page (only cancellation propagates): every
    failure is an outcome string, counted in ``newswire_enrich_fulltext_total{outcome}``.
    """

    def __init__(
        self,
        fetcher: Fetcher,
        cache: PageCache,
        metrics: Metrics,
        *,
        per_host: int = 2,
        concurrency: int = 16,
    ) -> None:
        self._fetcher = fetcher
        self._cache = cache
        self._robots = RobotsCache(fetcher)
        self._metrics = metrics
        self._per_host = per_host
        self._all = asyncio.Semaphore(concurrency)
        # A semaphore per host, alive only while some fetch holds or awaits it.
        self._hosts: WeakValueDictionary[str, asyncio.Semaphore] = WeakValueDictionary()

    def _host_slot(self, host: str) -> asyncio.Semaphore:
        sem = self._hosts.get(host)
        if sem is None:
            sem = self._hosts[host] = asyncio.Semaphore(self._per_host)
        return sem

    async def get(self, url: str) -> tuple[str, Article | None]:
        """``(outcome, article)``; outcome is ``fetched`` or ``cached`` with an article, or
        without one: ``robots_disallowed``; ``unreachable``, ``timeout`` or ``blocked`` (the
        site, or its robots.txt, could not be reached); ``robots_unreachable`` (robots.txt
        answered 5xx/429); ``fetch_failed`` (the page answered with an error or no HTML);
        ``extract_empty``."""
        outcome, article = await self._get(url)
        self._metrics.enrich_fulltext.labels(outcome).inc()
        return outcome, article

    async def _get(self, url: str) -> tuple[str, Article | None]:
        hit, article = await asyncio.to_thread(self._cache.get, url)
        if hit:
            return ("cached" if article else "extract_empty"), article
        host = (urlsplit(url).hostname or "").lower()
        async with self._host_slot(host), self._all:
            if (refused := await self._robots.refusal(url)) is not None:
                return refused, None
            try:
                result = await self._fetcher.fetch(url)
            except FetchError as exc:
                return network_cause(exc) or "fetch_failed", None
        media_type = (result.content_type or "text/html").split(";")[0].strip().lower()
        if media_type not in _HTML_TYPES:
            return "fetch_failed", None
        article = await asyncio.to_thread(extract_article, result.body, result.final_url)
        await asyncio.to_thread(self._cache.put, url, article)
        return ("fetched" if article else "extract_empty"), article
