"""The image, and the pipeline deployed as containers: ``make container-test``.

One image runs every service; here each runs in its own container on the host network
against the local broker, configured as the Kubernetes base configures it
(tests/deployment.py), with its state on its own volume. The demo site's outlets go in and
come out of the api container; then one stage's container is stopped with SIGTERM while it
works through a backlog and started again, and the reliability tests' verifier
(tests/reliability/verify.py) checks that nothing was lost or stored twice.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import replace
from pathlib import Path

import pytest
from podman import Podman
from reliability.ledger import LedgerFeeds
from reliability.verify import (
    Report,
    Verdict,
    assert_clean,
    committed_offsets,
    quiet,
    until,
    verdict_result,
    verify,
)
from run_figures import note
from stack import Stack, total

from newswire.app.demo import FeedServer, generate_site
from newswire.app.demo.run import DEMO_NOW, DEMO_SEED
from newswire.app.stages import STAGES
from newswire.kafka.reader import read_topic
from newswire.settings import Topics
from newswire_schemas.envelope import decode_event

pytestmark = [pytest.mark.container, pytest.mark.kafka]

VICTIM = "enrich"  # the slowest stage: it has a backlog while the others wait on it
LEDGER_FEEDS, LEDGER_ITEMS = 20, 100  # the load of the SIGTERM test: 2,000 items

# Found in the runtime image, none of these may be: compilers, build and install tools,
# package and pip caches, the build stage's sources.
LEFTOVERS = """
for tool in gcc cc c++ make pip pip3 /opt/newswire/bin/pip; do
  command -v "$tool" >/dev/null && echo "tool: $tool"
done
for dir in /root/.cache /var/lib/newswire/.cache /src; do
  [ -e "$dir" ] && echo "path: $dir"
done
find /var/cache/apt /var/lib/apt/lists -type f ! -name lock 2>/dev/null | sed 's/^/cache: /'
find /opt/newswire -maxdepth 4 -name 'pip' -type d | sed 's/^/venv: /'
true
"""


@pytest.mark.timeout(1500)
def test_the_image_is_non_root_and_carries_no_build_tools(podman: Podman, image: str) -> None:
    doc = podman.inspect("image", image)
    config = doc["Config"]
    assert isinstance(config, dict)
    assert config["User"] == "10001:10001"
    assert config["Entrypoint"] == ["newswire"]
    health = str(doc.get("Healthcheck"))  # podman: top level, Docker: in Config
    health += str(config.get("Healthcheck"))
    assert "/livez" in health, "the image has no HEALTHCHECK (podman build needs --format docker)"
    run = ["--rm", "--network", "none"]
    version = podman("run", *run, image, "--version").strip()
    assert version.startswith("newswire "), version
    note("version", version)
    uid = podman("run", *run, "--entrypoint", "id", image, "-u").strip()
    assert uid == "10001"
    leftovers = podman("run", *run, "--user", "0", "--entrypoint", "sh", image, "-c", LEFTOVERS)
    assert not leftovers.strip(), leftovers


@pytest.mark.timeout(600)
def test_every_demo_item_is_stored_and_read_back_through_the_api(
    stack: Stack, feed_server: FeedServer, feeds_dir: Path
) -> None:
    started = time.monotonic()
    site = generate_site(seed=DEMO_SEED, now=DEMO_NOW)
    feed_server.add_site(site)
    opml = feeds_dir / "demo.opml"
    opml.write_bytes(site.opml(feed_server.base_url))
    opml.chmod(0o644)
    stack.once("demo-feeds", ["feeds", "import", "/feeds/demo.opml"], f"{opml}:/feeds/demo.opml:ro")
    want = site.unique_links()
    deadline = time.monotonic() + 300
    links: set[str] = set()
    while not want <= links:
        assert time.monotonic() < deadline, f"{len(want - links)} demo stories never stored"
        for name in stack.names:
            assert stack.podman.status(stack.names[name]) == "running", name
        time.sleep(1.0)  # polling the api for what other containers store
        links = {str(i["link"]) for i in stack.api_items()}
    note("demo_items_served", sum(len(f.items) for f in site.feeds))
    note("demo_stories_stored", len(want & links))
    note("demo_seconds", round(time.monotonic() - started, 1))
    for name, container in stack.names.items():
        stack.podman("healthcheck", "run", container)  # exit 0: healthy
        metrics = stack.metrics(name)
        assert metrics.get(f"newswire_service_ready{{service={name}}}") == 1.0, name
        assert total(metrics, "newswire_build_info{") == 1.0, name
    published = total(stack.metrics("producer"), "newswire_items_published_total")
    stored = {}
    for spec in STAGES:
        stored[spec.name] = _stage_total(stack, spec.name)
        assert stored[spec.name] > 0, spec.name
    assert published >= len(want)
    note("metrics_demo", {"producer_published": published, **stored})


@pytest.mark.timeout(900)
def test_a_stage_stopped_with_sigterm_under_load_loses_nothing(
    stack: Stack, feed_server: FeedServer, feeds_dir: Path, report: Report
) -> None:
    started = time.monotonic()
    topics = Topics(stack.prefix)
    ledger = LedgerFeeds(feed_server, LEDGER_FEEDS)
    ledger.grow(LEDGER_ITEMS)
    listing = feeds_dir / "ledger.txt"
    listing.write_text("".join(f"{url}\n" for url in ledger.urls))
    listing.chmod(0o644)
    before = _stage_total(stack, VICTIM)
    stack.once("ledger-feeds", ["feeds", "import", "/feeds/l.txt"], f"{listing}:/feeds/l.txt:ro")
    deadline = time.monotonic() + 180
    while _stage_total(stack, VICTIM) < before + 100:  # SIGTERM while it works
        assert time.monotonic() < deadline, f"{VICTIM} never got going"
        time.sleep(0.1)  # polling a container's /metrics
    processed = _stage_total(stack, VICTIM) - before
    code, seconds = stack.podman.stop(stack.names[VICTIM], 60)
    spec = next(s for s in STAGES if s.name == VICTIM)
    backlog = asyncio.run(_backlog(stack.bootstrap, topics, VICTIM, spec.input_topic(topics)))
    stack.podman("start", stack.names[VICTIM])
    note("restart_ready_seconds", round(stack.wait_ready(VICTIM), 1))
    verdict = asyncio.run(_settle_and_verify(stack, topics, ledger))
    evidence = {
        "processed_before_sigterm": int(processed),
        "backlog_at_sigterm": backlog,
        "exit_code": code,
        "exit_seconds": round(seconds, 1),
    }
    result = verdict_result(
        f"container: {VICTIM} stopped with SIGTERM under load, started again",
        verdict,
        evidence,
        started=started,
    )
    figures = {"items": verdict.served, "lost": verdict.lost, "duplicates": verdict.duplicates}
    note("sigterm", {"stage": VICTIM, **figures, "stored": verdict.stored, **evidence})
    assert code == 0, f"{VICTIM} exited {code} on SIGTERM"
    assert_clean(result, report, "processed_before_sigterm", "backlog_at_sigterm")


def _stage_total(stack: Stack, stage: str) -> float:
    metrics = stack.metrics(stage)
    return sum(
        v for k, v in metrics.items()
        if k.startswith("newswire_stage_records_total{") and f"stage={stage}" in k
    )  # fmt: skip


async def _backlog(bootstrap: str, topics: Topics, stage: str, topic: str) -> int:
    """Records of ``topic`` that ``stage``'s group has not committed (its container is
    stopped): what it left for its restart."""
    parts = 3
    committed = await committed_offsets(bootstrap, topics.group(stage), topic, parts)
    records = await read_topic(bootstrap, topic)
    ends: dict[int, int] = {}
    for r in records:
        ends[r.partition] = max(ends.get(r.partition, 0), r.offset + 1)
    return sum(max(0, ends.get(p, 0) - committed.get(p, 0)) for p in range(parts))


async def _settle_and_verify(stack: Stack, topics: Topics, ledger: LedgerFeeds) -> Verdict:
    """Wait until every served ledger item is in the raw topic and every stage's group has
    committed its input's end; then the verifier, as the producer-kill scenario runs it."""

    async def raw_guids() -> dict[str, str]:
        records = await read_topic(stack.bootstrap, topics.raw)
        items = (decode_event(r.headers, r.value).item for r in records)
        return {i.guid or "": i.item_id for i in items}

    async def all_in_raw() -> bool:
        return set(await raw_guids()) >= ledger.served

    await until(all_in_raw, 240, "every served ledger item in the raw topic")
    for spec in STAGES:  # in order: each stage's input is complete by then
        topic = spec.input_topic(topics)
        await quiet(stack.bootstrap, topics.group(spec.name), topic, 3, timeout_s=240)
    ids = await raw_guids()
    acknowledged = {ids[g] for g in ledger.served if g in ids}
    db = stack.volumes["store"] / "newswire.db"
    verdict = await verify(
        bootstrap=stack.bootstrap,
        topic=topics.raw,
        store_url=f"sqlite:///{db}",
        served=acknowledged,
        acknowledged=acknowledged,
    )
    # The verifier saw only what reached the raw topic: a served item missing there is lost.
    return replace(
        verdict, served=len(ledger.served), lost=len(ledger.served - set(ids)) + verdict.lost
    )
