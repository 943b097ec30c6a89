"""The scheduling policy (newswire_producers.pacing.next_poll), the virtual clock, and the scheduler
loop against a fake poller (no network, no Kafka, no sleeping)."""

from __future__ import annotations

import asyncio
import random
from datetime import UTC, datetime
from email.utils import format_datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from newswire.metrics import Metrics
from newswire_producers.feed_state import FeedState, epoch, iso
from newswire_producers.pacing.clock import VirtualClock
from newswire_producers.pacing.next_poll import (
    HINT_CAP_S,
    REASONS,
    FeedHints,
    HttpHints,
    SchedulePolicy,
    first_poll,
    human,
    interval_from_arrivals,
    interval_from_dates,
    plan_next_poll,
    read_feed_hints,
    read_http_hints,
)
from newswire_producers.pacing.politeness import HostGate, PolitenessPolicy
from newswire_producers.poller import PollResult
from newswire_producers.registry import FeedRecord
from newswire_producers.scheduler import Scheduler

EXACT = SchedulePolicy(base_s=900, min_s=300, max_s=86400, error_max_s=21600, jitter=0.0)
NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC).timestamp()  # a Wednesday, 12:00 UTC


def plan(**kw: object) -> tuple[float, str, str]:
    policy = kw.pop("policy", EXACT)
    p = plan_next_poll(policy, NOW, random.Random(1), **kw)  # type: ignore[arg-type]
    return p.at - NOW, p.reason, p.detail


# -- the policy ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "delay", "reason"),
    [
        ({}, 900, "base"),
        ({"feed": FeedHints(ttl_s=3600)}, 3600, "ttl"),
        ({"feed": FeedHints(ttl_s=60)}, 900, "base"),  # a hint never shortens the base
        ({"feed": FeedHints(sy_period_s=7200)}, 7200, "sy_update"),
        ({"http": HttpHints(max_age_s=1800)}, 1800, "max_age"),
        ({"http": HttpHints(expires_s=2400)}, 2400, "expires"),
        ({"http": HttpHints(retry_after_s=5000)}, 5000, "retry_after"),
        ({"http": HttpHints(max_age_s=1800, expires_s=2400)}, 2400, "expires"),
        ({"feed": FeedHints(ttl_s=30 * 86400)}, 86400, "max_interval"),
        ({"http": HttpHints(retry_after_s=10 * 86400)}, 86400, "max_interval"),
        ({"post_interval_s": 7200.0}, 3600, "adaptive"),  # polls twice per post
        ({"post_interval_s": 60.0}, 300, "min_interval"),
        ({"post_interval_s": 90 * 86400.0}, 86400, "max_interval"),
        ({"policy": SchedulePolicy(base_s=60, min_s=300, jitter=0)}, 300, "min_interval"),
        ({"policy": SchedulePolicy(adaptive=False, jitter=0), "post_interval_s": 7200.0},
         900, "base"),
    ],
)  # fmt: skip
def test_next_poll_is_the_largest_interval_clamped(
    kwargs: dict[str, object], delay: float, reason: str
) -> None:
    got_delay, got_reason, detail = plan(**kwargs)
    assert (got_delay, got_reason) == (pytest.approx(delay), reason)
    assert got_reason in REASONS and detail


def test_freshness_headers_do_not_apply_after_an_error() -> None:
    delay, reason, _ = plan(http=HttpHints(max_age_s=20000, retry_after_s=None), errors=1)
    assert reason == "backoff" and delay <= 900


def test_retry_after_applies_after_an_error() -> None:
    delay, reason, detail = plan(http=HttpHints(retry_after_s=7200), errors=1)
    assert (delay, reason) == (7200, "retry_after")
    assert "Retry-After" in detail


def test_backoff_grows_and_is_capped() -> None:
    delays = [plan(errors=n)[0] for n in range(1, 12)]
    assert all(plan(errors=n)[1] in ("backoff", "min_interval") for n in range(1, 12))
    assert 450 <= delays[0] <= 900  # equal jitter: half the step fixed
    assert delays[4] > delays[0]
    assert all(d <= 21600 for d in delays)
    assert delays[-1] >= 21600 / 2


def test_skip_hours_move_the_poll_to_the_next_allowed_hour() -> None:
    # 12:00 + 900 s lands in 12:15, inside skipped hours 12 and 13: moved to 14:00 UTC.
    delay, reason, detail = plan(feed=FeedHints(skip_hours=frozenset({12, 13})))
    assert reason == "skip_hours" and "skipHours" in detail
    assert datetime.fromtimestamp(NOW + delay, UTC).replace(second=0, microsecond=0) == datetime(
        2026, 11, 25, 14, 0, tzinfo=UTC
    )


def test_skip_days_move_the_poll_to_the_next_allowed_day() -> None:
    delay, reason, _ = plan(feed=FeedHints(skip_days=frozenset({2, 3})))  # Wed, Thu
    assert reason == "skip_days"
    when = datetime.fromtimestamp(NOW + delay, UTC)
    assert (when.weekday(), when.hour) == (4, 0)  # Friday 00:00 UTC, more than max_s away
    assert delay > EXACT.max_s


def test_skipping_everything_is_ignored() -> None:
    assert plan(feed=FeedHints(skip_hours=frozenset(range(24))))[1] == "base"
    assert plan(feed=FeedHints(skip_days=frozenset(range(7))))[1] == "base"


def test_jitter_spreads_feeds_but_not_below_a_hint() -> None:
    policy = SchedulePolicy(jitter=0.1)
    rng = random.Random(7)
    base = [plan_next_poll(policy, NOW, rng).at - NOW for _ in range(200)]
    assert min(base) >= 810 and max(base) <= 990 and max(base) - min(base) > 100
    hinted = [
        plan_next_poll(policy, NOW, rng, http=HttpHints(retry_after_s=1200)).at - NOW
        for _ in range(200)
    ]
    assert min(hinted) >= 1200 and max(hinted) <= 1320 and len(set(hinted)) > 100


def test_first_polls_are_staggered() -> None:
    rng = random.Random(3)
    policy = SchedulePolicy(first_spread_s=60)
    times = [first_poll(policy, NOW, rng, overdue=False) for _ in range(100)]
    assert all(0 <= t.at - NOW <= 60 and t.reason == "first_poll" for t in times)
    assert max(t.at for t in times) - min(t.at for t in times) > 30
    assert first_poll(policy, NOW, rng, overdue=True).reason == "overdue"


hints = st.floats(min_value=1, max_value=40 * 86400)


@settings(max_examples=300, deadline=None)
@given(
    min_s=st.floats(min_value=1, max_value=3600),
    span=st.floats(min_value=0, max_value=7 * 86400),
    base=st.floats(min_value=1, max_value=86400),
    jitter=st.floats(min_value=0, max_value=0.5),
    ttl=st.none() | hints,
    max_age=st.none() | hints,
    retry_after=st.none() | st.floats(min_value=0, max_value=40 * 86400),
    post=st.none() | hints,
    errors=st.integers(min_value=0, max_value=60),
    skip_hours=st.frozensets(st.integers(0, 23), max_size=23),
    seed=st.integers(0, 2**32),
)
def test_next_poll_bounds(
    min_s: float,
    span: float,
    base: float,
    jitter: float,
    ttl: float | None,
    max_age: float | None,
    retry_after: float | None,
    post: float | None,
    errors: int,
    skip_hours: frozenset[int],
    seed: int,
) -> None:
    max_s = min_s + span
    policy = SchedulePolicy(base, min_s, max_s, max_s, jitter, 60, True)
    p = plan_next_poll(
        policy,
        NOW,
        random.Random(seed),
        feed=FeedHints(ttl_s=ttl, skip_hours=skip_hours),
        http=HttpHints(max_age_s=max_age, retry_after_s=retry_after),
        post_interval_s=post,
        errors=errors,
    )
    delay = p.at - NOW
    assert p.reason in REASONS
    assert delay >= min_s - 1e-6
    if p.reason in ("skip_hours", "skip_days"):
        assert delay <= max_s + 8 * 86400
    else:
        assert delay <= max_s + 1e-6
        # Every "not before" the server or the feed gave is honoured, up to the maximum.
        for hint in (ttl, retry_after, max_age if not errors else None):
            if hint is not None:
                assert delay >= min(hint, max_s) - 1e-6


# -- hints from the feed and the response --------------------------------------------------

RSS = b"""<?xml version="1.0"?>
<rss version="2.0" xmlns:sy="http://purl.org/rss/1.0/modules/syndication/">
<channel><title>t</title><ttl>45</ttl>
<sy:updatePeriod> daily </sy:updatePeriod><sy:updateFrequency>4</sy:updateFrequency>
<item><title>an item mentioning <ttl>99999</ttl> in CDATA-less text</title></item>
<item><title>two</title></item>
<skipHours><hour>0</hour><hour>7</hour><hour>24</hour><hour>99</hour></skipHours>
<skipDays><day>Saturday</day><day>Sunday</day><day>Caturday</day></skipDays>
</channel></rss>"""


def test_feed_hints_are_read_outside_items() -> None:
    h = read_feed_hints(RSS)
    assert h.ttl_s == 45 * 60
    assert h.sy_period_s == 86400 / 4
    assert h.skip_hours == {0, 7}
    assert h.skip_days == {5, 6}


@pytest.mark.parametrize(
    "body",
    [
        b'{"version": "https://jsonfeed.org/version/1.1", "items": []}',
        b"<feed xmlns='http://www.w3.org/2005/Atom'><entry><ttl>5</ttl></entry></feed>",
        b"",
        b"<rss><channel><ttl>0</ttl><ttl>x</ttl></channel></rss>",
        b"<rss><item>" * 1000,  # unclosed items: still linear, still nothing
    ],
)
def test_no_hints(body: bytes) -> None:
    assert read_feed_hints(body) == FeedHints()


def test_hints_in_utf16() -> None:
    body = '<?xml version="1.0" encoding="utf-16"?><rss><channel><ttl>30</ttl></channel></rss>'
    assert read_feed_hints(body.encode("utf-16")).ttl_s == 1800


def http_date(ts: float) -> str:
    return format_datetime(datetime.fromtimestamp(ts, UTC), usegmt=True)


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({}, HttpHints()),
        ({"cache-control": "public, max-age=600"}, HttpHints(max_age_s=600)),
        ({"cache-control": 'max-age="600"', "age": "100"}, HttpHints(max_age_s=500)),
        ({"cache-control": "max-age=600, no-cache"}, HttpHints()),
        ({"cache-control": "no-store"}, HttpHints()),
        ({"cache-control": "s-maxage=600"}, HttpHints()),
        # Expires counts from the server's Date, whatever our clock says (RFC 9111 §4.2.1).
        ({"expires": http_date(NOW + 5000), "date": http_date(NOW + 4000)},
         HttpHints(expires_s=1000)),
        ({"expires": http_date(NOW + 1200)}, HttpHints(expires_s=1200)),
        ({"expires": "0"}, HttpHints()),
        ({"expires": http_date(NOW - 60)}, HttpHints()),
        ({"expires": http_date(NOW + 9000), "cache-control": "max-age=60"},
         HttpHints(max_age_s=60)),  # max-age wins over Expires (RFC 9111 §5.3)
        ({"retry-after": "120"}, HttpHints(retry_after_s=120)),
        ({"retry-after": http_date(NOW + 300)}, HttpHints(retry_after_s=300)),
        ({"retry-after": http_date(NOW + 300), "date": http_date(NOW + 100)},
         HttpHints(retry_after_s=200)),
        ({"retry-after": "soon"}, HttpHints()),
        # Absurd delays are cut to a year, so no time lands past datetime's year 9999.
        ({"retry-after": "1000000000000"}, HttpHints(retry_after_s=HINT_CAP_S)),
        ({"cache-control": "max-age=9999999999"}, HttpHints(max_age_s=HINT_CAP_S)),
    ],
)  # fmt: skip
def test_http_hints(headers: dict[str, str], expected: HttpHints) -> None:
    assert read_http_hints(headers, NOW) == expected


def test_post_interval_from_dates() -> None:
    hour = 3600.0
    assert interval_from_dates([NOW - hour, NOW - 2 * hour, NOW - 3 * hour], NOW) == hour
    assert interval_from_dates([NOW - hour, NOW - 2 * hour], NOW) is None
    old = [NOW - 400 * 86400, NOW - 401 * 86400, NOW - 500 * 86400]
    assert interval_from_dates(old, NOW) == 400 * 86400  # went quiet: as slow as its silence
    assert interval_from_dates([NOW + 1e6] * 5, NOW) is None  # future dates mean nothing
    stamped = [NOW - 60, NOW - 61, NOW - 62, NOW - 63]  # every item stamped "now": no signal
    assert interval_from_dates(stamped, NOW) is None


def test_post_interval_from_arrivals() -> None:
    assert interval_from_arrivals([(NOW - 7200, 5)], NOW) is None
    assert interval_from_arrivals([(NOW - 7200, 5), (NOW - 3600, 1), (NOW, 3)], NOW) == 1800
    assert interval_from_arrivals([(NOW - 60, 5), (NOW, 3)], NOW) is None  # under an hour


def test_state_remembers_items_and_arrivals() -> None:
    s = FeedState("f", "u").remember_items(["a", "b"], NOW)
    assert s.recent_item_ids == ("a", "b") and s.arrivals == () and s.new_items_last_poll == 2
    s = s.remember_items(["c", "a", "b"], NOW + 60)
    assert s.recent_item_ids[0] == "c" and s.arrivals == ((NOW + 60, 1),)
    s = s.remember_items([f"x{i}" for i in range(1000)], NOW + 120)
    assert len(s.recent_item_ids) == 256 and len(s.arrivals) == 2
    assert FeedState.from_json(s.to_json()) == s
    assert FeedState.from_json(b'{"feed_id": "f", "url": "u", "gone_field": 1}').url == "u"


def test_iso_and_epoch() -> None:
    assert epoch(iso(NOW)) == NOW
    assert epoch("") is None and epoch("garbage") is None and iso(None) == ""


# -- the virtual clock -------------------------------------------------------------------


async def test_virtual_clock_wakes_sleepers_in_deadline_order() -> None:
    clock = VirtualClock(start=1000.0)
    woke: list[tuple[str, float]] = []

    async def sleeper(name: str, seconds: float) -> None:
        await clock.sleep(seconds)
        woke.append((name, clock.now()))

    tasks = [asyncio.create_task(sleeper(n, s)) for n, s in (("b", 20), ("a", 10), ("c", 30))]
    cancelled = asyncio.create_task(sleeper("x", 15))
    await asyncio.sleep(0)
    cancelled.cancel()
    await clock.advance(25)
    assert woke == [("a", 1010.0), ("b", 1020.0)]
    assert clock.now() == 1025.0 and clock.sleepers == 1
    await clock.advance(5)
    await asyncio.gather(*tasks)
    assert woke[-1] == ("c", 1030.0)
    with pytest.raises(asyncio.CancelledError):
        await cancelled


# -- the scheduler loop, against a fake poller -------------------------------------------


class FakePoller:
    """Answers every poll at once with a state due ``interval`` later."""

    def __init__(self, clock: VirtualClock, interval: float = 100.0, **gate: object) -> None:
        self.clock = clock
        self.gate = HostGate(PolitenessPolicy(**gate), clock)  # type: ignore[arg-type]
        self.policy = SchedulePolicy(first_spread_s=10, min_s=1)
        self.rng = random.Random(5)
        self.interval = interval
        self.states: dict[str, FeedState] = {}
        self.polls: list[tuple[str, float]] = []
        self.running = 0
        self.most_running = 0
        self.hold = asyncio.Event()
        self.hold.set()

    def state(self, feed_id: str) -> FeedState | None:
        return self.states.get(feed_id)

    async def poll(self, feed: FeedRecord) -> PollResult:
        self.polls.append((feed.feed_id, self.clock.now()))
        self.running += 1
        self.most_running = max(self.most_running, self.running)
        try:
            await self.hold.wait()
        finally:
            self.running -= 1
        state = FeedState(feed.feed_id, feed.url, last_outcome="ok", last_polled=iso(1)).with_(
            next_poll=iso(self.clock.now() + self.interval), next_poll_reason="base"
        )
        self.states[feed.feed_id] = state
        return PollResult("ok", 1, state, feed)


def feed(n: int, host: str = "a.example") -> FeedRecord:
    return FeedRecord(f"{n:016x}", f"https://{host}/feed{n}.xml")


async def started(scheduler: Scheduler) -> tuple[asyncio.Event, asyncio.Task[None]]:
    stop = asyncio.Event()
    task = asyncio.create_task(scheduler.run(stop))
    await scheduler.wait_idle()
    return stop, task


async def stopped(stop: asyncio.Event, task: asyncio.Task[None]) -> None:
    stop.set()
    await asyncio.wait_for(task, 5)


async def test_feeds_are_polled_when_due_and_staggered() -> None:
    clock = VirtualClock(start=NOW)
    poller = FakePoller(clock)
    scheduler = Scheduler(poller, Metrics(), concurrency=4)
    scheduler.sync([feed(1, "a.example"), feed(2, "b.example"), feed(3, "c.example")])
    stop, task = await started(scheduler)
    assert poller.polls == []  # first polls are spread over 10 s, none at once
    await clock.advance(10)
    await scheduler.wait_idle()
    firsts = sorted(t for _, t in poller.polls)
    assert len(firsts) == 3 and firsts[-1] - firsts[0] > 0
    await clock.advance(89)  # t = 99 s: every feed's next poll is 100 s after its first
    await scheduler.wait_idle()
    assert len(poller.polls) == 3
    await clock.advance(11)
    await scheduler.wait_idle()
    assert len(poller.polls) == 6
    for feed_id in {f for f, _ in poller.polls}:
        times = [t for f, t in poller.polls if f == feed_id]
        assert times[1] - times[0] == pytest.approx(100)
    await stopped(stop, task)


async def test_saved_schedule_is_followed_and_overdue_feeds_are_staggered() -> None:
    clock = VirtualClock(start=NOW)
    poller = FakePoller(clock)
    poller.states["0000000000000001"] = FeedState(
        "0000000000000001", "u", next_poll=iso(NOW + 500), next_poll_reason="ttl"
    )
    poller.states["0000000000000002"] = FeedState(
        "0000000000000002", "u", next_poll=iso(NOW - 500), last_polled=iso(NOW - 1000)
    )
    scheduler = Scheduler(poller, Metrics(), concurrency=4)
    scheduler.sync([feed(1), feed(2)])
    assert scheduler.due("0000000000000001") == (NOW + 500, "ttl")
    due = scheduler.due("0000000000000002")
    assert due is not None and due[1] == "overdue" and NOW <= due[0] <= NOW + 10


async def test_feed_set_changes_at_runtime() -> None:
    clock = VirtualClock(start=NOW)
    poller = FakePoller(clock)
    scheduler = Scheduler(poller, Metrics(), concurrency=4)
    stop, task = await started(scheduler)
    scheduler.add(feed(1))
    await clock.advance(10)
    await scheduler.wait_idle()
    assert [f for f, _ in poller.polls] == ["0000000000000001"]
    scheduler.add(feed(1).with_(paused=True))  # paused: not polled, still owned
    assert scheduler.due("0000000000000001") is None
    await clock.advance(500)
    await scheduler.wait_idle()
    assert len(poller.polls) == 1
    scheduler.add(feed(1))  # resumed: it was overdue, so it comes back soon
    await clock.advance(10)
    await scheduler.wait_idle()
    assert len(poller.polls) == 2
    scheduler.remove("0000000000000001")
    assert scheduler.feeds == []
    await clock.advance(500)
    await scheduler.wait_idle()
    assert len(poller.polls) == 2
    await stopped(stop, task)


async def test_host_budget_defers_and_host_slots_cap_concurrency() -> None:
    clock = VirtualClock(start=NOW)
    poller = FakePoller(clock, per_host_concurrency=2, requests_per_minute=6, burst=3)
    poller.hold.clear()  # polls block until released: concurrency becomes visible
    metrics = Metrics()
    scheduler = Scheduler(poller, metrics, concurrency=10)
    scheduler.sync([feed(n) for n in range(1, 6)])  # five feeds, one host
    stop, task = await started(scheduler)
    await clock.advance(10)
    for _ in range(50):
        await asyncio.sleep(0)
    assert poller.running == 2  # the host's slots; the third admitted poll waits for one
    deferred = [scheduler.due(f.feed_id) for f in scheduler.feeds]
    assert sum(1 for d in deferred if d and d[1] == "host_budget") == 2  # budget: burst 3
    assert metrics.host_deferrals.labels("host_budget")._value.get() >= 2
    poller.hold.set()
    await scheduler.wait_idle()
    assert poller.most_running == 2 and len(poller.polls) == 3
    await clock.advance(10)  # 6/min: one more token every 10 s
    await scheduler.wait_idle()
    assert len(poller.polls) == 4
    await stopped(stop, task)


async def test_stop_drains_polls_in_flight() -> None:
    clock = VirtualClock(start=NOW)
    poller = FakePoller(clock)
    poller.hold.clear()
    scheduler = Scheduler(poller, Metrics(), concurrency=4, drain_timeout_s=5)
    scheduler.sync([feed(1)])
    stop = asyncio.Event()
    task = asyncio.create_task(scheduler.run(stop))
    await asyncio.sleep(0.01)
    await clock.advance(10)
    assert poller.running == 1
    stop.set()
    await asyncio.sleep(0.05)
    assert not task.done()  # waits for the poll in flight
    poller.hold.set()
    await asyncio.wait_for(task, 5)
    assert "0000000000000001" in poller.states  # its state was saved


async def test_poll_all_polls_each_active_feed_once_and_sets_the_gauge() -> None:
    clock = VirtualClock(start=NOW)
    poller = FakePoller(clock)
    metrics = Metrics()
    scheduler = Scheduler(poller, metrics, concurrency=4)
    scheduler.sync([feed(1), feed(2, "b.example"), feed(3).with_(paused=True),
                    feed(4).with_(disabled="410 Gone")])  # fmt: skip
    summary = await scheduler.poll_all()
    assert (summary.feeds, summary.items, dict(summary.outcomes)) == (2, 2, {"ok": 2})
    gauge = metrics.feeds_by_state
    values = {s: gauge.labels(s)._value.get() for s in ("ok", "paused", "disabled", "new")}
    assert values == {"ok": 2, "paused": 1, "disabled": 1, "new": 0}
    due = scheduler.due("0000000000000001")
    assert due is not None and due[0] == NOW + 100


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(45, "45 s"), (900, "15 min"), (9000, "2.5 h"), (3 * 86400, "3 d"), (12.5 * 86400, "12.5 d"),
     (3620 * 86400, "3,620 d")],
)  # fmt: skip
def test_durations_read_as_people_write_them(seconds: float, text: str) -> None:
    assert human(seconds) == text
