"""newswire services as separate processes, started as deployed (``newswire serve ...``,
configured by environment variables) by way of tests/fault_serve.py, which adds the fault
hooks a test asks for (FAULT_* variables); stopped or killed. Shared by the reliability and
scale-out tests."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

FAULT_SERVE = Path(__file__).resolve().with_name("fault_serve.py")


def start(services: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    """Start ``newswire serve SERVICES...`` with its output appended to ``log``."""
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("ab") as out:
        return subprocess.Popen(
            [sys.executable, str(FAULT_SERVE), "serve", *services],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )


def kill(proc: subprocess.Popen[bytes]) -> None:
    """SIGKILL (if still running) and reap."""
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
