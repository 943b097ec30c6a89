"""Throughput of the enrichment chain without full-text fetching.

Realistic items: every item of the generated demo site (whole articles, some with unsafe
markup) plus the items of the real-world captures in ``../shared/corpus``. The chain runs on
one thread, as the stage runs it in its worker thread, with the step-duration metrics
observed, so ``items_per_s`` is per core. Run::

    .venv/bin/python bench/enrich_bench.py [--seconds 5]

``run()`` returns a dict for the benchmark suite.
"""

from __future__ import annotations

import argparse
import csv
import json
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from newswire.app.demo.site import generate_site
from newswire.errors import FeedParseError
from newswire.metrics import Metrics
from newswire_consumers.enrich import language
from newswire_consumers.enrich.chain import enrich
from newswire_consumers.enrich.steps import STEPS
from newswire_producers.normalize.normalizer import normalize
from newswire_producers.parse.parser import parse_feed
from newswire_schemas import Item

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"
T0 = datetime(2026, 3, 1, tzinfo=UTC)


def demo_items() -> list[Item]:
    items: list[Item] = []
    for feed in generate_site(seed=7, now=T0).feeds:
        url = f"https://demo.example{feed.path}"
        parsed = parse_feed(feed.body, url=url, content_type=feed.content_type)
        items += normalize(parsed, feed_url=url, fetched=T0)
    return items


def corpus_items(corpus: Path = CORPUS) -> list[Item]:
    """Items of the corpus' real-world captures (full captures and excerpts)."""
    items: list[Item] = []
    with (corpus / "MANIFEST.tsv").open(encoding="utf-8") as fh:
        rows = [r for r in csv.DictReader(fh, delimiter="\t") if r["origin"].startswith("real")]
    for row in rows:
        try:
            parsed = parse_feed((corpus / row["file"]).read_bytes(), url="https://feed.example/")
        except FeedParseError:
            continue
        items += normalize(parsed, feed_url="https://feed.example/", fetched=T0)
    return items


def run(seconds: float = 5.0) -> dict[str, Any]:
    """Enrich the sample repeatedly for about ``seconds``; items/s on one thread."""
    language.load()
    items = demo_items() + corpus_items()
    metrics = Metrics()
    timers = {name: metrics.enrich_step_seconds.labels(name) for name, _ in STEPS}

    def observe(step: str, s: float) -> None:
        timers[step].observe(s)

    for item in items[:50]:  # warm-up
        enrich(item, T0, observe=observe)
    step_s = {name: 0.0 for name, _ in STEPS}

    def observe_sum(step: str, s: float) -> None:
        timers[step].observe(s)
        step_s[step] += s

    done = 0
    cpu0, wall0 = time.process_time(), time.perf_counter()
    while time.perf_counter() - wall0 < seconds:
        for item in items:
            enrich(item, T0, observe=observe_sum)
        done += len(items)
    wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
    words = sum(len((i.content.text or i.summary).split()) for i in items) / len(items)
    return {
        "items": done,
        "distinct_items": len(items),
        "mean_feed_words": round(words, 1),
        "wall_s": round(wall, 3),
        "cpu_s": round(cpu, 3),
        "items_per_s": round(done / wall, 1),
        "items_per_cpu_s": round(done / cpu, 1),
        "step_us_per_item": {k: round(v / done * 1e6, 1) for k, v in step_s.items()},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=5.0)
    print(json.dumps(run(parser.parse_args().seconds), indent=2))


if __name__ == "__main__":
    main()
