"""Grafana provisioning: the datasource and dashboard providers load what
deploy/compose.yaml mounts, and every panel queries the provisioned Prometheus by uid.
(The metric names the panels use are checked against a running pipeline in
tests/integration/test_metrics_contract.py.)
"""

from __future__ import annotations

import json
from pathlib import Path

import yaml

GRAFANA = Path(__file__).resolve().parents[2] / "deploy" / "grafana"


def test_panels_use_the_provisioned_datasource_and_the_provider_finds_the_dashboards() -> None:
    (source,) = yaml.safe_load((GRAFANA / "provisioning/datasources/prometheus.yml").read_text())[
        "datasources"
    ]
    assert source["type"] == "prometheus"
    (provider,) = yaml.safe_load((GRAFANA / "provisioning/dashboards/newswire.yml").read_text())[
        "providers"
    ]
    compose = yaml.safe_load((GRAFANA.parent / "compose.yaml").read_text())
    mounts = dict(v.split(":")[:2] for v in compose["services"]["grafana"]["volumes"])
    assert mounts["./grafana/dashboards"] == provider["options"]["path"]
    dashboards = sorted((GRAFANA / "dashboards").glob("*.json"))
    assert dashboards
    uids = set()
    for path in dashboards:
        dashboard = json.loads(path.read_text())
        uids.add(dashboard["uid"])
        for panel in dashboard["panels"]:
            if panel["type"] == "row":
                continue
            assert panel["datasource"]["uid"] == source["uid"], panel["title"]
            assert panel["targets"], panel["title"]
            for target in panel["targets"]:
                assert target["datasource"]["uid"] == source["uid"], panel["title"]
                assert target["expr"].count("(") == target["expr"].count(")"), panel["title"]
    assert len(uids) == len(dashboards), "dashboard uids must be unique"
