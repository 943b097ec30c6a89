"""The reliability scenario report, shared by tests/reliability and tests/security: the record of
one scenario, the session's report, the ``report`` fixture and the ``reliability`` cadence.

A pytest plugin, loaded by ``pytest_plugins`` in tests/conftest.py, so its fixture and hook
apply to every test directory (a directory's conftest is not visible to its siblings).
Test modules import :class:`ScenarioResult` and :class:`Report` from here by name.

Cadence: tests marked ``reliability`` (the full scenarios) run only when the ``-m``
expression names ``reliability`` (``make reliability``); plain ``pytest`` / ``make test``
deselects them. Every scenario result goes to the session's :class:`Report`, written as
``$NEWSWIRE_RELIABILITY_REPORT/report.json`` and ``report.md`` when that variable is set
(``make reliability`` sets it to ``.local/reliability``).
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import pytest

__all__ = ["Report", "ScenarioResult", "pytest_collection_modifyitems", "report"]

_SESSION_STARTED = time.monotonic()


@dataclass
class ScenarioResult:
    """One row of report.json. ``control_detected`` is None for a scenario without an
    unsafe control run (not a durability scenario)."""

    name: str
    items: int
    lost: int
    duplicates: int
    fault_evidence: dict[str, Any]
    control_detected: bool | None
    passed: bool = False
    seconds: float = 0.0
    notes: str = ""
    control: dict[str, Any] = field(default_factory=dict)

    def judge(self, *, evidence_keys: tuple[str, ...]) -> None:
        """Set ``passed``: clean, the fault demonstrably hit, and the control detected."""
        bit = all(self.fault_evidence.get(k, 0) for k in evidence_keys)
        if not bit:
            self.notes = (self.notes + " inconclusive: no evidence the fault hit").strip()
        self.passed = (
            self.lost == 0 and self.duplicates == 0 and bit and self.control_detected is not False
        )


class Report:
    """Scenario results of one session, written as report.json and report.md."""

    def __init__(self) -> None:
        self.results: list[ScenarioResult] = []

    def add(self, result: ScenarioResult) -> None:
        self.results.append(result)
        print(f"\nreliability: {json.dumps(asdict(result), sort_keys=True)}")

    def write(self, directory: Path, *, seconds: float) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        rows = [asdict(r) for r in self.results]
        (directory / "report.json").write_text(
            json.dumps({"seconds": round(seconds, 1), "scenarios": rows}, indent=2) + "\n"
        )
        lines = [
            "# newswire reliability report",
            "",
            f"{len(rows)} scenarios, {sum(r.passed for r in self.results)} passed, "
            f"session {seconds:.0f} s.",
            "",
            "| scenario | items | lost | duplicates | fault evidence | control detected | passed |",
            "| --- | ---: | ---: | ---: | --- | --- | --- |",
        ]
        for r in self.results:
            evidence = ", ".join(f"{k}={v}" for k, v in r.fault_evidence.items())
            control = (
                "n/a" if r.control_detected is None else ("yes" if r.control_detected else "NO")
            )
            lines.append(
                f"| {r.name} | {r.items} | {r.lost} | {r.duplicates} | {evidence} | {control} "
                f"| {'yes' if r.passed else 'NO'} |"
            )
        notes = [f"- {r.name}: {r.notes}" for r in self.results if r.notes]
        controls = [
            f"- {r.name}: " + ", ".join(f"{k}={v}" for k, v in r.control.items())
            for r in self.results
            if r.control
        ]
        if controls:
            lines += ["", "## Control runs (unsafe configuration)", "", *controls]
        if notes:
            lines += ["", "## Notes", "", *notes]
        (directory / "report.md").write_text("\n".join(lines) + "\n")


_REPORT = Report()


@pytest.fixture(scope="session")
def report() -> Iterator[Report]:
    """The session's report (one for every test directory); written at the session's end
    when NEWSWIRE_RELIABILITY_REPORT names a directory and some scenario was added."""
    yield _REPORT
    target = os.environ.get("NEWSWIRE_RELIABILITY_REPORT")
    if target and _REPORT.results:
        _REPORT.write(Path(target), seconds=time.monotonic() - _SESSION_STARTED)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Deselect ``reliability`` tests unless the ``-m`` expression names them."""
    if "reliability" in (config.option.markexpr or ""):
        return
    deselected = [i for i in items if i.get_closest_marker("reliability")]
    if deselected:
        config.hook.pytest_deselected(items=deselected)
        items[:] = [i for i in items if i not in deselected]
