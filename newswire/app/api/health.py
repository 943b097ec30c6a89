"""The read API's probes and metrics, on the API's own port: ``/livez``, ``/readyz`` (ready
while the store answers) and ``/metrics`` (Prometheus text: ``newswire_build_info`` and
``newswire_service_ready{service="api"}``), where the Kubernetes probes, the compose
healthcheck and the Prometheus scrape annotation of the api look for them
(deploy/k8s/base/api.yaml, deploy/compose.yaml).

The endpoints are plain functions (not ``async``): Starlette runs them in its thread pool,
since a store's ``ping`` blocks.
"""

from __future__ import annotations

from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from newswire.metrics import Metrics
from newswire_consumers.store.store import ItemStore, StoreUnavailable


def health_routes(store: ItemStore, metrics: Metrics) -> list[Route]:
    """``/livez``, ``/readyz`` and ``/metrics`` for ``store``, reporting on ``metrics``."""

    def store_answers() -> bool:
        try:
            store.ping()
        except StoreUnavailable:
            return False
        return True

    metrics.up.labels("api").set_function(lambda: float(store_answers()))

    def livez(request: Request) -> Response:
        return PlainTextResponse("ok\n")

    def readyz(request: Request) -> Response:
        if store_answers():
            return PlainTextResponse("ready\n")
        return PlainTextResponse("not ready: store\n", status_code=503)

    def scrape(request: Request) -> Response:
        return Response(generate_latest(metrics.registry), media_type=CONTENT_TYPE_LATEST)

    return [
        Route("/livez", livez),
        Route("/readyz", readyz),
        Route("/metrics", scrape),
    ]
