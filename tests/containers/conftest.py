"""Fixtures of the container test (``make container-test``): the image, built once per run
with deploy/image.sh; the demo feed site on 127.0.0.1; the pipeline as containers.

Tests marked ``container`` run only when the ``-m`` expression names ``container``: plain
``pytest`` and ``make test`` deselect them (they need podman and build an image, minutes).
Whatever a run creates (containers, volumes, image tags, the images its build left, topics)
is removed at its end, also when it fails; container logs are kept in
.local/container-test/logs/.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from paths import REPO
from podman import IMAGE_SH, Podman
from run_figures import OUT, SUMMARY, note
from stack import Stack

from newswire.app.demo import FeedServer
from newswire.kafka.topics import delete_topics, list_topics


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "container: builds the image and runs the pipeline in containers (podman)"
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Deselect ``container`` tests unless the ``-m`` expression names them."""
    if "container" in (config.option.markexpr or ""):
        return
    deselected = [i for i in items if i.get_closest_marker("container")]
    if deselected:
        config.hook.pytest_deselected(items=deselected)
        items[:] = [i for i in items if i not in deselected]


def _image_sh(*args: str, env: dict[str, str]) -> tuple[float, str]:
    started = time.monotonic()
    done = subprocess.run(
        [str(IMAGE_SH), *args], env=env, capture_output=True, text=True, timeout=1200, check=False
    )
    assert done.returncode == 0, f"deploy/image.sh {' '.join(args)}:\n{done.stderr}"
    return round(time.monotonic() - started, 1), done.stderr


@pytest.fixture(scope="module")
def podman() -> Iterator[Podman]:
    run = Podman(prefix=f"nwct-{uuid.uuid4().hex[:8]}")
    run.images_before = run.image_ids()
    try:
        yield run
    finally:
        problems = run.clean_up(OUT / "logs")
        left = run("ps", "--all", "--quiet", "--filter", f"name={run.prefix}").split()
        left += [v for v in run("volume", "ls", "--quiet").split() if v.startswith(run.prefix)]
        OUT.mkdir(parents=True, exist_ok=True)
        (OUT / "summary.json").write_text(json.dumps(SUMMARY, indent=2, sort_keys=True) + "\n")
        assert not problems and not left, f"clean-up failed: {problems} {left}"


@pytest.fixture(scope="module")
def image(podman: Podman) -> str:
    """The image, built by deploy/image.sh (its base cached under .local/image/) and
    tagged for this run only."""
    tag = f"localhost/newswire:{podman.prefix}"
    env = {**os.environ, "NEWSWIRE_IMAGE": tag}
    cached = (REPO / ".local" / "image" / "python-base-bookworm.tar").exists()
    podman.tags.append(tag)
    base_s, _ = _image_sh("base", env=env)
    build_s, log = _image_sh("build", tag, env=env)
    note("base_seconds", base_s)
    note("base_tarball_was_cached", cached or bool(os.environ.get("NEWSWIRE_PYTHON_IMAGE")))
    note("build_seconds", build_s)
    note("image_bytes", int(podman("image", "inspect", "--format", "{{.Size}}", tag)))
    note("build_line", log.strip().splitlines()[-1])
    return tag


@pytest.fixture(scope="module")
def feed_server() -> Iterator[FeedServer]:
    with FeedServer() as server:  # 127.0.0.1, a free port
        yield server


@pytest.fixture(scope="module")
def stack(podman: Podman, image: str, kafka_bootstrap: str) -> Iterator[Stack]:
    """Every service in its own container, ready; the run's topics deleted afterwards."""
    prefix = podman.prefix
    stack = Stack(podman, image, kafka_bootstrap, prefix)
    try:
        stack.once("topics", ["topics", "ensure"])
        for name in stack.specs:
            stack.start(name)
        for name in stack.specs:
            note(f"ready_seconds_{name}", round(stack.wait_ready(name), 1))
        yield stack
    finally:
        with contextlib.suppress(Exception):
            asyncio.run(_delete_topics(kafka_bootstrap, prefix))


async def _delete_topics(bootstrap: str, prefix: str) -> None:
    names = [t for t in await list_topics(bootstrap, 10) if t.startswith(f"{prefix}.")]
    if names:
        await delete_topics(bootstrap, names, 10)


@pytest.fixture(scope="module")
def feeds_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Files the one-off containers read (mounted one by one: the directory above is 0700)."""
    return tmp_path_factory.mktemp("feeds")
