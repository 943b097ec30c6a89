"""Exact percentiles and pair-by-pair ratios."""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence


def percentile(values: Sequence[float], q: float) -> float:
    """The ``q`` (0..100) percentile by the nearest-rank method: an observed value."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[rank - 1]


def percentiles(values: Sequence[float]) -> dict[str, float]:
    ordered = sorted(values)
    return {
        "p50": percentile(ordered, 50),
        "p95": percentile(ordered, 95),
        "p99": percentile(ordered, 99),
        "n": float(len(ordered)),
    }


def paired_ratio(numerators: Sequence[float], denominators: Sequence[float]) -> dict[str, float]:
    """Ratios of round i's pair, summarized: median, min, max over the pairs."""
    ratios = [a / b for a, b in zip(numerators, denominators, strict=True) if b > 0]
    if not ratios:
        return {"median": 0.0, "min": 0.0, "max": 0.0, "pairs": 0.0}
    return {
        "median": statistics.median(ratios),
        "min": min(ratios),
        "max": max(ratios),
        "pairs": float(len(ratios)),
    }
