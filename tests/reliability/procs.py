"""The process manager: real newswire services through their production entry point
(``newswire serve <service>``, by way of tests/fault_serve.py, which adds the fault hooks a
test asks for; configured by ``NEWSWIRE_*`` variables), and a
separate single-node Kafka broker for broker faults (never the shared one on 9092).
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from fault_serve import MID_BATCH_EXIT
from paths import REPO
from services import FAULT_SERVE

from newswire.settings import Settings

KAFKA_SCRIPT = REPO / "deploy" / "kafka" / "local-kafka.sh"
FAULT_EXIT = MID_BATCH_EXIT  # the exit code of the FAULT_EXIT_MID_BATCH hook


# Settings passed on as they are (the producer's polling, the cluster's replication, ...).
_FORWARDED = (
    "topic_replication_factor", "topic_min_insync_replicas", "producer_linger_ms",
    "enrich_fulltext", "fetch_allow_networks", "poll_interval_s", "poll_min_interval_s",
    "poll_max_interval_s", "poll_jitter", "poll_first_spread_s", "poll_adaptive",
    "per_host_concurrency", "fetch_concurrency", "per_host_requests_per_minute",
    "per_host_burst", "producer_session_timeout_s", "producer_heartbeat_s",
)  # fmt: skip


def _env_value(value: object) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, tuple):
        return ",".join(str(v) for v in value)
    return str(value)


def service_env(settings: Settings, **extra: str) -> dict[str, str]:
    """The environment of a service process: the test's settings, nothing inherited."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSWIRE_")}
    env.update({f"NEWSWIRE_{n.upper()}": _env_value(getattr(settings, n)) for n in _FORWARDED})
    env.update(
        NEWSWIRE_KAFKA_BOOTSTRAP=settings.kafka_bootstrap,
        NEWSWIRE_TOPIC_PREFIX=settings.topic_prefix,
        NEWSWIRE_TOPIC_PARTITIONS=str(settings.topic_partitions),
        NEWSWIRE_DATA_DIR=str(settings.data_dir),
        NEWSWIRE_STORE_URL=settings.store_url,
        NEWSWIRE_HEALTH_PORT="0",
        NEWSWIRE_CONFIG=str(settings.data_dir / "absent.toml"),
        NEWSWIRE_CONSUMER_MAX_BATCH=str(min(settings.consumer_max_batch, 25)),
        NEWSWIRE_DRAIN_TIMEOUT_S=str(settings.drain_timeout_s),
        NEWSWIRE_KAFKA_TIMEOUT_S=str(settings.kafka_timeout_s),
        NEWSWIRE_LOG_LEVEL="WARNING",
        NEWSWIRE_DEDUP_STORE_URL=settings.dedup_store_url,
    )
    env.update(extra)
    return env


@dataclass
class Service:
    """One ``newswire serve`` process; its output is appended to ``log``."""

    services: tuple[str, ...]
    env: dict[str, str]
    log: Path
    proc: subprocess.Popen[bytes] | None = None
    exits: list[int] = field(default_factory=list)
    _offset: int = 0

    def start(self) -> Service:
        self.log.parent.mkdir(parents=True, exist_ok=True)
        self._offset = self.log.stat().st_size if self.log.exists() else 0
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen(
                [sys.executable, str(FAULT_SERVE), "serve", *self.services],
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
                cwd=REPO,
            )
        return self

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    async def started(self, timeout_s: float = 60.0) -> None:
        """Wait until this process printed its ``<services> up:`` line (signal handlers are
        installed by then: a SIGTERM earlier kills a starting Python with -15)."""
        marker = f"{', '.join(self.services)} up:".encode()
        size = self._offset
        async with asyncio.timeout(timeout_s):
            while marker not in self.log.read_bytes()[size:]:
                if not self.alive():
                    raise RuntimeError(f"service exited while starting:\n{self.tail()}")
                await asyncio.sleep(0.1)  # polling a log another process writes

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    async def wait(self, timeout_s: float) -> int:
        assert self.proc is not None
        code = await asyncio.to_thread(self.proc.wait, timeout_s)
        self.exits.append(code)
        return code

    def signal(self, sig: signal.Signals) -> None:
        if self.alive():
            assert self.proc is not None
            self.proc.send_signal(sig)

    async def kill(self) -> None:
        self.signal(signal.SIGKILL)
        await self.wait(10)

    async def terminate(self, timeout_s: float = 30.0) -> tuple[int, float]:
        """SIGTERM; return (exit code, seconds to exit). SIGKILL past ``timeout_s``."""
        started = time.monotonic()
        self.signal(signal.SIGTERM)
        try:
            code = await self.wait(timeout_s)
        except subprocess.TimeoutExpired:
            await self.kill()
            code = -9
        return code, time.monotonic() - started

    def tail(self, lines: int = 30) -> str:
        if not self.log.exists():
            return ""
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])


class SeparateBroker:
    """A second single-node broker (default 127.0.0.1:19392) owned by the harness: the
    only broker the fault injector may kill or freeze."""

    def __init__(self, port: int = 19392, controller_port: int = 19393) -> None:
        self.port = port
        self.controller_port = controller_port
        self.bootstrap = f"127.0.0.1:{port}"
        self.pidfile = REPO / ".local" / "kafka" / f"broker-{port}.pid"
        self.kills = 0

    def _script(self, command: str, timeout_s: float = 240.0) -> None:
        env = dict(os.environ)
        env.update(
            NEWSWIRE_LOCAL_KAFKA_PORT=str(self.port),
            NEWSWIRE_LOCAL_KAFKA_CONTROLLER_PORT=str(self.controller_port),
        )
        subprocess.run(
            ["bash", str(KAFKA_SCRIPT), command],
            env=env,
            check=True,
            timeout=timeout_s,
            capture_output=True,
        )

    async def start(self) -> None:
        await asyncio.to_thread(self._script, "start")

    async def stop(self) -> None:
        await asyncio.to_thread(self._script, "stop")

    def pid(self) -> int:
        return int(self.pidfile.read_text().strip())

    async def sigkill(self) -> None:
        pid = self.pid()
        os.kill(pid, signal.SIGKILL)
        for _ in range(100):  # bounded: the JVM is gone within a second or so
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                break
            await asyncio.sleep(0.1)
        self.kills += 1

    def freeze(self) -> None:
        os.kill(self.pid(), signal.SIGSTOP)

    def thaw(self) -> None:
        os.kill(self.pid(), signal.SIGCONT)
