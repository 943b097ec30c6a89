"""The pipeline as containers on this machine's host network: one container per service of
tests/deployment.py (the Kubernetes base), each with the ConfigMap's environment plus only
its own addresses (:data:`deployment.PER_DEPLOYMENT`) and a few test settings, and its state
on its own volume (the store's database volume is the api's too: it reads that database).
"""

from __future__ import annotations

import socket
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from deployment import ServiceSpec, environment_for, services
from podman import Podman
from prometheus_client.parser import text_string_to_metric_families

# Test settings the ConfigMap does not set: the feed site is on 127.0.0.1 (the SSRF guard
# lets it through), first polls at once, no article fetches (no traffic beyond this machine),
# small batches (a SIGTERM finds a batch in flight, and its drain is short).
TEST_SETTINGS = {
    "NEWSWIRE_FETCH_ALLOW_NETWORKS": "127.0.0.1/32",
    "NEWSWIRE_POLL_FIRST_SPREAD_S": "0",
    "NEWSWIRE_ENRICH_FULLTEXT": "false",
    "NEWSWIRE_CONSUMER_MAX_BATCH": "50",
}
DATA = "/var/lib/newswire"  # the image's data directory, where each volume is mounted
STORE_URL = f"sqlite:///{DATA}/newswire.db"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@dataclass
class Stack:
    """The services of one test run, on ``bootstrap`` with topics ``<prefix>.*``."""

    podman: Podman
    image: str
    bootstrap: str
    prefix: str
    redis_url: str = "redis://127.0.0.1:6390/0"
    specs: dict[str, ServiceSpec] = field(default_factory=services)
    ports: dict[str, int] = field(default_factory=dict)
    names: dict[str, str] = field(default_factory=dict)
    volumes: dict[str, Path] = field(default_factory=dict)

    def env(self, port: int) -> dict[str, str]:
        """One container's environment: the ConfigMap's, with this machine's addresses."""
        return environment_for(
            {
                "NEWSWIRE_KAFKA_BOOTSTRAP": self.bootstrap,
                "NEWSWIRE_REDIS_URL": self.redis_url,
                "NEWSWIRE_STORE_URL": STORE_URL,
                "NEWSWIRE_TOPIC_PREFIX": self.prefix,
                "NEWSWIRE_TOPIC_PARTITIONS": "3",
                "NEWSWIRE_TOPIC_REPLICATION_FACTOR": "1",
                "NEWSWIRE_HEALTH_HOST": "127.0.0.1",
                "NEWSWIRE_HEALTH_PORT": str(port),
                **TEST_SETTINGS,
            }
        )

    def options(self, port: int, volume: str | None = None) -> list[str]:
        out = ["--network", "host", "--health-interval", "disable"]
        for key, value in sorted(self.env(port).items()):
            out += ["--env", f"{key}={value}"]
        if volume:
            out += ["--volume", f"{self.podman.prefix}-{volume}:{DATA}"]
        return out

    def once(self, name: str, command: list[str], *mounts: str) -> str:
        """A one-off command in a container (``mounts``: podman ``--volume`` values)."""
        extra = [arg for m in mounts for arg in ("--volume", m)]
        return self.podman.once(name, self.image, [*self.options(0), *extra], command)

    def start(self, name: str) -> str:
        """Start service ``name`` on a free port, its volume created first (the api shares
        the store's)."""
        spec = self.specs[name]
        volume = "store" if name in ("store", "api") else name
        if volume not in self.volumes:
            self.volumes[volume] = self.podman.volume(volume)
        port = self.ports[name] = free_port()
        command = list(spec.command_on("127.0.0.1", port))
        self.names[name] = self.podman.run(name, self.image, self.options(port, volume), command)
        return self.names[name]

    def url(self, name: str, path: str) -> str:
        return f"http://127.0.0.1:{self.ports[name]}{path}"

    def wait_ready(self, name: str, timeout_s: float = 120.0) -> float:
        """Wait until ``name`` answers ``/readyz`` with 200; the seconds it took."""
        started = time.monotonic()
        while time.monotonic() - started < timeout_s:
            status = self.podman.status(self.names[name])
            if status not in ("running", "created"):
                raise AssertionError(f"{name} is {status}:\n{self.podman.logs(self.names[name])}")
            try:
                if httpx.get(self.url(name, "/readyz"), timeout=5).status_code == 200:
                    return time.monotonic() - started
            except httpx.TransportError:
                pass
            time.sleep(0.5)  # polling a starting service: no event to wait on
        raise AssertionError(f"{name} not ready after {timeout_s} s")

    def metrics(self, name: str) -> dict[str, float]:
        """``name``'s /metrics as {sample name{labels}: value}."""
        text = httpx.get(self.url(name, "/metrics"), timeout=10).text
        out = {}
        for family in text_string_to_metric_families(text):
            for sample in family.samples:
                labels = ",".join(f"{k}={v}" for k, v in sorted(sample.labels.items()))
                out[f"{sample.name}{{{labels}}}"] = sample.value
        return out

    def api_items(self) -> list[dict[str, object]]:
        """Every stored item, read through the api container's ``/items`` pages."""
        items: list[dict[str, object]] = []
        cursor = ""
        while True:
            params = {"limit": "100", **({"cursor": cursor} if cursor else {})}
            page = httpx.get(self.url("api", "/items"), params=params, timeout=30).json()
            items += page["items"]
            cursor = page["next_cursor"] or ""
            if not cursor:
                return items


def total(metrics: dict[str, float], prefix: str) -> float:
    """The sum of the samples whose name{labels} starts with ``prefix``."""
    return sum(v for k, v in metrics.items() if k.startswith(prefix))
