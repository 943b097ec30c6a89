"""The bench's processes: the feed server and the stage services as subprocesses, and the
CPU and peak-RSS readings of every process (the broker's too)."""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
import psutil  # type: ignore[import-untyped]  # no stubs needed for two calls

from bench.corpus import REPO

BROKER_PID_FILE = REPO / ".local" / "kafka" / "broker-9092.pid"
STAGES = ("dedup", "enrich", "store")


def _die_with_parent() -> None:
    """In the child: get SIGTERM when the bench process dies (Linux prctl), so a killed
    bench leaves no stage or feed-server process behind."""
    with contextlib.suppress(OSError):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of ``pid`` (all its threads), 0.0 if it is gone."""
    try:
        t = psutil.Process(pid).cpu_times()
    except psutil.Error:
        return 0.0
    return float(t.user + t.system)


def peak_rss_bytes(pid: int) -> int:
    """The process's peak resident set (VmHWM, exact on Linux), else its current RSS."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
        return int(psutil.Process(pid).memory_info().rss)
    except (OSError, psutil.Error, ValueError):
        return 0


def broker_pid() -> int | None:
    try:
        pid = int(BROKER_PID_FILE.read_text().strip())
    except (OSError, ValueError):
        return None
    return pid if psutil.pid_exists(pid) else None


@dataclass
class CpuSnapshot:
    at: float
    cpu: dict[str, float]


def snapshot(pids: dict[str, int]) -> CpuSnapshot:
    return CpuSnapshot(time.monotonic(), {name: cpu_seconds(pid) for name, pid in pids.items()})


def cpu_delta(a: CpuSnapshot, b: CpuSnapshot) -> dict[str, float]:
    return {name: max(0.0, b.cpu.get(name, 0.0) - a.cpu[name]) for name in a.cpu}


class FeedServerProc:
    """``python -m bench.feedserver`` in a subprocess; ``url(i)`` is feed i's URL."""

    def __init__(self, *, feeds: int, items: int, new_per_change: int, run: str) -> None:
        self.args = [
            sys.executable, "-m", "bench.feedserver", "--feeds", str(feeds), "--items",
            str(items), "--new-per-change", str(new_per_change), "--run", run,
        ]  # fmt: skip
        self.feeds = feeds
        self.proc: subprocess.Popen[bytes] | None = None
        self.port = 0

    def __enter__(self) -> FeedServerProc:
        self.proc = subprocess.Popen(
            self.args, stdout=subprocess.PIPE, cwd=REPO, preexec_fn=_die_with_parent
        )
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline().decode()
        if not line.startswith("port "):
            self.close()
            raise RuntimeError(f"bench feed server did not start: {line!r}")
        self.port = int(line.split()[1])
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=10)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def url(self, i: int) -> str:
        return f"{self.base_url}/f/{i}.xml"


class StageProcs:
    """The consuming stages, one ``python -m bench.stageproc`` process each."""

    def __init__(self, env: dict[str, str], out: Path, *, profile_dir: Path | None = None) -> None:
        self.env = env
        self.out = out
        self.profile_dir = profile_dir
        self.procs: dict[str, subprocess.Popen[bytes]] = {}

    def start(self) -> None:
        self.out.mkdir(parents=True, exist_ok=True)
        for stage in STAGES:
            args = [sys.executable, "-m", "bench.stageproc", stage, "--out", str(self.out)]
            if self.profile_dir is not None:
                args += ["--profile", str(self.profile_dir)]
            self.procs[stage] = subprocess.Popen(
                args, env=self.env, cwd=REPO, preexec_fn=_die_with_parent
            )

    @property
    def pids(self) -> dict[str, int]:
        return {name: p.pid for name, p in self.procs.items()}

    def stats(self, stage: str) -> dict[str, Any]:
        try:
            data: dict[str, Any] = orjson.loads((self.out / f"{stage}.json").read_bytes())
        except (OSError, orjson.JSONDecodeError):
            return {}
        return data

    def check_alive(self) -> None:
        for name, p in self.procs.items():
            if p.poll() is not None:
                raise RuntimeError(f"stage process {name} exited with code {p.returncode}")

    def outcome_total(self, stage: str, outcome: str) -> float:
        outcomes = self.stats(stage).get("outcomes", {})
        return float(outcomes.get(f"outcome={outcome},stage={stage}", 0.0))

    def latencies(self, since: float = 0.0, until: float = float("inf")) -> list[float]:
        """Fetched->stored seconds of items whose fetched time is in [since, until)."""
        out = []
        try:
            text = (self.out / "store.lat").read_text()
        except OSError:
            return []
        for line in text.splitlines():
            t, _, v = line.partition(" ")
            lat = float(v)
            if since <= float(t) - lat < until:
                out.append(lat)
        return out

    async def wait_stored(self, target: float, timeout_s: float) -> float:
        """Wait until the store stage has stored ``target`` items; returns the wall time of
        its last batch. Raises TimeoutError past ``timeout_s``."""
        deadline = time.monotonic() + timeout_s
        while True:
            self.check_alive()
            stats = self.stats("store")
            done = sum(v for k, v in stats.get("outcomes", {}).items() if "stage=store" in k)
            if done >= target:
                return float(stats.get("last_batch_t", time.time()))
            if time.monotonic() > deadline:
                raise TimeoutError(f"store reached {done:.0f} of {target:.0f} items")
            await asyncio.sleep(0.1)

    def stop(self, timeout_s: float = 30.0) -> dict[str, int]:
        """SIGTERM every stage, wait; returns each one's peak RSS read just before."""
        peaks = {name: peak_rss_bytes(p.pid) for name, p in self.procs.items()}
        for p in self.procs.values():
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        for p in self.procs.values():
            try:
                p.wait(timeout=timeout_s)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
        return peaks


def stage_env(settings_values: dict[str, str]) -> dict[str, str]:
    """The environment of a stage process: ours, with the bench's settings on top."""
    env = dict(os.environ)
    env.update(settings_values)
    return env
