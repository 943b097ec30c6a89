"""The read API and its HTML page over both store backends."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from factories import make_item
from store_fixtures import any_store, postgres_server, postgres_url, store_url

from newswire.app.api.app import SECURITY_HEADERS, create_app
from newswire_consumers.store.store import ItemStore, StoreUnavailable
from newswire_schemas.item import Content, Language

__all__ = ["any_store", "postgres_server", "postgres_url", "store_url"]  # fixtures

HOSTILE_TITLE = '<script>document.title="pwned"</script> & "quotes"'
HOSTILE_HTML = '<p>Harbour <b>dredging</b> begins.</p><img src="/x.png" alt="">'


def at(minute: int) -> datetime:
    return datetime(2026, 11, 28, 12, tzinfo=UTC) + timedelta(minutes=minute)


def asgi_client(app: object) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app)  # type: ignore[arg-type]
    return httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1")


@pytest.fixture
async def client(any_store: ItemStore) -> AsyncIterator[httpx.AsyncClient]:
    items = [make_item(i, published=at(i)) for i in range(7)]
    items += [
        make_item(
            100,
            title=HOSTILE_TITLE,
            content=Content(html=HOSTILE_HTML, text="Harbour dredging begins."),
            story_id="story-1",
            language=Language(detected="en-gb"),
            published=at(50),
        ),
        make_item(101, title="Dredging, day two", story_id="story-1", published=at(60)),
    ]
    any_store.upsert_many(items)
    async with asgi_client(create_app(any_store, page_max=50)) as c:
        yield c


async def test_items_pages_through_everything_newest_first(client: httpx.AsyncClient) -> None:
    seen: list[str] = []
    url = "/items?limit=4"
    while True:
        body = (await client.get(url)).json()
        seen += [i["item_id"] for i in body["items"]]
        if body["next_cursor"] is None:
            break
        url = f"/items?limit=4&cursor={body['next_cursor']}"
    assert len(seen) == len(set(seen)) == 9
    assert seen[0] == make_item(101).item_id  # newest first


async def test_items_search_and_filters(client: httpx.AsyncClient) -> None:
    hostile = make_item(100).item_id
    assert [i["item_id"] for i in (await client.get("/items?q=harbour")).json()["items"]] == [
        hostile
    ]
    assert [i["item_id"] for i in (await client.get("/items?language=en")).json()["items"]] == [
        hostile
    ]
    story = (await client.get("/items", params={"story": "story-1", "q": "dredging"})).json()
    assert len(story["items"]) == 2
    since = (await client.get("/items", params={"since": at(6).isoformat()})).json()
    assert len(since["items"]) == 3
    page1 = (await client.get("/items?q=story&limit=3")).json()
    page2 = (await client.get(f"/items?q=story&limit=3&cursor={page1['next_cursor']}")).json()
    assert not {i["item_id"] for i in page1["items"]} & {i["item_id"] for i in page2["items"]}


@pytest.mark.parametrize(
    "query",
    [
        "limit=0", "limit=51", "limit=x", "since=yesterday", "cursor=zzz", "q=a&cursor=k:1",
        # Edge input that once answered 500 or 503: a digit int() refuses, an offset past
        # the backends' integer range, the ends of the date range with an offset, a NUL.
        "limit=%C2%B2", "q=a&cursor=s:%C2%B2", "q=a&cursor=s:99999999999999999999",
        "limit=99999999999999999999", "since=0001-01-01T00:00:00%2B01:00",
        "until=9999-12-31T23:59:59-01:00", "q=%00", "feed=%00", "language=a%00",
        "story=%00", "cursor=k:%00",
    ],
)  # fmt: skip
async def test_bad_parameters_are_400(client: httpx.AsyncClient, query: str) -> None:
    response = await client.get(f"/items?{query}")
    assert response.status_code == 400, response.text
    assert query.split("=")[0].split("&")[-1] in response.json()["error"] or "cursor" in query


@pytest.mark.parametrize("path", ["/items/%00", "/stories/a%00b", "/read/%00"])
async def test_a_nul_in_a_path_is_400(client: httpx.AsyncClient, path: str) -> None:
    response = await client.get(path)
    assert response.status_code == 400, response.text


async def test_item_story_and_not_found(client: httpx.AsyncClient) -> None:
    item_id = make_item(3).item_id
    assert (await client.get(f"/items/{item_id}")).json()["title"] == "Story number 3"
    assert (await client.get(f"/items/{item_id[:10]}")).json()["item_id"] == item_id
    assert (await client.get("/items/" + "f" * 32)).status_code == 404
    story = (await client.get("/stories/story-1")).json()
    assert story["story_id"] == "story-1"
    assert [i["item_id"] for i in story["items"]] == [
        make_item(100).item_id,
        make_item(101).item_id,
    ]
    assert (await client.get("/stories/nope")).status_code == 404


async def test_openapi_documents_every_route(client: httpx.AsyncClient) -> None:
    doc = (await client.get("/openapi.json")).json()
    assert doc["openapi"].startswith("3.1")
    assert set(doc["paths"]) == {"/items", "/items/{id}", "/stories/{id}", "/openapi.json"}
    documented = {p["name"] for p in doc["paths"]["/items"]["get"]["parameters"]}
    assert documented == {"q", "feed", "language", "since", "until", "story", "limit", "cursor"}


async def test_html_escapes_feed_text_and_sandboxes_item_html(client: httpx.AsyncClient) -> None:
    home = await client.get("/?q=harbour")
    assert home.status_code == 200
    for name, value in SECURITY_HEADERS.items():
        assert home.headers[name] == value
    assert "script-src" not in home.headers["content-security-policy"]  # default-src 'none'
    assert "<script" not in home.text
    assert "&lt;script&gt;document.title=&quot;pwned&quot;&lt;/script&gt; &amp;" in home.text
    article = await client.get(f"/read/{make_item(100).item_id}")
    assert '<iframe class="original" sandbox=""' in article.text
    assert 'srcdoc="&lt;p&gt;Harbour &lt;b&gt;dredging&lt;/b&gt;' in article.text
    assert "<script" not in article.text
    assert (await client.get("/read/" + "0" * 32)).status_code == 404
    css = await client.get("/static/page.css")
    assert css.status_code == 200 and "max-width" in css.text


class DownStore:
    """Every call fails as a database that is down."""

    def __getattr__(self, name: str) -> object:
        def fail(*args: object, **kwargs: object) -> None:
            raise StoreUnavailable("database is down")

        return fail


async def test_a_store_that_is_down_answers_503() -> None:
    async with asgi_client(create_app(DownStore())) as c:  # type: ignore[arg-type]
        response = await c.get("/items?q=x")
        assert response.status_code == 503
        assert response.headers["retry-after"] == "5"
