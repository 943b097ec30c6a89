"""``newswire status`` against a real pipeline run: feeds by state with the failing one and
its reason, lag per stage, dead letters, throughput from record timestamps, /readyz probes."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest
from tools_cli import newswire

from newswire.app.demo import FeedServer, Route, generate_site
from newswire.app.pipeline import run_pipeline
from newswire.kafka.reader import read_topic
from newswire.settings import Settings, Topics

pytestmark = pytest.mark.kafka


async def test_status_json_after_a_pipeline_run(kafka_settings: Settings, tmp_path: Path) -> None:
    site = generate_site(seed=5)
    unique = len(site.unique_links())
    served = sum(len(f.items) for f in site.feeds)
    with FeedServer() as server:
        server.add_site(site)
        server.set_route("/broken.xml", Route(b"<html><p>no feed here</p></html>", "text/html"))
        server.set_route("/readyz", Route(b"ready\n", "text/plain", etag=False))
        server.set_route(
            "/sick/readyz", Route(b"not ready: store\n", "text/plain", status=503, etag=False)
        )
        feeds = tmp_path / "feeds.txt"
        urls = [server.url(f.path) for f in site.feeds] + [server.url("/broken.xml")]
        feeds.write_text("\n".join(urls) + "\n")
        summary = await run_pipeline(kafka_settings, feeds_file=feeds, until_idle=True)
        assert summary.outcome("store", "stored") == unique

        code, out, err = await newswire(
            kafka_settings, tmp_path, "status", "--json",
            "--health", server.url("/readyz"),
            "--health", server.url("/sick/readyz"),
            "--health", "http://127.0.0.1:9/readyz",
        )  # fmt: skip
        assert code == 0, err
        report = orjson.loads(out)

        # the text screen carries the same facts
        code, screen, err = await newswire(
            kafka_settings, tmp_path, "status", "--health", server.url("/readyz")
        )
        assert code == 0, err

    feeds_part = report["feeds"]
    assert feeds_part["total"] == len(site.feeds) + 1
    assert feeds_part["by_state"].get("failing") == 1
    assert sum(feeds_part["by_state"].values()) == len(site.feeds) + 1
    (failing,) = feeds_part["failing"]
    assert failing["url"].endswith("/broken.xml")
    assert failing["consecutive_errors"] == 1
    assert failing["error"], "a failing feed must say why"

    topics = Topics(kafka_settings.topic_prefix)
    stages = {s["stage"]: s for s in report["stages"]}
    assert list(stages) == ["dedup", "enrich", "store"]
    assert stages["dedup"]["topic"] == topics.raw
    for stage in stages.values():
        assert stage["lag"] == 0, stage  # --until-idle drained every stage
        assert stage["members"] == 0
    assert sum(p["end"] for p in stages["dedup"]["partitions"]) == served
    enriched = len(await read_topic(kafka_settings.kafka_bootstrap, topics.enriched))
    assert enriched >= unique
    assert sum(p["committed"] or 0 for p in stages["store"]["partitions"]) == enriched

    assert [d["total"] for d in report["dlq"]] == [0, 0, 0]

    rates = {(r["topic"], r["window_s"]): r for r in report["throughput"]}
    assert rates[(topics.enriched, 60)]["records"] == enriched  # the run ended seconds ago
    assert rates[(topics.enriched, 900)]["records"] == enriched
    assert rates[(topics.raw, 60)]["records"] == served
    assert rates[(topics.enriched, 60)]["per_second"] == pytest.approx(enriched / 60, abs=0.001)

    assert [h["url"] for h in report["health"]][2] == "http://127.0.0.1:9/readyz"
    assert [h["ready"] for h in report["health"]] == [True, False, False]
    assert report["health"][1]["status"] == 503
    assert report["health"][1]["detail"] == "not ready: store"
    assert report["health"][2]["status"] is None  # nothing answered

    for fact in ("failing", "broken.xml", "parse_error", "dedup", "ready", f"({enriched})"):
        assert fact in screen, fact


async def test_status_health_urls_must_be_http(kafka_settings: Settings, tmp_path: Path) -> None:
    code, _, err = await newswire(kafka_settings, tmp_path, "status", "--health", "file:///x")
    assert code == 2
    assert "not an http(s) URL" in err
