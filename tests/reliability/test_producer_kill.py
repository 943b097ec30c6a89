"""The producer SIGKILLed mid-publish loses no served item and stores none twice
(see producer_kill.py). Real processes: ``serve producer`` and ``serve dedup enrich store``.
The control run saves each feed's state before its items are acknowledged
(``NEWSWIRE_UNSAFE_SAVE_STATE_BEFORE_PUBLISH``): the verifier must report the items a kill
lost, or the harness is blind."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from producer_kill import producer_killed_mid_publish
from scenario_report import Report, ScenarioResult
from verify import assert_clean, assert_control_caught

from newswire.settings import Settings

pytestmark = [pytest.mark.kafka, pytest.mark.reliability, pytest.mark.slow]


@pytest.mark.timeout(600)
@pytest.mark.parametrize(
    ("unsafe", "feeds", "rounds"), [(None, 60, 8), ("save_state_before_publish", 150, 1)]
)
async def test_producer_killed_mid_publish_repeatedly(
    unsafe: str | None,
    feeds: int,
    rounds: int,
    make_settings: Callable[..., Settings],
    kafka_bootstrap: str,
    tmp_path: Path,
    report: Report,
) -> None:
    # The control's loss window (a feed's state acknowledged, its items not yet sent: about
    # one linger) is narrow, so one kill misses it now and then: up to 3 attempts, each on
    # fresh topics, data dir and store; the harness is blind only if all 3 look clean.
    for attempt in range(3 if unsafe else 1):
        result = await _attempt(make_settings, kafka_bootstrap, tmp_path / f"a{attempt}", feeds,
                                rounds, unsafe)  # fmt: skip
        if not unsafe or result.lost or result.duplicates:
            break
    if unsafe:
        result.fault_evidence["attempts"] = attempt + 1
        assert_control_caught(None, result, report)
    else:
        # The fault is a SIGKILL while items.raw grows; how many feeds a kill catches between
        # publish and state save (re_polled_feeds) varies from 0 to 10 and is reported only.
        assert_clean(result, report, "sigkills", "kills_mid_publish")


async def _attempt(
    make_settings: Callable[..., Settings],
    kafka_bootstrap: str,
    tmp: Path,
    feeds: int,
    rounds: int,
    unsafe: str | None,
) -> ScenarioResult:
    settings = make_settings(
        kafka_bootstrap,
        data_dir=tmp / "data",
        store_url=f"sqlite:///{tmp / 'data' / 'store.db'}",
        topic_partitions=3,
        kafka_timeout_s=20.0,
        drain_timeout_s=5.0,
        enrich_fulltext=False,  # the items link to news.example: nothing to fetch
        poll_interval_s=2.0,
        poll_min_interval_s=1.0,
        poll_max_interval_s=2.0,
        poll_jitter=0.0,
        poll_first_spread_s=0.0,  # every feed at once: many polls in flight at a kill
        poll_adaptive=False,
        per_host_concurrency=16,
        fetch_concurrency=16,
        per_host_requests_per_minute=60000.0,
        per_host_burst=1000,
        producer_session_timeout_s=6.0,
        producer_heartbeat_s=1.0,
    )
    return await producer_killed_mid_publish(
        settings, tmp, feeds=feeds, per_round=20, rounds=rounds, unsafe=unsafe
    )
