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


ONE_ITEM_FEED = (
    b'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>'
    b"<item><title>One</title><link>https://news.example/1</link><guid>1</guid></item>"
    b"</channel></rss>"
)


class Run:
    """``newswire ARGS`` in the background, its output read line by line."""

    def __init__(self, args: list[str], env: dict[str, str]) -> None:
        self.proc = subprocess.Popen(
            [*NEWSWIRE, *args], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            text=True,
        )  # fmt: skip
        self.lines: list[str] = []

    def until(self, text: str, timeout_s: float = 60) -> str:
        """Read output until a line holding ``text``; returns that line."""
        assert self.proc.stdout is not None
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            line = self.proc.stdout.readline()
            if not line and self.proc.poll() is not None:
                break
            self.lines.append(line)
            if text in line:
                return line
        raise AssertionError(f"no line with {text!r} in:\n{''.join(self.lines)[-3000:]}")

    def finish(self, timeout_s: float) -> tuple[int, str]:
        """Wait for the exit; returns the exit code and all the output."""
        out, _ = self.proc.communicate(timeout=timeout_s)
        return self.proc.returncode, "".join(self.lines) + out

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.communicate()


@pytest.mark.kafka
def test_run_reports_poll_rounds_and_true_counts_and_drains_on_sigterm(
    env: dict[str, str], tmp_path: Path
) -> None:
    from newswire.app.demo import FeedServer, Route

    env = {
        **env, "NEWSWIRE_TOPIC_PREFIX": f"sigterm-{os.getpid()}",
        "NEWSWIRE_FETCH_ALLOW_NETWORKS": "127.0.0.1/32", "NEWSWIRE_POLL_FIRST_SPREAD_S": "0",
    }  # fmt: skip
    with FeedServer({"/feed.xml": Route(ONE_ITEM_FEED, "application/rss+xml")}) as server:
        feeds = tmp_path / "feeds.txt"
        feeds.write_text(server.url("/feed.xml") + "\n")
        run = Run(["run", "--feeds", str(feeds)], env)
        try:
            assert "imported 1 new feeds" in run.until("imported")
            url = run.until("health on").split("health on ")[1].split()[0]
            deadline = time.monotonic() + 60
            while httpx.get(url, trust_env=False).status_code != 200:
                assert time.monotonic() < deadline, "never ready"
                time.sleep(0.2)
            metrics = httpx.get(url.replace("/readyz", "/metrics"), trust_env=False).text
            assert metrics.count("newswire_") > 20
            line = run.until("polled 1 feeds")
            assert "polled 1 feeds (ok 1) · 1 items · next poll due " in line, line
            assert "(in 1" in line  # the next poll: in about NEWSWIRE_POLL_INTERVAL_S (15 min)
            run.proc.send_signal(signal.SIGTERM)
            code, out = run.finish(60)
        finally:
            run.close()
    assert code == 0, out[-3000:]
    summary = next(x for x in out.splitlines() if x.startswith("polls "))
    assert summary.startswith("polls 1 · items fetched 1 · new 1 · "), summary
    assert " · stored 1 · " in summary, out[-3000:]
    assert "stopped; everything fetched was processed (nothing left in Kafka)" in out


@pytest.mark.kafka
def test_ctrl_c_stops_polls_within_seconds_and_drains_and_twice_exits_at_once(
    env: dict[str, str], tmp_path: Path
) -> None:
    from newswire.app.demo import FeedServer, Route

    env = {
        **env, "NEWSWIRE_TOPIC_PREFIX": f"sigint-{os.getpid()}",
        "NEWSWIRE_FETCH_ALLOW_NETWORKS": "127.0.0.1/32", "NEWSWIRE_FETCH_TIMEOUT_S": "120",
    }  # fmt: skip
    with (
        FeedServer({"/feed.xml": Route(ONE_ITEM_FEED, "application/rss+xml")}) as server,
        _listening() as silent,  # accepts connections, never answers: a poll that hangs
    ):
        hanging = f"http://127.0.0.1:{silent.getsockname()[1]}/feed.xml"
        feeds = tmp_path / "feeds.txt"
        feeds.write_text(f"{server.url('/feed.xml')}\n{hanging}\n")
        run = Run(["run", "--until-idle", "--feeds", str(feeds)], env)
        try:
            run.until("polling 2 feeds")
            time.sleep(2)  # the answering feed is fetched; the other hangs for 120 s
            run.proc.send_signal(signal.SIGINT)
            sent = time.monotonic()
            code, out = run.finish(60)
            took = time.monotonic() - sent
        finally:
            run.close()
        assert code == 0, out[-3000:]
        assert took < 30, f"{took:.0f} s: the hanging poll was not cancelled"
        assert "SIGINT: stopping (SIGINT again to exit at once)" in out
        assert "polling stopped; the feeds not polled are polled next run" in out
        summary = next(x for x in out.splitlines() if x.startswith("feeds "))
        assert summary.startswith("feeds 2 · items fetched 1 · new 1 · "), summary
        assert " · stored 1 · " in summary, out[-3000:]
        assert "nothing left in Kafka" in out

        again = Run(["run", "--until-idle"], env)
        try:
            again.until("polling 2 feeds")
            again.proc.send_signal(signal.SIGINT)
            again.until("stopping")
            again.proc.send_signal(signal.SIGINT)
            code, out = again.finish(10)
        finally:
            again.close()
        assert code == -signal.SIGINT, out[-3000:]
        assert "SIGINT again: exiting now" in out


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
    env["XDG_DATA_HOME"] = str(tmp_path / "xdg")  # the default data dir: <this>/newswire
    version = cli("--version", env=env)
    assert version.stdout.startswith("newswire ") and len(version.stdout.split()) == 2
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    done = subprocess.run(
        [*NEWSWIRE, "search", "anything"], env=env, cwd=elsewhere,
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 1
    store = (tmp_path / "xdg" / "newswire" / "newswire.db").resolve()
    assert done.stderr.startswith(f"newswire: no store at {store}:"), done.stderr  # not the cwd
    assert len(done.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "xdg").exists() and not (elsewhere / ".local").exists()  # no store
