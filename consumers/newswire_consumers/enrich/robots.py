"""robots.txt (RFC 9309), fetched through the hardened Fetcher and cached per origin.

Rules applied, by RFC 9309 section:
- §2.3.1.1-2: a 2xx robots.txt is parsed (stdlib ``urllib.robotparser``); redirects are
  followed by the Fetcher (at most its ``max_redirects``, §2.3.1.2 asks for at least 5).
- §2.3.1.3: "unavailable" (4xx, 404 included): the crawler may fetch anything.
- §2.3.1.4: "unreachable" (5xx, 429, a network error, a timeout, the SSRF guard): assume
  complete disallow.
- §2.4: an entry is used for at most 24 hours.
- §2.5: only the first 500 KiB are parsed.
"""

from __future__ import annotations

import asyncio
import time
from urllib.parse import urlsplit
from urllib.robotparser import RobotFileParser

from newswire.errors import FetchError
from newswire.fetch.fetcher import Fetcher, HttpStatusError

TTL_S = 24 * 3600.0  # RFC 9309 §2.4
MAX_BYTES = 500 * 1024  # RFC 9309 §2.5
AGENT = "newswire"  # the product token matched against User-agent lines (RFC 9309 §2.2.1)


# The causes a full-text status names when the site could not be asked at all.
_NETWORK_CAUSES = {"connect_error": "unreachable", "timeout": "timeout", "blocked": "blocked"}


def network_cause(exc: FetchError) -> str | None:
    """``unreachable``, ``timeout`` or ``blocked`` (the SSRF guard) when ``exc`` means the
    site could not be reached; None for an answer that was an error (HTTP status, size)."""
    return _NETWORK_CAUSES.get(str(getattr(exc, "outcome", "")))


class _Verdict:
    """What one origin's robots.txt says; ``rules`` None means allow all / deny all, and
    ``cause`` is what a refusal is called (why robots.txt could not be read, if so)."""

    __slots__ = ("allow_all", "cause", "expires", "rules")

    def __init__(
        self, rules: RobotFileParser | None, allow_all: bool, cause: str = "robots_disallowed"
    ) -> None:
        self.rules = rules
        self.allow_all = allow_all
        self.cause = cause
        self.expires = time.monotonic() + TTL_S

    def allows(self, url: str) -> bool:
        if self.rules is None:
            return self.allow_all
        return self.rules.can_fetch(AGENT, url)


class RobotsCache:
    """Answers "may newswire fetch this URL?" for every origin, one robots.txt fetch per
    origin per ``TTL_S``. Concurrent questions about one origin share one fetch.
    Cancel-safe; never raises for a URL or a robots.txt (only cancellation propagates).
    """

    def __init__(self, fetcher: Fetcher) -> None:
        self._fetcher = fetcher
        self._verdicts: dict[str, _Verdict] = {}
        self._locks: dict[str, asyncio.Lock] = {}

    async def refusal(self, url: str) -> str | None:
        """None when newswire may fetch ``url``; else why not: ``robots_disallowed`` (the
        rules say no), or why robots.txt could not be read (RFC 9309 §2.3.1.4: then nothing
        is fetched): ``unreachable``, ``timeout``, ``blocked``, ``robots_unreachable``."""
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            return "robots_disallowed"
        origin = f"{parts.scheme}://{parts.netloc.lower()}"
        lock = self._locks.setdefault(origin, asyncio.Lock())
        async with lock:
            verdict = self._verdicts.get(origin)
            if verdict is None or verdict.expires < time.monotonic():
                verdict = self._verdicts[origin] = await self._load(origin)
        return None if verdict.allows(url) else verdict.cause

    async def _load(self, origin: str) -> _Verdict:
        try:
            result = await self._fetcher.fetch(f"{origin}/robots.txt")
        except HttpStatusError as exc:
            if 400 <= exc.status < 500 and exc.status != 429:
                return _Verdict(None, allow_all=True)  # §2.3.1.3 unavailable
            return _Verdict(None, allow_all=False, cause="robots_unreachable")  # §2.3.1.4
        except FetchError as exc:  # §2.3.1.4 unreachable
            return _Verdict(None, allow_all=False, cause=network_cause(exc) or "robots_unreachable")
        rules = RobotFileParser()
        text = result.body[:MAX_BYTES].decode("utf-8", errors="replace")
        rules.parse(text.splitlines())
        return _Verdict(rules, allow_all=True)
