"""feedparser against the project's parse path, on the same feeds, pair by pair.

Baseline: ``feedparser.parse`` on a BytesIO of each body (what a plain feedparser producer
does). Fast path: ``newswire_producers.parse.parser.parse_feed``, the producer's own entry point
(which is where the fast parse path lands; it keeps its safety checks). The feeds are the bench feed
server's RSS bodies and the real-world captures the templates come from. Each round parses
every body with both, A then B or B then A alternately; the speedup is the median of the
per-round ratios. The result also says which parser read each body on the project's path
(``paths``: the lxml fast path, the feedparser fallback, JSON Feed).
"""

from __future__ import annotations

import inspect
import io
import time
from collections.abc import Callable
from typing import Any

import feedparser

from bench.config import BenchConfig
from bench.corpus import CORPUS, _corpus_files, load_templates
from bench.feedserver import FeedSet
from bench.parse_bench import describe_paths, path_shares
from bench.stats import paired_ratio
from newswire_producers.parse.parser import parse_feed

Say = Any


def _bodies(cfg: BenchConfig) -> list[tuple[str, bytes]]:
    feeds = FeedSet(load_templates(), cfg.parse_feeds, 20, 20, cfg.run_id)
    out = [(f"http://127.0.0.1:9/f/{i}.xml", feeds.render(i)) for i in range(cfg.parse_feeds)]
    out += [(f"https://corpus.example/{p.name}", p.read_bytes()) for p in _corpus_files(CORPUS)]
    return out


def _feedparser(url: str, body: bytes) -> int:
    return len(feedparser.parse(io.BytesIO(body)).entries)


# The fast path is parse_feed's default; where parse_feed takes ``fast=``, ask for it.
_FAST_KW: dict[str, Any] = (
    {"fast": True} if "fast" in inspect.signature(parse_feed).parameters else {}
)


def _fast(url: str, body: bytes) -> int:
    return len(parse_feed(body, url=url, **_FAST_KW).entries)


def _timed(fn: Callable[[str, bytes], int], bodies: list[tuple[str, bytes]]) -> tuple[int, float]:
    t0 = time.process_time()
    n = sum(fn(url, body) for url, body in bodies)
    return n, time.process_time() - t0


def run_parse(cfg: BenchConfig, say: Say) -> dict[str, Any]:
    bodies = _bodies(cfg)
    rates: dict[str, list[float]] = {"fast": [], "feedparser": []}
    items = {"fast": 0, "feedparser": 0}
    for r in range(cfg.parse_rounds):
        order = ("fast", "feedparser") if r % 2 == 0 else ("feedparser", "fast")
        for side in order:
            n, cpu = _timed(_fast if side == "fast" else _feedparser, bodies)
            items[side] = n
            rates[side].append(n / cpu if cpu > 0 else 0.0)
    say(f"parse: {len(bodies)} feeds, {items['fast']} items, {cfg.parse_rounds} pairs")
    paths = path_shares([(url, body, None) for url, body in bodies])
    say(f"parse: {describe_paths(paths)}")
    ratio = paired_ratio(rates["fast"], rates["feedparser"])
    return {
        "feeds": len(bodies),
        "items": items["fast"],
        "items_feedparser": items["feedparser"],
        "fast_path": f"newswire_producers.parse.parser.parse_feed({_FAST_KW or ''})",
        "fast_items_per_s": sorted(rates["fast"])[len(rates["fast"]) // 2],
        "feedparser_items_per_s": sorted(rates["feedparser"])[len(rates["feedparser"]) // 2],
        "speedup": ratio["median"],
        "speedup_pairs": ratio,
        "paths": paths,
        "fast_path_items_share": paths["fast"]["items"] / max(1, items["fast"]),
    }
