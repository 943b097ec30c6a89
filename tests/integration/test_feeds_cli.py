"""``newswire feeds`` as a user runs it, against the real broker and a local feed server:
add (with autodiscovery), import (bad entries reported, not fatal), export, list, show,
pause, resume, remove."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import uuid
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest

from newswire.app.demo import FeedServer, Route

NEWSWIRE = [sys.executable, "-m", "newswire.app.cli"]
RSS = (
    b'<?xml version="1.0"?><rss version="2.0"><channel><title>Harbour &amp; Town</title>'
    b"<ttl>90</ttl><item><title>One</title><link>https://news.example/1</link></item>"
    b"</channel></rss>"
)
PAGE = (
    b"<!DOCTYPE html><html><head><title>Harbour</title>"
    b'<link rel="stylesheet" href="/style.css">'
    b'<link rel="alternate" type="application/rss+xml" title="News" href="feed.xml">'
    b"</head><body><p>Welcome</p></body></html>"
)
PLAIN = b"<!doctype html><html><head><title>No feed here</title></head><body></body></html>"


def cli(*args: str, env: dict[str, str], check: bool = True) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [*NEWSWIRE, *args], env=env, capture_output=True, text=True, timeout=120, check=False
    )
    if check and result.returncode != 0:
        command = " ".join(args)
        output = f"{result.stdout}\n{result.stderr}"
        raise AssertionError(f"newswire {command} exited {result.returncode}:\n{output}")
    return result


@pytest.mark.parametrize(
    "command",
    ["feeds", "feeds add", "feeds import", "feeds export", "feeds list", "feeds show",
     "feeds remove", "feeds pause", "feeds resume"],
)  # fmt: skip
def test_every_feeds_command_has_useful_help(command: str) -> None:
    out = subprocess.run(
        [*NEWSWIRE, *command.split(), "--help"], capture_output=True, text=True, check=True
    ).stdout
    assert "Usage:" in out and len(out.split()) > 15


@pytest.fixture
def server() -> Iterator[FeedServer]:
    routes = {
        "/": Route(PAGE, "text/html"),
        "/feed.xml": Route(RSS, "application/rss+xml"),
        "/plain": Route(PLAIN, "text/html"),
        "/gone": Route(b"gone", "text/plain", status=410, etag=False),
    }
    with FeedServer(routes) as s:
        yield s


@pytest.fixture
def env(tmp_path: Path, kafka_bootstrap: str) -> dict[str, str]:
    return {
        **os.environ,
        "NEWSWIRE_KAFKA_BOOTSTRAP": kafka_bootstrap,
        "NEWSWIRE_TOPIC_PREFIX": f"test-feeds-{uuid.uuid4().hex[:8]}",
        "NEWSWIRE_FETCH_ALLOW_NETWORKS": "127.0.0.1/32",
        "NEWSWIRE_DATA_DIR": str(tmp_path / "data"),
        "NEWSWIRE_STORE_URL": f"sqlite:///{tmp_path / 'data' / 'store.db'}",
        "NEWSWIRE_HEALTH_PORT": "0",
        "NEWSWIRE_CONFIG": str(tmp_path / "absent.toml"),
        "NEWSWIRE_LOG_LEVEL": "WARNING",
    }


def listed(env: dict[str, str]) -> list[dict[str, object]]:
    return [
        orjson.loads(line) for line in cli("feeds", "list", "--json", env=env).stdout.splitlines()
    ]


@pytest.mark.kafka
def test_add_discovers_a_pages_feed(server: FeedServer, env: dict[str, str]) -> None:
    out = cli("feeds", "add", server.url("/"), env=env).stdout
    assert f"found {server.url('/feed.xml')} on {server.url('/')}" in out
    assert "added " in out and "(Harbour & Town)" in out
    again = cli("feeds", "add", server.url("/feed.xml"), env=env).stdout
    assert again.startswith("already registered:")
    [row] = listed(env)
    assert row["state"] == "new" and row["feed_state"] is None
    assert row["feed"]["url"] == server.url("/feed.xml")  # type: ignore[index]
    assert row["feed"]["title"] == "Harbour & Town"  # type: ignore[index]

    no_feed = cli("feeds", "add", server.url("/plain"), env=env, check=False)
    assert no_feed.returncode == 1 and "links none" in no_feed.stderr
    missing = cli("feeds", "add", server.url("/missing"), env=env, check=False)
    assert missing.returncode == 1 and "404" in missing.stderr
    bad = cli("feeds", "add", "ftp://example.com/feed", env=env, check=False)
    assert bad.returncode == 2
    assert len(listed(env)) == 1


@pytest.mark.kafka
def test_import_reports_bad_entries_without_stopping(
    server: FeedServer, env: dict[str, str], tmp_path: Path
) -> None:
    opml = tmp_path / "feeds.opml"
    opml.write_text(
        '<?xml version="1.0"?><opml version="2.0"><head><title>mine</title></head><body>'
        f'<outline text="Harbour" type="rss" xmlUrl="{server.url("/feed.xml")}"/>'
        '<outline text="Folder">'
        '<outline text="A" type="rss" xmlUrl="https://a.example/feed"/>'
        '<outline text="FTP" type="rss" xmlUrl="ftp://files.example/feed"/>'
        '<outline text="No URL" type="rss"/>'
        '<outline text="B" type="rss" xmlUrl="https://b.example/rss"/>'
        '<outline text="A again" type="rss" xmlUrl="https://A.example/feed"/>'
        "</outline></body></opml>"
    )
    first = cli("feeds", "import", str(opml), env=env, check=False)
    assert first.returncode == 1
    assert "imported 3 new feeds" in first.stdout
    assert "importing feeds.opml" in first.stderr and "3/3" in first.stderr  # progress
    assert "skipped 2 bad entries" in first.stderr
    assert "ftp://files.example/feed" in first.stderr and "not an http(s)" in first.stderr
    assert "No URL" in first.stderr
    again = cli("feeds", "import", str(opml), env=env, check=False)
    assert "imported 0 new feeds" in again.stdout and "(3 already registered)" in again.stdout

    exported = cli("feeds", "export", env=env).stdout
    urls = {el.attrib["xmlUrl"] for el in ET.fromstring(exported.encode()).iter("outline")}
    assert urls == {server.url("/feed.xml"), "https://a.example/feed", "https://b.example/rss"}
    out_file = tmp_path / "out.opml"
    cli("feeds", "export", "-o", str(out_file), env=env)
    roundtrip = cli("feeds", "import", str(out_file), env=env)
    assert "imported 0 new feeds" in roundtrip.stdout


@pytest.mark.kafka
def test_show_pause_resume_remove(server: FeedServer, env: dict[str, str]) -> None:
    cli("feeds", "add", server.url("/feed.xml"), env=env)
    cli("feeds", "add", "--no-check", server.url("/gone"), env=env)
    feeds = {row["feed"]["url"]: row["feed"]["feed_id"] for row in listed(env)}  # type: ignore[index]
    feed_id, gone_id = feeds[server.url("/feed.xml")], feeds[server.url("/gone")]
    cli("run", "--until-idle", env=env)

    shown = cli("feeds", "show", feed_id[:8], env=env).stdout
    assert "health        ok" in shown
    assert "ok (HTTP 200), 1 items (1 new)" in shown
    assert "ETag" in shown and "Last-Modified" in shown
    assert "<ttl> 90 min" in shown
    next_poll = [line for line in shown.splitlines() if line.startswith("next poll")]
    assert next_poll and "ttl: the feed's <ttl> is 90 min" in next_poll[0]
    assert shown.splitlines()[0].split() == ["feed", feed_id]

    gone = cli("feeds", "show", server.url("/gone"), env=env).stdout
    assert "status        disabled: 410 Gone" in gone and "none while disabled" in gone

    as_json = orjson.loads(cli("feeds", "show", "--json", feed_id, env=env).stdout)
    assert as_json["feed_state"]["next_poll_reason"] == "ttl"

    cli("feeds", "pause", feed_id, env=env)
    assert {r["feed"]["feed_id"]: r["state"] for r in listed(env)} == {  # type: ignore[index]
        feed_id: "paused", gone_id: "disabled",
    }  # fmt: skip
    assert "none while paused" in cli("feeds", "show", feed_id, env=env).stdout
    cli("feeds", "resume", feed_id, env=env)
    cli("feeds", "resume", gone_id, env=env)  # re-enables a feed the producer disabled
    assert {r["state"] for r in listed(env)} == {"ok", "new"}

    table = cli("feeds", "list", env=env).stdout
    assert feed_id[:12] in table and "2 feeds" in table

    out = cli("feeds", "remove", feed_id, env=env).stdout
    assert out.startswith(f"removed {feed_id}")
    assert [r["feed"]["feed_id"] for r in listed(env)] == [gone_id]  # type: ignore[index]
    missing = cli("feeds", "show", feed_id, env=env, check=False)
    assert missing.returncode == 1 and "no registered feed" in missing.stderr


# -- the pieces under the commands (no broker) ------------------------------------------


@pytest.mark.parametrize(
    ("html", "expected"),
    [
        (PAGE, [("https://site.example/blog/feed.xml", "application/rss+xml")]),
        (  # preference by type, then page order; <base href> applies; duplicates once
            b'<html><head><base href="https://cdn.example/x/">'
            b'<LINK REL="Alternate" TYPE="application/feed+json" HREF="f.json">'
            b'<link rel="alternate home" type="application/atom+xml; charset=utf-8" href="a.xml">'
            b'<link rel="alternate" type="application/atom+xml" href="/a2.xml">'
            b'<link rel="alternate" type="text/html" href="/other-language.html">'
            b'<link rel="alternate" type="application/rss+xml" href="javascript:alert(1)">'
            b'<link rel="alternate" type="application/atom+xml" href="a.xml">',
            [
                ("https://cdn.example/x/a.xml", "application/atom+xml"),
                ("https://cdn.example/a2.xml", "application/atom+xml"),
                ("https://cdn.example/x/f.json", "application/feed+json"),
            ],
        ),
        (PLAIN, []),
        (b"\xff\xfe garbage <link", []),
    ],
)
def test_find_feed_links(html: bytes, expected: list[tuple[str, str]]) -> None:
    from newswire_producers.discovery import find_feed_links

    found = find_feed_links(html, "https://site.example/blog/", "text/html; charset=utf-8")
    assert [(f.url, f.type) for f in found] == expected


def test_looks_like_html() -> None:
    from newswire_producers.discovery import looks_like_html

    assert looks_like_html(PAGE) and looks_like_html(b"\xef\xbb\xbf  <!-- x --><html>")
    assert not looks_like_html(RSS) and not looks_like_html(b'{"version": "x"}')


@pytest.mark.parametrize(
    ("name", "text", "good", "bad"),
    [
        ("list.txt", "# mine\nhttps://a.example/f\n\nftp://x\nhttps://b.example/f\n"
         "https://a.example/f\nhttps://bad.example/a b\n", 2, ["line 4", "line 7"]),
        ("list.yaml", "feeds:\n  - https://a.example/f\n  - {url: 'https://b.example/f', "
         "title: B}\n  - {title: no url}\n  - mailto:x@y\n", 2, ["entry 3", "entry 4"]),
        ("list.opml", '<opml><body><outline text="A" xmlUrl="https://a.example/f"/>'
         '<outline text="Empty" type="rss"/></body></opml>', 1, ["outline 2"]),
    ],
)  # fmt: skip
def test_feed_lists_collect_bad_entries(
    tmp_path: Path, name: str, text: str, good: int, bad: list[str]
) -> None:
    from newswire_producers.registry import read_feed_list

    path = tmp_path / name
    path.write_text(text)
    listed = read_feed_list(path)
    assert len(listed.records) == good
    assert [e.where for e in listed.errors] == bad


@pytest.mark.parametrize(
    "text", ["<opml><body>", '<!DOCTYPE x [<!ENTITY a "b">]><opml/>', "feeds: {a: 1}"]
)
def test_an_unreadable_feed_list_is_an_error(tmp_path: Path, text: str) -> None:
    from newswire.errors import ConfigError
    from newswire_producers.registry import read_feed_list

    path = tmp_path / ("list.yaml" if text.startswith("feeds") else "list.opml")
    path.write_text(text)
    with pytest.raises(ConfigError):
        read_feed_list(path)


# 8-bit CSI and OSC, a 7-bit erase, DEL, a bidi override, an isolate, a zero-width space, a
# line separator and rich markup: what a hostile feed title carries to a terminal.
HOSTILE_TITLE = (
    "News \x9b2J\x9d0;x\x9c\x1b[2J\x7f \u202eevil \u2066i\u2069 z\u200bw \u2028 [red]r[/red]"
)
TERMINAL_RAW = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200b-\u200f\u2028\u2029\u202a-\u202e\u2060-\u2069\ufeff]"
)


@pytest.mark.kafka
def test_feed_text_reaches_the_terminal_filtered_and_json_keeps_it(
    server: FeedServer, env: dict[str, str]
) -> None:
    url = server.url("/feed.xml")
    added = cli("feeds", "add", url, "--title", HOSTILE_TITLE, "--no-check", env=env).stdout
    for out in (
        added,
        cli("feeds", "list", env=env).stdout,
        cli("feeds", "show", url, env=env).stdout,
    ):
        assert not TERMINAL_RAW.search(out.replace("\n", "")), repr(out)
        assert "[red]r[/red]" in out  # markup from data is printed as written
    (row,) = listed(env)
    assert row["feed"]["title"] == HOSTILE_TITLE  # type: ignore[index]  # lossless
    raw = cli("feeds", "list", "--json", env=env).stdout
    assert not TERMINAL_RAW.search(raw.replace("\n", "")) and "\\u009b" in raw
