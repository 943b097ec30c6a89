"""The operator's one-screen view, as data: feeds by state and the failing ones, lag per
stage, dead letters by reason, throughput, and which services answer ``/readyz``.

:func:`collect_status` only reads (topics, committed offsets, group descriptions, the
configured health URLs); it never joins a group or commits. The result is JSON-ready
(``newswire status --json``); the CLI renders the same dict as tables.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from typing import Any

from newswire.app.ops.dlq import read_dead_letters, replayed_keys
from newswire.app.ops.health import probe_all
from newswire.app.ops.lag import all_stage_lags
from newswire.app.ops.names import stage_names, stage_topics
from newswire.app.ops.offsets import OffsetProbe
from newswire.app.ops.throughput import topic_rates
from newswire.settings import Settings, Topics
from newswire_producers.feed_state import FeedState, load_states
from newswire_producers.registry import FeedRecord, load_registry


def feed_state_label(feed: FeedRecord, state: FeedState | None) -> str:
    """One word per feed: paused, never_polled, failing, or its last outcome (ok,
    not_modified ...)."""
    if feed.paused:
        return "paused"
    if state is None:
        return "never_polled"
    if state.consecutive_errors > 0:
        return "failing"
    return state.last_outcome or "unknown"


async def _feeds(settings: Settings, probe: OffsetProbe) -> dict[str, Any]:
    topics = Topics(settings.topic_prefix)
    bootstrap, timeout = settings.kafka_bootstrap, settings.kafka_timeout_s
    registry: list[FeedRecord] = []
    states: dict[str, FeedState] = {}
    if await probe.existing_partitions(topics.feeds):
        registry = await load_registry(bootstrap, topics.feeds, timeout_s=timeout)
    if await probe.existing_partitions(topics.feed_state):
        states = await load_states(bootstrap, topics.feed_state, timeout_s=timeout)
    by_state: Counter[str] = Counter()
    failing: list[dict[str, Any]] = []
    for feed in registry:
        state = states.get(feed.feed_id)
        label = feed_state_label(feed, state)
        by_state[label] += 1
        if label == "failing" and state is not None:
            failing.append(
                {
                    "feed_id": feed.feed_id,
                    "url": feed.url,
                    "title": feed.title,
                    "outcome": state.last_outcome,
                    "error": state.last_error,
                    "consecutive_errors": state.consecutive_errors,
                    "last_polled": state.last_polled,
                    "last_ok": state.last_ok,
                }
            )
    failing.sort(key=lambda f: (-f["consecutive_errors"], f["url"]))
    return {"total": len(registry), "by_state": dict(sorted(by_state.items())), "failing": failing}


async def _dead_letters(settings: Settings) -> list[dict[str, Any]]:
    out = []
    for stage in stage_names():
        names = stage_topics(settings.topic_prefix, stage)
        letters = await read_dead_letters(settings, names)
        done = await replayed_keys(settings, names) if letters else set()
        reasons = Counter(dl.reason for dl in letters)
        pending = Counter(dl.reason for dl in letters if dl.ledger_key not in done)
        out.append(
            {
                "stage": stage,
                "topic": names.dlq,
                "total": len(letters),
                "not_replayed": sum(pending.values()),
                "by_reason": {
                    r: {"total": n, "not_replayed": pending.get(r, 0)}
                    for r, n in reasons.most_common()
                },
            }
        )
    return out


async def collect_status(settings: Settings, health_urls: list[str]) -> dict[str, Any]:
    """Everything ``newswire status`` shows. Raises :class:`BrokerUnavailable`."""
    topics = Topics(settings.topic_prefix)
    async with OffsetProbe(settings) as probe:
        feeds = await _feeds(settings, probe)
        lags = await all_stage_lags(probe, settings.topic_prefix)
        rates = {t: await topic_rates(probe, t) for t in (topics.raw, topics.enriched)}
    return {
        "time": datetime.now(UTC).isoformat(),
        "kafka": settings.kafka_bootstrap,
        "prefix": settings.topic_prefix,
        "feeds": feeds,
        "stages": [
            {
                "stage": lag.stage,
                "topic": lag.topic,
                "group": lag.group,
                "group_state": lag.state,
                "members": lag.members,
                "lag": lag.lag,
                "partitions": [
                    {"partition": p.partition, "committed": p.committed, "end": p.end, "lag": p.lag}
                    for p in lag.partitions
                ],
            }
            for lag in lags
        ],
        "dlq": await _dead_letters(settings),
        "throughput": [
            {
                "topic": r.topic,
                "window_s": r.window_s,
                "records": r.records,
                "per_second": round(r.per_second, 3),
            }
            for topic_list in rates.values()
            for r in topic_list
        ],
        "health": [
            {"url": p.url, "ready": p.ready, "status": p.status, "detail": p.detail}
            for p in await probe_all(health_urls)
        ],
    }
