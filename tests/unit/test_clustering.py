"""Story clustering, evaluated on a labelled set of same-story pairs (issue 4).

The labelled set:

- demo: every item of ``generate_site(seed)`` for seeds 1-8 (one fixed ``now``); pairs are
  formed within one site. Ground truth from the generator: two items are one story iff they
  share a canonical link (wire stories syndicated by 2-3 outlets, some retitled
  "UPDATED: ..." or "... – report"). Different own stories written from one phrase-bank
  storyline (same template, other places and numbers) are hard negatives.
- real: every item of 16 real news captures in ../shared/corpus/files/FeedReader (The Verge
  twice, Japan Times, Japan Today, Reuters, NYT, CTV, Mirror, Indian Express, ...). All
  pairs are negatives except the positives listed in ``REAL_SAME_STORY``, labelled by hand:
  candidates were every pair with the same link, the same normalized title, or an
  estimated Jaccard >= 0.3, read one by one; a pair is positive when both report the same
  event in the same way (different angles on one event, e.g. three Fort Lauderdale shooting
  articles, stay negative).

Predicted same story = an LSH candidate (shares a band) with similarity >= the threshold:
exactly how the seen-store assigns story ids.
"""

from __future__ import annotations

import itertools
from datetime import UTC, datetime
from pathlib import Path

from consumers.dedup.clustering import (
    DEFAULT_THRESHOLD,
    band_keys,
    signature,
    similarity,
    sketch,
    story_words,
)
from consumers.dedup.fingerprint import html_to_text
from newswire.demo import generate_site
from producers.normalizer import normalize
from producers.parser import parse_feed

REAL_FEEDS = (
    "AtomTheVerge.xml", "AtomVergeAllPosts.xml", "Rss20JapanTimes.xml", "Rss20JapanToday.xml",
    "Rss20Reuters.xml", "Rss20NYTimes.xml", "Rss20BreakingNews.xml", "Rss20CTVNews.xml",
    "Rss20MoscowTimes.xml", "Rss20TheMirror.xml", "Rss20Spiegel.xml", "Rss20LeMonde.xml",
    "Rss20LeFigaro.xml", "Rss20IndianExpress.xml", "Rss10OrfAt.xml", "Rss20FazNet.xml",
)  # fmt: skip
# Hand-labelled positives among items that do not share a link (title substrings: Japan
# Today prefixes its section, in mojibake).
REAL_SAME_STORY = (
    ("Taiwan leader heads to Americas", "Taiwan leader heads to Americas"),
    ("Japan, France agree to start talks", "Japan, France to start talks"),
    ("Russia said scaling back its Syria", "Russia says it is scaling back"),
    ("Nishikori makes Brisbane final", "Nishikori beats Wawrinka"),
    ("Trump says Mexico would repay", "Trump says Mexico would repay"),
    ("Donor to PM May's party", "Donor to PM Theresa May’s party"),
    ("Donald Trump asks US ambassadors", "US envoys appointed by Barack Obama"),
    ("Theresa May to visit Donald Trump", "British Prime Minister Theresa May to visit"),
)
NOW = datetime(2026, 5, 1, tzinfo=UTC)
CORPUS = Path(__file__).resolve().parents[3] / "shared" / "corpus"


Sketch = tuple[tuple[int, ...], set[str]]


def sketched(sig: tuple[int, ...]) -> Sketch:
    return sig, set(band_keys(sig))


def predicted(a: Sketch, b: Sketch, threshold: float) -> bool:
    return bool(a[1] & b[1]) and similarity(a[0], b[0]) >= threshold


def score(pairs: list[tuple[bool, bool]]) -> tuple[int, int, int, float, float]:
    tp = sum(truth and guess for truth, guess in pairs)
    fp = sum(guess and not truth for truth, guess in pairs)
    fn = sum(truth and not guess for truth, guess in pairs)
    return tp, fp, fn, tp / max(1, tp + fp), tp / max(1, tp + fn)


def demo_pairs(threshold: float) -> list[tuple[bool, bool]]:
    out = []
    for seed in range(1, 9):
        items = [i for feed in generate_site(seed=seed, now=NOW).feeds for i in feed.items]
        sigs = [sketched(signature(story_words(i.title, html_to_text(i.body_html)))) for i in items]
        for x, y in itertools.combinations(range(len(items)), 2):
            truth = items[x].canonical_link == items[y].canonical_link
            out.append((truth, predicted(sigs[x], sigs[y], threshold)))
    return out


def real_pairs(threshold: float) -> tuple[list[tuple[bool, bool]], int]:
    items = []
    for name in REAL_FEEDS:
        url = f"https://feeds.example/{name}"
        feed = parse_feed((CORPUS / "files" / "FeedReader" / name).read_bytes(), url=url)
        items += normalize(feed, feed_url=url, fetched=NOW)
    sigs = [sketched(sketch(i).signature) for i in items]
    out = []
    for x, y in itertools.combinations(range(len(items)), 2):
        a, b = items[x], items[y]
        truth = (bool(a.link) and a.link == b.link) or any(
            (p in a.title and q in b.title) or (q in a.title and p in b.title)
            for p, q in REAL_SAME_STORY
        )
        out.append((truth, predicted(sigs[x], sigs[y], threshold)))
    return out, len(items)


def test_same_story_precision_and_recall_on_the_labelled_set() -> None:
    assert Path(CORPUS).is_dir(), f"the shared corpus is missing at {CORPUS}"
    demo = demo_pairs(DEFAULT_THRESHOLD)
    real, n_real = real_pairs(DEFAULT_THRESHOLD)
    lines = []
    for name, pairs in (("demo", demo), ("real", real), ("all", demo + real)):
        tp, fp, fn, p, r = score(pairs)
        lines.append(
            f"{name}: pairs={len(pairs)} positives={tp + fn} tp={tp} fp={fp} fn={fn} "
            f"precision={p:.3f} recall={r:.3f}"
        )
    print(f"\nstory clustering (threshold {DEFAULT_THRESHOLD}, {n_real} real items):")
    print("\n".join(lines))
    _, _, _, p_all, r_all = score(demo + real)
    _, _, _, p_demo, r_demo = score(demo)
    _, _, _, p_real, _ = score(real)
    assert p_all > 0.9 and r_all > 0.9
    assert p_demo > 0.9 and r_demo > 0.9
    assert p_real > 0.9
    assert sum(t for t, _ in real) >= 15  # the labels are in use
