"""FeedServer: routes, conditional GET, the request log, and its lifecycle."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import feedparser
import httpx
import pytest

from newswire.app.demo import FeedServer, Route, generate_site

FEED = b'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title></channel></rss>'


@pytest.fixture
def server() -> Iterator[FeedServer]:
    with FeedServer({"/feed.xml": Route(FEED, content_type="application/rss+xml")}) as srv:
        yield srv


@pytest.fixture
def client() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=5.0) as c:
        yield c


def test_serves_a_route_with_validators(server: FeedServer, client: httpx.Client) -> None:
    assert server.base_url.startswith("http://127.0.0.1:")
    response = client.get(server.url("/feed.xml"))
    assert response.status_code == 200
    assert response.content == FEED
    assert response.headers["content-type"] == "application/rss+xml"
    assert response.headers["content-length"] == str(len(FEED))
    assert response.headers["etag"].startswith('"') and response.headers["etag"].endswith('"')
    assert response.headers["last-modified"].endswith(" GMT")


def test_query_strings_do_not_change_the_route(server: FeedServer, client: httpx.Client) -> None:
    response = client.get(server.url("/feed.xml?since=yesterday"))
    assert response.content == FEED
    assert server.requests[-1].path == "/feed.xml?since=yesterday"


def test_head_sends_headers_without_a_body(server: FeedServer, client: httpx.Client) -> None:
    response = client.head(server.url("/feed.xml"))
    assert response.status_code == 200
    assert response.content == b""
    assert response.headers["content-length"] == str(len(FEED))
    assert "etag" in response.headers


def test_unknown_path_is_404(server: FeedServer, client: httpx.Client) -> None:
    response = client.get(server.url("/nope.xml"))
    assert response.status_code == 404
    assert server.requests[-1].status == 404


def test_other_methods_are_405(server: FeedServer, client: httpx.Client) -> None:
    response = client.post(server.url("/feed.xml"), content=b"x")
    assert response.status_code == 405
    assert response.headers["allow"] == "GET, HEAD"


@pytest.mark.parametrize(
    ("if_none_match", "status"),
    [
        ("{etag}", 304),
        ("W/{etag}", 304),  # RFC 9110 13.1.2: If-None-Match uses the weak comparison
        ('"other", {etag}', 304),
        ("*", 304),
        ('"other"', 200),
    ],
)
def test_if_none_match(
    server: FeedServer, client: httpx.Client, if_none_match: str, status: int
) -> None:
    etag = client.get(server.url("/feed.xml")).headers["etag"]
    response = client.get(
        server.url("/feed.xml"), headers={"If-None-Match": if_none_match.format(etag=etag)}
    )
    assert response.status_code == status
    if status == 304:
        assert response.content == b""
        assert response.headers["etag"] == etag
        assert "content-type" not in response.headers


def test_if_modified_since(server: FeedServer, client: httpx.Client) -> None:
    first = client.get(server.url("/feed.xml"))
    last_modified = first.headers["last-modified"]
    earlier = format_datetime(datetime.now(UTC) - timedelta(days=1), usegmt=True)
    url = server.url("/feed.xml")
    assert client.get(url, headers={"If-Modified-Since": last_modified}).status_code == 304
    assert client.get(url, headers={"If-Modified-Since": earlier}).status_code == 200
    assert client.get(url, headers={"If-Modified-Since": "yesterday"}).status_code == 200
    # RFC 9110 13.2.2: a failing If-None-Match wins over a matching If-Modified-Since.
    both = {"If-None-Match": '"other"', "If-Modified-Since": last_modified}
    assert client.get(url, headers=both).status_code == 200


def test_request_log_records_what_the_client_sent(server: FeedServer, client: httpx.Client) -> None:
    before = datetime.now(UTC)
    client.get(server.url("/feed.xml"), headers={"User-Agent": "newswire-test/1", "X-Trace": "a"})
    (record,) = server.requests
    assert record.method == "GET"
    assert record.path == "/feed.xml"
    assert record.status == 200
    assert record.headers["user-agent"] == "newswire-test/1"
    assert record.headers["x-trace"] == "a"
    assert before <= record.time <= datetime.now(UTC)
    server.requests.clear()  # a copy: clearing it leaves the log alone
    assert len(server.requests) == 1


def test_set_route_while_running_adds_and_replaces(
    server: FeedServer, client: httpx.Client
) -> None:
    old_etag = client.get(server.url("/feed.xml")).headers["etag"]
    server.set_route("/new.json", Route(b"{}", content_type="application/feed+json"))
    server.set_route("/feed.xml", Route(FEED + b"\n"))
    added = client.get(server.url("/new.json"))
    assert (added.status_code, added.content) == (200, b"{}")
    replaced = client.get(server.url("/feed.xml"), headers={"If-None-Match": old_etag})
    assert replaced.status_code == 200, "a changed body gets a new ETag"
    assert replaced.content == FEED + b"\n"
    assert replaced.headers["etag"] != old_etag


def test_status_extra_headers_and_no_validators(server: FeedServer, client: httpx.Client) -> None:
    server.set_route("/old.xml", Route(b"", status=301, headers={"Location": "/feed.xml"}))
    server.set_route("/busy.xml", Route(b"busy", status=503, headers={"Retry-After": "120"}))
    server.set_route("/plain.xml", Route(FEED, etag=False))
    moved = client.get(server.url("/old.xml"))
    assert moved.status_code == 301
    assert moved.headers["location"] == "/feed.xml"
    assert "etag" not in moved.headers, "validators only on 2xx responses"
    busy = client.get(server.url("/busy.xml"), headers={"If-None-Match": "*"})
    assert (busy.status_code, busy.headers["retry-after"]) == (503, "120")
    plain = client.get(server.url("/plain.xml"), headers={"If-None-Match": "*"})
    assert plain.status_code == 200
    assert "etag" not in plain.headers
    assert "last-modified" not in plain.headers


def test_route_paths_must_be_absolute() -> None:
    with pytest.raises(ValueError, match="start with"):
        FeedServer().set_route("feed.xml", Route(b""))


def test_add_site_serves_every_feed(client: httpx.Client) -> None:
    site = generate_site(seed=7, now=datetime(2026, 11, 28, 12, 0, tzinfo=UTC))
    with FeedServer() as server:
        server.add_site(site)
        for feed in site.feeds:
            response = client.get(server.url(feed.path))
            assert response.status_code == 200
            assert response.headers["content-type"] == feed.content_type
            assert response.content == feed.body
            if feed.format != "jsonfeed":
                assert len(feedparser.parse(response.content).entries) == len(feed.items)


async def test_works_from_async_code(server: FeedServer) -> None:
    async with httpx.AsyncClient(timeout=5.0) as client:
        response = await client.get(server.url("/feed.xml"))
    assert response.content == FEED


def test_close_is_idempotent_and_final(client: httpx.Client) -> None:
    server = FeedServer({"/feed.xml": Route(FEED)})
    server.close()  # before starting: nothing to stop
    with pytest.raises(RuntimeError, match="cannot be started"):
        server.__enter__()
    with pytest.raises(RuntimeError, match="not been started"):
        _ = server.base_url

    with FeedServer({"/feed.xml": Route(FEED)}) as running:
        url = running.url("/feed.xml")
        assert client.get(url).status_code == 200  # leaves a keep-alive connection open
        started = time.monotonic()
    assert time.monotonic() - started < 5, "close must not wait for idle connections"
    running.close()
    with pytest.raises(RuntimeError):
        running.__enter__()
    with pytest.raises(httpx.TransportError), httpx.Client(timeout=2.0) as fresh:
        fresh.get(url)
