"""Topics are created with the partition counts and cleanup policies the settings ask for."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType

from newswire.kafka.topics import admin_client, ensure_topics, pipeline_topics
from newswire.settings import Settings, Topics

pytestmark = pytest.mark.kafka


async def test_topics_follow_the_settings(
    kafka_bootstrap: str, make_settings: Callable[..., Settings]
) -> None:
    settings = make_settings(kafka_bootstrap, topic_partitions=4)
    t = Topics(settings.topic_prefix)
    created = await ensure_topics(kafka_bootstrap, pipeline_topics(settings))
    assert set(created) == {
        t.feeds, t.feed_state, t.raw, t.unique, t.enriched,
        Topics.dlq(t.raw), Topics.dlq(t.unique), Topics.dlq(t.enriched),
    }  # fmt: skip
    assert await ensure_topics(kafka_bootstrap, pipeline_topics(settings)) == []  # idempotent

    async with admin_client(kafka_bootstrap) as admin:
        described = await admin.describe_topics([t.raw, t.feeds, Topics.dlq(t.raw)])
        partitions = {d["topic"]: len(d["partitions"]) for d in described}
        assert partitions == {t.raw: 4, t.feeds: 4, Topics.dlq(t.raw): 1}
        responses = await admin.describe_configs(
            [
                ConfigResource(ConfigResourceType.TOPIC, name)
                for name in (t.feeds, t.feed_state, t.raw)
            ]
        )
    policies = {}
    for response in responses:
        for _code, _msg, _type, name, entries in response.resources:
            policies[name] = {e[0]: e[1] for e in entries}["cleanup.policy"]
    assert policies == {t.feeds: "compact", t.feed_state: "compact", t.raw: "delete"}
