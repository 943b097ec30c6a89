"""The figures of one container-test run: printed as they come (``make container-test``
runs pytest with -s) and written to .local/container-test/summary.json at its end."""

from __future__ import annotations

import json
from typing import Any

from paths import REPO

OUT = REPO / ".local" / "container-test"
SUMMARY: dict[str, Any] = {}


def note(key: str, value: Any) -> None:
    """Record a figure of the run and print it."""
    SUMMARY[key] = value
    print(f"container-test: {key} = {json.dumps(value)}")
