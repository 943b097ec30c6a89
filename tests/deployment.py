"""The newswire services as deployed, read from one source: the Kubernetes base
(deploy/k8s/base). Each Deployment gives a service's command (its container args) and its
port (the one its probes and the Prometheus scrape use); the ConfigMap ``newswire-config``
gives the environment every service gets. The container test (tests/containers) runs exactly
these, and the compose file is checked against them (tests/deploy/test_compose.py), so the
three cannot drift.

A deployment sets for itself only where things are and how big they are
(:data:`PER_DEPLOYMENT`): the Kafka bootstrap, Redis, the store, topic names and sizes, and
where the health server listens (on one machine's host network every container needs its own
port, on 127.0.0.1). It may add
settings the ConfigMap does not name; it may not change one the ConfigMap sets
(:func:`environment_for` refuses).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import yaml
from paths import REPO

K8S_BASE = REPO / "deploy" / "k8s" / "base"
CONFIGMAP = "newswire-config"
PER_DEPLOYMENT = frozenset(
    {
        "NEWSWIRE_KAFKA_BOOTSTRAP",
        "NEWSWIRE_REDIS_URL",
        "NEWSWIRE_STORE_URL",
        "NEWSWIRE_TOPIC_PREFIX",
        "NEWSWIRE_TOPIC_PARTITIONS",
        "NEWSWIRE_TOPIC_REPLICATION_FACTOR",
        "NEWSWIRE_HEALTH_HOST",
        "NEWSWIRE_HEALTH_PORT",
    }
)


@dataclass(frozen=True)
class ServiceSpec:
    """One service: ``name`` (producer, dedup, enrich, store, api), the container's
    ``command`` (the image's entrypoint is ``newswire``) and the ``port`` its probes and
    ``/metrics`` answer on."""

    name: str
    command: tuple[str, ...]
    port: int

    def command_on(self, host: str, port: int) -> tuple[str, ...]:
        """The command with the service's own ``--host`` and ``--port`` (the api's) set."""
        args = list(self.command)
        for option, value in (("--host", host), ("--port", str(port))):
            if option in args:
                args[args.index(option) + 1] = value
        return tuple(args)


def _base_objects() -> list[dict[str, Any]]:
    kustomization = yaml.safe_load((K8S_BASE / "kustomization.yaml").read_text())
    objects: list[dict[str, Any]] = []
    for resource in kustomization["resources"]:
        objects += [o for o in yaml.safe_load_all((K8S_BASE / resource).read_text()) if o]
    return objects


def environment() -> dict[str, str]:
    """The ConfigMap's environment: what every service gets in every deployment."""
    for obj in _base_objects():
        if obj["kind"] == "ConfigMap" and obj["metadata"]["name"] == CONFIGMAP:
            return {str(k): str(v) for k, v in obj["data"].items()}
    raise LookupError(f"no ConfigMap {CONFIGMAP} in {K8S_BASE}")


def shared_environment() -> dict[str, str]:
    """The part of :func:`environment` no deployment may change."""
    return {k: v for k, v in environment().items() if k not in PER_DEPLOYMENT}


def services() -> dict[str, ServiceSpec]:
    """Every service, by name, from its Deployment (``newswire-<name>``)."""
    out = {}
    for obj in _base_objects():
        if obj["kind"] != "Deployment":
            continue
        (container,) = obj["spec"]["template"]["spec"]["containers"]
        probe_port = container["readinessProbe"]["httpGet"]["port"]
        ports = {p["name"]: int(p["containerPort"]) for p in container["ports"]}
        name = obj["metadata"]["name"].removeprefix("newswire-")
        out[name] = ServiceSpec(name, tuple(container["args"]), ports[probe_port])
    return out


def environment_for(overrides: dict[str, str]) -> dict[str, str]:
    """:func:`environment` with ``overrides``: values of :data:`PER_DEPLOYMENT` keys, or
    settings the ConfigMap does not set. ValueError for any other change."""
    base = environment()
    changed = {k for k, v in overrides.items() if k in base and base[k] != v}
    if forbidden := changed - PER_DEPLOYMENT:
        raise ValueError(f"a deployment may not change {sorted(forbidden)}: set them in {K8S_BASE}")
    return {**base, **overrides}
