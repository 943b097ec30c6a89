"""Security: the corpus's not-well-formed files and seeded truncations and byte
flips of its files never make parsing raise anything but FeedParseError, never hang, and
each input is classified (see :mod:`corpus_fuzz`). ``make test`` runs 300 mutations; ``make
reliability`` 5,000 with another seed, as a report entry. Run with ``-s`` for the counts.
Hypothesis also strings together feed markup pieces and raw bytes (300 examples).
"""

from __future__ import annotations

from collections import Counter

import pytest
from corpora import SHARED, TIERS, Corpus
from corpus_fuzz import Classified, Input, inputs, outcome, summary, timed_run
from hypothesis import given, settings
from hypothesis import strategies as st
from scenario_report import Report, ScenarioResult

LABELS = {"items", "no items", "parse error", "hang", "crash"}
# Crashes this fuzzer found (and that are fixed), each with its smallest reproduction.
FOUND_CRASHES = {
    "ValueError: embedded null character": (
        b'<?xml version="1.0" encoding="U\x00F-8"?><rss version="2.0"><channel><title>t'
        b"</title><item><title>x</title></item></channel></rss>"
    ),  # parse/parser.py _codec: codecs.lookup raised ValueError, not LookupError
    "AssertionError: unknown status keyword 'CD' in marked section": (
        b'<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><title>t</title>'
        b'<entry><title>x</title><content type="html">&lt;![CD%TA[ x</content></entry></feed>'
    ),  # newswire/sanitizer.py: html.parser raised AssertionError
}


def failures(results: list[Classified], expected: list[Input]) -> list[Classified]:
    """Checks every input was classified once; returns the crashes and hangs."""
    assert [r.input for r in results] == expected  # every input classified, once
    assert {r.label for r in results} <= LABELS
    return [r for r in results if r.label in ("crash", "hang")]


@pytest.mark.parametrize("detail", list(FOUND_CRASHES))
def test_crashes_found_earlier_stay_fixed(detail: str) -> None:
    assert outcome(FOUND_CRASHES[detail], "https://corpus.example/found")[0] != "crash"


@pytest.mark.timeout(600)
@pytest.mark.parametrize("corpus", TIERS)
def test_not_wellformed_files_and_300_mutations(corpus: Corpus) -> None:
    items = inputs(300, seed=8, root=corpus.root)
    not_wellformed = sum(r["wellformed"] != "yes" for r in corpus.rows())
    assert sum(i.kind == "as-is" for i in items) == not_wellformed
    assert not_wellformed >= (90 if corpus is SHARED else 6)
    results, seconds = timed_run(items)
    print("\n" + summary(results, seconds))
    assert failures(results, items) == []
    labels = Counter(r.label for r in results)
    assert labels["parse error"] and labels["items"]  # the mutations really broke things


@pytest.mark.reliability
@pytest.mark.slow
@pytest.mark.corpus
@pytest.mark.timeout(3000)
def test_corpus_fuzz_scenario(report: Report) -> None:
    items = inputs(5000, seed=2026)
    results, seconds = timed_run(items)
    print("\n" + summary(results, seconds))
    labels = Counter(r.label for r in results)
    crashes = [f"{r.input}: {r.detail}" for r in results if r.label in ("crash", "hang")]
    bad = failures(results, items)
    entry = ScenarioResult(
        name="security: corpus fuzzing (not-well-formed files, truncations, byte flips)",
        items=len(results),
        lost=0,
        duplicates=0,
        fault_evidence={
            "not_wellformed_files": sum(i.kind == "as-is" for i in items),
            "mutations": sum(i.kind != "as-is" for i in items),
            "by_class": dict(labels),
            "parse_errors": labels["parse error"],
            "crashes": labels["crash"],
            "hangs": labels["hang"],
            "seed": 2026,
        },
        control_detected=None,
        seconds=round(seconds, 1),
        notes="; ".join(crashes[:10]),
    )
    entry.judge(evidence_keys=("parse_errors",))
    entry.passed = entry.passed and not crashes
    report.add(entry)
    assert bad == [], bad


# Pieces of feed markup that parsers trip on; hypothesis strings them together with raw bytes.
PIECES = [
    b'<?xml version="1.0"?>', b'<?xml version="1.0" encoding="', b'"?>', b"utf-8", b"utf-16",
    b"iso-8859-1", b"\xef\xbb\xbf", b"\xff\xfe", b"<rss version=\"2.0\">", b"<channel>",
    b"<item>", b"</item>", b"<title>", b"</title>", b"<link>http://a.example/</link>",
    b'<feed xmlns="http://www.w3.org/2005/Atom">', b"<entry>", b"<content type=\"html\">",
    b"<![CDATA[", b"]]>", b"<!--", b"-->", b"<!DOCTYPE rss>", b"&amp;", b"&#0;", b"&#x110000;",
    b"&nbsp;", b"<pubDate>", b"Mon, 31 Feb 99999 25:61:61 +9999", b"</pubDate>", b"\x00",
    b"<script>", b"javascript:", b'{"version": "https://jsonfeed.org/version/1.1", "items": [',
    b"\x1f\x8b",
]  # fmt: skip
documents = st.lists(st.one_of(st.sampled_from(PIECES), st.binary(max_size=16)), max_size=40)


@settings(max_examples=300, deadline=None, derandomize=True)
@given(documents)
def test_assembled_documents_only_ever_raise_feed_parse_error(pieces: list[bytes]) -> None:
    label, detail = outcome(b"".join(pieces), "https://fuzz.example/feed")
    assert label != "crash", detail
