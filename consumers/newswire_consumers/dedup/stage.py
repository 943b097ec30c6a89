"""The dedup stage: ``newswire.items.raw`` -> ``newswire.items.unique``.

Per raw event, one of (see :mod:`newswire_consumers.dedup.ledger` for the rules):

- ``created``: a new item, with its ``story_id``;
- ``updated``: a known item whose content changed: next ``version``, ``changed_fields``;
- ``alias``: a new identity (guid, URL) of a known item: ``alias_of`` names the original;
- ``duplicate``: nothing new (an unchanged re-sighting): nothing is published.

Crash safety (DESIGN.md, Delivery semantics): the seen-store write happens before publish
and commit; a delivery replayed after a crash gets its first decision again, so every
``created``/``updated``/``alias`` event is published at least once.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

from newswire import hooks
from newswire.kafka.stage import Done, Incoming, Publish, Result
from newswire.log import get_logger
from newswire.metrics import Metrics
from newswire_consumers.dedup.clustering import sketch
from newswire_consumers.dedup.fingerprint import content_fingerprint, field_fingerprints
from newswire_consumers.dedup.seen_store import Decision, Observation, SeenStore, Verdict
from newswire_schemas import EventType

SOURCE = "urn:newswire:dedup"
_STATS_EVERY_S = 30.0
_EVENT_TYPES = {
    Verdict.CREATED: EventType.CREATED,
    Verdict.UPDATED: EventType.UPDATED,
    Verdict.ALIAS: EventType.ALIAS,
}
log = get_logger(__name__)


class DedupStage:
    """Decides each raw event against the seen-store and publishes what is new. After the
    seen-store write of a batch, before anything is published or committed, it reaches the
    hook point ``seen_store_written`` (where the crash-safety tests exit, hooks.py)."""

    name = "dedup"
    outcomes = tuple(v.value for v in Verdict)  # newswire_stage_records_total{outcome}

    def __init__(
        self,
        store: SeenStore,
        metrics: Metrics | None = None,
        *,
        backend: str = "sqlite",
    ) -> None:
        self._store = store
        self._metrics = metrics or Metrics()
        self._backend = backend
        self._stats_at = float("-inf")

    async def process(self, batch: Sequence[Incoming]) -> list[Result]:
        observations = [
            Observation(
                inc.event.item.dedup_key,
                inc.event.item.item_id,
                field_fingerprints(inc.event.item),
                inc.delivery,
                content_fingerprint(inc.event.item),
                sketch(inc.event.item),
            )
            for inc in batch
        ]
        started = time.perf_counter()
        decisions = await self._store.observe_batch(observations)
        self._metrics.dedup_store_seconds.labels(self._backend).observe(
            time.perf_counter() - started
        )
        await hooks.reach("seen_store_written", self.name)
        await self._refresh_stats()
        return [self._result(inc, d) for inc, d in zip(batch, decisions, strict=True)]

    def _result(self, inc: Incoming, decision: Decision) -> Result:
        if decision.verdict is Verdict.DUPLICATE:
            return Done("duplicate")
        if decision.cluster_formed:
            self._metrics.dedup_clusters_formed.inc()
        item = inc.event.item.model_copy(
            update={
                "version": decision.version,
                "changed_fields": decision.changed_fields,
                "story_id": decision.story_id,
                "alias_of": decision.alias_of,
            }
        )
        event = inc.event.derive(_EVENT_TYPES[decision.verdict], SOURCE, item)
        return Publish((event,), outcome=decision.verdict.value)

    async def _refresh_stats(self) -> None:
        now = time.monotonic()
        if now - self._stats_at < _STATS_EVERY_S:
            return
        self._stats_at = now
        stats = await self._store.stats()
        self._metrics.dedup_state_keys.labels(self._backend).set(stats.keys)
        self._metrics.dedup_state_bytes.labels(self._backend).set(stats.bytes)
        self._metrics.dedup_state_bytes_per_key.labels(self._backend).set(stats.bytes_per_key)
