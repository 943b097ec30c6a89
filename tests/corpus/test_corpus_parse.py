"""parse_feed + normalize over every file of a corpus: the project's own small one
(tests/data/feeds) everywhere, and the shared real-world one (``../shared/corpus``, 695
files, read-only) where it is (see tests/corpora.py). Each file is parsed once per tier; the
tests below check what must hold for all of them. Run with ``-s`` to see the summary table.
"""

from __future__ import annotations

import re
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime

import pytest
from corpora import TIERS, Corpus

from newswire.errors import FeedParseError
from newswire_producers.normalize.normalizer import normalize
from newswire_producers.parse.parser import parse_feed
from newswire_schemas import Event, EventType, Item
from tests.contract import schema_errors

FETCHED = datetime(2026, 1, 15, 12, 0, tzinfo=UTC)

# Per tier: files whose item count differs from the manifest's strict count, each with the
# reason. The test fails when one of them stops differing (then remove it) or a new one
# appears.
JUSTIFIED_COUNT_MISMATCHES = {
    "own": {},
    "shared": {
        "files/feedparser/wellformed__base__http_entry_contributor_url_base_docuri.xml": (
            "an Atom 0.3 feed whose only child is <item>, not <entry>: a strict count finds "
            "0, feedparser (like most readers) takes the <item> as an entry"
        ),
    },
}
# Per tier: files that are no feed at all: each must be refused with a FeedParseError.
NOT_FEEDS = {
    "own": {"not_a_feed.html", "not_a_feed_note.xml", "empty.xml"},
    "shared": {
        "files/gofeed/universal__unknown_feed.xml",  # well-formed XML, root <note>
        "files/miniflux/xml__iso88591.xml",  # well-formed XML, root <note>
        "files/rome/2.rss",  # an HTML error page served as a feed
        "files/feedvalidator/atom__must__feed_missing2.xml",  # an HTML page
        "files/rss-parser/unrecognized.rss",  # HTML <head> fragments
        "files/gofeed/universal__empty_feed.xml",  # empty
        "files/feedparser/illformed__rss_empty_document.xml",  # only a comment
        "files/gofeed/parser_json__invalid.json",  # broken JSON
    },
}

_HEADER_NOTE = re.compile(r"HTTP header sent by test: Content-type: (.+?); feedparser test_", re.I)
_URL_FIELD = re.compile(r"^$|^(https?://|mailto:)")

pytestmark = pytest.mark.timeout(60)


@dataclass
class Outcome:
    row: dict[str, str]
    items: list[Item] = field(default_factory=list)
    rejected: str | None = None  # FeedParseError message
    crashed: str | None = None  # any other exception: always a bug


def _outcome(corpus: Corpus, row: dict[str, str]) -> Outcome:
    data = (corpus.root / row["file"]).read_bytes()
    # feedparser's HTTP tests record the Content-Type their server sent; send it too.
    header = _HEADER_NOTE.search(row["notes"])
    url = "https://corpus.example/" + row["file"]
    outcome = Outcome(row)
    try:
        parsed = parse_feed(data, url=url, content_type=header.group(1) if header else None)
        outcome.items = normalize(parsed, feed_url=url, fetched=FETCHED)
    except FeedParseError as exc:
        outcome.rejected = str(exc)
    except Exception as exc:  # collected, reported by test_nothing_crashes
        outcome.crashed = f"{type(exc).__name__}: {exc}"
    return outcome


@pytest.fixture(scope="module", params=TIERS)
def corpus(request: pytest.FixtureRequest) -> Corpus:
    tier: Corpus = request.param
    return tier


@pytest.fixture(scope="module")
def outcomes(corpus: Corpus) -> list[Outcome]:
    started = time.perf_counter()
    results = [_outcome(corpus, row) for row in corpus.rows()]
    _print_summary(corpus, results, time.perf_counter() - started)
    return results


def _expects_items(row: dict[str, str]) -> bool:
    count = row["item_count"]
    return (
        row["wellformed"] == "yes"
        and row["format"] != "other"
        and count.isdigit()
        and int(count) >= 1
    )


def _count_mismatches(results: list[Outcome]) -> dict[str, str]:
    out = {}
    for o in results:
        count = o.row["item_count"]
        if count.isdigit() and int(count) != len(o.items):
            got = f"rejected ({o.rejected})" if o.rejected else str(len(o.items))
            out[o.row["file"]] = f"manifest {count}, got {got}"
    return out


def _print_summary(corpus: Corpus, results: list[Outcome], seconds: float) -> None:
    reasons = Counter(re.sub(r"\d+", "N", o.rejected) for o in results if o.rejected)
    flags = Counter(f for o in results for i in o.items for f in i.quality_flags)
    print(f"\ncorpus ({corpus.name}): {len(results)} files in {seconds:.1f}s")
    print(f"  feeds that yielded items: {sum(1 for o in results if o.items)}")
    print(f"  items: {sum(len(o.items) for o in results)}")
    print(f"  crashed: {sum(1 for o in results if o.crashed)}")
    print(f"  rejected (FeedParseError): {sum(reasons.values())}")
    for reason, n in reasons.most_common():
        print(f"    {n:4d}  {reason}")
    print("  item count differs from the manifest:")
    for name, what in _count_mismatches(results).items():
        print(f"    {name}: {what}")
    print("  quality flags on items: " + ", ".join(f"{k} {v}" for k, v in flags.most_common()))


def test_nothing_crashes(corpus: Corpus, outcomes: list[Outcome]) -> None:
    crashed = [f"{o.row['file']}: {o.crashed}" for o in outcomes if o.crashed]
    assert not crashed, "\n".join(crashed)
    assert len(outcomes) >= corpus.min_files  # the whole manifest was read


def test_every_wellformed_feed_with_items_yields_items(
    corpus: Corpus, outcomes: list[Outcome]
) -> None:
    empty = [
        f"{o.row['file']}: {o.rejected or 'no items'}"
        for o in outcomes
        if _expects_items(o.row) and not o.items
    ]
    assert not empty, "\n".join(empty)
    assert sum(1 for o in outcomes if _expects_items(o.row)) >= corpus.min_with_items


def test_item_counts_match_the_manifest(corpus: Corpus, outcomes: list[Outcome]) -> None:
    justified = JUSTIFIED_COUNT_MISMATCHES[corpus.name]
    mismatches = _count_mismatches(outcomes)
    unexplained = {k: v for k, v in mismatches.items() if k not in justified}
    assert not unexplained, "\n".join(f"{k}: {v}" for k, v in unexplained.items())
    stale = set(justified) - set(mismatches)
    assert not stale, f"these now match the manifest, drop them from the list: {stale}"


def test_rejections_are_one_line_and_only_for_files_without_readable_items(
    corpus: Corpus, outcomes: list[Outcome]
) -> None:
    for o in outcomes:
        if o.rejected:
            assert o.rejected.strip() and "\n" not in o.rejected, o.row["file"]
            assert not _expects_items(o.row), o.row["file"]
    rejected = {o.row["file"] for o in outcomes if o.rejected}
    assert rejected >= NOT_FEEDS[corpus.name], NOT_FEEDS[corpus.name] - rejected


def test_every_item_is_a_valid_event(outcomes: list[Outcome]) -> None:
    problems = []
    for o in outcomes:
        for item in o.items:
            assert Item.model_validate(item.model_dump()) == item
            event = Event(type=EventType.OBSERVED, source="urn:newswire:corpus", item=item)
            problems += [
                f"{o.row['file']}: {e}" for e in schema_errors(event.headers(), event.value())
            ]
    assert not problems, "\n".join(problems[:20])


def test_no_javascript_and_only_safe_urls(outcomes: list[Outcome]) -> None:
    for o in outcomes:
        for item in o.items:
            urls = [item.link]
            urls += [a.uri for a in item.authors] + [e.url for e in item.enclosures]
            assert all(_URL_FIELD.match(u) for u in urls), (o.row["file"], urls)
            for html in (item.summary, item.content.html, *urls):
                squeezed = "".join(c for c in html if c > " ").lower()
                assert "javascript:" not in squeezed, o.row["file"]
                assert "<script" not in squeezed, o.row["file"]


# What double-encoded UTF-8 leaves in text: a UTF-8 lead byte read as Latin-1/cp1252 (Ã, Ð,
# Ñ, â) followed by a continuation byte read the same way.
_MOJIBAKE = re.compile("â€|[ÃÐÑ][\u0080-\u00bf\u2018-\u201e\u20ac\u2122]")


def test_mojibake_is_repaired_in_every_file_the_manifest_says_has_it(
    corpus: Corpus, outcomes: list[Outcome]
) -> None:
    """The files whose text was double-encoded by the publisher (30-odd real captures)
    come out readable, flagged ``encoding_repaired``
    (producers/newswire_producers/normalize/mojibake.py)."""
    noted = [o for o in outcomes if "mojibake" in o.row["encoding_notes"] and o.items]
    assert len(noted) >= corpus.min_mojibake
    left = [
        f"{o.row['file']}: {m.group(0)!r} in {i.title!r}"
        for o in noted
        for i in o.items
        for m in [_MOJIBAKE.search(" ".join((i.title, i.summary, i.content.text)))]
        if m
    ]
    assert not left, "\n".join(left[:20])
    unflagged = [
        o.row["file"]
        for o in noted
        if not any("encoding_repaired" in i.quality_flags for i in o.items)
    ]
    assert not unflagged, unflagged
