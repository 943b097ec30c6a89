"""The Redis seen-store's optimistic concurrency: a batch whose records another
replica changes between read and write is not applied but decided again on fresh state.

Needs the Redis of deploy/redis/local-redis.sh and FAILS without it.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import pytest
import pytest_asyncio
from dedup_support import require_redis
from factories import make_event

from newswire.kafka.stage import Delivery, Incoming
from newswire_consumers.dedup import ledger
from newswire_consumers.dedup.redis_seen_store import RedisSeenStore
from newswire_consumers.dedup.seen_store import Observation, Verdict
from newswire_consumers.dedup.stage import DedupStage

pytestmark = pytest.mark.redis

PARAMS = ledger.Params(story_threshold=0.6, story_window_s=3 * 86400.0)


class InterruptedStore(RedisSeenStore):
    """Runs ``rival`` once, right after this store's first read of a batch."""

    def __init__(self, url: str, namespace: str, rival: DedupStage, batch: list[Incoming]) -> None:
        super().__init__(url, namespace, PARAMS, 86400.0)
        self.rival, self.rival_batch, self.loads = rival, batch, 0

    async def _load(self, names: list[str], seen: dict[str, bytes]) -> ledger.Records:
        records = await super()._load(names, seen)
        self.loads += 1
        if self.loads == 1:
            await self.rival.process(self.rival_batch)
        return records


@pytest_asyncio.fixture(loop_scope="function")
async def namespace() -> AsyncIterator[str]:
    ns = f"test:race:{uuid.uuid4().hex}"
    yield ns
    cleaner = RedisSeenStore(require_redis(), ns, PARAMS, 86400.0)
    await cleaner.clear()
    await cleaner.aclose()


async def test_a_record_changed_after_the_read_makes_the_batch_decided_again(
    namespace: str,
) -> None:
    url = require_redis()
    link = "https://news.example/shared"
    rival_store = RedisSeenStore(url, namespace, PARAMS, 86400.0)
    rival_batch = [Incoming(make_event(1, link=link), Delivery("raw", 0, 0))]
    store = InterruptedStore(url, namespace, DedupStage(rival_store), rival_batch)
    try:
        # Another item under the same dedup key: created on the state first read (the key
        # unknown), an alias of the rival's item on the state the rival left.
        observation = Incoming(make_event(2, link=link), Delivery("raw", 1, 0))
        results = await DedupStage(store).process([observation])
        [decision] = await store.observe_batch(
            [
                Observation(
                    observation.event.item.dedup_key,
                    observation.event.item.item_id,
                    {},
                    observation.delivery,
                )
            ]
        )
    finally:
        await store.aclose()
        await rival_store.aclose()
    rival_item = rival_batch[0].event.item.item_id
    assert results[0].outcome == "alias"  # type: ignore[union-attr]
    assert store.loads > 2  # the first attempt's reads, then the second attempt's
    assert decision.verdict is Verdict.ALIAS and decision.replay  # applied once, then replayed
    assert decision.alias_of == rival_item
