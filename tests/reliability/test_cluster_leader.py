"""Acks=all survives the partition leader's death right after acknowledging; the
unsafe acks=1 control on the same cluster and the same fault must lose items (or the
harness is blind). Needs the 3-node cluster (``local-kafka.sh start-cluster 3``), which the
fixture starts and, if it started it, stops."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from cluster import LocalCluster
from leader_kill import leader_killed_after_acks
from scenario_report import Report
from verify import assert_clean, assert_control_caught

from newswire.settings import Settings

pytestmark = [
    pytest.mark.kafka,
    pytest.mark.reliability,
    pytest.mark.slow,
    pytest.mark.xdist_group("kafka-cluster"),
]


@pytest.fixture(scope="session")
def local_cluster() -> Iterator[LocalCluster]:
    """The 3-node cluster; FAILS (never skips) when it cannot start."""
    cluster = LocalCluster()
    asyncio.run(cluster.start())
    yield cluster
    cluster.close()


@pytest.mark.timeout(500)
@pytest.mark.parametrize("unsafe", [None, "acks_one"])
async def test_leader_killed_right_after_acks(
    unsafe: str | None,
    make_settings: Callable[..., Settings],
    local_cluster: LocalCluster,
    tmp_path: Path,
    report: Report,
) -> None:
    settings = make_settings(
        local_cluster.bootstrap,
        topic_partitions=1,
        topic_replication_factor=3,
        topic_min_insync_replicas=2,
        kafka_timeout_s=10.0,
        drain_timeout_s=5.0,
    )
    result = await leader_killed_after_acks(
        settings, tmp_path, local_cluster, items=1000, unsafe=unsafe
    )
    if unsafe is None:
        assert_clean(result, report, "leader_killed", "producer_retries")
    else:
        assert_control_caught(None, result, report)
