"""Could feedparser-rs (a Rust port of feedparser) replace the lxml fast path?

Three ways through ``newswire_producers.parse.parser.parse_feed_path`` over the same bytes:

* ``reference``: ``fast=False``, feedparser 6 reads every XML document;
* ``fast``: ``fast=True``, the lxml fast path where it applies, feedparser elsewhere;
* ``rs``: ``fast=False`` with feedparser-rs put in feedparser's place inside
  :mod:`newswire_producers.parse.xmlfeed`, so the same checks (size cap, gzip, entity refusal, JSON
  Feed dispatch, encoding hint) and the same mapping from a feedparser-shaped result to
  :class:`ParsedFeed` apply. feedparser-rs returns its own objects (not ``dict``s): a lazy
  :class:`~collections.abc.Mapping` view lets the mapping read them with ``.get``.
  Two shims: feedparser-rs takes no charset hint, so the shim does what feedparser does
  with the hint xmlfeed hands it (decode, re-declare as UTF-8; ``rs-raw`` in the
  agreement table is without it); and it is called with ``resolve_relative_uris=True``,
  because with False it also drops ``xml:base`` (links stay relative, ``base`` is None)
  where feedparser's flag only concerns URIs inside HTML.
* ``rs+guard`` (timing only): ``rs`` with the whole-document entity scan
  (``parser._declares_entities``) skipped when the prolog holds no DOCTYPE, the check the
  fast path relies on instead (``fastscan.prolog_ends_at_root``): what feedparser-rs
  would cost slotted in where the fast path is.

Agreement is that of tests/corpus/test_differential.py: over the files where the
reference finds items, the same count and the same guid, title, link and published for
every item; other fields are counted by field. Speed is process CPU time, every file
parsed by every way in turn (order rotated each round), best of the rounds per file.
Nothing here opens a connection: feedparser-rs is only ever given ``bytes`` (a ``str``
starting with ``http`` would make it fetch a URL).

    .venv/bin/python -m bench.feedparser_rs_eval [--rounds 3] [--details]
"""

from __future__ import annotations

import argparse
import codecs
import contextlib
import csv
import io
import re
import time
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

import feedparser
import feedparser_rs

import newswire_producers.parse.parser as parser
import newswire_producers.parse.xmlfeed as xmlfeed
from newswire.errors import FeedParseError
from newswire_producers.parse.parsed import ParsedFeed
from newswire_producers.parse.parser import parse_feed_path

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared" / "corpus"
OWN = REPO / "tests" / "data" / "feeds"
REPORT = Path("/tmp/feedparser_rs_report.md")

# As tests/corpus/test_differential.py.
KEY_FIELDS = ("guid", "title", "link", "published")
OTHER_FIELDS = (
    "summary_html", "content_html", "authors", "categories", "enclosures", "updated",
    "published_raw", "updated_raw", "language", "base",
)  # fmt: skip
FEED_FIELDS = ("title", "link", "language", "format", "flags")
_HEADER_NOTE = re.compile(r"HTTP header sent by test: Content-type: (.+?); feedparser test_", re.I)
_CHARSET = re.compile(r"""charset\s*=\s*["']?\s*([^"';\s]+)""", re.I)
_XML_DECL = re.compile(rb"^(\xef\xbb\xbf)?<\?xml[^>]*?\?>")
_DECLARED = re.compile(rb"""^(?:\xef\xbb\xbf)?<\?xml[^>]*?encoding\s*=\s*["']([^"']+)["']""")
_PROLOG = re.compile(r"(?:[ \t\r\n]+|<\?.*?\?>|<!--.*?-->)*<[^!?]", re.DOTALL)  # fastscan's

VARIANTS = ("reference", "fast", "rs", "rs+guard")
COMPARED = ("fast", "rs", "rs-raw")


# --- feedparser-rs behind feedparser's interface -------------------------------------------


class _View(Mapping[str, object]):
    """A read-only ``Mapping`` over a feedparser-rs object (FeedMeta, Entry, TextConstruct,
    Link, Person...): values are wrapped on access, so only what the mapping reads is
    converted."""

    __slots__ = ("_obj",)

    def __init__(self, obj: Any) -> None:
        self._obj = obj

    def __getitem__(self, key: str) -> object:
        value = self._obj.get(key)
        known = self._obj.keys()
        if value is None and key not in known:
            raise KeyError(key)
        return _wrap(value)

    def get(self, key: str, default: object = None) -> object:
        return _wrap(self._obj.get(key, default))

    def __iter__(self) -> Iterator[str]:
        return iter(self._obj.keys())

    def __len__(self) -> int:
        return len(self._obj.keys())


def _wrap(value: object) -> object:
    if isinstance(value, list):
        return [_wrap(v) for v in value]
    if value is None or isinstance(value, str | int | float | bool | dict | time.struct_time):
        return value
    return _View(value) if hasattr(value, "keys") and hasattr(value, "get") else value


@dataclass
class RsEngine:
    """Stands in for the ``feedparser`` module inside :mod:`newswire_producers.parse.xmlfeed`."""

    transcode: bool = True
    errors: list[str] = field(default_factory=list)  # exceptions feedparser-rs raised
    transcoded: int = 0
    current: str = ""  # the file being parsed, for the error list

    def parse(self, stream: io.BytesIO, **kwargs: Any) -> dict[str, object]:
        data = stream.getvalue()
        headers: dict[str, str] = kwargs.get("response_headers") or {}
        match = _CHARSET.search(headers.get("content-type", ""))
        used = ""
        if self.transcode and match:
            data, used = self._to_utf8(data, match.group(1))
        try:
            result = feedparser_rs.parse(data, sanitize_html=False, resolve_relative_uris=True)
        except BaseException as exc:  # a Rust panic (pyo3) is a BaseException: count it
            if isinstance(exc, KeyboardInterrupt | SystemExit):
                raise
            self.errors.append(f"{self.current}: {type(exc).__name__}: {exc!s:.100}")
            raise RuntimeError("feedparser-rs failed") from exc  # xmlfeed translates it
        return {
            "feed": _View(result.feed),
            "entries": [_View(e) for e in result.entries],
            "version": result.version or "",
            "bozo_exception": result.bozo_exception if result.bozo else None,
            "encoding": used or result.encoding,
        }

    def _to_utf8(self, data: bytes, charset: str) -> tuple[bytes, str]:
        """feedparser's handling of the charset hint: decode the bytes with it, declare
        UTF-8 instead. The bytes as they are when the hint is UTF-8 or does not decode."""
        try:
            codec = codecs.lookup(charset).name
        except (LookupError, ValueError):
            return data, ""
        if codec.startswith(("utf-16", "utf-32")):
            return data, ""
        if codec == "utf-8":
            declared = _DECLARED.match(data)
            if declared is None or _codec(declared.group(1).decode("latin-1")) == "utf-8":
                return data, ""  # the document says UTF-8 too (or nothing)
        try:
            text = data.decode(codec)
        except (UnicodeDecodeError, LookupError):
            return data, ""
        self.transcoded += 1
        body = _XML_DECL.sub(b"", text.encode("utf-8"), count=1)
        return b'<?xml version="1.0" encoding="utf-8"?>' + body, codec


def _codec(name: str) -> str:
    try:
        return codecs.lookup(name).name
    except (LookupError, ValueError):
        return "?"


RS = RsEngine()
RS_RAW = RsEngine(transcode=False)
_ENGINES: dict[str, object] = {"feedparser": feedparser, "rs": RS, "rs-raw": RS_RAW}


@contextlib.contextmanager
def engine(name: str) -> Iterator[None]:
    """Swap the XML engine :mod:`newswire_producers.parse.xmlfeed` calls (it reads
    ``feedparser.parse``)."""
    saved = getattr(xmlfeed, "feedparser")  # noqa: B009 (not re-exported: mypy)
    setattr(xmlfeed, "feedparser", _ENGINES[name])  # noqa: B010
    try:
        yield
    finally:
        setattr(xmlfeed, "feedparser", saved)  # noqa: B010


_declares_entities = parser._declares_entities


def _guarded_declares_entities(view: str) -> bool:
    """No DOCTYPE in the prolog: no entity declaration (fastscan); else the full scan."""
    if _PROLOG.match(view.removeprefix("\xef\xbb\xbf").removeprefix("\ufeff")):
        return False
    return _declares_entities(view)


@contextlib.contextmanager
def prolog_guard() -> Iterator[None]:
    parser._declares_entities = _guarded_declares_entities
    try:
        yield
    finally:
        parser._declares_entities = _declares_entities


# --- the corpus ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Doc:
    name: str
    data: bytes
    url: str
    content_type: str | None


def load(root: Path) -> list[Doc]:
    with (root / "MANIFEST.tsv").open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh, delimiter="\t"))
    docs = []
    for row in rows:
        path = root / row["file"]
        header = _HEADER_NOTE.search(row.get("notes") or "")
        docs.append(
            Doc(
                row["file"],
                path.read_bytes(),
                "https://corpus.example/" + path.name,
                header.group(1) if header else None,
            )
        )
    return docs


Outcome = tuple[ParsedFeed | str, str]  # the feed or "rejected: reason"; the path taken


def run(doc: Doc, variant: str) -> Outcome:
    """One parse of ``doc`` by ``variant`` (reference, fast, rs, rs-raw, rs+guard)."""
    if variant == "rs+guard":
        with prolog_guard():
            return run(doc, "rs")
    fast = variant == "fast"
    with engine(variant if variant.startswith("rs") else "feedparser"):
        RS.current = RS_RAW.current = doc.name
        try:
            return parse_feed_path(doc.data, url=doc.url, content_type=doc.content_type, fast=fast)
        except FeedParseError as exc:
            return f"rejected: {exc}", "rejected"


# --- agreement -----------------------------------------------------------------------------


@dataclass
class Agreement:
    files: int = 0
    agree: int = 0
    paths: Counter[str] = field(default_factory=Counter)
    rejected: int = 0
    count_diff: int = 0
    key_files: Counter[str] = field(default_factory=Counter)  # files with a diff in field
    key_items: Counter[str] = field(default_factory=Counter)  # items with a diff in field
    other_files: Counter[str] = field(default_factory=Counter)
    other_items: Counter[str] = field(default_factory=Counter)
    examples: list[str] = field(default_factory=list)
    agree_on_fast_subset: int = 0
    extra_items: list[str] = field(default_factory=list)  # items where reference has none


def compare(ref: ParsedFeed, got: Outcome, name: str, out: Agreement) -> bool:
    """Count ``got`` against ``ref`` into ``out``; True when count and key fields agree."""
    feed, path = got
    out.files += 1
    out.paths[path] += 1
    if isinstance(feed, str):
        out.rejected += 1
        out.examples.append(f"{name}: {feed:.100}")
        return False
    for fname in FEED_FIELDS:
        if getattr(ref, fname) != getattr(feed, fname):
            out.other_files[f"feed {fname}"] += 1
    if len(feed.entries) != len(ref.entries):
        out.count_diff += 1
        out.examples.append(f"{name}: count {len(ref.entries)} -> {len(feed.entries)}")
        return False
    key_seen: set[str] = set()
    other_seen: set[str] = set()
    for index, (want, have) in enumerate(zip(ref.entries, feed.entries, strict=True)):
        for fname in KEY_FIELDS + OTHER_FIELDS:
            a, b = getattr(want, fname), getattr(have, fname)
            if a == b:
                continue
            if fname in KEY_FIELDS:
                out.key_items[fname] += 1
                if fname not in key_seen:
                    out.examples.append(f"{name}: item {index} {fname}: {a!r:.60} -> {b!r:.60}")
                key_seen.add(fname)
            else:
                out.other_items[fname] += 1
                other_seen.add(fname)
    out.key_files.update(key_seen)
    out.other_files.update(other_seen)
    if key_seen:
        return False
    out.agree += 1
    return True


@dataclass
class TierResult:
    name: str
    docs: int
    compared: list[Doc]
    items: dict[str, int]  # reference item count per compared file
    fast_taken: set[str]
    agreement: dict[str, Agreement]
    no_items: int
    rs_errors: list[str]
    transcoded: int


def agreement(name: str, docs: list[Doc]) -> TierResult:
    RS.errors.clear()
    RS_RAW.errors.clear()
    RS.transcoded = 0
    results = {v: Agreement() for v in COMPARED}
    compared: list[Doc] = []
    items: dict[str, int] = {}
    fast_taken: set[str] = set()
    no_items = 0
    for doc in docs:
        ref, _ = run(doc, "reference")
        outcomes = {v: run(doc, v) for v in COMPARED}
        if isinstance(ref, str) or not ref.entries:
            no_items += 1
            for v, (feed, _path) in outcomes.items():
                if not isinstance(feed, str) and feed.entries:
                    results[v].extra_items.append(f"{doc.name} ({len(feed.entries)})")
            continue
        compared.append(doc)
        items[doc.name] = len(ref.entries)
        if outcomes["fast"][1] == "fast":
            fast_taken.add(doc.name)
        for v, got in outcomes.items():
            ok = compare(ref, got, doc.name, results[v])
            if ok and doc.name in fast_taken:
                results[v].agree_on_fast_subset += 1
    return TierResult(
        name, len(docs), compared, items, fast_taken, results, no_items,
        sorted(set(RS.errors + RS_RAW.errors)), RS.transcoded,
    )  # fmt: skip


# --- speed ---------------------------------------------------------------------------------


def _raw_rs(doc: Doc) -> object:
    """feedparser-rs alone on the bytes: no checks, no mapping (the floor for ``rs``)."""
    try:
        return feedparser_rs.parse(doc.data, sanitize_html=False, resolve_relative_uris=True)
    except BaseException as exc:  # timing only; errors are counted above
        if isinstance(exc, KeyboardInterrupt | SystemExit):
            raise
        return None


def _raw_fp(doc: Doc) -> object:
    """feedparser alone on the bytes, as xmlfeed calls it (no hint, no mapping)."""
    return feedparser.parse(
        io.BytesIO(doc.data),
        response_headers={"content-type": "application/xml"},
        resolve_relative_uris=False,
        sanitize_html=False,
    )


def _way(variant: str) -> Callable[[Doc], object]:
    return lambda doc: run(doc, variant)


TIMED: dict[str, Callable[[Doc], object]] = {
    **{v: _way(v) for v in VARIANTS},
    "rs engine only": _raw_rs,
    "feedparser engine only": _raw_fp,
}


def speed(docs: list[Doc], rounds: int) -> dict[str, dict[str, float]]:
    """Best-of-``rounds`` CPU seconds per (way, file); ways rotate order every file."""
    best: dict[str, dict[str, float]] = {w: {} for w in TIMED}
    ways = list(TIMED)
    clock = time.process_time
    for r in range(rounds):
        for i, doc in enumerate(docs):
            shift = (r + i) % len(ways)
            for way in ways[shift:] + ways[:shift]:
                fn = TIMED[way]
                start = clock()
                fn(doc)
                spent = clock() - start
                prev = best[way].get(doc.name)
                best[way][doc.name] = spent if prev is None else min(prev, spent)
    return best


# --- report --------------------------------------------------------------------------------


def _pct(n: int, d: int) -> str:
    return f"{n}/{d} ({n / d:.2%})" if d else f"{n}/0"


def _fields(counter_files: Counter[str], counter_items: Counter[str]) -> str:
    parts = [f"{k} {v}f/{counter_items.get(k, '-')}i" for k, v in counter_files.most_common()]
    return ", ".join(parts) or "none"


def report_tier(t: TierResult, details: bool) -> list[str]:
    n = len(t.compared)
    lines = [
        f"## {t.name}: {t.docs} files, reference finds items in {n} "
        f"({sum(t.items.values())} items); no items in {t.no_items}",
        f"fast path taken (path == 'fast') on {_pct(len(t.fast_taken), n)}; "
        f"feedparser-rs charset shim applied on {t.transcoded} parses",
        "",
        "| way | agree count+key | on fast subset | rejected | count diff "
        "| key-field diffs (files f / items i) |",
        "|---|---|---|---|---|---|",
    ]
    for v in COMPARED:
        a = t.agreement[v]
        lines.append(
            f"| {v} | {_pct(a.agree, a.files)} | {_pct(a.agree_on_fast_subset, len(t.fast_taken))}"
            f" | {a.rejected} | {a.count_diff} | {_fields(a.key_files, a.key_items)} |"
        )
    lines.append("")
    for v in COMPARED:
        a = t.agreement[v]
        lines.append(f"- {v} other-field diffs: {_fields(a.other_files, a.other_items)}")
        if a.extra_items:
            lines.append(
                f"- {v} finds items where the reference finds none: {len(a.extra_items)}: "
                + ", ".join(a.extra_items[:6])
            )
    lines.append(f"- feedparser-rs exceptions: {len(t.rs_errors)}")
    lines += [f"  - {e}" for e in t.rs_errors[:10]]
    for v in ("fast", "rs"):
        shown = t.agreement[v].examples if details else t.agreement[v].examples[:8]
        lines.append(f"- {v} key differences ({len(t.agreement[v].examples)} files/fields):")
        lines += [f"  - {e}" for e in shown]
    return lines


def report_speed(t: TierResult, best: dict[str, dict[str, float]], rounds: int) -> list[str]:
    subsets = {
        f"all {len(t.compared)} files": [d.name for d in t.compared],
        f"fast-path subset ({len(t.fast_taken)} files)": [
            d.name for d in t.compared if d.name in t.fast_taken
        ],
        f"fallback subset ({len(t.compared) - len(t.fast_taken)} files)": [
            d.name for d in t.compared if d.name not in t.fast_taken
        ],
    }
    lines = [
        f"## speed ({t.name}): CPU time, best of {rounds} interleaved rounds per file",
        "",
        "| subset | items | " + " | ".join(f"{w} items/s" for w in TIMED)
        + " | fast/ref | rs/ref | rs/fast | rs+guard/fast |",
        "|---|---|" + "---|" * (len(TIMED) + 4),
    ]  # fmt: skip
    for label, names in subsets.items():
        items = sum(t.items[n] for n in names)
        secs = {w: sum(best[w][n] for n in names) for w in TIMED}
        rate = {w: items / s if s else 0.0 for w, s in secs.items()}
        ratios = [
            rate["fast"] / rate["reference"], rate["rs"] / rate["reference"],
            rate["rs"] / rate["fast"], rate["rs+guard"] / rate["fast"],
        ]  # fmt: skip
        lines.append(
            f"| {label} | {items} | "
            + " | ".join(f"{rate[w]:,.0f}" for w in TIMED)
            + " | "
            + " | ".join(f"{x:.2f}x" for x in ratios)
            + " |"
        )
    return lines


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--corpus", type=Path, default=SHARED)
    ap.add_argument("--own", type=Path, default=OWN)
    ap.add_argument("--out", type=Path, default=REPORT)
    ap.add_argument("--details", action="store_true", help="every key difference")
    args = ap.parse_args()

    lines = [
        "# feedparser-rs against the reference and the lxml fast path",
        "",
        f"feedparser {metadata.version('feedparser')}, feedparser-rs "
        f"{metadata.version('feedparser-rs')}, lxml {metadata.version('lxml')}",
        "",
    ]
    shared = agreement("shared corpus", load(args.corpus))
    own = agreement("own corpus (tests/data/feeds)", load(args.own))
    lines += [*report_tier(shared, args.details), ""]
    lines += [*report_tier(own, True), ""]
    best = speed(shared.compared, args.rounds)
    lines += report_speed(shared, best, args.rounds)
    text = "\n".join(lines) + "\n"
    print(text)
    args.out.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
