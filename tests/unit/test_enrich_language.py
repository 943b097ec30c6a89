"""Language detection accuracy on a multilingual sample of real corpus items.

How the sample is labelled: an item's label is the language its feed declares
(``<language>``, ``xml:lang``, JSON Feed ``language``; ``Item.language.declared``, primary
subtag), for items with at least 12 words of title + text, at most 10 items per file so one
big feed cannot dominate. Feeds whose declaration a reader can see is wrong are left out,
each for the reason given in ``MISLABELLED``. The figure is printed (run with ``-s``).
"""

from __future__ import annotations

import csv
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pytest
from paths import CORPUS

from newswire.errors import FeedParseError
from newswire.sanitizer import html_to_text
from newswire_consumers.enrich.language import detect
from newswire_producers.normalize.normalizer import normalize
from newswire_producers.parse.parser import parse_feed

ACCURACY_FLOOR = 0.95
PER_FILE = 10
MIN_WORDS = 12
MISLABELLED = {
    "files/rss-parser/customfields.rss": "declares kn (Kannada); the items are English",
    "files/FeedReader/Rss10Minutos20Catalans.xml": "declares es; the items are Catalan",
    "files/fastfeedparser/osm.xml": "declares en; changeset comments in Polish, Hungarian...",
}


def labelled_sample(corpus: Path = CORPUS) -> list[tuple[str, str, str]]:
    """``(label, file, text)`` for the sample described in the module docstring."""
    sample = []
    fetched = datetime(2026, 3, 1, tzinfo=UTC)
    with (corpus / "MANIFEST.tsv").open(encoding="utf-8") as fh:
        files = [row["file"] for row in csv.DictReader(fh, delimiter="\t")]
    for name in files:
        if name in MISLABELLED:
            continue
        try:
            feed = parse_feed((corpus / name).read_bytes(), url="https://feed.example/")
        except FeedParseError:
            continue
        taken = 0
        for item in normalize(feed, feed_url="https://feed.example/", fetched=fetched):
            body = item.content.text or html_to_text(item.content.html or item.summary)
            text = f"{item.title}\n{body}"
            if item.language.declared and len(text.split()) >= MIN_WORDS and taken < PER_FILE:
                taken += 1
                sample.append((item.language.declared.split("-")[0].lower(), name, text))
    return sample


@pytest.mark.corpus
def test_detection_accuracy_on_corpus_sample() -> None:
    sample = labelled_sample()
    languages = Counter(label for label, _, _ in sample)
    assert len(sample) >= 500 and len(languages) >= 8, languages  # multilingual, not a toy
    wrong = Counter()
    for label, name, text in sample:
        found = detect(text)
        if found is None or found.language != label:
            wrong[(name, label, found.language if found else None)] += 1
    accuracy = 1 - sum(wrong.values()) / len(sample)
    print(f"\nlanguage accuracy {accuracy:.3f} on {len(sample)} items, {dict(languages)}")
    print("misses:", wrong.most_common(8))
    assert accuracy >= ACCURACY_FLOOR


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Die Bundesregierung hat am Dienstag neue Regeln für den Klimaschutz beschlossen.", "de"),
        ("Le gouvernement a présenté mardi un nouveau projet de loi sur le logement.", "fr"),
        ("El ayuntamiento aprobó ayer el presupuesto para el próximo año.", "es"),
        ("The council approved the budget for next year on Tuesday evening.", "en"),
        ("Правительство утвердило новый бюджет на следующий год.", "ru"),
    ],
)
def test_detects_common_languages_with_confidence(text: str, expected: str) -> None:
    found = detect(text)
    assert found is not None and found.language == expected
    assert 0.5 < found.confidence <= 1.0


@pytest.mark.parametrize("text", ["", "   ", "OK", "12 345 678", "Hi there"])
def test_too_little_text_is_not_guessed(text: str) -> None:
    assert detect(text) is None
