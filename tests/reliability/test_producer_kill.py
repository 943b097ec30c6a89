"""Issue 8: the producer SIGKILLed mid-publish loses no served item and stores none twice
(see producer_kill.py). Real processes: ``serve producer`` and ``serve dedup enrich store``."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from producer_kill import producer_killed_mid_publish
from scenario_report import Report
from verify import assert_clean

from newswire.settings import Settings

pytestmark = [pytest.mark.kafka, pytest.mark.reliability, pytest.mark.slow]


@pytest.mark.timeout(600)
async def test_producer_killed_mid_publish_repeatedly(
    make_settings: Callable[..., Settings], kafka_bootstrap: str, tmp_path: Path, report: Report
) -> None:
    settings = make_settings(
        kafka_bootstrap,
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
    result = await producer_killed_mid_publish(settings, tmp_path, feeds=60, per_round=20, rounds=8)
    assert_clean(result, report, "sigkills", "kills_mid_publish", "re_polled_feeds")
