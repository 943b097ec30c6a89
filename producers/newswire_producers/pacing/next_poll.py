"""When to poll a feed next, and why: pure functions, no I/O (the scheduler's policy).

    next poll = max(base interval | adaptive interval | error backoff,
                    RSS <ttl>, sy:updatePeriod/updateFrequency,
                    Cache-Control max-age, Expires, Retry-After)
                clamped to [poll_min_interval_s, poll_max_interval_s], jittered,
                then moved out of the feed's skipHours/skipDays.

The publisher's hints are lower bounds ("not before"), so jitter never undercuts them; our
own intervals (base, adaptive) are jittered both ways so feeds drift apart. The maximum wins
over every hint, Retry-After included: a feed is never silently parked for longer (its
state says the hint was capped). skipHours/skipDays are explicit publisher instructions and
may push a poll past the maximum (by at most a week).

Every decision carries a bounded ``reason`` (a metric label) and a ``detail`` for people
(stored in the feed state, shown by ``newswire feeds show``).
"""

from __future__ import annotations

import random
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime

from newswire.settings import Settings
from newswire_producers.pacing.politeness import backoff_s

#: Every value ``NextPoll.reason`` takes (bounded: a metric label).
REASONS = frozenset(
    {
        "first_poll", "overdue", "base", "adaptive", "backoff", "ttl", "sy_update", "max_age",
        "expires", "retry_after", "min_interval", "max_interval", "skip_hours", "skip_days",
        "host_budget", "host_retry_after", "disabled", "error",
    }
)  # fmt: skip
HINT_CAP_S = 366 * 86400.0  # no header may hold a feed for more than a year
_HINTS = frozenset({"ttl", "sy_update", "max_age", "expires", "retry_after"})
_SY_PERIODS = {  # RSS 1.0 Syndication module: updatePeriod
    b"hourly": 3600.0, b"daily": 86400.0, b"weekly": 7 * 86400.0,
    b"monthly": 30 * 86400.0, b"yearly": 365 * 86400.0,
}  # fmt: skip
_DAYS = {d: i for i, d in enumerate((b"monday", b"tuesday", b"wednesday", b"thursday",
                                     b"friday", b"saturday", b"sunday"))}  # fmt: skip
_ITEM_START = re.compile(rb"<(?:[\w.-]+:)?(?:item|entry)[\s>/]", re.I)
_ITEM_END = re.compile(rb"</(?:[\w.-]+:)?(?:item|entry)\s*>", re.I)
_TTL = re.compile(rb"<ttl\s*>\s*(\d{1,7})\s*</ttl", re.I)
_SY_PERIOD = re.compile(rb"<(?:[\w.-]+:)?updatePeriod\s*>\s*([a-z]+)\s*<", re.I)
_SY_FREQ = re.compile(rb"<(?:[\w.-]+:)?updateFrequency\s*>\s*(\d{1,6})\s*<", re.I)
_SKIP_HOURS = re.compile(rb"<skipHours\s*>(.{0,2000}?)</skipHours", re.I | re.S)
_SKIP_DAYS = re.compile(rb"<skipDays\s*>(.{0,2000}?)</skipDays", re.I | re.S)
_HOUR = re.compile(rb"<hour\s*>\s*(\d{1,2})\s*</hour", re.I)
_DAY = re.compile(rb"<day\s*>\s*([a-z]+)\s*</day", re.I)
_MAX_AGE = re.compile(r"(?:^|,)\s*max-age\s*=\s*\"?(\d{1,10})\"?\s*(?:,|$)", re.I)


@dataclass(frozen=True, slots=True)
class FeedHints:
    """What the feed document says about polling it (RSS 2.0 and the sy: module)."""

    ttl_s: float | None = None
    sy_period_s: float | None = None
    skip_hours: frozenset[int] = frozenset()  # UTC hours, 0-23
    skip_days: frozenset[int] = frozenset()  # 0 = Monday


@dataclass(frozen=True, slots=True)
class HttpHints:
    """What the response headers say: freshness (RFC 9111 §4.2) and Retry-After."""

    max_age_s: float | None = None
    expires_s: float | None = None
    retry_after_s: float | None = None


@dataclass(frozen=True, slots=True)
class SchedulePolicy:
    base_s: float = 900.0
    min_s: float = 300.0
    max_s: float = 86400.0
    error_max_s: float = 6 * 3600.0
    jitter: float = 0.1
    first_spread_s: float = 60.0
    adaptive: bool = True

    @classmethod
    def from_settings(cls, s: Settings) -> SchedulePolicy:
        return cls(
            s.poll_interval_s, s.poll_min_interval_s, s.poll_max_interval_s,
            s.poll_error_max_interval_s, s.poll_jitter, s.poll_first_spread_s, s.poll_adaptive,
        )  # fmt: skip


@dataclass(frozen=True, slots=True)
class NextPoll:
    at: float  # epoch seconds
    reason: str  # one of REASONS
    detail: str


def read_feed_hints(body: bytes) -> FeedHints:
    """The channel-level ``<ttl>``, ``sy:updatePeriod``/``sy:updateFrequency``,
    ``<skipHours>`` and ``<skipDays>`` of an XML feed; empty hints for anything else.

    Reads only the parts outside items (before the first, after the last), so an item's
    text cannot pose as a channel hint. Linear in the body size; never raises.
    """
    if body[:2] in (b"\xff\xfe", b"\xfe\xff"):  # UTF-16 with a BOM; hints are ASCII
        body = body.decode("utf-16", "replace").encode("utf-8", "replace")
    first = _ITEM_START.search(body)
    outside = body
    if first:
        last_end = None
        for last_end in _ITEM_END.finditer(body, first.start()):  # noqa: B007 - want the last
            pass
        outside = body[: first.start()] + (body[last_end.end() :] if last_end else b"")
    ttl = _TTL.search(outside)
    ttl_s = int(ttl.group(1)) * 60.0 if ttl and int(ttl.group(1)) > 0 else None
    sy_s = None
    period = _SY_PERIOD.search(outside)
    if period and period.group(1).lower() in _SY_PERIODS:
        freq = _SY_FREQ.search(outside)
        n = max(1, int(freq.group(1))) if freq else 1  # sy: frequency defaults to 1
        sy_s = _SY_PERIODS[period.group(1).lower()] / n
    hours: set[int] = set()
    if m := _SKIP_HOURS.search(outside):
        hours = {int(h) % 24 for h in _HOUR.findall(m.group(1)) if int(h) <= 24}  # 24 = 0
    days: set[int] = set()
    if m := _SKIP_DAYS.search(outside):
        days = {_DAYS[d.lower()] for d in _DAY.findall(m.group(1)) if d.lower() in _DAYS}
    return FeedHints(ttl_s, sy_s, frozenset(hours), frozenset(days))


def _http_date(value: str | None) -> float | None:
    if not value:
        return None
    try:
        when = parsedate_to_datetime(value.strip())
    except (TypeError, ValueError, IndexError):
        return None
    return (when if when.tzinfo else when.replace(tzinfo=UTC)).timestamp()


def read_http_hints(headers: Mapping[str, str], now: float) -> HttpHints:
    """Freshness and Retry-After from response headers (names lower-cased). Never raises.

    max-age less Age (RFC 9111 §4.2.1, §4.2.3); Expires only without max-age (§5.3), as a
    lifetime against the response's Date (so clock skew does not matter), an invalid or
    past Expires meaning "already stale"; Retry-After as delay-seconds or an HTTP-date, also
    against Date (RFC 9110 §10.2.3). ``no-store``/``no-cache`` give no freshness.
    """
    cache_control = headers.get("cache-control", "")
    max_age_s = expires_s = None
    if not re.search(r"(?:^|,)\s*no-(?:store|cache)\b", cache_control, re.I):
        if m := _MAX_AGE.search(cache_control):
            age = headers.get("age", "").strip()
            max_age_s = max(0.0, int(m.group(1)) - (int(age) if age.isdigit() else 0)) or None
        elif (expires := _http_date(headers.get("expires"))) is not None:
            date = _http_date(headers.get("date"))
            expires_s = max(0.0, expires - (date if date is not None else now)) or None
    retry_after_s = None
    if retry := headers.get("retry-after", "").strip():
        if retry.isdigit():
            retry_after_s = float(retry)
        elif (until := _http_date(retry)) is not None:
            date = _http_date(headers.get("date"))
            retry_after_s = max(0.0, until - (date if date is not None else now))
    return HttpHints(*(_capped(v) for v in (max_age_s, expires_s, retry_after_s)))


def _capped(seconds: float | None) -> float | None:
    """A server's delay cut to ``HINT_CAP_S``: "Retry-After: 1000000000000" must not push
    a time past year 9999, where datetime arithmetic raises."""
    return None if seconds is None else min(float(seconds), HINT_CAP_S)


def interval_from_dates(published: Sequence[float], now: float) -> float | None:
    """How often a feed posts, from its items' dates: the last 90 days' items spread over
    the time from the oldest of them to now (so a feed that went quiet looks slower).

    Fewer than 3 recent dated items: the time since the newest item when there are 3+ dated
    items (a feed that stopped posting), else None. Future dates are ignored, and so are
    dates that span less than an hour (a feed that stamps every item with the time it was
    generated says nothing about how often it posts).
    """
    past = sorted(set(t for t in published if t <= now))
    recent = [t for t in past if now - t <= 90 * 86400]
    if len(recent) >= 3:
        if recent[-1] - recent[0] < 3600:
            return None
        return (now - recent[0]) / len(recent)
    if len(past) >= 3:
        return now - past[-1]
    return None


def interval_from_arrivals(arrivals: Sequence[tuple[float, int]], now: float) -> float | None:
    """How often a feed posts, from the polls that found new items: the new items seen
    after the first such poll, over the time since it. None until 2+ items over an hour."""
    if len(arrivals) < 2:
        return None
    since = arrivals[0][0]
    seen = sum(n for _, n in arrivals[1:])
    if seen < 2 or now - since < 3600:
        return None
    return (now - since) / seen


def human(seconds: float) -> str:
    """A short duration for people: 45 s, 15 min, 2.5 h, 3 d, 3,620 d (never 3.62e+03)."""
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min"
    if seconds < 3 * 86400:
        return f"{seconds / 3600:.3g} h"
    days = seconds / 86400
    return f"{days:.3g} d" if days < 100 else f"{days:,.0f} d"


def plan_next_poll(
    policy: SchedulePolicy,
    now: float,
    rng: random.Random,
    *,
    feed: FeedHints = FeedHints(),
    http: HttpHints = HttpHints(),
    post_interval_s: float | None = None,
    errors: int = 0,
) -> NextPoll:
    """The next poll after one that ended ``errors`` consecutive failures (0: it worked).

    Guarantees: ``now + min_s <= at``; ``at <= now + max_s`` unless the reason is
    ``skip_hours``/``skip_days`` (then at most 8 days more); ``at >= now + h`` for every
    hint ``h`` up to ``max_s``. Deterministic for a given ``rng`` state.
    """
    if errors > 0:
        own = (backoff_s(errors, policy.base_s, policy.error_max_s, rng), "backoff",
               f"{errors} consecutive failed poll{'s' if errors > 1 else ''}: exponential "
               f"backoff (capped at {human(policy.error_max_s)})")  # fmt: skip
    elif policy.adaptive and post_interval_s:
        every = human(post_interval_s)
        own = (post_interval_s / 2, "adaptive", f"the feed posts about every {every}")
    else:
        own = (policy.base_s, "base", "the base poll interval")
    hints: list[tuple[float, str, str]] = []
    if feed.ttl_s:
        hints.append((feed.ttl_s, "ttl", f"the feed's <ttl> is {feed.ttl_s / 60:.0f} min"))
    if feed.sy_period_s:
        hints.append((feed.sy_period_s, "sy_update", "the feed's sy:updatePeriod/Frequency"))
    if errors == 0 and http.max_age_s:
        hints.append((http.max_age_s, "max_age", "Cache-Control max-age"))
    if errors == 0 and http.expires_s:
        hints.append((http.expires_s, "expires", "the response's Expires"))
    if http.retry_after_s is not None:
        hints.append((http.retry_after_s, "retry_after", "the server's Retry-After"))
    value, reason, detail = max([own, *hints], key=lambda c: c[0])
    if value < policy.min_s:
        value, reason, detail = policy.min_s, "min_interval", f"{detail}, raised to the minimum"
    elif value > policy.max_s:
        value, reason, detail = policy.max_s, "max_interval", f"{detail}, capped at the maximum"
    floor = max([policy.min_s, *(min(h[0], policy.max_s) for h in hints)])
    j = policy.jitter
    if reason == "backoff":
        delay = value  # backoff_s jittered it already
    elif reason in _HINTS or value <= floor:
        delay = value * rng.uniform(1.0, 1.0 + j)  # a lower bound: jitter only upwards
    else:
        delay = value * rng.uniform(1.0 - j, 1.0 + j)
    delay = min(max(delay, floor), policy.max_s)
    detail = f"{detail}: {human(delay)}"
    at = now + delay
    moved, why = _out_of_skips(at, feed.skip_hours, feed.skip_days)
    if moved > at:
        spread = rng.uniform(0.0, 1800.0 * j)  # feeds leaving one skip window drift apart
        hours = sorted(feed.skip_hours)
        what = f"skipHours {hours}" if why == "skip_hours" else "skipDays"
        return NextPoll(moved + spread, why, f"{detail}; moved out of the feed's {what} (UTC)")
    return NextPoll(at, reason, detail)


def _out_of_skips(at: float, hours: frozenset[int], days: frozenset[int]) -> tuple[float, str]:
    """The first time at or after ``at`` outside the skipped UTC hours and days."""
    if len(hours) >= 24 or len(days) >= 7 or not (hours or days):
        return at, ""  # nothing skipped, or everything: a broken hint is ignored
    when = datetime.fromtimestamp(at, UTC)
    why = ""
    for _ in range(8 * 24):  # at most a week of skipped days plus a day of skipped hours
        if when.weekday() in days:
            why = "skip_days"
        elif when.hour in hours:
            why = why or "skip_hours"
        else:
            break
        when = when.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
    return (when.timestamp(), why) if why else (at, "")


def first_poll(
    policy: SchedulePolicy, now: float, rng: random.Random, *, overdue: bool
) -> NextPoll:
    """A feed never polled (or overdue after a restart): due within ``first_spread_s``, at a
    random point, so feeds loaded together do not poll in lockstep."""
    at = now + rng.uniform(0.0, policy.first_spread_s)
    if overdue:
        return NextPoll(at, "overdue", "was due while no producer ran: polled soon, staggered")
    return NextPoll(at, "first_poll", "never polled: first poll, staggered")
