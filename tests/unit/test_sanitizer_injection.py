"""HTML and URL injection never survives into any output field (acceptance).

The payloads and the survivor scan live in tests/injection.py (the security report
uses them too). The count of dangerous survivors is printed and must be 0.
"""

from __future__ import annotations

import pytest
from corpora import SHARED, TIERS, Corpus
from injection import CONTROL_CASES, PAYLOADS, injection_run, unsanitized_caught


@pytest.mark.parametrize("corpus", TIERS)
def test_no_dangerous_survivors(corpus: Corpus) -> None:
    cases, enriched, found = injection_run(corpus.root)
    print(f"\ninjection: {len(PAYLOADS)} payloads, {cases} {corpus.name} corpus files, "
          f"{len(enriched)} enriched items, dangerous survivors: {len(found)}")  # fmt: skip
    assert cases >= (10 if corpus is SHARED else 1) and len(enriched) > 3 * len(PAYLOADS)
    assert found == [], "\n".join(found[:30])


def test_the_scanner_sees_what_it_must() -> None:
    """The survivor scan itself can fail: unsanitized payloads are caught in every field."""
    assert unsanitized_caught() == CONTROL_CASES
