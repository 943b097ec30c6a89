"""Consumer lag per stage: how many records of its input topic a stage has not committed.

Lag is computed from the broker, not from a running service: the end offset of each input
partition minus the stage group's committed offset there. A partition the group never
committed counts from its beginning offset, because the runner starts such a partition at
the earliest record (``auto_offset_reset="earliest"``).
"""

from __future__ import annotations

from dataclasses import dataclass

from newswire.app.ops.names import stage_names, stage_topics
from newswire.app.ops.offsets import OffsetProbe


@dataclass(frozen=True, slots=True)
class PartitionLag:
    partition: int
    committed: int | None
    end: int
    lag: int


@dataclass(frozen=True, slots=True)
class StageLag:
    stage: str
    topic: str
    group: str
    state: str  # the group's state: Empty, Stable, PreparingRebalance, Dead ...
    members: int
    partitions: tuple[PartitionLag, ...]

    @property
    def lag(self) -> int:
        return sum(p.lag for p in self.partitions)


async def stage_lag(probe: OffsetProbe, prefix: str, stage: str) -> StageLag:
    """The lag of one stage's group on its input topic (no partitions if it does not exist)."""
    names = stage_topics(prefix, stage)
    tps = await probe.existing_partitions(names.input)
    ends = await probe.end_offsets(tps)
    starts = await probe.beginning_offsets(tps)
    committed = await probe.committed(names.group, tps)
    group = await probe.group_state(names.group)
    parts = []
    for tp in tps:
        done = committed[tp]
        position = starts[tp] if done is None else done
        parts.append(PartitionLag(tp.partition, done, ends[tp], max(0, ends[tp] - position)))
    return StageLag(stage, names.input, names.group, group.state, group.members, tuple(parts))


async def all_stage_lags(probe: OffsetProbe, prefix: str) -> list[StageLag]:
    """:func:`stage_lag` for every stage, in pipeline order."""
    return [await stage_lag(probe, prefix, stage) for stage in stage_names()]
