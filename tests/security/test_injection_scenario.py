"""Security: HTML and URL injection as a report entry. The payloads, the corpus
cases and the survivor scan are tests/injection.py's (``make test`` runs them in
tests/unit/test_sanitizer_injection.py); the control is the scan run on unsanitized
payloads, which must catch every one.
"""

from __future__ import annotations

import pytest
from injection import CONTROL_CASES, PAYLOADS, injection_run, unsanitized_caught
from scenario_report import Report, ScenarioResult


@pytest.mark.reliability
@pytest.mark.corpus
def test_injection_scenario(report: Report) -> None:
    cases, enriched, found = injection_run()
    caught = unsanitized_caught()
    entry = ScenarioResult(
        name="security: HTML and URL injection",
        items=len(PAYLOADS) + cases,
        lost=0,
        duplicates=0,
        fault_evidence={
            "payloads": len(PAYLOADS),
            "corpus_files": cases,
            "enriched_items_scanned": len(enriched),
            "dangerous_survivors": len(found),
        },
        control_detected=caught == CONTROL_CASES,
        control={"unsanitized_cases": CONTROL_CASES, "caught_by_the_scan": caught},
        notes="; ".join(found[:10]),
    )
    entry.judge(evidence_keys=("enriched_items_scanned",))
    entry.passed = entry.passed and not found
    report.add(entry)
    assert found == [] and entry.passed, entry
