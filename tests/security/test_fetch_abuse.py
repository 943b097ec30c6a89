"""Security: compression bombs (stacked codings too), oversized and slow bodies,
redirect abuse and 429/Retry-After, every case from :mod:`fetch_cases` against a hostile
server on 127.0.0.1 (and one on 127.0.0.2 that must never be reached).

``make test`` runs the ``fast`` cases through the fetcher and the parser, as the poller
does. ``make reliability`` runs every case of a group through the poller on the real
broker and adds one report entry per group, with the outcomes, the
``newswire_fetches_total`` increments and what the servers saw as fault evidence.
"""

from __future__ import annotations

import random
import time
import tracemalloc
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
import pytest_asyncio
from fetch_cases import BODIES, BOMBS, CASES, RATE, REDIRECTS, Case, written
from route_server import Server, serve
from scenario_report import Report, ScenarioResult

from newswire.errors import FeedParseError, FetchError
from newswire.fetch.fetcher import Fetcher, FetchPolicy, InsecureRedirect
from newswire.fetch.policy import fetch_policy
from newswire.kafka.producer import EventProducer
from newswire.kafka.topics import ensure_topics, pipeline_topics
from newswire.metrics import Metrics
from newswire.settings import Settings
from newswire_producers.feed_state import FeedState
from newswire_producers.normalize.normalizer import normalize
from newswire_producers.pacing.clock import VirtualClock
from newswire_producers.parse.parse_worker import parse_bounded
from newswire_producers.poller import Poller
from newswire_producers.registry import FeedRecord

Polled = tuple[Case, str, FeedState | None]  # a case, its outcome, the saved state
TIMEOUT_S = 1.5  # the whole-fetch deadline of these tests: drips end in "timeout" quickly
FAST = [c for c in CASES if c.fast]


@pytest.fixture
def server() -> Iterator[Server]:
    yield from serve("127.0.0.1")


@pytest.fixture
def other() -> Iterator[Server]:
    """127.0.0.2: outside the allow-list (127.0.0.1/32), so no request may reach it."""
    yield from serve("127.0.0.2")


async def fetch_and_parse(fetcher: Fetcher, url: str) -> str:
    """The poller's outcome for ``url`` without the broker: a fetch error's label,
    ``parse_error`` or ``ok``."""
    try:
        result = await fetcher.fetch(url)
    except FetchError as exc:
        return str(getattr(exc, "outcome", ""))  # every FetchError subclass has one
    try:
        parsed = await parse_bounded(result.body, url=result.final_url)
        normalize(parsed, feed_url=url, fetched=datetime.now(UTC))
    except FeedParseError:
        return "parse_error"
    return "ok"


@pytest.mark.parametrize("case", FAST, ids=[c.name for c in FAST])
async def test_hostile_server_fast_subset(case: Case, server: Server, other: Server) -> None:
    case.setup(server, other, "/c0")
    policy = FetchPolicy(allow_networks=("127.0.0.1/32",), total_timeout_s=TIMEOUT_S)
    async with Fetcher(policy) as fetcher:
        assert await fetch_and_parse(fetcher, server.url("/c0/start")) == case.outcome
    assert other.connections == 0


async def downgrade_outcome() -> str:
    """https -> http: refused (a mock transport: no TLS server, no traffic at all)."""

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.scheme == "https":
            return httpx.Response(302, headers={"Location": "http://feeds.example/feed"})
        return httpx.Response(200, content=b"<rss/>")

    async with Fetcher(transport=httpx.MockTransport(handler)) as fetcher:
        try:
            await fetcher.fetch("https://feeds.example/feed")
        except InsecureRedirect as exc:
            return str(getattr(exc, "outcome", ""))  # every FetchError subclass has one
    return "followed"


async def test_https_to_http_downgrade_is_refused() -> None:
    assert await downgrade_outcome() == "redirect_error"


# --- the full groups, through the poller on the real broker (make reliability) -----------


@pytest_asyncio.fixture(loop_scope="function")
async def settings(kafka_bootstrap: str, make_settings: Callable[..., Settings]) -> Settings:
    s = make_settings(
        kafka_bootstrap,
        fetch_timeout_s=TIMEOUT_S,
        poll_first_spread_s=0.0,
        per_host_burst=1000,  # every case polls 127.0.0.1: politeness is not under test
        poll_interval_s=30.0,  # short, so that only Retry-After can explain a long wait
        poll_min_interval_s=1.0,
    )
    await ensure_topics(kafka_bootstrap, pipeline_topics(s))
    return s


async def run_group(
    group: str, settings: Settings, server: Server, other: Server
) -> tuple[list[Polled], Metrics]:
    """Poll every case of ``group`` once, each as its own feed; (case, outcome, state)."""
    metrics = Metrics()
    results: list[Polled] = []
    async with EventProducer(settings, metrics) as kafka, Fetcher(fetch_policy(settings)) as f:
        for n, case in enumerate(c for c in CASES if c.group == group):
            case.setup(server, other, f"/c{n}")
            poller = Poller(settings, metrics, kafka, f, clock=VirtualClock(), rng=random.Random(n))
            try:
                polled = await poller.poll(FeedRecord.new(server.url(f"/c{n}/start")))
            except Exception as exc:  # what the scheduler logs as "poll crashed"
                results.append((case, f"crashed: {type(exc).__name__}", None))
            else:
                results.append((case, polled.outcome, polled.state))
    return results, metrics


def group_entry(
    group: str, results: list[Polled], metrics: Metrics, **evidence: Any
) -> ScenarioResult:
    """The report entry of a group: passed when every case ended as expected and counted
    in ``newswire_fetches_total``; the cases that did not are listed in the notes."""
    outcomes = Counter(outcome for _, outcome, _ in results)
    saved = {o: n for o, n in outcomes.items() if not o.startswith("crashed")}
    counted = {o: int(metrics.fetches.labels(o)._value.get()) for o in saved}
    wrong = [f"{c.name}: {o} (expected {c.outcome})" for c, o, _ in results if o != c.outcome]
    entry = ScenarioResult(
        name=f"security: {group}",
        items=len(results),
        lost=0,
        duplicates=0,
        fault_evidence={
            "outcomes": dict(outcomes),
            "fetches_total_by_outcome": counted,
            "every_poll_counted": counted == saved,
            "unexpected": len(wrong),
            **evidence,
        },
        control_detected=None,
        notes="; ".join(wrong),
    )
    entry.passed = not wrong and saved == dict(outcomes) and counted == saved
    return entry


@pytest.mark.reliability
@pytest.mark.kafka
@pytest.mark.timeout(300)
@pytest.mark.parametrize("group", [BOMBS, BODIES, REDIRECTS, RATE])
async def test_hostile_group_through_the_poller(
    group: str, settings: Settings, server: Server, other: Server, report: Report
) -> None:
    written.clear()
    started = time.monotonic()
    tracemalloc.start()
    try:
        results, metrics = await run_group(group, settings, server, other)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    evidence: dict[str, Any] = {
        "peak_traced_mib": round(peak / 2**20, 1),
        "requests_to_127.0.0.2": other.connections,
    }
    if written:
        evidence["max_bytes_a_server_wrote"] = max(written)
    if group == REDIRECTS:
        evidence["https_to_http"] = await downgrade_outcome()
    if group == RATE:
        evidence |= rate_evidence(results, settings)
    entry = group_entry(group, results, metrics, **evidence)
    entry.seconds = round(time.monotonic() - started, 1)
    report.add(entry)
    assert not entry.fault_evidence["unexpected"], entry.notes
    assert entry.fault_evidence["every_poll_counted"]  # newswire_fetches_total by outcome
    assert other.connections == 0
    assert peak < 64 << 20  # every body capped at 10 MiB (the default), so no bomb inflated
    assert all(w < 64 << 20 for w in written)  # no stream ran to its end (50 MiB or 1 GiB)
    if group == REDIRECTS:
        assert evidence["https_to_http"] == "redirect_error"


def rate_evidence(results: list[Polled], settings: Settings) -> dict[str, Any]:
    """Retry-After is honoured as the next poll, but never parks a feed past the maximum."""
    saved = [(case, state) for case, _, state in results if state is not None]
    reasons = Counter(state.next_poll_reason for _, state in saved)
    waits = {}
    for case, state in saved:
        polled = datetime.fromisoformat(state.last_polled).timestamp()
        waits[case.name] = round(datetime.fromisoformat(state.next_poll).timestamp() - polled)
    by_name = {case.name: state.next_poll_reason for case, state in saved}
    assert by_name["429 Retry-After 120"] == by_name["503 Retry-After 60"] == "retry_after"
    assert by_name["429 Retry-After garbage"] == "backoff"
    assert waits["429 Retry-After 120"] >= 120
    assert waits["429 Retry-After HTTP-date"] >= 299
    assert waits["503 Retry-After 60"] >= 60
    assert max(waits.values()) <= settings.poll_max_interval_s
    return {"next_poll_reasons": dict(reasons), "next_poll_after_s": waits}
