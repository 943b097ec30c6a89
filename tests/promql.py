"""The PromQL expressions of the shipped dashboards and alert rules, for tests that check
them against what the services expose."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any


def expressions(node: Any) -> Iterator[str]:
    """Every ``expr`` (a rule) and ``query``/``expr`` (a Grafana target) string in a parsed
    YAML or JSON document, depth first."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key in ("expr", "query") and isinstance(value, str):
                yield value
            else:
                yield from expressions(value)
    elif isinstance(node, list):
        for value in node:
            yield from expressions(value)
