"""The read API: a Starlette app over an :class:`~newswire_consumers.store.store.ItemStore`.

Routes: ``GET /items`` (search or list, filters, cursor pages), ``/items/{id}``,
``/stories/{id}``, ``/openapi.json``; the HTML reader at ``/`` and ``/read/{id}`` with its
stylesheet under ``/static``. Read-only: nothing here writes to the store.

Every response carries the security headers of :data:`SECURITY_HEADERS` (CSP without
scripts, nosniff, no referrer, no framing). A store that is down answers 503 with
``Retry-After``; bad parameters answer 400, naming the parameter. Endpoints are plain
functions that Starlette runs in its thread pool, since store calls block.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from starlette.applications import Starlette
from starlette.datastructures import MutableHeaders
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from newswire.app.api import page
from newswire.app.api.health import health_routes
from newswire.app.api.openapi import openapi_document
from newswire.metrics import Metrics
from newswire_consumers.store.store import AmbiguousItemId, ItemFilter, ItemStore, StoreUnavailable
from newswire_consumers.store.text import body_text
from newswire_schemas.item import Item

SECURITY_HEADERS = {
    "content-security-policy": page.CSP,
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "x-frame-options": "DENY",
}
_SEARCH_CURSOR = "s:"  # search pages: offset into the ranked results
_LIST_CURSOR = "k:"  # listings: keyset after (time, id), stable under new inserts


class SecurityHeaders:
    """ASGI middleware: adds :data:`SECURITY_HEADERS` to every HTTP response."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                MutableHeaders(scope=message).update(SECURITY_HEADERS)
            await send(message)

        await self.app(scope, receive, send_with_headers)


class BadRequest(ValueError):
    """A query parameter that cannot be used; the message names it."""


# A count or offset: ASCII digits only (str.isdigit also takes "²" and other digits that
# int() refuses), at most nine of them (far inside every backend's integer range).
_COUNT = re.compile(r"[0-9]{1,9}")


def _param(request: Request, name: str, default: str = "") -> str:
    """A query parameter's value; a NUL character in it is a bad request (no backend can
    search for one, and PostgreSQL refuses it in text)."""
    value = request.query_params.get(name, default)
    if "\x00" in value:
        raise BadRequest(f"{name}: contains a NUL character")
    return value


def _time(request: Request, name: str) -> datetime | None:
    value = _param(request, name)
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
        parsed = parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed
        return parsed.astimezone(UTC)  # overflows for the first and last day with an offset
    except ValueError:
        raise BadRequest(f"{name}: not an RFC 3339 time or date: {value!r}") from None
    except OverflowError:
        raise BadRequest(f"{name}: outside the representable range: {value!r}") from None


def _filter(request: Request) -> ItemFilter:
    return ItemFilter(
        feed_url=_param(request, "feed") or None,
        language=_param(request, "language") or None,
        since=_time(request, "since"),
        until=_time(request, "until"),
        story_id=_param(request, "story") or None,
    )


def _limit(request: Request, page_max: int) -> int:
    raw = _param(request, "limit", "20")
    if not _COUNT.fullmatch(raw) or not 1 <= int(raw) <= page_max:
        raise BadRequest(f"limit: want an integer from 1 to {page_max}, got {raw!r}")
    return int(raw)


def find(
    store: ItemStore, request: Request, page_max: int
) -> tuple[list[tuple[Item, str]], str | None]:
    """(item, snippet) pairs for the request's filters and page, and the next cursor."""
    query = _param(request, "q").strip()
    cursor = _param(request, "cursor") or None
    limit, where = _limit(request, page_max), _filter(request)
    if query:
        offset = 0
        if cursor is not None:
            tail = cursor.removeprefix(_SEARCH_CURSOR)
            if not cursor.startswith(_SEARCH_CURSOR) or not _COUNT.fullmatch(tail):
                raise BadRequest("cursor: not a cursor of this search")
            offset = int(tail)
        hits = store.search(query, limit=limit + 1, offset=offset, where=where)
        more = len(hits) > limit
        next_cursor = f"{_SEARCH_CURSOR}{offset + limit}" if more else None
        return [(h.item, h.snippet) for h in hits[:limit]], next_cursor
    if cursor is not None and not cursor.startswith(_LIST_CURSOR):
        raise BadRequest("cursor: not a cursor of this listing")
    try:
        result = store.list_items(
            limit=limit,
            cursor=cursor.removeprefix(_LIST_CURSOR) if cursor else None,
            where=where,
        )
    except (ValueError, OverflowError) as exc:
        raise BadRequest(f"cursor: {exc}") from None
    snippets = [(i, " ".join(body_text(i).split())[:200]) for i in result.items]
    nxt = result.next_cursor
    return snippets, _LIST_CURSOR + nxt if nxt else None


def _json_item(item: Item) -> dict[str, Any]:
    return item.model_dump(mode="json")


def create_app(
    store: ItemStore,
    *,
    page_max: int = 100,
    close_store: bool = False,
    metrics: Metrics | None = None,
) -> Starlette:
    """The app over ``store``; with ``close_store`` the store is closed at shutdown. It
    serves its probes and metrics too (``/livez``, ``/readyz``, ``/metrics``: api/health.py),
    on ``metrics`` (a fresh registry when None)."""

    def items(request: Request) -> Response:
        found, next_cursor = find(store, request, page_max)
        return JSONResponse(
            {"items": [_json_item(i) for i, _ in found], "next_cursor": next_cursor}
        )

    def item(request: Request) -> Response:
        if "\x00" in request.path_params["id"]:
            raise BadRequest("id: contains a NUL character")
        try:
            found = store.get(request.path_params["id"])
        except AmbiguousItemId as exc:
            return JSONResponse({"error": str(exc)}, status_code=409)
        if found is None:
            return JSONResponse({"error": "no such item"}, status_code=404)
        return JSONResponse(_json_item(found))

    def story(request: Request) -> Response:
        story_id = request.path_params["id"]
        if "\x00" in story_id:
            raise BadRequest("id: contains a NUL character")
        found = store.story(story_id)
        if not found:
            return JSONResponse({"error": "no such story"}, status_code=404)
        return JSONResponse({"story_id": story_id, "items": [_json_item(i) for i in found]})

    def openapi(request: Request) -> Response:
        return JSONResponse(openapi_document(version("newswire"), page_max))

    def home(request: Request) -> Response:
        found, next_cursor = find(store, request, page_max)
        next_href = None
        if next_cursor:
            params = {k: v for k, v in request.query_params.items() if k != "cursor"}
            next_href = "/?" + urlencode({**params, "cursor": next_cursor})
        q = request.query_params
        return HTMLResponse(
            page.search_page(q.get("q", ""), q.get("language", ""), found, next_href)
        )

    def read(request: Request) -> Response:
        if "\x00" in request.path_params["id"]:
            raise BadRequest("id: contains a NUL character")
        try:
            found = store.get(request.path_params["id"])
        except AmbiguousItemId:
            found = None
        if found is None:
            return HTMLResponse(page.not_found_page("This article"), status_code=404)
        return HTMLResponse(page.article_page(found))

    async def bad_request(request: Request, exc: Exception) -> Response:
        return JSONResponse({"error": str(exc)}, status_code=400)

    async def unavailable(request: Request, exc: Exception) -> Response:
        return JSONResponse(
            {"error": "the store is unavailable; retry later"},
            status_code=503,
            headers={"retry-after": "5"},
        )

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        yield
        if close_store:
            store.close()

    app = Starlette(
        routes=[
            Route("/items", items),
            Route("/items/{id}", item),
            Route("/stories/{id}", story),
            Route("/openapi.json", openapi),
            Route("/", home),
            Route("/read/{id}", read),
            *health_routes(store, metrics or Metrics()),
            Mount(
                "/static", StaticFiles(directory=Path(__file__).parent / "static"), name="static"
            ),
        ],
        exception_handlers={BadRequest: bad_request, StoreUnavailable: unavailable},
        lifespan=lifespan,
        middleware=[Middleware(SecurityHeaders)],
    )

    return app
