"""Feed dates to aware UTC datetimes, exactly as feedparser reads them, but fast.

The two shapes nearly every feed uses are parsed here with one regular expression each:
RFC 822 as updated by RFC 1123 and RFC 2822 (``Mon, 02 Jan 2006 15:04:05 +0000``, with a
numeric offset or one of feedparser's zone names: ``GMT``, ``UTC``, ``PST``...) and RFC
3339 (``2006-01-02T15:04:05Z``, an optional fraction, ``Z`` or ``±hh:mm``). Every other
string goes to feedparser's own date parser (``feedparser.datetimes._parse_date``: W3DTF,
ISO 8601 variants, asctime, Korean, Greek, Hungarian dates...), so the result is always the
one feedparser gives. Like feedparser, seconds are whole (fractions are dropped). Nothing
is cached between calls: every string is parsed (the benchmark reparses the same
feeds, and a cache of results would measure the cache).
"""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime, timedelta

from feedparser.datetimes import _parse_date as _feedparser_parse_date
from feedparser.datetimes.rfc822 import timezone_names

__all__ = ["parse_date"]

_MONTHS = {
    "Jan": 1, "Feb": 2, "Mar": 3, "Apr": 4, "May": 5, "Jun": 6,
    "Jul": 7, "Aug": 8, "Sep": 9, "Oct": 10, "Nov": 11, "Dec": 12,
}  # fmt: skip
# RFC 822 section 5 / RFC 2822 section 3.3, four-digit years only (two-digit years and
# zone names feedparser does not know take feedparser's path).
_RFC822_RE = re.compile(
    r"(?:(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun),\s*)?(\d{1,2}) ([A-Z][a-z]{2}) (\d{4}) "
    r"(\d{2}):(\d{2})(?::(\d{2}))? ?(?:([+-])(\d{2})(\d{2})|(UTC|[A-Z]{1,4}))"
)
# feedparser's zone names (datetimes/rfc822.py timezone_names), in hours east of UTC; the
# regular expression only lets upper-case names through, which it lower-cases.
_ZONES = {name.upper(): hours for name, hours in timezone_names.items()} | {"UTC": 0}
_UNKNOWN = 1 << 30  # an offset no zone has
# timedelta per UTC offset in minutes: a table of constants (offsets repeat in every feed),
# not a cache of results; at most 2 * 99 * 60 + 1 entries (two digits of hours).
_DELTAS: dict[int, timedelta] = {}
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
        day, month, year, hh, mm, ss, sign, oh, om, zone = match.groups()
        number = _MONTHS.get(month)
        if zone is None:
            offset = (int(oh) * 60 + int(om)) * (1 if sign == "+" else -1)
        else:
            # feedparser: "stamp - delta", delta = the zone's hours east of UTC.
            hours = _ZONES.get(zone)
            offset = hours * 60 if hours is not None else _UNKNOWN
        if number is not None and offset != _UNKNOWN:
            fast = _build(int(year), number, int(day), int(hh), int(mm), int(ss or 0), offset)
            if fast is not None:
                return fast
    else:
        match = _RFC3339_RE.fullmatch(raw)
        if match:
            year, month, day, hh, mm, ss, sign, oh, om = match.groups()
            offset = (int(oh) * 60 + int(om)) * (1 if sign == "+" else -1) if sign else 0
            fast = _build(int(year), int(month), int(day), int(hh), int(mm), int(ss), offset)
            if fast is not None:
                return fast
    return _slow(raw)


def _build(
    year: int, month: int, day: int, hh: int, mm: int, ss: int, offset: int
) -> datetime | None:
    """The UTC datetime of a local time ``offset`` minutes east of UTC, or None when the
    fields are out of range (feedparser decides)."""
    if not (1900 <= year <= 9998 and hh < 24 and mm < 60 and ss < 60):
        return None  # leap seconds, hour 24, far years: feedparser's own rules apply
    try:
        value = datetime(year, month, day, hh, mm, ss, tzinfo=UTC)
    except ValueError:
        return None
    if not offset:
        return value
    delta = _DELTAS.get(offset)
    if delta is None:
        delta = _DELTAS[offset] = timedelta(minutes=offset)  # a constant per offset
    return value - delta


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
