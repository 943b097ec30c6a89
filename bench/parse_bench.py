"""Parse speed: the lxml fast path against feedparser, side by side in one run.

The benchmark corpus is every real-world full capture of ../shared/corpus (``origin`` =
``realworld`` in MANIFEST.tsv: news sites, blogs, podcasts, YouTube, Reddit, HN; 94 files,
about 9 MB) plus the six feeds of the demo site (``newswire.app.demo.generate_site``). Both paths
go through ``newswire_producers.parse.parser.parse_feed`` (bytes -> ParsedFeed), feedparser with
``fast=False``. Rounds alternate the two paths so machine noise hits both alike; the
speed-up reported is the median of the per-round ratios. Time is process CPU time: the
machine is shared, and wall time would charge other processes to whichever side ran
then. The report ends with the share of feeds and items each parser read on the default
path (fast, feedparser fallback, JSON Feed).

    .venv/bin/python -m bench.parse_bench [--rounds 5] [--normalize]

``run()`` returns ``{"fast_items_per_s", "feedparser_items_per_s", "speedup", ...}`` for the
benchmark (make bench).
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import statistics
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from newswire.app.demo.site import generate_site
from newswire.errors import FeedParseError
from newswire_producers.normalize.normalizer import normalize
from newswire_producers.parse.parsed import ParsedFeed
from newswire_producers.parse.parser import PATHS, parse_feed, parse_feed_path

CORPUS = Path(__file__).resolve().parents[1].parent / "shared" / "corpus"
_NOW = datetime(2026, 1, 15, 12, 0, tzinfo=UTC)


def benchmark_corpus() -> list[tuple[str, bytes, str | None]]:
    """(url, body, content type) of every feed of the benchmark corpus."""
    with (CORPUS / "MANIFEST.tsv").open(encoding="utf-8", newline="") as fh:
        rows = [r for r in csv.DictReader(fh, delimiter="\t") if r["origin"] == "realworld"]
    out: list[tuple[str, bytes, str | None]] = [
        ("https://corpus.example/" + r["file"], (CORPUS / r["file"]).read_bytes(), None)
        for r in rows
    ]
    for feed in generate_site(now=_NOW).feeds:
        out.append(("https://demo.example" + feed.path, feed.body, feed.content_type))
    return out


def _parse_all(feeds: list[tuple[str, bytes, str | None]], *, fast: bool) -> list[ParsedFeed]:
    parsed = []
    for url, body, content_type in feeds:
        with contextlib.suppress(FeedParseError):
            parsed.append(parse_feed(body, url=url, content_type=content_type, fast=fast))
    return parsed


def path_shares(feeds: list[tuple[str, bytes, str | None]]) -> dict[str, dict[str, int]]:
    """How many feeds and items each parser (:data:`newswire_producers.parse.parser.PATHS`) reads by
    default: the share the lxml fast path carries. Untimed; unparseable feeds count under
    "rejected" with no items."""
    out = {path: {"feeds": 0, "items": 0} for path in (*PATHS, "rejected")}
    for url, body, content_type in feeds:
        try:
            parsed, path = parse_feed_path(body, url=url, content_type=content_type)
        except FeedParseError:
            out["rejected"]["feeds"] += 1
            continue
        out[path]["feeds"] += 1
        out[path]["items"] += len(parsed.entries)
    return out


def _timed(feeds: list[tuple[str, bytes, str | None]], *, fast: bool) -> tuple[int, float]:
    started = time.process_time()
    parsed = _parse_all(feeds, fast=fast)
    return sum(len(p.entries) for p in parsed), time.process_time() - started


def run(rounds: int = 5, *, with_normalize: bool = False) -> dict[str, Any]:
    """Measure both paths over the benchmark corpus, interleaved; never raises for
    unparseable feeds (they count no items on either path)."""
    feeds = benchmark_corpus()
    _timed(feeds, fast=True)  # warm-up: imports, caches, lxml's parser per thread
    _timed(feeds, fast=False)
    fast_rates, slow_rates, ratios = [], [], []
    items = 0
    for i in range(rounds):
        order = (True, False) if i % 2 == 0 else (False, True)
        rate = {}
        for fast in order:
            items, seconds = _timed(feeds, fast=fast)
            rate[fast] = items / seconds
        fast_rates.append(rate[True])
        slow_rates.append(rate[False])
        ratios.append(rate[True] / rate[False])
    result: dict[str, Any] = {
        "fast_items_per_s": statistics.median(fast_rates),
        "feedparser_items_per_s": statistics.median(slow_rates),
        "speedup": statistics.median(ratios),
        "items": items,
        "feeds": len(feeds),
        "bytes": sum(len(body) for _, body, _ in feeds),
        "rounds": rounds,
        "paths": path_shares(feeds),
    }
    if with_normalize:
        parsed = _parse_all(feeds, fast=True)
        started = time.process_time()
        for feed, (url, _, _) in zip(parsed, feeds, strict=False):
            normalize(feed, feed_url=url, fetched=_NOW)
        result["normalize_items_per_s"] = items / (time.process_time() - started)
    return result


def describe_paths(paths: dict[str, dict[str, int]]) -> str:
    """One line: the feeds and items each parser read, fast path first."""
    feeds = sum(p["feeds"] for p in paths.values()) or 1
    items = sum(p["items"] for p in paths.values()) or 1
    return "parsed by: " + ", ".join(
        f"{name} {p['feeds']} feeds ({p['feeds'] / feeds:.0%}) {p['items']} items "
        f"({p['items'] / items:.0%})"
        for name, p in paths.items()
        if p["feeds"]
    )


def main() -> None:
    cli = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    cli.add_argument("--rounds", type=int, default=5)
    cli.add_argument("--normalize", action="store_true", help="also time normalize()")
    args = cli.parse_args()
    r = run(args.rounds, with_normalize=args.normalize)
    print(f"benchmark corpus: {r['feeds']} feeds, {r['bytes'] / 1e6:.1f} MB, {r['items']} items")
    print(f"{'path':<22}{'items/s (median)':>18}")
    print(f"{'feedparser':<22}{r['feedparser_items_per_s']:>18,.0f}")
    print(f"{'fast path (lxml)':<22}{r['fast_items_per_s']:>18,.0f}")
    print(f"{'speedup (median)':<22}{r['speedup']:>17.1f}x  over {r['rounds']} rounds")
    print(describe_paths(r["paths"]))
    if "normalize_items_per_s" in r:
        print(f"{'normalize':<22}{r['normalize_items_per_s']:>18,.0f}")


if __name__ == "__main__":
    main()
