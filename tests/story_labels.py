"""The labelled evaluation set of story clustering, shared by
tests/unit/test_clustering.py (the sketch's precision and recall) and tests/story_semantic.py
(the sentence-embedding experiment).

The labelled set:

- demo: every item of ``generate_site(seed)`` for seeds 1-8 (one fixed ``now``); pairs are
  formed within one site. Ground truth from the generator: two items are one story iff they
  share a canonical link (wire stories syndicated by 2-3 outlets, some retitled
  "UPDATED: ..." or "... – report"). Different own stories written from one phrase-bank
  storyline (same template, other places and numbers) are hard negatives.
- real: every item of the 25 news captures of January 2017 in
  ../shared/corpus/files/FeedReader (``REAL_FEEDS``: The Verge twice, Japan Times, Japan
  Today, Reuters, NYT, CTV, Mirror, Indian Express, Le Monde, Le Parisien, Roma News, Roma
  Today, ...). These are all the realworld news captures of the corpus whose items are dated
  around 2017-01-06 (checked against every realworld file of MANIFEST.tsv in 2026-11; the
  others are podcasts, blogs or undated). Labels: tests/data/clustering/real_labels.tsv.
  Two items are one story when they share a link or their titles fall in one ``same``
  group (every pair of a group is positive); pairs matching an ``unscored`` row are left
  out; every other pair is a negative.

How the groups were labelled (so the set is not "what the sketch already finds"):

- tuning (2026-05, 55 positive pairs, used to design and tune the sketch): every pair with
  the same link, the same normalized title or an estimated Jaccard >= 0.3; then every
  cross-outlet pair sharing >= 2 rare title words (document frequency <= 8), >= 3 rare
  capitalized tokens in title + lead, >= 4 rare words in title + first 60 lead words, or
  >= 3 title content words; about 450 pairs, read one by one (title and lead).
- held-out (2026-11, labelled before the sketch was redesigned, never used to choose a
  parameter): candidates the first pass missed, found without any sketch: the 120 top pairs
  by tf-idf cosine of title + first 60 lead words, about 400 top pairs by idf-weighted
  containment of one title in the other item's title + lead, and every pair, same outlet
  included, sharing >= 2 title words of document frequency <= 6 (or 1 and >= 3 title
  words); each read (title, and lead when in doubt). 9 positive pairs, 28 unscored rules.
  Most new positives are two Indian Express wire rewrites of one story.

A pair is positive when both report the same event from the same angle; one event told from
another angle (a follow-up, a reaction, an analysis, a quotes list, one of a dozen Fort
Lauderdale pieces), in another language, or two reviews of one show, is unscored. Indian
Express items have no body at all: their titles alone must carry the match. Negatives are
split between tuning and held-out by a hash of the pair, so each split has its own.

"""

from __future__ import annotations

import hashlib
import itertools
import math
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

from paths import CORPUS, REPO

from newswire.app.demo import generate_site
from newswire_producers.normalize.normalizer import normalize
from newswire_producers.parse.parser import parse_feed
from newswire_schemas import Item

REAL_FEEDS = (
    "AtomTheVerge.xml", "AtomVergeAllPosts.xml", "Rss20JapanTimes.xml", "Rss20JapanToday.xml",
    "Rss20Reuters.xml", "Rss20NYTimes.xml", "Rss20BreakingNews.xml", "Rss20CTVNews.xml",
    "Rss20MoscowTimes.xml", "Rss20TheMirror.xml", "Rss20Spiegel.xml", "Rss20LeMonde.xml",
    "Rss20LeFigaro.xml", "Rss20IndianExpress.xml", "Rss10OrfAt.xml", "Rss20FazNet.xml",
    "Rss20LeParisien.xml", "Rss20LeFil.xml", "Rss20RomaNews.xml", "Rss20RomaToday.xml",
    "Rss20YandexRussia.xml", "Rss20MassaNews.xml", "Rss20DerBrutkasten.xml",
    "Rss20TrendingTopics.xml", "Rss20DaStandardAt.xml",
)  # fmt: skip
LABELS = REPO / "tests" / "data" / "clustering" / "real_labels.tsv"
SPLITS = ("tuning", "held-out")
NOW = datetime(2026, 5, 1, tzinfo=UTC)

Pair = tuple[bool, bool]  # (truth, prediction)


@dataclass(frozen=True)
class Label:
    kind: str  # "same" | "unscored"
    split: str
    members: tuple[str, ...]
    why: str


def read_labels() -> list[Label]:
    labels = []
    for line in LABELS.read_text(encoding="utf-8").splitlines():
        if line.startswith("#") or not line.strip():
            continue
        kind, split, members, why = line.split("\t")
        assert kind in ("same", "unscored") and split in SPLITS, line
        labels.append(Label(kind, split, tuple(members.split(" || ")), why))
    return labels


def real_items() -> list[Item]:
    items: list[Item] = []
    for name in REAL_FEEDS:
        url = f"https://feeds.example/{name}"
        feed = parse_feed((CORPUS / "files" / "FeedReader" / name).read_bytes(), url=url)
        items += normalize(feed, feed_url=url, fetched=NOW)
    return items


def score(pairs: list[Pair]) -> tuple[int, int, int, float, float]:
    tp = sum(truth and guess for truth, guess in pairs)
    fp = sum(guess and not truth for truth, guess in pairs)
    fn = sum(truth and not guess for truth, guess in pairs)
    return tp, fp, fn, tp / max(1, tp + fp), tp / max(1, tp + fn)


def wilson(hits: int, n: int, z: float = 1.96) -> tuple[float, float]:
    """The 95% Wilson score interval of a proportion ``hits / n`` (Wilson 1927): on nine
    positive pairs a recall is known to within about +-0.3, and the report says so."""
    if n == 0:
        return 0.0, 1.0
    p = hits / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return max(0.0, centre - half), min(1.0, centre + half)


def demo_sites() -> Iterator[list[Item]]:
    """The items of ``generate_site(seed)`` for seeds 1-8, one list per site (pairs are
    formed within one site; truth: :func:`demo_truth`)."""
    for seed in range(1, 9):
        yield [i for feed in generate_site(seed=seed, now=NOW).feeds for i in feed.items]


def demo_truth(a: Item, b: Item) -> bool:
    """The generator's ground truth: one story iff one canonical link."""
    return a.canonical_link == b.canonical_link


def real_truth(a: Item, b: Item, labels: list[Label]) -> tuple[bool | None, str]:
    """(True: one story, False: two, None: unscored; the split the pair belongs to)."""
    if a.link and a.link == b.link:
        return True, "tuning"
    for lab in labels:
        members = lab.members if lab.kind == "same" else ()
        if any(m in a.title for m in members) and any(m in b.title for m in members):
            return True, lab.split
    for lab in labels:
        p, q = lab.members if lab.kind == "unscored" else ("\0", "\0")
        if (p in a.title and q in b.title) or (q in a.title and p in b.title):
            return None, lab.split
    key = "\x1f".join(sorted((a.link + a.title, b.link + b.title))).encode()
    return False, SPLITS[hashlib.blake2b(key, digest_size=1).digest()[0] % 2]


def real_labelled(items: list[Item], labels: list[Label]) -> Iterator[tuple[int, int, bool, str]]:
    """Every scored pair of ``items`` as (index, index, truth, split); unscored pairs are
    left out."""
    for x, y in itertools.combinations(range(len(items)), 2):
        truth, split = real_truth(items[x], items[y], labels)
        if truth is not None:
            yield x, y, truth, split
