"""``newswire demo``: the whole pipeline, offline, on generated news.

Serves the demo outlets' feeds on 127.0.0.1, imports them as an OPML feed list, runs every
stage through the real Kafka broker until every demo item is in the store, and prints a
summary. The demo news is deterministic (fixed seed and date) and lives on its own topics
(``newswire-demo.*``) with its own dedup state, while the store is the configured one, so
``newswire search`` and ``newswire show`` find the demo items afterwards.

Running it again is the pipeline's second poll: the feed server answers 304 to the stored
validators and nothing new is stored. ``--fresh`` forgets the demo's topics and dedup state
first, so the whole flow runs again (the store upserts the same item ids: no new rows).
"""

from __future__ import annotations

import asyncio
import contextlib
import shlex
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from datetime import UTC, datetime

from newswire.app.demo import FeedServer, generate_site
from newswire.app.pipeline import RunSummary, counter_totals, counter_values, run_pipeline
from newswire.errors import BrokerUnavailable, PortInUse
from newswire.kafka.topics import delete_topics, list_topics
from newswire.metrics import Metrics
from newswire.settings import Settings, default_data_dir
from newswire_consumers.dedup.service import seen_store_path
from newswire_consumers.store.sqlite_store import SqliteStore

DEMO_PREFIX = "newswire-demo"
DEMO_PORT = 8765  # fixed, so item ids (derived from feed URLs) are the same on every run
DEMO_SEED = 7
DEMO_NOW = datetime(2026, 11, 28, 18, 0, tzinfo=UTC)  # fixed: the same news on every run

Echo = Callable[[str], None]


async def _report_progress(metrics: Metrics, echo: Echo, stop: asyncio.Event) -> None:
    last = ""
    while not stop.is_set():
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=1.0)
        stages = counter_values(metrics, "newswire_stage_records", "stage", "outcome")
        published = sum(v for _, v in counter_totals(metrics, "newswire_items_published"))
        line = "  progress: fetched {} · deduplicated {} · enriched {} · stored {}".format(
            published,
            sum(stages.get("dedup", {}).values()),
            sum(stages.get("enrich", {}).values()),
            sum(stages.get("store", {}).values()),
        )
        if line != last:
            echo(line)
            last = line


async def _forget(settings: Settings) -> None:
    """Delete the demo's topics and dedup state, and wait until Kafka has let go of them."""

    async def demo_topics() -> list[str]:
        names = await list_topics(settings.kafka_bootstrap, settings.kafka_timeout_s)
        return [t for t in names if t.startswith(f"{DEMO_PREFIX}.")]

    doomed = await demo_topics()
    if doomed:
        await delete_topics(settings.kafka_bootstrap, doomed, settings.kafka_timeout_s)
    deadline = time.monotonic() + settings.kafka_timeout_s
    while await demo_topics():  # deletion is asynchronous in Kafka
        if time.monotonic() > deadline:
            raise BrokerUnavailable("Kafka did not finish deleting the demo topics")
        await asyncio.sleep(0.2)
    for path in settings.data_dir.glob(f"{seen_store_path(settings).name}*"):
        path.unlink(missing_ok=True)


@contextmanager
def _demo_feed_server() -> Iterator[FeedServer]:
    """The demo's feed server on its fixed port; :class:`PortInUse` when that is taken."""
    with ExitStack() as stack:
        try:
            server = stack.enter_context(FeedServer(port=DEMO_PORT))
        except OSError as exc:
            raise PortInUse(
                f"the demo serves its feeds on 127.0.0.1:{DEMO_PORT}, which {PortInUse.why(exc)}; "
                "its item ids derive from that address, so free the port"
            ) from exc
        yield server


async def run_demo(settings: Settings, *, echo: Echo, fresh: bool = False) -> bool:
    """Run the demo; returns True when every demo item is stored."""
    started = time.monotonic()
    site = generate_site(seed=DEMO_SEED, now=DEMO_NOW)
    demo_settings = settings.model_copy(
        update={
            "topic_prefix": DEMO_PREFIX,
            "fetch_allow_networks": (*settings.fetch_allow_networks, "127.0.0.1/32"),
            "health_port": 0,
        }
    )
    if fresh:
        echo("demo: forgetting earlier demo runs (topics and dedup state)")
        await _forget(demo_settings)
    demo_dir = settings.data_dir / "demo"
    demo_dir.mkdir(parents=True, exist_ok=True)
    with _demo_feed_server() as server:
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
        stored_links, in_store = _stored_links(settings.store_url, server.base_url)
    unique = site.unique_links()
    found = len(unique & stored_links)
    _print_summary(echo, summary, len(unique), found, in_store, time.monotonic() - started)
    for line in next_steps(settings):
        echo(line)
    return found == len(unique)


def next_steps(settings: Settings) -> list[str]:
    """What to run next. When the data directory is not the default one (`make demo` keeps
    the demo in the checkout), first the export the read commands need to find the store."""
    read = "Next: .venv/bin/newswire search <words>   then   .venv/bin/newswire show <id>"
    if settings.data_dir == default_data_dir():
        return [read]
    where = shlex.quote(str(settings.data_dir))
    return [
        f"The data is in {settings.data_dir}, not in the default data directory:",
        f"  export NEWSWIRE_DATA_DIR={where}",
        read,
    ]


def _stored_links(store_url: str, base_url: str) -> tuple[set[str], int]:
    """The links of stored demo items, and how many items the store holds in all."""
    with SqliteStore.from_url(store_url) as store:
        links = {item.link for item in store.iter_items() if item.feed_url.startswith(base_url)}
        return links, store.count()


def _print_summary(
    echo: Echo, s: RunSummary, unique: int, stored: int, in_store: int, seconds: float
) -> None:
    fetches = s.fetch_words
    echo("")
    echo("newswire demo summary")
    echo(f"  feeds                {s.feeds} ({fetches})")
    echo(f"  items fetched        {s.items_fetched}")
    echo(f"  duplicates dropped   {s.outcome('dedup', 'duplicate')}")
    echo(f"  aliases (copies)     {s.outcome('dedup', 'alias')}")
    echo(f"  new unique items     {s.outcome('dedup', 'created')}")
    echo(f"  items stored         {s.outcome('store', 'stored')}")
    echo(f"  dead-lettered        {s.dead_lettered}")
    echo(f"  demo stories stored  {stored} of {unique} ({in_store} items in the store)")
    echo(f"  seconds              {seconds:.1f}")
    echo("")
