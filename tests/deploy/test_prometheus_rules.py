"""The Prometheus alert rules: promtool checks them and runs their unit tests
(deploy/prometheus/tests/*.yml); every alert is unit-tested and documented; the tests are
shown to catch a changed threshold. promtool missing fails: install it with
``deploy/prometheus/local-prometheus.sh install``.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
PROM = REPO / "deploy" / "prometheus"
RULES = PROM / "rules.yml"
TESTS = sorted((PROM / "tests").glob("*.yml"))
REQUIRED = {
    "NewswirePipelineStalled",
    "NewswireConsumerLagGrowing",
    "NewswireDLQRising",
    "NewswireFetchErrorRatioHigh",
    "NewswireFeedsFailing",
    "NewswireFreshnessObjectiveAtRisk",
}


@pytest.fixture(scope="module")
def promtool() -> str:
    path = shutil.which("promtool")
    if path is None:
        pytest.fail(
            "promtool is not installed: run deploy/prometheus/local-prometheus.sh install",
            pytrace=False,
        )
    return path


def run(*args: str, cwd: Path = PROM) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, cwd=cwd, capture_output=True, text=True, timeout=60, check=False)


def alerts() -> list[str]:
    groups = yaml.safe_load(RULES.read_text())["groups"]
    return [rule["alert"] for group in groups for rule in group["rules"] if "alert" in rule]


def test_the_rules_are_valid(promtool: str) -> None:
    done = run(promtool, "check", "rules", str(RULES))
    assert done.returncode == 0, done.stdout + done.stderr
    assert set(alerts()) >= REQUIRED


def test_the_rule_unit_tests_pass(promtool: str) -> None:
    assert TESTS, "no promtool rule tests"
    done = run(promtool, "test", "rules", *map(str, TESTS))
    assert done.returncode == 0, done.stdout + done.stderr


def test_every_alert_fires_in_a_unit_test_and_is_documented() -> None:
    fired: set[str] = set()
    for path in TESTS:
        for case in yaml.safe_load(path.read_text())["tests"]:
            for check in case.get("alert_rule_test", []):
                if check.get("exp_alerts"):
                    fired.add(check["alertname"])
    docs = (REPO / "docs" / "operations.md").read_text()
    for alert in alerts():
        assert alert in fired, f"{alert} never fires in deploy/prometheus/tests"
        assert f"### {alert}" in docs, f"{alert} is not explained in docs/operations.md"


def test_the_unit_tests_catch_a_changed_threshold(promtool: str, tmp_path: Path) -> None:
    rules = RULES.read_text()
    assert "> 0.25" in rules
    (tmp_path / "tests").mkdir()
    (tmp_path / "rules.yml").write_text(rules.replace("> 0.25", "> 0.5"))
    for path in TESTS:
        shutil.copy(path, tmp_path / "tests" / path.name)
    done = run(promtool, "test", "rules", *(f"tests/{p.name}" for p in TESTS), cwd=tmp_path)
    assert done.returncode != 0
    assert "NewswireFetchErrorRatioHigh" in done.stdout + done.stderr


def test_the_compose_prometheus_config_is_valid(promtool: str, tmp_path: Path) -> None:
    config = yaml.safe_load((PROM / "prometheus.yml").read_text())
    assert config["rule_files"] == ["/etc/prometheus/rules.yml"]  # the compose mount
    config["rule_files"] = [str(RULES)]
    (tmp_path / "prometheus.yml").write_text(yaml.safe_dump(config))
    done = run(promtool, "check", "config", str(tmp_path / "prometheus.yml"))
    assert done.returncode == 0, done.stdout + done.stderr
    (job,) = config["scrape_configs"]
    assert job["job_name"] == "newswire"  # what the rules and the dashboard select on
