"""A whole pipeline running in this process on the demo site, for the observability
tests: the metric-existence check and the real-Prometheus scrape.

``live_pipeline`` starts every service (``run_pipeline`` without ``until_idle``, so the
health server stays up), serves the generated demo feeds on 127.0.0.1 and yields where
``/metrics`` is served. ``wait_until_stored`` polls ``/metrics`` (with a deadline) until
the store stage reports every unique demo item stored; it raises if the pipeline task died.

Also here: the parsers both checks share, ``exposed_names`` (the sample names a
``/metrics`` text can carry, from its ``# TYPE`` lines, so a labelled metric whose labels
were never used still counts) and ``referenced_names`` (every ``newswire_*`` name used by
a Grafana panel or a Prometheus rule under deploy/).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import socket
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import yaml
from promql import expressions

from newswire.app.demo import FeedServer, generate_site
from newswire.app.pipeline import run_pipeline
from newswire.settings import Settings

REPO = Path(__file__).resolve().parents[2]
DEPLOY = REPO / "deploy"
STORED = ("newswire_stage_records_total", {"stage": "store", "outcome": "stored"})
_NAME = re.compile(r"\bnewswire_[a-zA-Z0-9_]+")
_TYPE = re.compile(r"^# TYPE (\S+) (\S+)$", re.MULTILINE)
_SAMPLE = re.compile(r"^(\w+)(?:\{(.*)\})? (\S+)$")
_LABEL = re.compile(r'(\w+)="((?:[^"\\]|\\.)*)"')


@dataclass
class LivePipeline:
    metrics_url: str
    host_port: str
    expected_items: int
    task: asyncio.Task[Any]

    async def scrape(self) -> str:
        async with httpx.AsyncClient(timeout=5, trust_env=False) as client:
            response = await client.get(self.metrics_url)
            response.raise_for_status()
            return response.text

    async def wait_until_stored(self, deadline_s: float = 25.0) -> str:
        """Poll /metrics until every unique demo item is stored; return that scrape."""
        end = time.monotonic() + deadline_s
        text = ""
        while time.monotonic() < end:
            if self.task.done():
                self.task.result()  # raises what killed the pipeline
                raise AssertionError("the pipeline stopped before storing the demo items")
            with contextlib.suppress(httpx.ConnectError):  # not listening yet: still starting
                text = await self.scrape()
            if sample_value(text, *STORED) == self.expected_items:
                return text
            await asyncio.sleep(0.2)
        raise AssertionError(
            f"stored {sample_value(text, *STORED)} of {self.expected_items} items "
            f"within {deadline_s} s"
        )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextlib.asynccontextmanager
async def live_pipeline(
    settings: Settings, workdir: Path, seed: int = 11
) -> AsyncIterator[LivePipeline]:
    """Every service in this process on the demo site; stopped (drained) on exit."""
    site = generate_site(seed=seed)
    with FeedServer() as server:
        server.add_site(site)
        opml = workdir / "feeds.opml"
        opml.write_bytes(site.opml(server.base_url))
        port = free_port()
        # Poll every demo feed at once (the producer spreads first polls over a minute).
        settings = settings.model_copy(update={"health_port": port, "poll_first_spread_s": 0.0})
        stop = asyncio.Event()
        task = asyncio.create_task(run_pipeline(settings, feeds_file=opml, stop=stop))
        try:
            yield LivePipeline(
                metrics_url=f"http://127.0.0.1:{port}/metrics",
                host_port=f"127.0.0.1:{port}",
                expected_items=len(site.unique_links()),
                task=task,
            )
        finally:
            stop.set()
            await asyncio.wait_for(task, timeout=30)


def samples(text: str) -> Iterator[tuple[str, dict[str, str], float]]:
    """(name, labels, value) of every sample line in a /metrics text."""
    for line in text.splitlines():
        match = _SAMPLE.match(line)
        if match:
            labels = dict(_LABEL.findall(match.group(2) or ""))
            yield match.group(1), labels, float(match.group(3))


def sample_value(text: str, name: str, labels: dict[str, str]) -> float | None:
    """The value of the sample ``name`` with exactly ``labels``, or None."""
    for got_name, got_labels, value in samples(text):
        if got_name == name and got_labels == labels:
            return value
    return None


def exposed_names(text: str) -> set[str]:
    """Every sample name the families in a /metrics text can expose."""
    names: set[str] = set()
    for family, kind in _TYPE.findall(text):
        if kind == "histogram":
            names |= {f"{family}_bucket", f"{family}_sum", f"{family}_count"}
        elif kind == "summary":
            names |= {family, f"{family}_sum", f"{family}_count"}
        elif kind == "counter" and not family.endswith("_total"):
            names.add(f"{family}_total")
        else:
            names.add(family)
    return names


def referenced_names() -> dict[str, set[str]]:
    """{deploy file: the newswire_* names its panels or rules query}."""
    files = sorted((DEPLOY / "grafana").rglob("*.json"))
    files += sorted((DEPLOY / "prometheus").glob("*.yml"))
    refs: dict[str, set[str]] = {}
    for path in files:
        doc = (
            json.loads(path.read_text())
            if path.suffix == ".json"
            else yaml.safe_load(path.read_text())
        )
        names = {name for expr in expressions(doc) for name in _NAME.findall(expr)}
        refs[str(path.relative_to(REPO))] = names
    return refs
