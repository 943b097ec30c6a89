"""The read API serves its own probes and metrics on its port (api/health.py), where the
Kubernetes probes, the compose healthcheck, the image's HEALTHCHECK (NEWSWIRE_HEALTH_PORT set
to the api's port) and the Prometheus annotation of the api look for them."""

from __future__ import annotations

from pathlib import Path

import httpx

from newswire.app.api.app import create_app
from newswire.metrics import Metrics
from newswire_consumers.store.sqlite_store import SqliteStore
from newswire_consumers.store.store import StoreUnavailable


class DownStore:
    def ping(self) -> None:
        raise StoreUnavailable("down")

    def close(self) -> None:
        pass


def client(app: object) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app)  # type: ignore[arg-type]
    return httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1")


async def test_livez_readyz_and_metrics_with_a_store_that_answers(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "store.db")
    try:
        async with client(create_app(store, metrics=Metrics())) as c:
            assert (await c.get("/livez")).text == "ok\n"
            assert (await c.get("/readyz")).status_code == 200
            scrape = await c.get("/metrics")
            assert scrape.headers["content-type"].startswith("text/plain")
            assert 'newswire_service_ready{service="api"} 1.0' in scrape.text
            assert "newswire_build_info{" in scrape.text
    finally:
        store.close()


async def test_a_store_that_is_down_is_live_but_not_ready() -> None:
    async with client(create_app(DownStore())) as c:  # type: ignore[arg-type]
        assert (await c.get("/livez")).status_code == 200
        ready = await c.get("/readyz")
        assert (ready.status_code, ready.text) == (503, "not ready: store\n")
        assert 'newswire_service_ready{service="api"} 0.0' in (await c.get("/metrics")).text
