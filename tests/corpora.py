"""The two tiers of feed files the corpus-wide tests read, and their manifests.

* ``OWN``: ``tests/data/feeds``, the project's own small corpus (22 files written for the
  tests, described in its README.md): every behaviour the shared corpus checks, present
  in every clone, so the checks run everywhere.
* ``SHARED``: ``../shared/corpus``, the ~700 real-world files beside the project. Tests
  that read it carry the ``corpus`` marker: they run where it is, fail in CI without it,
  and otherwise skip with one line that says what is missing (tests/conftest.py).

Both manifests are TSV files with (at least) the columns ``file`` (relative to the root),
``format``, ``wellformed``, ``item_count``, ``encoding_notes`` and ``notes``.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pytest
from paths import CORPUS, REPO


@dataclass(frozen=True)
class Corpus:
    name: str
    root: Path
    min_files: int  # the whole manifest was read
    min_with_items: int  # well-formed files with items
    min_mojibake: int  # files whose text was double-encoded by their publisher
    min_compared: int  # files where feedparser finds items (the differential test)
    min_fast_share: float  # of those, taken by the fast path

    def rows(self) -> list[dict[str, str]]:
        return _rows(self.root)


@cache
def _rows(root: Path) -> list[dict[str, str]]:
    if not (root / "MANIFEST.tsv").is_file():
        pytest.fail(f"no corpus manifest at {root / 'MANIFEST.tsv'}", pytrace=False)
    with (root / "MANIFEST.tsv").open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh, delimiter="\t"))


OWN = Corpus("own", REPO / "tests" / "data" / "feeds", 22, 14, 1, 19, 0.6)
SHARED = Corpus("shared", CORPUS, 690, 300, 30, 400, 0.75)

#: For ``@pytest.fixture(params=TIERS)``: the shared tier carries the ``corpus`` marker.
TIERS = [
    pytest.param(OWN, id="own"),
    pytest.param(SHARED, id="shared", marks=pytest.mark.corpus),
]
