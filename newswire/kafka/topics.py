"""Topic specifications and idempotent creation through the admin API."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field

from aiokafka import TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import KafkaError

from newswire.errors import BrokerUnavailable, ConfigError
from newswire.kafka.clients import stop_within
from newswire.log import get_logger
from newswire.settings import Settings, Topics

log = get_logger(__name__)


@dataclass(frozen=True)
class TopicSpec:
    name: str
    partitions: int
    replication_factor: int = 1
    config: dict[str, str] = field(default_factory=dict)


def pipeline_topics(settings: Settings) -> list[TopicSpec]:
    """Every topic the pipeline uses, with its partition count and cleanup policy."""
    t = Topics(settings.topic_prefix)
    n, rf = settings.topic_partitions, settings.topic_replication_factor
    # Replicated topics keep acknowledged writes when a broker dies.
    isr = {"min.insync.replicas": str(min(rf, settings.topic_min_insync_replicas))}
    base = isr if rf > 1 else {}
    compact = {"cleanup.policy": "compact", "min.compaction.lag.ms": "0", **base}
    specs = [
        TopicSpec(t.feeds, n, rf, compact),
        TopicSpec(t.feed_state, n, rf, compact),
    ]
    for name in (t.raw, t.unique, t.enriched):
        specs.append(TopicSpec(name, n, rf, dict(base)))
        specs.append(TopicSpec(Topics.dlq(name), 1, rf, dict(base)))
    return specs


@contextlib.asynccontextmanager
async def admin_client(
    bootstrap: str, timeout_s: float = 30.0
) -> AsyncIterator[AIOKafkaAdminClient]:
    """An started admin client; every call inside is bounded by ``timeout_s``.

    Raises :class:`BrokerUnavailable` when the cluster does not answer in time.
    """
    admin = AIOKafkaAdminClient(
        bootstrap_servers=bootstrap, request_timeout_ms=int(timeout_s * 1000)
    )
    try:
        async with asyncio.timeout(timeout_s):
            await admin.start()
            yield admin
    except (TimeoutError, KafkaError) as exc:
        raise BrokerUnavailable(f"Kafka at {bootstrap} did not answer: {exc!r}") from exc
    finally:
        if await stop_within(admin.close):
            log.warning("admin client did not close cleanly")


async def ensure_topics(
    bootstrap: str,
    specs: list[TopicSpec],
    timeout_s: float = 30.0,
    groups: Sequence[str] = (),
) -> list[str]:
    """Create the topics that do not exist yet; returns the names created. Then, for
    ``groups``, wait until the cluster has a coordinator for each.

    Idempotent: existing topics are left as they are (their partition count is not changed).
    Raises :class:`BrokerUnavailable` when the cluster does not answer, :class:`ConfigError`
    when it refuses a topic (for example a replication factor above the broker count).
    """
    async with admin_client(bootstrap, timeout_s) as admin:
        delay = 0.05
        while True:
            # Every retriable error is asked again until the timeout: a new broker without a
            # group coordinator yet, or a node that died a moment ago (a cluster member
            # restarting while a replica starts).
            try:
                created = await _create_missing(admin, specs)
                await _check_coordinators(admin, groups)
                return created
            except KafkaError as exc:
                if not exc.retriable:
                    raise
            await asyncio.sleep(delay)
            delay = min(delay * 2, 0.5)


async def _check_coordinators(admin: AIOKafkaAdminClient, groups: Sequence[str]) -> None:
    """Raise a retriable error unless the cluster names a coordinator for every group in
    ``groups``. A new broker creates its offsets topic on the first coordinator request and
    answers COORDINATOR_NOT_AVAILABLE until it has; consumers that ask before then log a
    burst of errors while they retry, so the caller asks again first."""
    for group in groups:
        await admin.find_coordinator(group)


async def _create_missing(admin: AIOKafkaAdminClient, specs: list[TopicSpec]) -> list[str]:
    existing = set(await admin.list_topics())
    missing = [s for s in specs if s.name not in existing]
    if missing:
        response = await admin.create_topics(
            [
                NewTopic(s.name, s.partitions, s.replication_factor, topic_configs=s.config)
                for s in missing
            ]
        )
        for topic, code, *rest in response.topic_errors:
            # 36 TOPIC_ALREADY_EXISTS: another process created it between list and create.
            if code not in (0, 36):
                message = rest[0] if rest else ""
                raise ConfigError(f"Kafka refused to create topic {topic}: error {code} {message}")
        await _wait_for_leaders(admin, [s.name for s in missing])
        log.info("topics created", topics=[s.name for s in missing])
    return [s.name for s in missing]


async def _wait_for_leaders(admin: AIOKafkaAdminClient, names: list[str]) -> None:
    """Return once every partition of ``names`` has a leader: a send to a topic created a
    moment ago otherwise meets NotLeaderForPartition (bounded by the caller's timeout)."""
    delay = 0.02
    while True:
        described = await admin.describe_topics(names)
        ready = {
            d["topic"]
            for d in described
            if d["error_code"] == 0
            and d["partitions"]
            and all(p["error_code"] == 0 and p["leader"] >= 0 for p in d["partitions"])
        }
        if ready >= set(names):
            return
        await asyncio.sleep(delay)
        delay = min(delay * 2, 0.5)


async def delete_topics(bootstrap: str, names: list[str], timeout_s: float = 30.0) -> None:
    """Delete topics; names that do not exist are ignored."""
    async with admin_client(bootstrap, timeout_s) as admin:
        existing = set(await admin.list_topics())
        doomed = [n for n in names if n in existing]
        if doomed:
            await admin.delete_topics(doomed)


async def list_topics(bootstrap: str, timeout_s: float = 30.0) -> list[str]:
    async with admin_client(bootstrap, timeout_s) as admin:
        return sorted(await admin.list_topics())


async def topic_partitions(admin: AIOKafkaAdminClient, topic: str) -> list[TopicPartition]:
    """The partitions of ``topic`` through a started admin client; [] if it does not exist.

    Lists topics first: a metadata request naming a missing topic could auto-create it.
    """
    if topic not in set(await admin.list_topics()):
        return []
    described = await admin.describe_topics([topic])
    numbers = sorted(
        p["partition"] for t in described if t["topic"] == topic for p in t["partitions"]
    )
    return [TopicPartition(topic, n) for n in numbers]
