"""``newswire search`` and ``show`` as a user runs them. ``search --feed`` takes what
``newswire feeds list`` prints: the feed's id (that list shows its first 12 characters; any
unique prefix of 4+ works, like ``feeds show``), as well as the feed URL. Over a SQLite
store that holds items of several feeds; no Kafka involved."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import orjson
import pytest
from factories import make_item

from newswire_consumers.store.sqlite_store import SqliteStore
from newswire_producers.normalize.identity import feed_id_for

NEWSWIRE = [sys.executable, "-m", "newswire.app.cli"]
A = "https://a.example/feed.xml"
B = "https://b.example/rss"
C = "https://c106668.example/feed.xml"  # its id starts with the same 4 characters as A's


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    """A store with two heatwave stories from A, one from B, one from C."""
    items = [
        make_item(n, feed_url=url, feed_id=feed_id_for(url), title=f"Heatwave story {n}")
        for n, url in ((1, A), (2, A), (3, B), (4, C))
    ]
    with SqliteStore(tmp_path / "store.db") as store:
        store.upsert_many(items)
    return {
        **os.environ,
        "NEWSWIRE_STORE_URL": f"sqlite:///{tmp_path / 'store.db'}",
        "NEWSWIRE_CONFIG": str(tmp_path / "absent.toml"),
    }


def search(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*NEWSWIRE, "search", "heatwave", "--json", *args],
        env=env, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip


def feeds_of(done: subprocess.CompletedProcess[str]) -> list[str]:
    assert done.returncode == 0, done.stderr
    return sorted(orjson.loads(line)["feed_url"] for line in done.stdout.splitlines())


def test_search_feed_takes_the_id_feeds_list_prints_or_the_url(env: dict[str, str]) -> None:
    a, b = feed_id_for(A), feed_id_for(B)
    assert feeds_of(search(env)) == [A, A, B, C]
    assert feeds_of(search(env, "--feed", a[:12])) == [A, A]  # as `feeds list` shows it
    assert feeds_of(search(env, "--feed", b)) == [B]  # the whole id
    assert feeds_of(search(env, "--feed", b[:4].upper())) == [B]  # a prefix, any case
    assert feeds_of(search(env, "--feed", A)) == [A, A]  # the URL, as before


def test_an_unknown_or_ambiguous_feed_id_is_one_line(env: dict[str, str]) -> None:
    a = feed_id_for(A)
    assert feed_id_for(C)[:4] == a[:4] and feed_id_for(C)[:5] != a[:5]
    unknown = search(env, "--feed", "0" * 16)
    assert unknown.returncode == 1 and not unknown.stdout
    assert unknown.stderr.startswith("newswire: --feed '0000000000000000': no stored item comes")
    ambiguous = search(env, "--feed", a[:4])
    assert ambiguous.returncode == 1
    assert (
        ambiguous.stderr
        == f"newswire: --feed '{a[:4]}' matches 2 stored feeds; give more of the id\n"
    )
    assert feeds_of(search(env, "--feed", a[:5])) == [A, A]


def run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*NEWSWIRE, *args], env=env, capture_output=True, text=True, timeout=60, check=False
    )


def test_search_says_how_many_match_and_how_to_see_more(env: dict[str, str]) -> None:
    done = run(env, "search", "heatwave", "--limit", "3")
    assert done.returncode == 0, done.stderr
    assert done.stdout.rstrip().splitlines()[-1] == (
        "3 of 4 matching items; see more with --limit 4 (`newswire show ID` reads one)"
    )
    every = run(env, "search", "heatwave").stdout.rstrip().splitlines()[-1]
    assert every.startswith("4 of 4 matching items (")


def test_since_takes_a_duration_like_every_command(env: dict[str, str]) -> None:
    recent = run(env, "search", "heatwave", "--since", "3650d", "--json")
    assert recent.returncode == 0 and len(recent.stdout.splitlines()) == 4
    future = run(env, "search", "heatwave", "--until", "3650d", "--json")
    assert future.returncode == 0 and future.stdout == ""  # nothing is 10 years old
    bad = run(env, "search", "heatwave", "--since", "yesterdayish")
    assert bad.returncode == 2
    assert bad.stderr.strip() == (
        "newswire: --since 'yesterdayish' is neither a time (2026-11-28T12:00:00Z) nor a "
        "duration (2h)"
    )


def test_show_says_how_long_a_prefix_must_be(env: dict[str, str]) -> None:
    done = run(env, "show", "abc123")
    assert done.returncode == 2
    assert "give at least 8 characters of the item id" in done.stderr
