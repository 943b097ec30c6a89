"""The console script as a user runs it: demo, search, show, export, inspect, run, --help."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import orjson
import pytest
from corpora import OWN
from paths import REPO

NEWSWIRE = [sys.executable, "-m", "newswire.app.cli"]
COMMANDS = [
    "run", "serve", "demo", "inspect", "search", "show", "export", "api",
    "topics", "topics ensure", "topics list",
    "status", "tail", "dlq", "dlq list", "dlq replay", "reprocess",
]  # fmt: skip


def cli(
    *args: str, env: dict[str, str], timeout: float = 120, check: bool = True
) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [*NEWSWIRE, *args], env=env, capture_output=True, text=True, timeout=timeout, check=False
    )
    if check and result.returncode != 0:
        command = " ".join(args)
        output = f"{result.stdout}\n{result.stderr}"
        raise AssertionError(f"newswire {command} exited {result.returncode}:\n{output}")
    return result


@pytest.fixture
def env(tmp_path: Path, kafka_bootstrap: str) -> dict[str, str]:
    return {
        **os.environ,
        "NEWSWIRE_KAFKA_BOOTSTRAP": kafka_bootstrap,
        "NEWSWIRE_DATA_DIR": str(tmp_path / "data"),
        "NEWSWIRE_STORE_URL": f"sqlite:///{tmp_path / 'data' / 'store.db'}",
        "NEWSWIRE_HEALTH_PORT": "0",
        "NEWSWIRE_CONFIG": str(tmp_path / "absent.toml"),
    }


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_useful_help(command: str) -> None:
    out = subprocess.run(
        [*NEWSWIRE, *command.split(), "--help"], capture_output=True, text=True, check=True
    ).stdout
    assert "Usage:" in out
    assert len(out.split()) > 15


@pytest.mark.kafka
@pytest.mark.xdist_group("demo-port")  # the demo's fixed port 127.0.0.1:8765
def test_demo_then_search_show_export(env: dict[str, str]) -> None:
    first = cli("demo", "--fresh", env=env).stdout
    assert "demo stories stored  111 of 111" in first
    assert "aliases (copies)     10" in first  # the wire stories' second and third outlets
    # The README's sample summary is what the demo prints (all but the seconds it took).
    readme = (REPO / "README.md").read_text()
    sample = readme.split("```\nnewswire demo summary\n", 1)[1].split("```", 1)[0]
    printed = first.split("newswire demo summary\n", 1)[1]
    for line in sample.splitlines():
        if line.strip() and not line.strip().startswith("seconds"):
            assert line in printed.splitlines(), f"README line not printed: {line!r}"
    again = cli("demo", env=env).stdout  # the second poll: 304s, nothing new
    assert "not_modified 6" in again
    assert "demo stories stored  111 of 111" in again

    hits = [
        orjson.loads(line)
        for line in cli("search", "--json", "heatwave", env=env).stdout.splitlines()
    ]
    assert hits, "search found nothing"
    assert all("heatwave" in (h["title"] + h["content"]["text"]).lower() for h in hits)
    article = cli("show", hits[0]["item_id"][:12], env=env).stdout
    lines = article.rstrip("\n").splitlines()
    assert lines[0] == hits[0]["title"]
    assert lines[1] == "=" * len(lines[0])
    assert lines[2].startswith("By ")
    assert lines[-1] == f"Source: {hits[0]['link']}"
    assert len(article.split()) > 150  # the full body, not a teaser

    exported = [
        orjson.loads(line)
        for line in cli("export", "--format", "jsonl", env=env).stdout.splitlines()
    ]
    assert len(exported) == len({e["item_id"] for e in exported}) == 111
    assert {"item_id", "feed_url", "story_id", "enrichment"} <= exported[0].keys()

    missing = cli("show", "0123456789abcdef", env=env, check=False)
    assert missing.returncode == 1
    assert "no stored item" in missing.stderr


def test_inspect_prints_json_lines_and_rejects_non_feeds(
    env: dict[str, str], tmp_path: Path
) -> None:
    feed = OWN.root / "atom10_xml_base.xml"
    result = cli("inspect", str(feed), env=env)
    rows = [orjson.loads(line) for line in result.stdout.splitlines()]
    assert len(rows) == 3  # the manifest's item_count
    assert [r["link"] for r in rows] == [
        f"https://atom.example/blog/posts/{i}.html" for i in (1, 2, 3)
    ]  # relative links resolved against xml:base
    assert {r["feed_url"] for r in rows} == {feed.resolve().as_uri()}
    assert all(r["item_id"] and r["title"] for r in rows)

    page = tmp_path / "page.html"
    page.write_text("<html><body><p>Not a feed</p></body></html>")
    bad = cli("inspect", str(page), str(feed), env=env, check=False)
    assert bad.returncode == 1
    assert len(bad.stdout.splitlines()) == 3  # the good input still printed
    reason = bad.stderr.strip().splitlines()
    assert len(reason) == 1 and str(page) in reason[0]


@pytest.mark.kafka
def test_run_drains_and_exits_zero_on_sigterm(env: dict[str, str], tmp_path: Path) -> None:
    feeds = tmp_path / "feeds.txt"
    feeds.write_text("# nothing reachable: the run just idles\nhttp://127.0.0.1:9/feed.xml\n")
    env = {**env, "NEWSWIRE_HEALTH_PORT": "0", "NEWSWIRE_TOPIC_PREFIX": f"sigterm-{os.getpid()}"}
    proc = subprocess.Popen(
        [*NEWSWIRE, "run", "--feeds", str(feeds)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert proc.stdout is not None
        url = ""
        deadline = time.monotonic() + 60
        while not url and time.monotonic() < deadline:
            line = proc.stdout.readline()
            if "health on" in line:
                url = line.split("health on ")[1].split()[0]
        assert url, "the pipeline never came up"
        while time.monotonic() < deadline:
            if httpx.get(url, trust_env=False).status_code == 200:
                break
            time.sleep(0.2)
        else:
            raise AssertionError("never ready")
        assert (
            httpx.get(url.replace("/readyz", "/metrics"), trust_env=False).text.count("newswire_")
            > 20
        )
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        if proc.stdout is not None:
            proc.stdout.close()


def test_serve_refuses_unknown_services(env: dict[str, str]) -> None:
    result = cli("serve", "dedup", "bogus", env=env, check=False)
    assert result.returncode == 1
    assert "unknown services ['bogus']" in result.stderr


@pytest.mark.kafka
def test_run_until_idle_exits_3_when_no_feed_could_be_fetched(
    env: dict[str, str], tmp_path: Path
) -> None:
    from newswire.app.demo import FeedServer, Route

    feed = (
        b'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>'
        b"<item><title>One</title><link>https://news.example/1</link><guid>1</guid></item>"
        b"</channel></rss>"
    )
    env = {**env, "NEWSWIRE_TOPIC_PREFIX": f"exit3-{os.getpid()}"}
    with FeedServer({"/feed.xml": Route(feed, "application/rss+xml")}) as server:
        feeds = tmp_path / "feeds.txt"
        feeds.write_text(server.url("/feed.xml") + "\n")
        # 127.0.0.1 is refused without the allow-list: every poll fails, and the run says so.
        refused = cli(
            "run", "--until-idle", "--feeds", str(feeds),
            env={**env, "NEWSWIRE_FETCH_ALLOW_NETWORKS": ""}, check=False,
        )  # fmt: skip
        assert refused.returncode == 3, refused.stderr[-2000:]
        assert refused.stderr.strip().splitlines()[-1] == (
            "newswire: no feed could be fetched (blocked 1); see `newswire feeds list`"
        )
        assert "{" not in refused.stdout  # outcomes as words, not a Python dict
        shown = cli("feeds", "show", server.url("/feed.xml"), env=env).stdout
        assert "NEWSWIRE_FETCH_ALLOW_NETWORKS" in shown  # the refusal names its setting

        allowed = cli(
            "run", "--until-idle", env={**env, "NEWSWIRE_FETCH_ALLOW_NETWORKS": "127.0.0.1/32"}
        )
        assert "fetched 1 items from 1 feeds (ok 1)" in allowed.stdout


def _listening() -> socket.socket:
    """A socket holding a free 127.0.0.1 port."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen()
    return sock


@pytest.mark.kafka
def test_a_taken_health_port_is_one_line_and_exit_2(env: dict[str, str], tmp_path: Path) -> None:
    feeds = tmp_path / "feeds.txt"
    feeds.write_text("http://127.0.0.1:9/feed.xml\n")
    with _listening() as taken:
        port = taken.getsockname()[1]
        env = {**env, "NEWSWIRE_HEALTH_PORT": str(port), "NEWSWIRE_TOPIC_PREFIX": f"port-{port}"}
        done = cli("run", "--until-idle", "--feeds", str(feeds), env=env, check=False)
    assert done.returncode == 2, done.stderr[-2000:]
    assert "Traceback" not in done.stderr
    assert (
        done.stderr.strip()
        .splitlines()[-1]
        .startswith(
            f"newswire: the health port 127.0.0.1:{port} is taken: set NEWSWIRE_HEALTH_PORT"
        )
    )


@pytest.mark.xdist_group("demo-port")
def test_the_demo_says_its_port_is_taken(env: dict[str, str]) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 8765))
        taken.listen()
        done = cli("demo", env=env, check=False)
    assert done.returncode == 2, done.stderr[-2000:]
    assert "Traceback" not in done.stderr
    last = done.stderr.strip().splitlines()[-1]
    assert last.startswith("newswire: the demo serves its feeds on 127.0.0.1:8765, which is taken")


def test_version_and_a_read_command_without_a_store(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSWIRE_")}
    env["NEWSWIRE_CONFIG"] = str(tmp_path / "absent.toml")
    version = cli("--version", env=env)
    assert version.stdout.startswith("newswire ") and len(version.stdout.split()) == 2
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    done = subprocess.run(
        [*NEWSWIRE, "search", "anything"], env=env, cwd=elsewhere,
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 1
    assert done.stderr.startswith(f"newswire: no store at {elsewhere.resolve()}/.local/data/")
    assert len(done.stderr.strip().splitlines()) == 1
    assert not (elsewhere / ".local").exists()  # nothing was created
