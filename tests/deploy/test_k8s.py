"""The Kubernetes manifests: the base and the production overlay are rendered
(tests/deploy/kustomize_lite.py) and every object is validated against the Kubernetes
schemas shipped by kubernetes-validate (strict: unknown fields are errors). KEDA's
ScaledObject is a CRD those schemas lack: it is checked structurally, against the code's
own consumer groups and topics.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
from kustomize_lite import KustomizeError, build, strategic_merge

from newswire.app.pipeline import SERVICES
from newswire.app.stages import STAGES
from newswire.settings import Settings, Topics

K8S = Path(__file__).resolve().parents[2] / "deploy" / "k8s"
KUBERNETES_VERSION = "1.31.0"
OVERLAYS = {"base": K8S / "base", "production": K8S / "overlays" / "production"}
# Settings the manifests set that other areas are adding (dedup's shared seen-store).
PENDING_SETTINGS = {"NEWSWIRE_REDIS_URL"}


@pytest.fixture(scope="module", params=sorted(OVERLAYS))
def rendered(request: pytest.FixtureRequest) -> list[dict[str, Any]]:
    objects = build(OVERLAYS[request.param])
    assert objects, f"{request.param} renders nothing"
    return objects


def of_kind(objects: list[dict[str, Any]], kind: str) -> dict[str, dict[str, Any]]:
    return {o["metadata"]["name"]: o for o in objects if o["kind"] == kind}


def test_every_core_object_validates_against_the_kubernetes_schemas(
    rendered: list[dict[str, Any]],
) -> None:
    for obj in rendered:
        if obj["apiVersion"].startswith("keda.sh/"):
            continue  # a CRD: checked structurally below
        try:
            kubernetes_validate.validate(obj, KUBERNETES_VERSION, strict=True)
        except kubernetes_validate.ValidationError as exc:
            pytest.fail(f"{obj['kind']} {obj['metadata']['name']}: {exc.message} at {exc.path}")


def test_one_deployment_per_service_with_probes_resources_and_scraping(
    rendered: list[dict[str, Any]],
) -> None:
    deployments = of_kind(rendered, "Deployment")
    assert set(deployments) == {f"newswire-{s}" for s in (*SERVICES, "api")}
    pdbs = of_kind(rendered, "PodDisruptionBudget")
    for name, dep in deployments.items():
        template = dep["spec"]["template"]
        labels = template["metadata"]["labels"]
        assert dep["spec"]["selector"]["matchLabels"].items() <= labels.items(), name
        (container,) = template["spec"]["containers"]
        ports = {p["name"]: p["containerPort"] for p in container["ports"]}
        for probe, path in (("livenessProbe", "/livez"), ("readinessProbe", "/readyz")):
            assert container[probe]["httpGet"]["path"] == path, f"{name} {probe}"
            assert container[probe]["httpGet"]["port"] in ports, f"{name} {probe} port"
        assert container["resources"]["requests"]["cpu"], name
        assert container["resources"]["limits"]["memory"], name
        assert container["image"].startswith("ghcr.io/newswire/newswire:"), name
        service = name.removeprefix("newswire-")
        expected_args = ["serve", service] if service in SERVICES else ["api"]
        assert container["args"][: len(expected_args)] == expected_args, name
        assert template["spec"]["securityContext"]["runAsNonRoot"] is True, name
        annotations = template["metadata"]["annotations"]
        assert annotations["prometheus.io/scrape"] == "true", name
        assert int(annotations["prometheus.io/port"]) in ports.values(), name
        assert name in pdbs, f"{name} has no PodDisruptionBudget"
        assert pdbs[name]["spec"]["selector"]["matchLabels"].items() <= labels.items(), name
        refs = {e["configMapRef"]["name"] for e in container["envFrom"] if "configMapRef" in e}
        assert refs <= set(of_kind(rendered, "ConfigMap")), name


def test_the_configmap_holds_valid_settings(rendered: list[dict[str, Any]]) -> None:
    data = of_kind(rendered, "ConfigMap")["newswire-config"]["data"]
    known = {f"NEWSWIRE_{field.upper()}" for field in Settings.model_fields}
    assert set(data) - known <= PENDING_SETTINGS, set(data) - known - PENDING_SETTINGS
    settings = Settings(**{k.removeprefix("NEWSWIRE_").lower(): v for k, v in data.items()})
    assert settings.health_host == "0.0.0.0"
    assert settings.log_format == "json"


def test_keda_scales_every_consuming_stage_on_its_own_lag(
    rendered: list[dict[str, Any]],
) -> None:
    config = of_kind(rendered, "ConfigMap")["newswire-config"]["data"]
    topics = Topics(config["NEWSWIRE_TOPIC_PREFIX"])
    partitions = int(config["NEWSWIRE_TOPIC_PARTITIONS"])
    scaled = of_kind(rendered, "ScaledObject")
    deployments = of_kind(rendered, "Deployment")
    assert set(scaled) == {f"newswire-{s.name}" for s in STAGES}
    for spec in STAGES:
        obj = scaled[f"newswire-{spec.name}"]
        assert obj["apiVersion"] == "keda.sh/v1alpha1"
        assert set(obj["spec"]) <= {
            "scaleTargetRef", "minReplicaCount", "maxReplicaCount", "pollingInterval",
            "cooldownPeriod", "triggers", "advanced", "fallback", "idleReplicaCount",
        }  # fmt: skip
        assert obj["spec"]["scaleTargetRef"]["name"] in deployments
        assert "replicas" not in deployments[obj["spec"]["scaleTargetRef"]["name"]]["spec"]
        assert 1 <= obj["spec"]["minReplicaCount"] <= obj["spec"]["maxReplicaCount"]
        assert obj["spec"]["maxReplicaCount"] <= partitions, "more replicas than partitions idle"
        (trigger,) = obj["spec"]["triggers"]
        assert trigger["type"] == "kafka"
        meta = trigger["metadata"]
        assert meta["consumerGroup"] == topics.group(spec.name)
        assert meta["topic"] == spec.input_topic(topics)
        assert int(meta["lagThreshold"]) > 0
        assert meta["bootstrapServers"] == config["NEWSWIRE_KAFKA_BOOTSTRAP"]


def test_the_production_overlay_changes_what_it_says() -> None:
    base = build(OVERLAYS["base"])
    prod = build(OVERLAYS["production"])
    assert all(
        o["metadata"].get("namespace") == "newswire" for o in prod if o["kind"] != "Namespace"
    )
    assert "Namespace" in {o["kind"] for o in prod}
    enrich = of_kind(prod, "Deployment")["newswire-enrich"]["spec"]["template"]["spec"]
    assert enrich["containers"][0]["resources"]["requests"]["cpu"] == "1"
    assert enrich["containers"][0]["readinessProbe"]["httpGet"]["path"] == "/readyz"  # kept
    assert enrich["topologySpreadConstraints"]
    assert of_kind(prod, "ScaledObject")["newswire-store"]["spec"]["minReplicaCount"] == 2
    assert of_kind(base, "ScaledObject")["newswire-store"]["spec"]["minReplicaCount"] == 1
    for obj in prod:
        assert obj["metadata"]["labels"]["app.kubernetes.io/part-of"] == "newswire"


def test_the_renderer_merges_containers_by_name_and_refuses_what_it_cannot_do(
    tmp_path: Path,
) -> None:
    base = {"containers": [{"name": "a", "image": "x", "args": ["1"]}, {"name": "b"}]}
    patch = {"containers": [{"name": "a", "args": ["2"]}, {"name": "c"}]}
    merged = strategic_merge(base, patch)
    assert merged["containers"] == [
        {"name": "a", "image": "x", "args": ["2"]},
        {"name": "b"},
        {"name": "c"},
    ]
    (tmp_path / "kustomization.yaml").write_text("namePrefix: x-\n")
    with pytest.raises(KustomizeError, match="namePrefix"):
        build(tmp_path)
    (tmp_path / "kustomization.yaml").write_text("patches:\n  - path: p.yaml\n")
    (tmp_path / "p.yaml").write_text("kind: Deployment\nmetadata:\n  name: nope\n")
    with pytest.raises(KustomizeError, match="no Deployment nope"):
        build(tmp_path)
