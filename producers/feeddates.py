"""Feed dates to aware UTC datetimes, exactly as feedparser reads them, but fast.

The two shapes nearly every feed uses are parsed here with one regular expression each:
RFC 822 as updated by RFC 1123 and RFC 2822 (``Mon, 02 Jan 2006 15:04:05 +0000``, with
``GMT``/``UT``/``UTC``/``Z`` or a numeric offset) and RFC 3339 (``2006-01-02T15:04:05Z``,
an optional fraction, ``Z`` or ``±hh:mm``). Every other string goes to feedparser's own
date parser (``feedparser.datetimes._parse_date``: W3DTF, ISO 8601 variants, asctime, time
zone abbreviations, Korean, Greek, Hungarian dates...), so the result is always the one
feedparser gives. Like feedparser, seconds are whole (fractions are dropped).
"""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime, timedelta
from functools import lru_cache

from feedparser.datetimes import _parse_date as _feedparser_parse_date

__all__ = ["parse_date"]

_MONTHS = {
    "Jan": 1, "Feb": 2, "Mar": 3, "Apr": 4, "May": 5, "Jun": 6,
    "Jul": 7, "Aug": 8, "Sep": 9, "Oct": 10, "Nov": 11, "Dec": 12,
}  # fmt: skip
# RFC 822 section 5 / RFC 2822 section 3.3, four-digit years only (two-digit years and
# obsolete zone names take feedparser's path).
_RFC822_RE = re.compile(
    r"(?:(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun),\s*)?(\d{1,2}) ([A-Z][a-z]{2}) (\d{4}) "
    r"(\d{2}):(\d{2})(?::(\d{2}))? ?(?:([+-])(\d{2})(\d{2})|GMT|UTC|UT|Z)"
)
# RFC 3339 section 5.6 date-time, upper-case T and Z.
_RFC3339_RE = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.\d+)?(?:Z|([+-])(\d{2}):(\d{2}))"
)


def parse_date(raw: str) -> datetime | None:
    """The instant ``raw`` names, aware and in UTC, or None where feedparser finds none.

    Guarantees: equal to ``datetime(*feedparser.datetimes._parse_date(raw)[:6], UTC)`` for
    every input (None where that is None or not a valid datetime). Never raises.
    """
    if not raw:
        return None
    match = _RFC822_RE.fullmatch(raw)
    if match:
        day, month, year, hh, mm, ss, sign, oh, om = match.groups()
        if month in _MONTHS:
            fields = (int(year), _MONTHS[month], int(day), int(hh), int(mm), int(ss or 0))
            fast = _build(fields, sign, oh, om)
            if fast is not None:
                return fast
    else:
        match = _RFC3339_RE.fullmatch(raw)
        if match:
            year, month, day, hh, mm, ss, sign, oh, om = match.groups()
            fields = (int(year), int(month), int(day), int(hh), int(mm), int(ss))
            fast = _build(fields, sign, oh, om)
            if fast is not None:
                return fast
    return _slow(raw)


def _build(
    fields: tuple[int, int, int, int, int, int], sign: str | None, oh: str | None, om: str | None
) -> datetime | None:
    """The UTC datetime, or None when the fields are out of range (feedparser decides)."""
    year, month, day, hh, mm, ss = fields
    if not (1900 <= year <= 9998 and hh < 24 and mm < 60 and ss < 60):
        return None  # leap seconds, hour 24, far years: feedparser's own rules apply
    try:
        value = datetime(year, month, day, hh, mm, ss, tzinfo=UTC)
    except ValueError:
        return None
    if sign and oh and om:
        offset = timedelta(hours=int(oh), minutes=int(om))
        value = value - offset if sign == "+" else value + offset
    return value


@lru_cache(maxsize=2048)
def _slow(raw: str) -> datetime | None:
    try:
        parsed = _feedparser_parse_date(raw)
    except Exception:  # noqa: BLE001 -- a third-party parser on untrusted text must not crash us
        return None
    if not isinstance(parsed, time.struct_time):
        return None
    try:
        return datetime(*parsed[:6], tzinfo=UTC)
    except (ValueError, OverflowError):
        return None
