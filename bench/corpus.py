"""Realistic item text for the bench feeds: real items from ../shared/corpus and the demo
site's generated articles, read through the producer's own parser and normalizer.

Never lorem ipsum: the compression ratio and the parse cost of news text is what the
benchmark measures. A template is (title, summary HTML, content HTML); the feed server
mixes paragraphs of several templates into each item so every item's text is unique.
"""

from __future__ import annotations

import csv
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from newswire.app.demo import generate_site
from newswire.errors import NewswireError
from newswire_producers.normalize.normalizer import normalize
from newswire_producers.parse.parser import parse_feed

REPO = Path(__file__).resolve().parents[1]
CORPUS = Path(os.environ.get("BENCH_CORPUS", REPO.parent / "shared" / "corpus"))
_MAX_FILES = 40
_MAX_HTML = 4000  # chars of content HTML kept per template: a typical feed item body


@dataclass(frozen=True, slots=True)
class Template:
    title: str
    summary: str
    content: str


def _corpus_files(corpus: Path) -> list[Path]:
    """Well-formed real-world RSS 2.0 / Atom 1.0 captures, small enough to be typical."""
    manifest = corpus / "MANIFEST.tsv"
    if not manifest.is_file():
        return []
    out = []
    with manifest.open(encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f, delimiter="\t"):
            if (
                row.get("origin") == "realworld"
                and row.get("wellformed") == "yes"
                and row.get("format") in ("rss2", "atom10")
                and int(row.get("bytes") or 0) < 200_000
            ):
                out.append(corpus / row["file"])
    return sorted(out)[:_MAX_FILES]


def _templates_from(body: bytes, url: str, now: datetime) -> list[Template]:
    try:
        items = normalize(parse_feed(body, url=url), feed_url=url, fetched=now)
    except NewswireError:
        return []
    out = []
    for item in items:
        content = item.content.html or item.summary
        if item.title and len(item.content.text) >= 80:
            out.append(Template(item.title, item.summary, content[:_MAX_HTML]))
    return out


def load_templates(corpus: Path = CORPUS, *, limit: int = 600) -> list[Template]:
    """Up to ``limit`` templates: the corpus's real items first, then demo-site articles.

    Deterministic for a given corpus. Raises RuntimeError when nothing usable was found.
    """
    now = datetime(2026, 11, 29, tzinfo=UTC)
    demo: list[Template] = []
    for feed in generate_site(seed=9, now=now).feeds:
        demo.extend(_templates_from(feed.body, f"https://demo.example{feed.path}", now))
    real: list[Template] = []
    for path in _corpus_files(corpus):
        real.extend(_templates_from(path.read_bytes(), f"https://corpus.example/{path.name}", now))
    out = real[: max(0, limit - len(demo))] + demo
    if not out:
        raise RuntimeError(f"no item templates found in {corpus} or the demo site")
    return out[:limit]
