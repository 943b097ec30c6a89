"""What a feed fetch can fail with. Re-exported by :mod:`newswire.fetch.fetcher`, the public API.

Exception tree (all ``FetchError``, each with a bounded ``outcome`` label for metrics)::

    FetchError
    ├── BlockedAddress     "blocked"         the SSRF guard refused an address (newswire.fetch.ssrf)
    ├── UnsupportedScheme  "blocked"         not http(s): ftp:, file:, ...
    ├── InvalidUrl         "invalid_url"     the URL (or a redirect's Location) does not parse
    ├── TooLarge           "too_large"       body over the cap, before or after decompression
    ├── FetchTimeout       "timeout"         retriable; the whole-fetch deadline or a phase timeout
    ├── ConnectError       "connect_error"   retriable; DNS, TCP, TLS or a dropped connection
    ├── BadResponse        "bad_response"    malformed HTTP, unknown Content-Encoding, odd 3xx
    ├── RedirectError      "redirect_error"  a redirect without a usable Location
    │   ├── TooManyRedirects                 more than ``max_redirects`` hops
    │   └── InsecureRedirect                 https -> http downgrade
    └── HttpStatusError    "client_error" | "server_error" | "rate_limited"; 5xx/429 retriable
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from types import MappingProxyType

from newswire.errors import FetchError

# Every ``outcome`` a FetchError of this tree can carry: the closed label set of
# newswire_fetches_total's failures (zero-initialised by Metrics.init_producer).
FETCH_ERROR_OUTCOMES = (
    "blocked",
    "invalid_url",
    "too_large",
    "timeout",
    "connect_error",
    "bad_response",
    "redirect_error",
    "client_error",
    "server_error",
    "rate_limited",
)

__all__ = [
    "FETCH_ERROR_OUTCOMES",
    "BadResponse",
    "ConnectError",
    "FetchTimeout",
    "HttpStatusError",
    "InsecureRedirect",
    "InvalidUrl",
    "RedirectError",
    "TooLarge",
    "TooManyRedirects",
    "UnsupportedScheme",
    "parse_retry_after",
]


class UnsupportedScheme(FetchError):
    """Only http and https are fetched (callers read local files themselves)."""

    outcome: str = "blocked"


class InvalidUrl(FetchError):
    """The URL does not parse or has no host."""

    outcome: str = "invalid_url"


class TooLarge(FetchError):
    """The body passed ``max_body_bytes`` (declared, raw or decoded)."""

    outcome: str = "too_large"


class FetchTimeout(FetchError):
    """The fetch missed its deadline (whole-fetch or a per-phase timeout)."""

    outcome: str = "timeout"
    retriable = True


class ConnectError(FetchError):
    """DNS, TCP or TLS failed, or the connection dropped mid-response."""

    outcome: str = "connect_error"
    retriable = True


class BadResponse(FetchError):
    """The server spoke broken HTTP or sent something we cannot decode."""

    outcome: str = "bad_response"


class RedirectError(FetchError):
    """A redirect could not be followed."""

    outcome: str = "redirect_error"


class TooManyRedirects(RedirectError):
    """More than ``max_redirects`` hops (a loop, or a chain too long to trust)."""


class InsecureRedirect(RedirectError):
    """An https URL redirected to plain http."""


class HttpStatusError(FetchError):
    """A final response that is neither 2xx nor 304. 5xx and 429 are retriable.

    ``headers`` are the response's (names lower-cased), so callers can read ``Retry-After``
    against the server's ``Date``; ``retry_after_s`` is that delay against the local clock.
    """

    outcome: str

    def __init__(
        self,
        status: int,
        url: str,
        retry_after_s: float | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(f"HTTP {status} from {url}")
        self.status = status
        self.url = url
        self.retry_after_s = retry_after_s
        self.headers: Mapping[str, str] = MappingProxyType(
            {k.lower(): v for k, v in (headers or {}).items()}
        )
        self.retriable = status >= 500 or status == 429
        if status == 429:  # RFC 6585 §4
            self.outcome = "rate_limited"
        else:
            self.outcome = "server_error" if status >= 500 else "client_error"


def parse_retry_after(value: str, now: datetime | None = None) -> float | None:
    """Seconds to wait from a Retry-After value (RFC 9110 §10.2.3); None if unparseable.

    Accepts delay-seconds or an HTTP-date (a past date gives 0.0). Never raises.
    """
    value = value.strip()
    if re.fullmatch(r"[0-9]+", value):
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:  # HTTP-date is always GMT (RFC 9110 §5.6.7)
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())
