"""Story clustering, evaluated on a labelled set of same-story pairs (issue 4).

The labelled set:

- demo: every item of ``generate_site(seed)`` for seeds 1-8 (one fixed ``now``); pairs are
  formed within one site. Ground truth from the generator: two items are one story iff they
  share a canonical link (wire stories syndicated by 2-3 outlets, some retitled
  "UPDATED: ..." or "... – report"). Different own stories written from one phrase-bank
  storyline (same template, other places and numbers) are hard negatives.
- real: every item of the 25 news captures of January 2017 in
  ../shared/corpus/files/FeedReader (``REAL_FEEDS``: The Verge twice, Japan Times, Japan
  Today, Reuters, NYT, CTV, Mirror, Indian Express, Le Monde, Le Parisien, Roma News, Roma
  Today, ...). Two items are one story when they share a link or their titles fall in one
  group of ``REAL_SAME_STORY`` (every pair of a group is positive); pairs matching
  ``REAL_UNSCORED`` are left out; every other pair is a negative.

How the groups were labelled (so the set is not "what the sketch already finds"): first
every pair with the same link, the same normalized title or an estimated Jaccard >= 0.3
(the original 8 groups); then, over all realworld captures of the corpus MANIFEST dated
around 2017-01-06 or undated, every cross-outlet pair sharing >= 2 rare title words
(document frequency <= 8), >= 3 rare capitalized tokens in title + lead, >= 4 rare words in
title + first 60 lead words, or >= 3 title content words; about 450 pairs, read one by one
(title and lead). A pair is positive when both report the same event from the same angle;
one event told from another angle (a follow-up, a reaction, one of a dozen Fort Lauderdale
pieces), in another language, or two reviews of one show, is unscored. Indian Express items
have no body at all: their titles alone must carry the match.

Predicted same story = an LSH candidate (shares a band) with similarity >= the threshold:
exactly how the seen-store assigns story ids.
"""

from __future__ import annotations

import itertools
from datetime import UTC, datetime
from pathlib import Path

from paths import CORPUS

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
# Hand-labelled stories: (title substrings of the members, why they are one story). Titles
# are matched as parsed, mojibake included (Japan Today prefixes its section).
REAL_SAME_STORY = (
    # the original 8, candidates: same link / same normalized title / estimated Jaccard >= 0.3
    (
        ("Taiwan leader heads to Americas", "Taiwan president heads to US"),
        "Tsai Ing-wen sets off on her Americas trip (AP at CTV and Japan Times; Indian Express)",
    ),
    (
        ("Japan, France agree to start talks", "Japan, France to start talks"),
        "Japan-France defence supplies pact talks",
    ),
    (
        (
            "Russia said scaling back its Syria",
            "Russia says it is scaling back",
            "Russia cuts forces in Syria",
        ),
        "Russia withdraws its carrier from Syria",
    ),
    (
        ("Nishikori makes Brisbane final", "Nishikori beats Wawrinka", "Nishikori into final"),
        "Nishikori beats Wawrinka in the Brisbane semifinal",
    ),
    (
        (
            "Trump says Mexico would repay",
            "Mexico will pay us back",
            "Trump Insists Mexico Will Pay",
        ),
        "Trump: Mexico will repay the wall (Friday; Thursday's Congress report is another)",
    ),
    (
        ("Donor to PM May's party", "Donor to PM Theresa May’s party"),
        "Brexit donor threatens to cut funds",
    ),
    (
        ("Donald Trump asks US ambassadors", "US envoys appointed by Barack Obama"),
        "Obama's envoys told to leave by inauguration",
    ),
    (
        ("Theresa May to visit Donald Trump", "British Prime Minister Theresa May to visit"),
        "May to visit Trump in spring",
    ),
    # widened (see the module docstring for how candidates were found)
    (
        ("closest nuclear power plant may close", "Aging New York nuclear plant"),
        "Indian Point to close by 2021 (The Verge, both feeds; Indian Express)",
    ),
    (
        ("suspect struggled with mental health", "suspect had mental health issues"),
        "Fort Lauderdale suspect's mental-health history, per his family",
    ),
    (
        ("Report on election hacking says Russia", "Report on US election hacking says Russia"),
        "AP: the declassified report predicts more Russian intrusions",
    ),
    (
        ("Iraq forces near Tigris River", "Iraqi forces close in on Tigris"),
        "Iraqi forces reach the Tigris in Mosul",
    ),
    (("Tilikum, ‘Blackfish’ orca", "Tilikum, the Killer Whale"), "SeaWorld's orca Tilikum dies"),
    (
        (
            "Putin directed cyber campaign",
            "Putin ordered effort to help Trump",
            "'directed cyber hacking campaign",
            "Putin Led a Complex Cyberattack",
        ),
        "the intelligence report: Putin ordered a campaign to help Trump",
    ),
    (
        ("Beating on video began after friendly", "Chicago beating caught on video began"),
        "Chicago police: the beating began after a friendly encounter",
    ),
    (
        ("Hate-crime charges filed in attack", "Hate Crime Charges Brought in Chicago"),
        "hate-crime charges in the Chicago torture case",
    ),
    (
        ("Japan recalls envoy to South Korea", "Japan recalls envoys over new"),
        "Japan recalls its envoy over the Busan statue",
    ),
    (
        ("court suspends publication of best-seller", "Publisher ordered to suspend publication"),
        "court halts the Nippon Kaigi book",
    ),
    (
        (
            "At least five dead in Fort Lauderdale",
            "leaves five dead, at least eight wounded",
            "5 dead, 8 injured in Fort Lauderdale",
            "Five dead and eight others injured",
        ),
        "the first report of the Fort Lauderdale shooting: five dead, eight hurt",
    ),
    (
        ("Zidane Ã©gale le record", "Zidane et le Real"),
        "Real Madrid 5-0 Granada, 39 matches unbeaten (Le Monde, Le Parisien)",
    ),
    (("voiture piégée fait 19 morts", "morts à Azaz dans un attentat"), "the Azaz car bomb"),
    (
        ("nouvelle victoire de Pinturault", "Pinturault encore plus haut"),
        "Pinturault wins the Adelboden giant slalom",
    ),
    (
        ("trente départements en alerte orange", "alerte étendue à 37 départements"),
        "snow and ice: orange alert widened",
    ),
    (
        ("Juventus? La allenerei", "Io alla Juve? Non lo escludo"),
        "Spalletti's press conference: he could coach Juventus",
    ),
)
# Same event but told from another angle or in another language: neither positive nor
# negative, left out of the score (a word sketch cannot and should not be judged on them).
REAL_UNSCORED = (
    ("Ivory Coast", "Ivory Coast"),  # one mutiny, hourly updates from two outlets
    ("Toyota", "Toyota"),  # Trump's tweet, then Japan's reactions
    ("Spalletti", "Spalletti"),  # one press conference, several quotes
    ("Baryshnikov", "Baryshnikov"),  # two reviews of one show
    ("Fort Lauderdale", "Fort Lauderdale"), ("Florida", "Fort Lauderdale"), ("Florida", "Florida"),
    ("Floride", "Fort Lauderdale"),  # one shooting, a dozen angles
    ("Putin", "Russia plans to do more"),  # one report, two findings
    ("Dan Coats", "Dan Coats"), ("Jamie Oliver", "Jamie Olivers"), ("Real Madrid", "Real"),
    ("Carrie Fisher", "Carrie Fisher"), ("Reynolds", "Fisher"), ("Death toll rises to 43", "Azaz"),
)  # fmt: skip
NOW = datetime(2026, 5, 1, tzinfo=UTC)


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


def real_truth(a: Item, b: Item) -> bool | None:
    """True: one story; False: two; None: unscored (see ``REAL_UNSCORED``)."""
    if a.link and a.link == b.link:
        return True
    for members, _ in REAL_SAME_STORY:
        if any(m in a.title for m in members) and any(m in b.title for m in members):
            return True
    if any(
        (p in a.title and q in b.title) or (q in a.title and p in b.title) for p, q in REAL_UNSCORED
    ):
        return None
    return False


def real_pairs(threshold: float) -> tuple[list[tuple[bool, bool]], int]:
    items: list[Item] = []
    for name in REAL_FEEDS:
        url = f"https://feeds.example/{name}"
        feed = parse_feed((CORPUS / "files" / "FeedReader" / name).read_bytes(), url=url)
        items += normalize(feed, feed_url=url, fetched=NOW)
    sigs = [sketched(sketch(i).signature) for i in items]
    out = []
    for x, y in itertools.combinations(range(len(items)), 2):
        truth = real_truth(items[x], items[y])
        if truth is not None:
            out.append((truth, predicted(sigs[x], sigs[y], threshold)))
    return out, len(items)


def test_every_label_names_items_of_the_captures() -> None:
    titles = []
    for name in REAL_FEEDS:
        url = f"https://feeds.example/{name}"
        feed = parse_feed((CORPUS / "files" / "FeedReader" / name).read_bytes(), url=url)
        titles += [i.title for i in normalize(feed, feed_url=url, fetched=NOW)]
    for members, why in REAL_SAME_STORY:
        for m in members:
            assert any(m in t for t in titles), f"{m!r} ({why}) matches no title"


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
    _, _, _, p_demo, r_demo = score(demo)
    _, _, _, p_real, r_real = score(real)
    assert p_demo > 0.9 and r_demo > 0.9
    assert p_real > 0.9
    # Issue 4 aims at real recall > 0.9; the word sketch reaches 0.20 on the widened set
    # (2026-05: 11 of 55; most misses have a body-less Indian Express side or a reworded
    # lede). A floor, so a regression fails while the goal stays open.
    assert r_real >= 0.18
    assert sum(t for t, _ in real) >= 50  # the labels are in use
