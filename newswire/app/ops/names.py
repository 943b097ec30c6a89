"""Names an operator types, resolved to topics and consumer groups.

Stages are the consuming stages of ``newswire.app.stages`` (dedup, enrich, store); each has an
input topic, a dead-letter topic ``<input>.dlq`` and a consumer group ``<prefix>.<stage>``.
"""

from __future__ import annotations

from dataclasses import dataclass

from newswire.errors import ConfigError
from newswire.settings import Topics


@dataclass(frozen=True, slots=True)
class StageTopics:
    """Where a stage reads, where its dead letters go, and the group it commits in."""

    stage: str
    input: str
    dlq: str
    group: str
    replays: str  # the compacted ledger of replayed dead letters, shared by every stage


def stage_names() -> tuple[str, ...]:
    from newswire.app.stages import STAGES  # deferred: the stages import their own libraries

    return tuple(s.name for s in STAGES)


def stage_topics(prefix: str, stage: str) -> StageTopics:
    """The topics of ``stage``; raises :class:`ConfigError` for an unknown stage."""
    from newswire.app.stages import BY_NAME

    spec = BY_NAME.get(stage)
    if spec is None:
        raise ConfigError(f"unknown stage {stage!r}; choose from {', '.join(stage_names())}")
    topics = Topics(prefix)
    source = spec.input_topic(topics)
    return StageTopics(
        stage, source, Topics.dlq(source), topics.group(stage), f"{prefix}.dlq-replays"
    )


def short_topic_names(prefix: str) -> dict[str, str]:
    """Short name -> full topic name: raw, unique, enriched, feeds, feed-state, and
    ``<short>.dlq`` for every DLQ (``raw.dlq`` ...) and ``<stage>.dlq`` (``dedup.dlq`` ...)."""
    t = Topics(prefix)
    names = {
        "raw": t.raw,
        "unique": t.unique,
        "enriched": t.enriched,
        "feeds": t.feeds,
        "feed-state": t.feed_state,
    }
    for short in ("raw", "unique", "enriched"):
        names[f"{short}.dlq"] = Topics.dlq(names[short])
    for stage in stage_names():
        names[f"{stage}.dlq"] = stage_topics(prefix, stage).dlq
    return names


def resolve_topic(prefix: str, name: str) -> str:
    """A short name (see :func:`short_topic_names`) or a full topic name, as a full name."""
    return short_topic_names(prefix).get(name, name)
