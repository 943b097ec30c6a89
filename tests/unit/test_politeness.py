"""Per-host politeness: host keys, backoff, request budget, refusals widening to a host
hold, and concurrency slots (newswire_producers.pacing.politeness), on a virtual clock."""

from __future__ import annotations

import asyncio
import itertools
import random

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from newswire.fetch.policy import fetch_policy, user_agent
from newswire.settings import Settings
from newswire_producers.pacing.clock import VirtualClock
from newswire_producers.pacing.politeness import (
    Deferral,
    HostGate,
    PolitenessPolicy,
    backoff_s,
    host_of,
)

T0 = 1_800_000_000.0


@pytest.mark.parametrize(
    ("url", "host"),
    [
        ("https://News.Example.com/feed.xml", "news.example.com"),
        ("http://news.example.com:8080/a", "news.example.com"),
        ("http://[::1]:80/x", "::1"),
        ("not a url", ""),
        ("http://[bad/", ""),
    ],
)
def test_host_of(url: str, host: str) -> None:
    assert host_of(url) == host


@given(
    errors=st.integers(min_value=0, max_value=500),
    base=st.floats(min_value=1, max_value=10_000),
    cap=st.floats(min_value=1, max_value=100_000),
    seed=st.integers(0, 2**32),
)
def test_backoff_is_bounded_by_half_step_and_cap(
    errors: int, base: float, cap: float, seed: int
) -> None:
    step = min(cap, base * 2.0 ** min(max(errors, 1) - 1, 40))
    delay = backoff_s(errors, base, cap, random.Random(seed))
    assert step / 2 <= delay <= step <= cap


def test_backoff_doubles() -> None:
    rng = random.Random(1)
    means = [sum(backoff_s(n, 60, 1e9, rng) for _ in range(200)) / 200 for n in (1, 2, 3, 4)]
    for a, b in itertools.pairwise(means):
        assert 1.6 < b / a < 2.4


def gate(clock: VirtualClock, **kw: object) -> HostGate:
    return HostGate(PolitenessPolicy(**kw), clock)  # type: ignore[arg-type]


async def test_request_budget_allows_a_burst_then_refills() -> None:
    clock = VirtualClock(start=T0)
    g = gate(clock, requests_per_minute=30, burst=3)
    assert [g.admit("a.example") for _ in range(3)] == [None, None, None]
    deferral = g.admit("a.example")
    assert deferral == Deferral(T0 + 2.0, "host_budget")  # 30/min: a token every 2 s
    assert g.admit("b.example") is None  # budgets are per host
    await clock.advance(1.0)
    assert g.admit("a.example") == Deferral(T0 + 2.0, "host_budget")
    await clock.advance(1.0)
    assert g.admit("a.example") is None
    await clock.advance(3600)
    assert [g.admit("a.example") for _ in range(4)][-1] is not None  # burst never exceeds 3


async def test_refusals_widen_to_the_host_only_at_the_threshold() -> None:
    clock = VirtualClock(start=T0)
    g = gate(clock, refusal_threshold=3, refusal_window_s=600)
    assert not g.refused("a.example", "f1", T0 + 120)
    assert not g.refused("a.example", "f1", T0 + 130)  # the same feed again: still one
    assert not g.refused("a.example", "f2", T0 + 100)
    assert g.admit("a.example") is None  # two feeds refused: only they wait
    assert g.held_until("a.example") is None
    assert g.refused("a.example", "f3", T0 + 90)
    assert g.held_until("a.example") == T0 + 130  # the latest Retry-After of them
    assert g.admit("a.example") == Deferral(T0 + 130, "host_retry_after")
    assert g.admit("b.example") is None  # other hosts are not affected
    await clock.advance(131)
    assert g.admit("a.example") is None and g.held_until("a.example") is None


async def test_old_refusals_expire_and_a_feed_served_again_clears_its_own() -> None:
    clock = VirtualClock(start=T0)
    g = gate(clock, refusal_threshold=2, refusal_window_s=600)
    assert not g.refused("a.example", "f1", T0 + 60)
    await clock.advance(601)
    assert not g.refused("a.example", "f2", clock.now() + 60)  # f1's refusal is too old
    g.succeeded("a.example", "f2")  # f2 is served again: its refusal no longer counts
    g.succeeded("a.example", "f9")  # another feed served fine: f2's would still count
    assert not g.refused("a.example", "f3", clock.now() + 60)
    assert g.refused("a.example", "f4", clock.now() + 60)


async def test_slots_cap_concurrent_polls_per_host() -> None:
    g = gate(VirtualClock(start=T0), per_host_concurrency=2)
    running = most = 0

    async def poll(host: str) -> None:
        nonlocal running, most
        async with g.slot(host):
            running += 1
            most = max(most, running)
            await asyncio.sleep(0.01)
            running -= 1

    await asyncio.gather(*(poll("a.example") for _ in range(6)))
    assert most == 2
    most = 0
    await asyncio.gather(*(poll(h) for h in ("a.example", "b.example", "c.example") * 2))
    assert most == 6


def test_user_agent_names_newswire_and_the_contact_url() -> None:
    plain = Settings()
    assert fetch_policy(plain).user_agent == plain.user_agent
    ops = Settings(contact_url="https://ops.example/newswire")
    agent = fetch_policy(ops).user_agent
    assert agent.startswith("newswire/") and agent.endswith(" (+https://ops.example/newswire)")
    assert user_agent(Settings(contact_url="mailto:news@ops.example")).endswith(
        "(+mailto:news@ops.example)"
    )
    with pytest.raises(ValidationError, match="contact_url"):
        Settings(contact_url="javascript:alert(1)")
