"""Run newswire services as separate processes, configured by environment variables exactly
as deployed (``python -m newswire.cli serve ...``), and stop or kill them."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

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


def start(services: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "newswire.cli", "serve", *services],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )


def kill(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=10)


def terminate(proc: subprocess.Popen[bytes]) -> int:
    """SIGTERM, wait for a clean exit (SIGKILL after 30 s); returns the exit code."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            kill(proc)
    return proc.returncode


def start_cluster_nodes() -> None:
    """Start the 3-node cluster's nodes that are not running (after a test killed one)."""
    done = subprocess.run(
        [KAFKA_SCRIPT, "start-cluster", "3"], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr[-2000:]


def cluster_node_pid(node_id: int) -> int:
    path = REPO / ".local" / "kafka" / "cluster" / f"node-{node_id}" / "broker.pid"
    return int(path.read_text())
