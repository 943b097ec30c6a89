"""The metrics contract (DESIGN.md, Observability), checked on a running pipeline.

Every ``newswire_*`` name a Grafana panel or a Prometheus rule under deploy/ queries must be
exposed by a running pipeline's ``/metrics`` (families are read from the ``# TYPE`` lines, so
labelled metrics count before their first label value is used). The live scrape also keeps
the naming rules: the ``newswire_`` prefix, counters ending in ``_total``, and no unbounded
label (a URL, a feed or an item id).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from live_pipeline import (
    DEPLOY,
    exposed_names,
    live_pipeline,
    referenced_names,
    samples,
)
from prometheus_client import generate_latest

from newswire.metrics import Metrics
from newswire.settings import Settings

# Labels that would carry one series per feed, item or URL: never allowed (DESIGN.md).
UNBOUNDED_LABELS = {"url", "feed", "feed_url", "feed_id", "item", "item_id", "link", "id", "title"}

PANELS = {
    "Stored items": "max(newswire_store_items)",  # the store's count: survives restarts
    "Fetch outcomes": "newswire_fetches_total",
    "304 ratio": "newswire_fetches_total",
    "Items/s per stage": "newswire_stage_records_total",
    "Consumer lag": "newswire_consumer_lag_records",
    "Freshness p50 / p99": "newswire_freshness_seconds_bucket",
    "DLQ rate": "newswire_dlq_records_total",
    "Dedup mix": "newswire_stage_records_total",
    "Feed health": "newswire_feeds",
}


def test_the_dashboard_has_the_panels_operators_need() -> None:
    dashboard = json.loads((DEPLOY / "grafana" / "dashboards" / "newswire.json").read_text())
    panels = {p["title"]: p for p in dashboard["panels"] if p["type"] != "row"}
    for title, metric in PANELS.items():
        assert title in panels, f"no panel {title!r}"
        exprs = " ".join(t["expr"] for t in panels[title]["targets"])
        assert metric in exprs, f"panel {title!r} does not query {metric}"
    ids = [p["id"] for p in dashboard["panels"]]
    assert len(ids) == len(set(ids)), "panel ids must be unique"


def test_every_deploy_file_with_queries_is_read() -> None:
    refs = referenced_names()
    assert "deploy/grafana/dashboards/newswire.json" in refs
    assert "deploy/prometheus/rules.yml" in refs
    assert "newswire_freshness_seconds_bucket" in refs["deploy/prometheus/rules.yml"]
    assert sum(len(names) for names in refs.values()) >= 10


def test_exposed_names_come_from_the_type_lines_even_without_samples() -> None:
    names = exposed_names(generate_latest(Metrics().registry).decode())
    assert "newswire_dlq_records_total" in names  # labelled, no sample yet
    assert {"newswire_freshness_seconds_bucket", "newswire_freshness_seconds_count"} <= names
    assert "newswire_freshness_seconds" not in names
    assert "newswire_no_such_metric_total" not in names


@pytest.mark.kafka
async def test_every_metric_used_by_a_panel_or_rule_exists_on_a_running_pipeline(
    kafka_settings: Settings, tmp_path: Path
) -> None:
    async with live_pipeline(kafka_settings, tmp_path) as pipeline:
        text = await pipeline.wait_until_stored()

    exposed = exposed_names(text)
    missing = {
        path: sorted(names - exposed)
        for path, names in referenced_names().items()
        if names - exposed
    }
    assert not missing, f"queried but not on /metrics: {missing}"

    for line in text.splitlines():
        if line.startswith("# TYPE "):
            _, _, name, kind = line.split()
            assert name.startswith("newswire_"), name
            if kind == "counter":
                assert name.endswith("_total"), f"counter {name} lacks _total"
            continue
    for name, labels, _ in samples(text):
        for label, value in labels.items():
            assert label not in UNBOUNDED_LABELS, f"unbounded label {label} on {name}"
            assert "://" not in value, f"a URL as a label value on {name}: {value}"
