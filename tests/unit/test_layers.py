"""The import rules of the layers (pyproject.toml, [tool.importlinter]; README "Layers"):
the entry points (newswire.app) over the stages (newswire_producers, newswire_consumers) over
the floor and the contract (the rest of newswire, newswire_schemas); no stage imports another;
inside the producer, the ingest core over normalize and pacing over parse, and the fast path
without a circle.
The rules are kept, cover every floor module, and a deliberately broken rule is caught."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from paths import REPO

LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")
PACKAGES = ("newswire", "producers", "consumers", "schemas")  # folders: newswire + 3 source roots

SOURCE_ROOTS = (".", "producers", "consumers", "schemas")

pytestmark = pytest.mark.timeout(120)


def _lint(root: Path) -> subprocess.CompletedProcess[str]:
    path = ":".join(str(root / d) for d in SOURCE_ROOTS)
    return subprocess.run(
        [LINT_IMPORTS, "--no-cache"],
        cwd=root, env={"PYTHONPATH": path, "PATH": "/usr/bin:/bin"},
        capture_output=True, text=True, check=False,
    )  # fmt: skip


def test_the_layer_rules_are_kept() -> None:
    done = _lint(REPO)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    assert "4 kept, 0 broken" in done.stdout


def test_every_floor_module_is_in_the_floor_layer() -> None:
    config = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["importlinter"]
    [layers] = [c["layers"] for c in config["contracts"] if c["id"] == "layers"]
    floor = {name.strip() for name in layers[-1].split(":")}
    children = {
        f"newswire.{p.stem}"
        for p in (REPO / "newswire").iterdir()
        if (p.suffix == ".py" or (p / "__init__.py").exists()) and p.stem != "__init__"
    }
    assert children - {"newswire.app"} <= floor, children - floor


@pytest.mark.parametrize(
    ("module", "line", "broken"),
    [
        (
            "consumers/newswire_consumers/dedup/stage.py",
            "import newswire.app.cli",
            "Entry points over stages",
        ),
        (
            "newswire/kafka/runner.py",
            "import newswire_producers.poller",
            "Entry points over stages",
        ),
        (
            "consumers/newswire_consumers/enrich/chain.py",
            "import newswire_consumers.store.store",
            "No stage imports",
        ),
        (
            "producers/newswire_producers/parse/fast/xhtml.py",
            "import newswire_producers.parse.fast.text",
            "no circle",
        ),
        (
            "producers/newswire_producers/parse/parser.py",
            "import newswire_producers.poller",
            "ingest core over",
        ),
    ],
)
def test_a_broken_rule_is_caught(tmp_path: Path, module: str, line: str, broken: str) -> None:
    for package in PACKAGES:
        shutil.copytree(REPO / package, tmp_path / package, ignore=shutil.ignore_patterns("*.pyc"))
    shutil.copy(REPO / "pyproject.toml", tmp_path)
    with (tmp_path / module).open("a") as fh:
        fh.write(f"\n{line}  # the deliberate break\n")
    done = _lint(tmp_path)
    assert done.returncode != 0
    assert f"{broken}" in done.stdout and "BROKEN" in done.stdout, done.stdout[-2000:]
