"""Where the tests find the repository and the shared corpus (importable from any test;
``conftest`` is not, since pytest loads several of them)."""

from __future__ import annotations

from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO.parent / "shared" / "corpus"
