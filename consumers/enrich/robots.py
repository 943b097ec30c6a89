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


class _Verdict:
    """What one origin's robots.txt says; ``rules`` None means allow all / deny all."""

    __slots__ = ("allow_all", "expires", "rules")

    def __init__(self, rules: RobotFileParser | None, allow_all: bool) -> None:
        self.rules = rules
        self.allow_all = allow_all
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

    async def allowed(self, url: str) -> bool:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            return False
        origin = f"{parts.scheme}://{parts.netloc.lower()}"
        lock = self._locks.setdefault(origin, asyncio.Lock())
        async with lock:
            verdict = self._verdicts.get(origin)
            if verdict is None or verdict.expires < time.monotonic():
                verdict = self._verdicts[origin] = await self._load(origin)
        return verdict.allows(url)

    async def _load(self, origin: str) -> _Verdict:
        try:
            result = await self._fetcher.fetch(f"{origin}/robots.txt")
        except HttpStatusError as exc:
            if 400 <= exc.status < 500 and exc.status != 429:
                return _Verdict(None, allow_all=True)  # §2.3.1.3 unavailable
            return _Verdict(None, allow_all=False)  # §2.3.1.4 unreachable
        except FetchError:
            return _Verdict(None, allow_all=False)  # §2.3.1.4 unreachable
        rules = RobotFileParser()
        text = result.body[:MAX_BYTES].decode("utf-8", errors="replace")
        rules.parse(text.splitlines())
        return _Verdict(rules, allow_all=True)
