"""A real Prometheus (Debian's package) scrapes a running pipeline.

The test writes a config that scrapes the pipeline's ``/metrics`` every second and loads
deploy/prometheus/rules.yml, starts ``prometheus`` on 127.0.0.1 with its data in tmp, and
asks it, in PromQL, how many items were stored: the answer must be the count the store holds.
``prometheus`` missing fails the test: install it with
``deploy/prometheus/local-prometheus.sh install`` (.ci/run does).
"""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
import yaml
from live_pipeline import DEPLOY, free_port, live_pipeline

from newswire.settings import Settings
from newswire_consumers.store.sqlite_store import SqliteStore

pytestmark = pytest.mark.kafka

STORED_QUERY = 'sum(newswire_stage_records_total{stage="store", outcome="stored"})'


class Prometheus:
    def __init__(self, url: str, process: subprocess.Popen[bytes], log: Path) -> None:
        self.url = url
        self.process = process
        self.log = log

    async def query(self, promql: str) -> float | None:
        """The single value of an instant query, or None when it has no result yet."""
        async with httpx.AsyncClient(timeout=5, trust_env=False) as client:
            response = await client.get(f"{self.url}/api/v1/query", params={"query": promql})
        response.raise_for_status()
        result = response.json()["data"]["result"]
        return float(result[0]["value"][1]) if result else None

    async def rule_health(self) -> dict[str, str]:
        """{rule name: health} of every loaded rule (ok, err or unknown before evaluation)."""
        async with httpx.AsyncClient(timeout=5, trust_env=False) as client:
            response = await client.get(f"{self.url}/api/v1/rules")
        response.raise_for_status()
        groups = response.json()["data"]["groups"]
        return {rule["name"]: rule["health"] for g in groups for rule in g["rules"]}

    async def wait_ready(self, deadline_s: float = 15.0) -> None:
        """Poll /-/ready until Prometheus answers; fail if it exits or the deadline passes."""
        deadline = time.monotonic() + deadline_s
        async with httpx.AsyncClient(timeout=2, trust_env=False) as client:
            while time.monotonic() < deadline:
                if self.process.poll() is not None:
                    pytest.fail(self.failed(), pytrace=False)
                with contextlib.suppress(httpx.TransportError):
                    if (await client.get(f"{self.url}/-/ready")).status_code == 200:
                        return
                await asyncio.sleep(0.2)
        pytest.fail(f"prometheus not ready within {deadline_s} s\n{self.failed()}", pytrace=False)

    def failed(self) -> str:
        return f"prometheus exited {self.process.returncode}:\n{self.log.read_text()[-3000:]}"


def _config(tmp: Path, target: str) -> Path:
    config = {
        "global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
        "rule_files": [str(DEPLOY / "prometheus" / "rules.yml")],
        "scrape_configs": [{"job_name": "newswire", "static_configs": [{"targets": [target]}]}],
    }
    path = tmp / "prometheus.yml"
    path.write_text(yaml.safe_dump(config))
    return path


@pytest.fixture
def start_prometheus(tmp_path: Path) -> Iterator[Callable[[str], Prometheus]]:
    """Starts Prometheus scraping a target; terminates it after the test."""
    binary = shutil.which("prometheus")
    if binary is None:
        pytest.fail(
            "prometheus is not installed: run deploy/prometheus/local-prometheus.sh install",
            pytrace=False,
        )
    started: list[subprocess.Popen[bytes]] = []

    def start(target: str) -> Prometheus:
        port = free_port()
        log = tmp_path / "prometheus.log"
        with log.open("wb") as out:
            process = subprocess.Popen(  # args are ours, no shell
                [
                    binary,
                    f"--config.file={_config(tmp_path, target)}",
                    f"--storage.tsdb.path={tmp_path / 'tsdb'}",
                    f"--web.listen-address=127.0.0.1:{port}",
                ],
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        started.append(process)
        return Prometheus(f"http://127.0.0.1:{port}", process, log)

    yield start
    for process in started:
        process.terminate()
        process.wait(timeout=10)


async def test_prometheus_counts_the_items_the_store_holds(
    kafka_settings: Settings,
    tmp_path: Path,
    start_prometheus: Callable[[str], Prometheus],
) -> None:
    async with live_pipeline(kafka_settings, tmp_path) as pipeline:
        prom = start_prometheus(pipeline.host_port)
        await prom.wait_ready()
        await pipeline.wait_until_stored()
        with SqliteStore.from_url(kafka_settings.store_url) as store:
            held = store.count()
        assert held == pipeline.expected_items

        deadline = time.monotonic() + 15
        value = None
        while time.monotonic() < deadline and value != held:
            value = await prom.query(STORED_QUERY)
            await asyncio.sleep(0.5)
        assert value == held, f"Prometheus says {value} stored, the store holds {held}"
        assert await prom.query('up{job="newswire"}') == 1.0
        # Every alert rule evaluates without error against the live series.
        deadline = time.monotonic() + 10
        health: dict[str, str] = {}
        while time.monotonic() < deadline:
            health = await prom.rule_health()
            if health and all(h == "ok" for h in health.values()):
                break
            await asyncio.sleep(0.5)
        assert len(health) == 8 and set(health.values()) == {"ok"}, health
