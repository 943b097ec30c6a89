"""The scale-out tests' process settings and the local 3-node cluster; starting and stopping
the services themselves is in tests/services.py."""

from __future__ import annotations

import os
import subprocess

from paths import REPO

from newswire.settings import Settings

KAFKA_SCRIPT = REPO / "deploy" / "kafka" / "local-kafka.sh"

# Settings passed to the processes (the rest take their defaults).
_FIELDS = (
    "kafka_bootstrap", "topic_prefix", "topic_partitions", "topic_replication_factor",
    "data_dir", "store_url", "kafka_timeout_s", "drain_timeout_s", "producer_linger_ms",
    "poll_interval_s", "poll_min_interval_s", "poll_max_interval_s", "poll_jitter",
    "poll_first_spread_s", "poll_adaptive", "per_host_concurrency", "fetch_concurrency",
    "per_host_requests_per_minute", "per_host_burst", "producer_session_timeout_s",
    "producer_heartbeat_s", "politeness_redis_url", "enrich_fulltext", "consumer_max_batch",
    "dedup_store_url",
)  # fmt: skip


def service_env(settings: Settings, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSWIRE_")}
    for name in _FIELDS:
        value = getattr(settings, name)
        env[f"NEWSWIRE_{name.upper()}"] = (
            str(value).lower() if isinstance(value, bool) else str(value)
        )
    env.update(
        NEWSWIRE_FETCH_ALLOW_NETWORKS="127.0.0.1/32",
        NEWSWIRE_HEALTH_PORT="0",
        NEWSWIRE_CONFIG=str(settings.data_dir / "absent.toml"),
        NEWSWIRE_LOG_LEVEL="WARNING",
    )
    env.update(extra)
    return env


def start_cluster_nodes() -> None:
    """Start the 3-node cluster's nodes that are not running (after a test killed one)."""
    done = subprocess.run(
        [KAFKA_SCRIPT, "start-cluster", "3"], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr[-2000:]


def cluster_node_pid(node_id: int) -> int:
    path = REPO / ".local" / "kafka" / "cluster" / f"node-{node_id}" / "broker.pid"
    return int(path.read_text())
