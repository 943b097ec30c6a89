"""/metrics, /livez and /readyz served by the per-service health server."""

from __future__ import annotations

import asyncio

import httpx

from newswire.health import HealthServer
from newswire.metrics import Metrics


async def test_health_endpoints() -> None:
    metrics = Metrics()
    metrics.fetches.labels("ok").inc(3)
    ready = {"value": False}
    async with HealthServer(metrics.registry) as server:
        server.ready_checks["store"] = lambda: ready["value"]
        base = f"http://127.0.0.1:{server.port}"
        async with httpx.AsyncClient(base_url=base, trust_env=False) as client:
            live = await client.get("/livez")
            assert live.status_code == 200
            not_ready = await client.get("/readyz")
            assert not_ready.status_code == 503
            assert "store" in not_ready.text
            ready["value"] = True
            assert (await client.get("/readyz")).status_code == 200
            scrape = await client.get("/metrics")
            assert scrape.status_code == 200
            assert 'newswire_fetches_total{outcome="ok"} 3.0' in scrape.text
            assert (await client.get("/nope")).status_code == 404
            assert (await client.post("/metrics")).status_code == 405
    await asyncio.sleep(0)


def test_metrics_are_on_an_injected_registry_and_named_with_units() -> None:
    a, b = Metrics(), Metrics()  # two registries never collide
    a.items_published.inc()
    assert b.registry.get_sample_value("newswire_items_published_total") == 0
    for family in a.registry.collect():
        assert family.name.startswith("newswire_")
        for sample in family.samples:
            assert not {"url", "feed_url", "item_id", "link"} & set(sample.labels)
