"""A bench-only :class:`Metrics` that also keeps raw observations.

The runner observes ``newswire_freshness_seconds{span="fetched_to_<stage>"}`` once per
finished record, and ``newswire_stage_batch_duration_seconds`` once per batch. Histogram
buckets cannot give an exact p99, so this subclass wraps those two histograms: every
observation still reaches Prometheus, and is also kept as ``(wall time, value)`` for the
bench to read. Nothing in the pipeline changes; only the metrics object passed in does.
"""

from __future__ import annotations

import time
from typing import Any

from prometheus_client import CollectorRegistry

from newswire.metrics import Metrics


class _Child:
    __slots__ = ("_inner", "_sink", "_span")

    def __init__(self, inner: Any, span: str, sink: list[tuple[str, float, float]]) -> None:
        self._inner = inner
        self._span = span
        self._sink = sink

    def observe(self, value: float, *args: Any, **kwargs: Any) -> None:
        self._inner.observe(value, *args, **kwargs)
        self._sink.append((self._span, time.time(), value))

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


class _Recording:
    """Forwards to a labelled histogram; ``labels(x).observe(v)`` is also recorded."""

    def __init__(self, inner: Any, sink: list[tuple[str, float, float]]) -> None:
        self._inner = inner
        self._sink = sink

    def labels(self, *values: str, **kw: str) -> _Child:
        span = "/".join([*values, *kw.values()])
        return _Child(self._inner.labels(*values, **kw), span, self._sink)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


class RecordingMetrics(Metrics):
    """Metrics whose freshness and batch-duration observations are also kept raw.

    ``observations`` holds ``(span, wall time, seconds)`` for freshness; ``batches`` holds
    ``(stage, wall time at batch end, seconds)``. The bench drains both lists.
    """

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        super().__init__(registry)
        self.observations: list[tuple[str, float, float]] = []
        self.batches: list[tuple[str, float, float]] = []
        self.freshness = _Recording(self.freshness, self.observations)  # type: ignore[assignment]
        self.batch_seconds = _Recording(self.batch_seconds, self.batches)  # type: ignore[assignment]

    def counter(self, family_name: str) -> dict[str, float]:
        """A counter's samples as {"label=value,...": value} (``_total`` samples only)."""
        return self.counters((family_name,))[family_name]

    def counters(self, family_names: tuple[str, ...]) -> dict[str, dict[str, float]]:
        """:meth:`counter` of several families from one collection of the registry: a
        collection walks every metric of the service (histograms and all), and the stage
        process reports every 0.2 s, so three collections per report were CPU the bench
        charged to the service it measures."""
        out: dict[str, dict[str, float]] = {name: {} for name in family_names}
        for family in self.registry.collect():
            if family.name not in out:
                continue
            for sample in family.samples:
                if sample.name.endswith("_total"):
                    key = ",".join(f"{k}={v}" for k, v in sorted(sample.labels.items()))
                    out[family.name][key] = sample.value
        return out
