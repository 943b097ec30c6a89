"""deploy/local-services.sh, which `make test` runs the suite through: it starts the
services no one runs yet, leaves alone those a setting points at, passes the command's exit
code on, and stops what it started, also when the command fails or is interrupted.

Kafka and PostgreSQL are "pointed at" by their settings here, so only a private Redis (a
free port, a temporary directory) is started: the shared services are never touched.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from pathlib import Path

import pytest
from private_postgres import free_port

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "deploy" / "local-services.sh"

pytestmark = [pytest.mark.redis, pytest.mark.timeout(60)]


def _env(tmp_path: Path, redis_port: int) -> dict[str, str]:
    return dict(
        os.environ,
        NEWSWIRE_KAFKA_BOOTSTRAP="127.0.0.1:9092",
        NEWSWIRE_TEST_POSTGRES_URL="postgresql://postgres@127.0.0.1:5433/newswire",
        NEWSWIRE_LOCAL_REDIS_PORT=str(redis_port),
        NEWSWIRE_LOCAL_DIR=str(tmp_path),
    )


def _answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False


def test_a_failing_command_keeps_its_code_and_the_started_service_is_stopped(
    tmp_path: Path,
) -> None:
    port = free_port()
    probe = f"exec 3<>/dev/tcp/127.0.0.1/{port} && exit 3"  # Redis is up while it runs
    done = subprocess.run(
        [SCRIPT, "run", "--", "bash", "-c", probe],
        env=_env(tmp_path, port), capture_output=True, text=True, timeout=50,
    )  # fmt: skip
    assert done.returncode == 3, done.stderr
    assert "Kafka: using NEWSWIRE_KAFKA_BOOTSTRAP" in done.stderr
    assert "PostgreSQL: using NEWSWIRE_TEST_POSTGRES_URL" in done.stderr
    assert "local-redis: stopped" in done.stderr
    assert not _answers(port)


def test_ctrl_c_stops_the_started_service_and_exits_as_interrupted(tmp_path: Path) -> None:
    port = free_port()
    proc = subprocess.Popen(
        [SCRIPT, "run", "--", "sleep", "30"],
        env=_env(tmp_path, port), stderr=subprocess.PIPE, text=True, start_new_session=True,
    )  # fmt: skip
    deadline = time.monotonic() + 30
    while not _answers(port):
        assert time.monotonic() < deadline, "Redis did not start"
        assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
        time.sleep(0.1)
    os.killpg(proc.pid, signal.SIGINT)  # what a terminal's Ctrl-C does: the whole group
    _, err = proc.communicate(timeout=20)
    assert proc.returncode == 130, err
    assert "local-redis: stopped" in err
    assert not _answers(port)


def test_a_running_service_is_used_and_left_alone(tmp_path: Path) -> None:
    port = free_port()
    env = _env(tmp_path, port)
    redis = REPO / "deploy" / "redis" / "local-redis.sh"
    subprocess.run([redis, "start"], env=env, check=True, capture_output=True)
    try:
        done = subprocess.run(
            [SCRIPT, "run", "--", "true"], env=env, capture_output=True, text=True, timeout=50
        )
        assert done.returncode == 0, done.stderr
        assert f"Redis: already running on 127.0.0.1:{port}, left alone" in done.stderr
        assert _answers(port)
    finally:
        subprocess.run([redis, "stop"], env=env, check=False, capture_output=True)
