"""On a broker that has just started (no offsets topic yet), the pipeline waits for its
groups' coordinator before any consumer joins, and the client's self-healing retry warning
is kept out of the log, so the first run on a fresh machine logs no client errors or
warnings (aiokafka's "GroupCoordinatorNotAvailableError" / "Marking the coordinator dead"
burst). A private single node in a temporary directory, never the shared broker.
"""

from __future__ import annotations

import asyncio
import logging
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from aiokafka import AIOKafkaConsumer
from paths import REPO
from private_postgres import free_port

from newswire.kafka.topics import TopicSpec, ensure_topics
from newswire.log import quiet_client_noise

GROUPS = ["newswire-test.dedup"]  # [] here makes the test fail: the control
SCRIPT = REPO / "deploy" / "kafka" / "local-kafka.sh"

pytestmark = [pytest.mark.kafka, pytest.mark.timeout(180)]


@pytest.fixture
def fresh_broker(tmp_path: Path) -> Iterator[str]:
    subprocess.run([SCRIPT, "fetch"], check=True, capture_output=True)  # the cached jars
    home = tmp_path / "kafka"
    home.mkdir()
    for libs in (REPO / ".local" / "kafka").glob("libs-*"):
        (home / libs.name).symlink_to(libs)
    port = free_port()
    env = dict(
        os.environ,
        NEWSWIRE_LOCAL_DIR=str(tmp_path),
        NEWSWIRE_LOCAL_KAFKA_PORT=str(port),
        NEWSWIRE_LOCAL_KAFKA_CONTROLLER_PORT=str(free_port()),
        NEWSWIRE_LOCAL_KAFKA_HEAP="384m",
    )
    started = subprocess.run([SCRIPT, "start"], env=env, capture_output=True, text=True)
    assert started.returncode == 0, started.stderr[-2000:]
    try:
        yield f"127.0.0.1:{port}"
    finally:
        subprocess.run([SCRIPT, "stop"], env=env, capture_output=True, check=False)


async def test_consumers_join_a_fresh_broker_without_client_errors(
    fresh_broker: str, caplog: pytest.LogCaptureFixture
) -> None:
    quiet_client_noise()  # as configure_logging does in every newswire process
    await ensure_topics(fresh_broker, [TopicSpec("fresh.raw", 1)], 60, groups=GROUPS)
    caplog.set_level(logging.INFO, logger="aiokafka")
    consumer = AIOKafkaConsumer(
        "fresh.raw",
        bootstrap_servers=fresh_broker,
        group_id="newswire-test.dedup",
        enable_auto_commit=False,
    )
    await consumer.start()
    try:
        async with asyncio.timeout(30):
            while not consumer.assignment():
                await consumer.getmany(timeout_ms=200)
    finally:
        await consumer.stop()
    noisy = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert noisy == []
