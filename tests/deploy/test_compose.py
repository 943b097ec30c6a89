"""deploy/compose.yaml, validated without a Docker engine: against the Compose
Specification JSON schema (the copy check-jsonschema ships, Apache-2.0), then structurally:
every service the stack needs is there with a healthcheck, the newswire services run the
commands the CLI has, and every file the stack mounts exists in the repository.

The newswire services are the ones the container test runs (tests/deployment.py: the
Kubernetes base is the one source): the same commands, ports and shared environment. The
file is not run here: its Kafka, PostgreSQL, Redis, Prometheus and Grafana images come from
Docker Hub, which this machine cannot reach, and Debian's podman-compose (1.0.3) has no
``config`` command and creates volumes and networks even with ``--dry-run``.
"""

from __future__ import annotations

import importlib.resources
import json
from pathlib import Path
from typing import Any

import check_jsonschema.builtin_schemas.vendor as vendored
import jsonschema
import pytest
import yaml
from deployment import PER_DEPLOYMENT, services, shared_environment

from newswire.app.pipeline import SERVICES

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
COMPOSE = DEPLOY / "compose.yaml"
NEWSWIRE = {*SERVICES, "api"}
INFRA = {"kafka", "postgres", "redis", "prometheus", "grafana"}


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    doc: dict[str, Any] = yaml.safe_load(COMPOSE.read_text())
    return doc


def compose_schema() -> dict[str, Any]:
    text = (importlib.resources.files(vendored) / "compose-spec.json").read_text()
    schema: dict[str, Any] = json.loads(text)
    return schema


def test_compose_file_validates_against_the_compose_specification(
    compose: dict[str, Any],
) -> None:
    schema = compose_schema()
    validator = jsonschema.validators.validator_for(schema)(schema)
    errors = [f"{'/'.join(map(str, e.path))}: {e.message}" for e in validator.iter_errors(compose)]
    assert not errors, errors
    broken = json.loads(json.dumps(compose))
    broken["services"]["dedup"]["healthcheck"]["interval"] = ["15s"]
    assert list(validator.iter_errors(broken)), "the schema must reject a malformed file"


def test_every_service_is_there_with_a_healthcheck(compose: dict[str, Any]) -> None:
    services = compose["services"]
    assert set(services) >= NEWSWIRE | INFRA
    for name in NEWSWIRE | INFRA:
        check = services[name].get("healthcheck", {})
        assert check.get("test") and not check.get("disable"), f"{name} has no healthcheck"
    for name in SERVICES:
        assert services[name]["command"] == ["serve", name]
        assert services[name]["build"]["dockerfile"] == "deploy/Dockerfile"
        assert "9400/readyz" in " ".join(services[name]["healthcheck"]["test"])
    assert services["api"]["command"][0] == "api"


def test_kafka_runs_in_kraft_mode_and_the_services_point_at_it(compose: dict[str, Any]) -> None:
    services = compose["services"]
    kafka = services["kafka"]
    assert kafka["image"].startswith("apache/kafka:")
    assert kafka["environment"]["KAFKA_PROCESS_ROLES"] == "broker,controller"
    for name in NEWSWIRE:
        env = services[name]["environment"]
        assert env["NEWSWIRE_KAFKA_BOOTSTRAP"] == "kafka:9092"
        assert env["NEWSWIRE_STORE_URL"].startswith("postgresql://")
        assert env["NEWSWIRE_HEALTH_HOST"] == "0.0.0.0"
        assert services[name]["depends_on"]["kafka"]["condition"] == "service_healthy"


def test_everything_mounted_exists_and_prometheus_scrapes_every_service(
    compose: dict[str, Any],
) -> None:
    for name, service in compose["services"].items():
        for volume in service.get("volumes", []):
            source = volume.split(":")[0]
            if source.startswith("."):
                assert (DEPLOY / source).exists(), f"{name} mounts missing {source}"
    mounts = {v.split(":")[1] for v in compose["services"]["prometheus"]["volumes"]}
    assert "/etc/prometheus/rules.yml" in mounts
    grafana = {v.split(":")[1] for v in compose["services"]["grafana"]["volumes"]}
    assert {"/etc/grafana/provisioning", "/var/lib/grafana/dashboards"} <= grafana
    config = yaml.safe_load((DEPLOY / "prometheus" / "prometheus.yml").read_text())
    targets = {
        t for job in config["scrape_configs"] for sc in job["static_configs"] for t in sc["targets"]
    }
    assert targets == {f"{name}:9400" for name in SERVICES}


def test_the_services_are_the_deployed_ones_with_the_shared_environment(
    compose: dict[str, Any],
) -> None:
    shared = shared_environment()
    assert shared, "the ConfigMap shares nothing"
    for name, spec in services().items():
        service = compose["services"][name]
        assert service["command"] == list(spec.command), name
        assert f"{spec.port}/readyz" in " ".join(service["healthcheck"]["test"]), name
        env = service["environment"]
        assert {k: env.get(k) for k in shared} == shared, f"{name} differs from the ConfigMap"
        local = {k for k in env if k in PER_DEPLOYMENT}
        assert "NEWSWIRE_KAFKA_BOOTSTRAP" in local, name
