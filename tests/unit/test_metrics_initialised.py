"""Every series the dashboard and the alert rules select exists, at 0, on services that
just started: a labelled counter whose series only appears with its first event
shows "No data" on a healthy pipeline and keeps rate() alerts (NewswireNoFetches) from
ever evaluating.

The queries are read from deploy/ itself (PromQL parsed loosely: ``newswire_*`` names and
their ``label="value"`` matchers), so a new panel or rule selecting a series no service
creates at start fails here. The services are the real ones: the producer's
``Metrics.init_producer`` and each stage's ``open`` over a temporary data dir and store.
"""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator, Iterable, Iterator
from contextlib import AsyncExitStack
from pathlib import Path
from typing import Any, cast

import pytest
import yaml
from paths import REPO
from prometheus_client import generate_latest
from prometheus_client.parser import text_string_to_metric_families
from promql import expressions

from newswire import errors
from newswire.app.stages import STAGES
from newswire.fetch import ssrf
from newswire.fetch.errors import FETCH_ERROR_OUTCOMES, HttpStatusError
from newswire.kafka.producer import EventProducer
from newswire.kafka.runner import ConsumerRunner
from newswire.metrics import Metrics
from newswire.settings import Settings, Topics

DEPLOY = REPO / "deploy"
# Series whose label values exist only at run time, with the reason.
RUNTIME_ONLY = {
    "newswire_consumer_lag_records": "its partitions are known once Kafka assigns them",
}
_SELECTOR = re.compile(r"\b(newswire_[A-Za-z0-9_]+)\s*(?:\{([^}]*)\})?")
_EQUALS = re.compile(r'([A-Za-z_]\w*)\s*=\s*"((?:[^"\\]|\\.)*)"')  # not =~, != or !~

Sample = tuple[str, dict[str, str], float]
Selector = tuple[str, dict[str, str]]


def selectors(expr: str) -> list[Selector]:
    """The ``newswire_*`` series an expression selects, with their equality matchers."""
    return [
        (name, dict(_EQUALS.findall(matchers or ""))) for name, matchers in _SELECTOR.findall(expr)
    ]


def referenced() -> dict[str, list[Selector]]:
    """{deploy file: the selectors of its panels or rules}."""
    docs: dict[str, Any] = {}
    for path in sorted((DEPLOY / "grafana" / "dashboards").glob("*.json")):
        docs[str(path.relative_to(REPO))] = json.loads(path.read_text())
    for path in sorted((DEPLOY / "prometheus").glob("*.yml")):
        docs[str(path.relative_to(REPO))] = yaml.safe_load(path.read_text())
    return {name: [s for e in expressions(doc) for s in selectors(e)] for name, doc in docs.items()}


def samples(text: str) -> list[Sample]:
    return [
        (s.name, dict(s.labels), s.value)
        for family in text_string_to_metric_families(text)
        for s in family.samples
    ]


def problems(wanted: Iterable[Selector], exposed: list[Sample]) -> list[str]:
    """What a scrape lacks: a selector with no series, or one whose series are not 0."""
    out = []
    for name, matchers in wanted:
        if name in RUNTIME_ONLY and not matchers:
            continue
        found = [
            (labels, value)
            for got, labels, value in exposed
            if got == name and matchers.items() <= labels.items()
        ]
        shown = name + json.dumps(matchers) if matchers else name
        if not found:
            out.append(f"{shown}: no series")
        out += [f"{shown}: {labels} is {value}, not 0" for labels, value in found if value]
    return out


@pytest.fixture
async def started(tmp_path: Path) -> AsyncIterator[str]:
    """The /metrics text of a producer and every stage that just started, in one registry
    (as `newswire run` has them)."""
    data = tmp_path / "data"
    settings = Settings(
        data_dir=data, store_url=f"sqlite:///{data / 'store.db'}", enrich_fulltext=False
    )
    metrics = Metrics()
    metrics.init_producer(Topics(settings.topic_prefix))  # what ProducerService does
    topics = Topics(settings.topic_prefix)
    producer = cast(EventProducer, None)  # the runners are built, never run: no Kafka here
    async with AsyncExitStack() as stack:
        for spec in STAGES:  # what run_pipeline does for each stage, short of running it
            ConsumerRunner(
                settings, metrics, await spec.open(settings, metrics, stack), producer,
                input_topic=spec.input_topic(topics), output_topic=spec.output_topic(topics),
            )  # fmt: skip
        yield generate_latest(metrics.registry).decode()


async def test_every_series_the_dashboard_and_rules_select_is_there_at_zero(started: str) -> None:
    refs = referenced()
    assert {"deploy/grafana/dashboards/newswire.json", "deploy/prometheus/rules.yml"} <= set(refs)
    exposed = samples(started)
    missing = {path: problems(wanted, exposed) for path, wanted in refs.items()}
    assert not any(missing.values()), missing


async def test_what_the_check_reads_and_that_it_catches_a_missing_series(started: str) -> None:
    rules = referenced()["deploy/prometheus/rules.yml"]
    assert ("newswire_fetches_total", {}) in rules
    assert ("newswire_feeds", {"state": "failing"}) in rules
    assert ("newswire_feeds", {}) in rules  # state!="paused": not an equality matcher
    assert (
        "newswire_freshness_seconds_bucket",
        {"span": "fetched_to_store"},  # and le=~...: a regex, left out
    ) in rules
    exposed = samples(started)
    assert problems([("newswire_dlq_records_total", {"reason": "no_such_reason"})], exposed) == [
        'newswire_dlq_records_total{"reason": "no_such_reason"}: no series'
    ]
    assert problems([("newswire_no_such_metric_total", {})], exposed) == [
        "newswire_no_such_metric_total: no series"
    ]
    assert problems([("newswire_build_info", {})], exposed)  # 1, not 0
    # The error series of the issue: DLQ, retries and fetch failures, per stage, at 0.
    for stage in ("dedup", "enrich", "store"):
        wanted = [
            ("newswire_dlq_records_total", {"stage": stage, "reason": "undecodable"}),
            ("newswire_stage_retries_total", {"stage": stage}),
            ("newswire_records_consumed_total", {"stage": stage}),
        ]
        assert not problems(wanted, exposed), stage
    fetches = [("newswire_fetches_total", {"outcome": o}) for o in ("ok", "timeout", "blocked")]
    assert not problems(fetches, exposed)


def test_label_sets_match_the_code_that_uses_them() -> None:
    def subclasses(cls: type) -> Iterator[type]:
        for sub in cls.__subclasses__():
            yield sub
            yield from subclasses(sub)

    outcomes = {
        sub.__dict__["outcome"]
        for sub in subclasses(errors.FetchError)
        if isinstance(sub.__dict__.get("outcome"), str)
    }
    outcomes |= {
        HttpStatusError(status, "https://x.example/").outcome for status in (404, 429, 503)
    }
    assert ssrf.BlockedAddress.outcome in outcomes
    assert outcomes == set(FETCH_ERROR_OUTCOMES)
