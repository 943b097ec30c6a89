"""Items per second over the last minutes, from record timestamps.

Choice: the count of records a topic received in the last *w* seconds is
``end offset - offsets_for_times(now - w)``, summed over partitions. This needs no waiting
and no reading of records (sampling offsets over a short window would make ``status`` take
that window and say nothing about the minutes before), and it is exact for any window the
topic's retention still holds. Record timestamps are the producer's send time
(``CreateTime``), so on ``items.enriched`` the figure is the rate at which the enrich stage
published, which is the rate of the public stream subscribers see.

A compacted topic would undercount; the item topics are not compacted.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from newswire.app.ops.offsets import OffsetProbe

WINDOWS_S = (60, 300, 900)


@dataclass(frozen=True, slots=True)
class Rate:
    topic: str
    window_s: int
    records: int

    @property
    def per_second(self) -> float:
        return self.records / self.window_s


async def topic_rates(
    probe: OffsetProbe, topic: str, windows_s: tuple[int, ...] = WINDOWS_S
) -> list[Rate]:
    """Records received per window ending now; all zero if the topic does not exist."""
    tps = await probe.existing_partitions(topic)
    if not tps:
        return [Rate(topic, w, 0) for w in windows_s]
    now_ms = int(time.time() * 1000)
    ends = await probe.end_offsets(tps)
    rates = []
    for window in windows_s:
        starts = await probe.offsets_at(tps, now_ms - window * 1000)
        rates.append(Rate(topic, window, sum(max(0, ends[tp] - starts[tp]) for tp in tps)))
    return rates
