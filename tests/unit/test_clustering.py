"""Story clustering, evaluated on a labelled set of same-story pairs.

Run ``pytest -s tests/unit/test_clustering.py`` to print precision and recall per set. The
set, and how it was labelled, is described in tests/story_labels.py.

Predicted same story = a candidate (shares an LSH band or a title key) whose story score
reaches the threshold: exactly how the seen-store assigns story ids.
"""

from __future__ import annotations

import itertools

import pytest
from story_labels import (
    SPLITS,
    Pair,
    demo_sites,
    demo_truth,
    read_labels,
    real_items,
    real_labelled,
    score,
    wilson,
)

from newswire.kafka.stage import Delivery
from newswire_consumers.dedup import ledger
from newswire_consumers.dedup.clustering import (
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
from newswire_consumers.dedup.fingerprint import html_to_text
from newswire_consumers.dedup.seen_store import Observation, Verdict


def predicted(a: tuple[StorySketch, set[str]], b: tuple[StorySketch, set[str]], th: float) -> bool:
    return bool(a[1] & b[1]) and same_story(a[0], b[0], th) > 0


def demo_pairs(threshold: float) -> list[Pair]:
    out = []
    for items in demo_sites():
        sks = [sketch_text(i.title, html_to_text(i.body_html), 0.0) for i in items]
        keyed = [(s, set(candidate_keys(s))) for s in sks]
        for x, y in itertools.combinations(range(len(items)), 2):
            truth = demo_truth(items[x], items[y])
            out.append((truth, predicted(keyed[x], keyed[y], threshold)))
    return out


def real_pairs(threshold: float) -> tuple[dict[str, list[Pair]], int]:
    items = real_items()
    sks = [(s, set(candidate_keys(s))) for s in map(sketch, items)]
    out: dict[str, list[Pair]] = {s: [] for s in SPLITS}
    for x, y, truth, split in real_labelled(items, read_labels()):
        out[split].append((truth, predicted(sks[x], sks[y], threshold)))
    return out, len(items)


def _print_scores(sets: dict[str, list[Pair]], what: str) -> None:
    print(f"\nstory clustering (threshold {DEFAULT_THRESHOLD}, {what}):")
    for name, pairs in sets.items():
        tp, fp, fn, p, r = score(pairs)
        (p_lo, p_hi), (r_lo, r_hi) = wilson(tp, tp + fp), wilson(tp, tp + fn)
        print(
            f"{name}: pairs={len(pairs)} positives={tp + fn} tp={tp} fp={fp} fn={fn} "
            f"precision={p:.3f} [{p_lo:.2f}, {p_hi:.2f}] recall={r:.3f} [{r_lo:.2f}, {r_hi:.2f}]"
        )


def test_same_story_precision_and_recall_on_the_demo_set() -> None:
    demo = demo_pairs(DEFAULT_THRESHOLD)
    _print_scores({"demo": demo}, "the demo sites")
    tp, _, fn, p_demo, r_demo = score(demo)
    assert p_demo > 0.9 and r_demo > 0.9
    assert tp + fn >= 50  # the demo's stories are in use


@pytest.mark.corpus
def test_every_label_names_items_of_the_captures() -> None:
    titles = [i.title for i in real_items()]
    labels = read_labels()
    assert sum(lab.kind == "same" and lab.split == "held-out" for lab in labels) >= 8
    for lab in labels:
        for m in lab.members:
            assert any(m in t for t in titles), f"{m!r} ({lab.why}) matches no title"


@pytest.mark.corpus
def test_same_story_precision_and_recall_on_the_real_labelled_set() -> None:
    real, n_real = real_pairs(DEFAULT_THRESHOLD)
    sets = {"real-tuning": real["tuning"], "real-held-out": real["held-out"]}
    _print_scores(sets, f"{n_real} real items of the shared corpus")
    tp, _, fn, p_tuning, r_tuning = score(real["tuning"])
    held_tp, _, held_fn, _, r_held = score(real["held-out"])
    assert p_tuning > 0.9
    # The aim is real recall > 0.9. 2026-11: 0.60 on the tuning pairs (0.20 before the
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
    read = ledger.identity_names([first]) + ledger.bucket_names_needed([first], {})
    assert "b:0:abc" not in read
    outcome = ledger.decide([first, _observation(2, title, body)], records, params)
    created, copy = outcome.decisions
    assert created.verdict is copy.verdict is Verdict.CREATED
    assert created.story_id == "item-1"  # not the old story: it cannot be compared
    assert copy.story_id == "item-1" and copy.cluster_formed
    assert outcome.writes["s2:item-1"]["v"] == SKETCH_VERSION


def test_wilson_interval_brackets_the_proportion() -> None:
    lo, hi = wilson(2, 9)
    assert 0.06 < lo < 0.07 and 0.54 < hi < 0.55  # 2 of 9: [0.063, 0.547]
    assert wilson(0, 0) == (0.0, 1.0)
    lo, hi = wilson(90, 90)
    assert hi > 0.999 and 0.95 < lo < 0.96
