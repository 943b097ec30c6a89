"""Fixtures of the scale-out tests: Redis, and the ``slow`` marker.

``slow`` tests run several processes through kills and rebalances (30-120 s each); the
fast subset stays unmarked.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator

import pytest
from dedup_support import require_redis
from paths import REPO

CLUSTER_BOOTSTRAP = "127.0.0.1:19092,127.0.0.1:19093,127.0.0.1:19094"


@pytest.fixture
def redis_url() -> str:
    """The test Redis (deploy/redis/local-redis.sh); FAILS when it does not answer."""
    return require_redis()


@pytest.fixture(scope="session")
def kafka_cluster() -> Iterator[str]:
    """A 3-node local cluster (``local-kafka.sh start-cluster 3``: ports 19092-19094, apart
    from the shared broker); its bootstrap. FAILS when it cannot start. Stopped at the end
    of the session only if this session started it."""
    script = REPO / "deploy" / "kafka" / "local-kafka.sh"
    was_running = subprocess.run([script, "status-cluster"], capture_output=True, check=False)
    done = subprocess.run(
        [script, "start-cluster", "3"], capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        pytest.fail(f"the 3-node cluster did not start:\n{done.stderr[-2000:]}", pytrace=False)
    yield CLUSTER_BOOTSTRAP
    if was_running.returncode != 0:
        subprocess.run([script, "stop-cluster"], capture_output=True, check=False)
