"""``newswire demo``: the whole pipeline, offline, on generated news.

Serves the demo outlets' feeds on 127.0.0.1, imports them as an OPML feed list, runs every
stage through the real Kafka broker until every demo item is in the store, and prints a
summary. Each run uses fresh topics (``newswire-demo-<time>.*``) and a fresh dedup state,
so it always shows the full flow; the store is the configured one, so ``newswire search``
and ``newswire show`` find the demo items afterwards. Re-running upserts the same item ids
and adds no rows.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable
from datetime import UTC, datetime

from consumers.store.sqlite_store import SqliteStore
from newswire.demo import FeedServer, generate_site
from newswire.kafka.topics import delete_topics, list_topics
from newswire.metrics import Metrics
from newswire.pipeline import RunSummary, counter_values, run_pipeline, seen_store_path
from newswire.settings import Settings

DEMO_PREFIX = "newswire-demo-"
DEMO_PORT = 8765  # fixed, so item ids (derived from feed URLs) are the same on every run

Echo = Callable[[str], None]


async def _report_progress(metrics: Metrics, echo: Echo, stop: asyncio.Event) -> None:
    last = ""
    while not stop.is_set():
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=1.0)
        stages = counter_values(metrics, "newswire_stage_records", "stage", "outcome")
        published = int(metrics.items_published._value.get())
        line = "  progress: fetched {} · deduplicated {} · enriched {} · stored {}".format(
            published,
            sum(stages.get("dedup", {}).values()),
            sum(stages.get("enrich", {}).values()),
            sum(stages.get("store", {}).values()),
        )
        if line != last:
            echo(line)
            last = line


async def _forget_old_runs(settings: Settings, keep: str) -> None:
    """Delete earlier demo runs' topics and dedup state (best effort)."""
    old = [
        t
        for t in await list_topics(settings.kafka_bootstrap)
        if t.startswith(DEMO_PREFIX) and not t.startswith(keep)
    ]
    if old:
        await delete_topics(settings.kafka_bootstrap, old)
    for path in settings.data_dir.glob(f"seen-{DEMO_PREFIX}*.db*"):
        if keep not in path.name:
            path.unlink(missing_ok=True)


async def run_demo(settings: Settings, *, echo: Echo, keep_topics: bool = False) -> bool:
    """Run the demo; returns True when every demo item is stored."""
    started = time.monotonic()
    site = generate_site(seed=7, now=datetime.now(UTC))
    prefix = f"{DEMO_PREFIX}{int(time.time())}"
    demo_settings = settings.model_copy(
        update={
            "topic_prefix": prefix,
            "fetch_allow_networks": (*settings.fetch_allow_networks, "127.0.0.1/32"),
            "health_port": 0,
        }
    )
    if not keep_topics:
        await _forget_old_runs(demo_settings, prefix)
    demo_dir = settings.data_dir / "demo"
    demo_dir.mkdir(parents=True, exist_ok=True)
    with FeedServer(port=DEMO_PORT) as server:
        server.add_site(site)
        opml = demo_dir / "feeds.opml"
        opml.write_bytes(site.opml(server.base_url))
        n_items = sum(len(f.items) for f in site.feeds)
        echo(f"demo: serving {len(site.feeds)} outlets ({n_items} items) on {server.base_url}")
        metrics = Metrics()
        done = asyncio.Event()
        reporter = asyncio.create_task(_report_progress(metrics, echo, done))
        try:
            summary = await run_pipeline(
                demo_settings, feeds_file=opml, until_idle=True, progress=echo, metrics=metrics
            )
        finally:
            done.set()
            await reporter
        stored_links = _stored_links(settings.store_url, server.base_url)
    missing = site.unique_links() - stored_links
    _print_summary(
        echo,
        summary,
        len(site.feeds),
        len(site.unique_links()),
        len(missing),
        time.monotonic() - started,
    )
    echo(f"  dedup state: {seen_store_path(demo_settings)}")
    return not missing


def _stored_links(store_url: str, base_url: str) -> set[str]:
    with SqliteStore.from_url(store_url) as store:
        return {item.link for item in store.iter_items() if item.feed_url.startswith(base_url)}


def _print_summary(
    echo: Echo, s: RunSummary, feeds: int, unique: int, missing: int, seconds: float
) -> None:
    echo("")
    echo("newswire demo summary")
    echo(f"  feeds                {feeds}")
    echo(f"  items fetched        {s.items_fetched}")
    echo(f"  duplicates dropped   {s.outcome('dedup', 'duplicate')}")
    echo(f"  unique items         {s.outcome('dedup', 'created')} (expected {unique})")
    echo(f"  items stored         {s.outcome('store', 'stored')} ({s.stored_total} in the store)")
    echo(f"  dead-lettered        {s.dead_lettered}")
    echo(f"  missing from store   {missing}")
    echo(f"  seconds              {seconds:.1f}")
    echo("")
    echo("Next: .venv/bin/newswire search <words>   then   .venv/bin/newswire show <id>")
