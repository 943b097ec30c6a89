"""Story clustering, evaluated on a labelled set of same-story pairs (issue 4).

Run ``pytest -s tests/unit/test_clustering.py`` to print precision and recall per set.

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

Predicted same story = a candidate (shares an LSH band or a title key) whose story score
reaches the threshold: exactly how the seen-store assigns story ids.
"""

from __future__ import annotations

import hashlib
import itertools
from dataclasses import dataclass
from datetime import UTC, datetime

from paths import CORPUS, REPO

from consumers.dedup import ledger
from consumers.dedup.clustering import (
    DEFAULT_THRESHOLD,
    SKETCH_VERSION,
    StorySketch,
    candidate_keys,
    pack,
    same_story,
    sketch,
    sketch_text,
    unpack,
)
from consumers.dedup.fingerprint import html_to_text
from consumers.dedup.seen_store import Observation, Verdict
from newswire.demo import generate_site
from newswire.kafka.stage import Delivery
from producers.normalizer import normalize
from producers.parser import parse_feed
from schemas import Item

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


def predicted(a: tuple[StorySketch, set[str]], b: tuple[StorySketch, set[str]], th: float) -> bool:
    return bool(a[1] & b[1]) and same_story(a[0], b[0], th) > 0


def score(pairs: list[Pair]) -> tuple[int, int, int, float, float]:
    tp = sum(truth and guess for truth, guess in pairs)
    fp = sum(guess and not truth for truth, guess in pairs)
    fn = sum(truth and not guess for truth, guess in pairs)
    return tp, fp, fn, tp / max(1, tp + fp), tp / max(1, tp + fn)


def demo_pairs(threshold: float) -> list[Pair]:
    out = []
    for seed in range(1, 9):
        items = [i for feed in generate_site(seed=seed, now=NOW).feeds for i in feed.items]
        sks = [sketch_text(i.title, html_to_text(i.body_html), 0.0) for i in items]
        keyed = [(s, set(candidate_keys(s))) for s in sks]
        for x, y in itertools.combinations(range(len(items)), 2):
            truth = items[x].canonical_link == items[y].canonical_link
            out.append((truth, predicted(keyed[x], keyed[y], threshold)))
    return out


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


def real_pairs(threshold: float) -> tuple[dict[str, list[Pair]], int]:
    items, labels = real_items(), read_labels()
    sks = [(s, set(candidate_keys(s))) for s in map(sketch, items)]
    out: dict[str, list[Pair]] = {s: [] for s in SPLITS}
    for x, y in itertools.combinations(range(len(items)), 2):
        truth, split = real_truth(items[x], items[y], labels)
        if truth is not None:
            out[split].append((truth, predicted(sks[x], sks[y], threshold)))
    return out, len(items)


def test_every_label_names_items_of_the_captures() -> None:
    assert CORPUS.is_dir(), f"the shared corpus is missing at {CORPUS}"
    titles = [i.title for i in real_items()]
    labels = read_labels()
    assert sum(lab.kind == "same" and lab.split == "held-out" for lab in labels) >= 8
    for lab in labels:
        for m in lab.members:
            assert any(m in t for t in titles), f"{m!r} ({lab.why}) matches no title"


def test_same_story_precision_and_recall_on_the_labelled_set() -> None:
    assert CORPUS.is_dir(), f"the shared corpus is missing at {CORPUS}"
    demo = demo_pairs(DEFAULT_THRESHOLD)
    real, n_real = real_pairs(DEFAULT_THRESHOLD)
    sets = {"demo": demo, "real-tuning": real["tuning"], "real-held-out": real["held-out"]}
    print(f"\nstory clustering (threshold {DEFAULT_THRESHOLD}, {n_real} real items):")
    for name, pairs in sets.items():
        tp, fp, fn, p, r = score(pairs)
        print(
            f"{name}: pairs={len(pairs)} positives={tp + fn} tp={tp} fp={fp} fn={fn} "
            f"precision={p:.3f} recall={r:.3f}"
        )
    _, _, _, p_demo, r_demo = score(demo)
    tp, fp, fn, p_tuning, r_tuning = score(real["tuning"])
    held_tp, _, held_fn, _, r_held = score(real["held-out"])
    assert p_demo > 0.9 and r_demo > 0.9
    assert p_tuning > 0.9
    # Issue 4 aims at real recall > 0.9. 2026-11: 0.60 on the tuning pairs (0.20 before the
    # containment rules); 0.22 on the held-out ones, at precision 0.25: they are mostly two
    # reworded headlines without a body, and their false positives are headlines sharing
    # most words (a serial's parts, one investigation's steps). Floors, so a regression
    # fails while the goal stays open.
    assert r_tuning >= 0.55
    assert r_held >= 0.2
    assert tp + fn >= 50 and held_tp + held_fn >= 9  # the labels are in use


def test_a_headline_joins_the_article_that_contains_it() -> None:
    article = sketch_text(
        "New York City's closest nuclear power plant may close in five years",
        "The Indian Point nuclear plant, 25 miles north of New York City, will close by 2021 "
        "under a deal announced by Governor Andrew Cuomo on Friday. The aging plant has "
        "supplied a quarter of the city's power for four decades.",
        0.0,
    )
    headline = sketch_text("Aging New York nuclear plant to close by 2021", "", 0.0)
    unrelated = sketch_text("Nuclear plant workers strike in France", "", 0.0)
    assert set(candidate_keys(article)) & set(candidate_keys(headline))
    assert same_story(article, headline, DEFAULT_THRESHOLD) > 0  # rule 2: containment
    assert same_story(article, unrelated, DEFAULT_THRESHOLD) == 0


def test_one_template_in_two_towns_is_two_stories() -> None:
    body = (
        "{} Council approved plans for {} kilometres of new cycle lanes on {} night, despite "
        "objections from shopkeepers on {}. The authority says the changes will cut "
        "congestion and improve air quality near schools. {}"
    )
    title = "Council approves new cycle lanes despite traders' objections"
    wexley = ("Wexley District", "six", "Thursday", "Mill Road", "Opponents were angry.")
    dunmore = ("Dunmore Town", "eight", "Wednesday", "Market Street", "The vote was close.")
    a = sketch_text(title, body.format(*wexley), 0.0)
    b = sketch_text(title, body.format(*dunmore), 0.0)
    copy = sketch_text("UPDATED: " + title, body.format(*wexley), 0.0)
    assert same_story(a, b, DEFAULT_THRESHOLD) == 0
    assert same_story(a, copy, DEFAULT_THRESHOLD) > 1  # rule 1: a near copy ranks first


def test_sketches_are_stable_across_processes_and_pack_round_trips() -> None:
    sk = sketch_text("Central bank holds rates", "The central bank held rates at 4.25 percent.", 0)
    # Stored sketches are compared with new ones: a change here must bump SKETCH_VERSION.
    assert SKETCH_VERSION == 2
    assert sk.signature[:3] == (178_939_261, 220_606_407, 193_986_862)
    assert sk.title_keys == ("centra", "holds", "rates")
    for values in (sk.signature, ()):
        assert unpack(pack(values)) == values
    for words in (sk.words, sk.names):
        assert unpack(pack(words)) == tuple(sorted(words))
    assert sketch_text("", "", 0).empty


def _observation(n: int, title: str, body: str) -> Observation:
    return Observation(
        f"key-{n}", f"item-{n}", {}, Delivery("raw", 0, n), "", sketch_text(title, body, 0.0)
    )


def test_old_format_story_records_are_ignored_not_compared() -> None:
    params = ledger.Params(story_threshold=DEFAULT_THRESHOLD, story_window_s=86400)
    title, body = "Ferry strike ends after nine days", "Harbour workers accepted the offer."
    first = _observation(1, title, body)
    bucket = f"b2:{candidate_keys(first.sketch)[0]}"
    # version-1 records of an earlier copy of the story, and one under a version-2 bucket
    records: ledger.Records = {
        "b:0:abc": [["old-item", "old-story", 0.0]],
        "s:old-item": {"sig": [1, 2, 3], "story": "old-story", "at": 0.0},
        bucket: [["old-item", "old-story", 0.0], ["bad-item", "bad-story", 0.0]],
        "s2:old-item": {"sig": [1, 2, 3], "story": "old-story", "at": 0.0},
        "s2:bad-item": {"v": SKETCH_VERSION, "sig": "not base64!", "w": "", "nm": "", "at": 0},
    }
    assert "b:0:abc" not in ledger.first_names([first])
    outcome = ledger.decide([first, _observation(2, title, body)], records, params)
    created, copy = outcome.decisions
    assert created.verdict is copy.verdict is Verdict.CREATED
    assert created.story_id == "item-1"  # not the old story: it cannot be compared
    assert copy.story_id == "item-1" and copy.cluster_formed
    assert outcome.writes["s2:item-1"]["v"] == SKETCH_VERSION
