"""Re-run a stage over past events by moving its group's committed offsets back in time.

Safety rules:
- the move is refused while the group has members (a running stage would overwrite the
  offsets with its next commit, and the broker rejects commits from outside a live group);
  the broker enforces the same rule again at commit time, so a stage that starts between
  the check and the commit makes the move fail, never half-apply silently;
- offsets only ever move backwards: a partition whose committed offset is already at or
  before the target is left alone, so a reprocess never skips unprocessed events;
- a partition the group never committed is left alone: the stage will read it from the
  beginning anyway.

The target of a partition is the first offset whose record timestamp is at or after
``since`` (Kafka's ``offsets_for_times``; records carry the time their producer sent them).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime

from aiokafka import TopicPartition
from aiokafka.errors import CommitFailedError, KafkaError

from newswire.app.ops.names import StageTopics
from newswire.app.ops.offsets import OffsetProbe
from newswire.errors import BrokerUnavailable, NewswireError
from newswire.kafka.clients import new_consumer, stop_within
from newswire.settings import Settings


class GroupActive(NewswireError):
    """The stage's group has members: its offsets cannot be moved safely now."""


@dataclass(frozen=True, slots=True)
class PartitionMove:
    partition: int
    committed: int | None
    target: int  # where the group will resume; equals committed when nothing moves
    events: int  # how many events the stage will process again


@dataclass(frozen=True, slots=True)
class ReprocessPlan:
    stage: str
    topic: str
    group: str
    since: datetime
    group_state: str
    members: int
    moves: tuple[PartitionMove, ...]

    @property
    def events(self) -> int:
        return sum(m.events for m in self.moves)


async def plan_reprocess(settings: Settings, names: StageTopics, since: datetime) -> ReprocessPlan:
    """What a reprocess from ``since`` would do; reads only, changes nothing."""
    async with OffsetProbe(settings) as probe:
        tps = await probe.partitions(names.input)
        targets = await probe.offsets_at(tps, int(since.timestamp() * 1000))
        committed = await probe.committed(names.group, tps)
        group = await probe.group_state(names.group)
    moves = []
    for tp in tps:
        done = committed[tp]
        if done is None or targets[tp] >= done:
            moves.append(PartitionMove(tp.partition, done, done if done is not None else 0, 0))
        else:
            moves.append(PartitionMove(tp.partition, done, targets[tp], done - targets[tp]))
    return ReprocessPlan(
        names.stage, names.input, names.group, since, group.state, group.members, tuple(moves)
    )


def refuse_if_active(plan: ReprocessPlan) -> None:
    if plan.members:
        raise GroupActive(
            f"stage {plan.stage} is running: group {plan.group} has {plan.members} active "
            f"member(s) ({plan.group_state}). Stop every {plan.stage} service, then run "
            "reprocess again; nothing was changed."
        )


async def apply_plan(settings: Settings, plan: ReprocessPlan) -> int:
    """Commit the plan's targets for the group; returns how many partitions moved.

    Raises :class:`GroupActive` if the group has members (checked here and, atomically, by
    the broker at commit time) and :class:`BrokerUnavailable` if Kafka does not answer.
    """
    refuse_if_active(plan)
    offsets = {
        TopicPartition(plan.topic, m.partition): m.target for m in plan.moves if m.events > 0
    }
    if not offsets:
        return 0
    consumer = new_consumer(
        settings.kafka_bootstrap,
        settings.kafka_timeout_s,
        group_id=plan.group,  # commits with no generation: accepted only by an empty group
        auto_offset_reset="latest",
    )
    try:
        async with asyncio.timeout(settings.kafka_timeout_s):
            await consumer.start()
            consumer.assign(list(offsets))
            await consumer.commit(offsets)
    except CommitFailedError as exc:
        raise GroupActive(
            f"stage {plan.stage} started while moving offsets; the broker refused the move "
            f"({exc}). Stop every {plan.stage} service and run reprocess again."
        ) from exc
    except (TimeoutError, KafkaError) as exc:
        raise BrokerUnavailable(f"could not move the offsets of {plan.group}: {exc!r}") from exc
    finally:
        await stop_within(consumer.stop)
    return len(offsets)
