"""The subset of ``kustomize build`` that deploy/k8s uses, so the tests can render and
validate the overlays without the kustomize binary (no registry ships one for Python 3.11).

Supported kustomization keys: ``resources`` (files and directories holding a
kustomization), ``namespace``, ``commonLabels``, ``images`` and ``patches`` (``path:``
entries, strategic merge onto the resource with the patch's kind and name). Any other key
raises ``KustomizeError``, so a manifest using more than this subset fails the tests
instead of rendering wrong. Strategic merge here: maps merge recursively; lists whose items
are all maps with a ``name`` (containers, volumes, env, ports) merge by name; other lists and
scalars are replaced.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import yaml

Obj = dict[str, Any]
SUPPORTED = {"apiVersion", "kind", "resources", "namespace", "commonLabels", "images", "patches"}
CLUSTER_SCOPED = {"Namespace", "ClusterRole", "ClusterRoleBinding", "CustomResourceDefinition"}
# Where commonLabels also go, besides metadata.labels (as kustomize's default config does).
SELECTOR_PATHS = {
    "Deployment": [("spec", "selector", "matchLabels"), ("spec", "template", "metadata", "labels")],
    "StatefulSet": [
        ("spec", "selector", "matchLabels"),
        ("spec", "template", "metadata", "labels"),
    ],
    "PodDisruptionBudget": [("spec", "selector", "matchLabels")],
    "Service": [("spec", "selector")],
}


class KustomizeError(Exception):
    """The kustomization uses something outside the subset, or a patch has no target."""


def build(directory: Path) -> list[Obj]:
    """Render the kustomization in ``directory`` like ``kustomize build`` would."""
    path = directory / "kustomization.yaml"
    spec: Obj = yaml.safe_load(path.read_text())
    unknown = set(spec) - SUPPORTED
    if unknown:
        raise KustomizeError(f"{path}: unsupported keys {sorted(unknown)}")
    objects: list[Obj] = []
    for entry in spec.get("resources", []):
        target = directory / entry
        if target.is_dir():
            objects += build(target)
        else:
            objects += [d for d in yaml.safe_load_all(target.read_text()) if d]
    for patch_entry in spec.get("patches", []):
        if set(patch_entry) != {"path"}:
            raise KustomizeError(f"{path}: only `path:` patches are supported: {patch_entry}")
        for patch in yaml.safe_load_all((directory / patch_entry["path"]).read_text()):
            if patch:
                _apply_patch(objects, patch, patch_entry["path"])
    if "namespace" in spec:
        for obj in objects:
            if obj["kind"] not in CLUSTER_SCOPED:
                obj["metadata"]["namespace"] = spec["namespace"]
    for obj in objects:
        _add_labels(obj, spec.get("commonLabels", {}))
        for image in spec.get("images", []):
            _set_image(obj, image)
    return objects


def strategic_merge(base: Any, patch: Any) -> Any:
    """``patch`` merged onto ``base`` (neither is modified)."""
    if isinstance(base, dict) and isinstance(patch, dict):
        merged = copy.deepcopy(base)
        for key, value in patch.items():
            merged[key] = strategic_merge(base[key], value) if key in base else copy.deepcopy(value)
        return merged
    if isinstance(base, list) and isinstance(patch, list) and _named(base) and _named(patch):
        merged_list = copy.deepcopy(base)
        index = {item["name"]: i for i, item in enumerate(merged_list)}
        for item in patch:
            if item["name"] in index:
                i = index[item["name"]]
                merged_list[i] = strategic_merge(merged_list[i], item)
            else:
                merged_list.append(copy.deepcopy(item))
        return merged_list
    return copy.deepcopy(patch)


def _named(items: list[Any]) -> bool:
    return all(isinstance(item, dict) and "name" in item for item in items)


def _apply_patch(objects: list[Obj], patch: Obj, source: str) -> None:
    for i, obj in enumerate(objects):
        if obj["kind"] == patch["kind"] and obj["metadata"]["name"] == patch["metadata"]["name"]:
            objects[i] = strategic_merge(obj, patch)
            return
    raise KustomizeError(f"{source}: no {patch['kind']} {patch['metadata']['name']} to patch")


def _add_labels(obj: Obj, labels: dict[str, str]) -> None:
    if not labels:
        return
    paths = [("metadata", "labels"), *SELECTOR_PATHS.get(obj["kind"], [])]
    for path in paths:
        node = obj
        for key in path:
            node = node.setdefault(key, {})
        node.update(labels)


def _set_image(obj: Obj, image: dict[str, str]) -> None:
    pod = obj.get("spec", {}).get("template", {}).get("spec", {})
    for container in pod.get("containers", []) + pod.get("initContainers", []):
        name, _, tag = container["image"].partition(":")
        if name != image["name"]:
            continue
        name = image.get("newName", name)
        tag = image.get("newTag", tag)
        container["image"] = f"{name}:{tag}" if tag else name
