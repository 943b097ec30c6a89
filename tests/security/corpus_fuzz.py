"""Corpus fuzzing (security): a corpus's not-well-formed files plus seeded
truncations and byte flips of its files (the shared corpus, or the project's own small
one), each parsed and normalized in a worker process and classified. Only
:class:`FeedParseError` may come out of parsing; every input gets a class.

An input is named by ``(file, kind, seed)`` so that a failure can be replayed exactly:
``mutate(read(root, file), kind, seed)``. Workers get names, not bytes, and read the corpus
themselves. A per-input alarm bounds Python-level hangs; the parent bounds everything else
(a C-level hang) with a deadline per batch and fails naming the batch.
"""

from __future__ import annotations

import csv
import random
import re
import signal
import time
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from multiprocessing import get_context
from pathlib import Path
from types import FrameType

from paths import CORPUS

from newswire.errors import FeedParseError
from newswire_producers.normalize.normalizer import normalize
from newswire_producers.parse.parser import parse_feed

KINDS = ("truncate", "flip", "flip-head")
PER_INPUT_S = 20  # far beyond any real parse (the corpus's largest file takes ~0.1 s)
FETCHED = datetime(2026, 1, 15, 12, 0, tzinfo=UTC)


@dataclass(frozen=True)
class Input:
    file: str
    kind: str  # "as-is" or one of KINDS
    seed: int = 0
    root: Path = CORPUS  # the corpus ``file`` is in


@dataclass(frozen=True)
class Classified:
    input: Input
    label: str  # "items", "no items", "parse error", "hang" or "crash"
    detail: str  # the FeedParseError reason (digits folded), or the crash


def manifest(root: Path = CORPUS) -> list[dict[str, str]]:
    with (root / "MANIFEST.tsv").open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh, delimiter="\t"))


def inputs(mutations: int, seed: int, root: Path = CORPUS) -> list[Input]:
    """Every not-well-formed file of the corpus at ``root`` as it is, then ``mutations``
    seeded mutations of files drawn from all of it (the same list for the same arguments)."""
    rows = manifest(root)
    out = [Input(r["file"], "as-is", root=root) for r in rows if r["wellformed"] != "yes"]
    rng = random.Random(seed)
    files = sorted(r["file"] for r in rows)
    out += [
        Input(rng.choice(files), rng.choice(KINDS), rng.getrandbits(32), root)
        for _ in range(mutations)
    ]
    return out


@cache
def read(root: Path, file: str) -> bytes:
    return (root / file).read_bytes()


def mutate(data: bytes, kind: str, seed: int) -> bytes:
    """A truncation at a random offset, or 1-8 random bytes XOR-ed with a random non-zero
    value (anywhere, or within the first 512 bytes where declarations and roots live)."""
    rng = random.Random(seed)
    if kind == "as-is" or not data:
        return data
    if kind == "truncate":
        return data[: rng.randrange(len(data))]
    out = bytearray(data)
    span = min(len(out), 512) if kind == "flip-head" else len(out)
    for _ in range(rng.randint(1, 8)):
        out[rng.randrange(span)] ^= rng.randint(1, 255)
    return bytes(out)


class _Hang(BaseException):  # not an Exception: outcome() must not classify it
    pass


def _alarm(signum: int, frame: FrameType | None) -> None:
    raise _Hang


def outcome(data: bytes, url: str) -> tuple[str, str]:
    """(label, detail) of parsing and normalizing ``data``. Never raises an Exception."""
    try:
        items = normalize(parse_feed(data, url=url), feed_url=url, fetched=FETCHED)
    except FeedParseError as exc:
        return "parse error", re.sub(r"\d+", "N", str(exc))
    except Exception as exc:  # the finding: anything but FeedParseError is a bug
        return "crash", f"{type(exc).__name__}: {exc}"[:300]
    return ("items" if items else "no items"), ""


def classify(item: Input) -> Classified:
    """:func:`outcome` of one input under a ``PER_INPUT_S`` alarm. Never raises."""
    data = mutate(read(item.root, item.file), item.kind, item.seed)
    signal.setitimer(signal.ITIMER_REAL, PER_INPUT_S)
    try:
        return Classified(item, *outcome(data, "https://corpus.example/" + item.file))
    except _Hang:
        return Classified(item, "hang", f"over {PER_INPUT_S} s")
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)


def classify_batch(batch: list[Input]) -> list[Classified]:
    """In a worker process: the alarm handler, then every input of the batch."""
    signal.signal(signal.SIGALRM, _alarm)
    return [classify(item) for item in batch]


def run(items: list[Input], *, workers: int = 2, batch: int = 40) -> list[Classified]:
    """Classify ``items`` in ``workers`` spawned processes. Raises TimeoutError naming the
    batch when one takes longer than ``PER_INPUT_S`` per input (a hang in C code)."""
    batches = [items[i : i + batch] for i in range(0, len(items), batch)]
    results: list[Classified] = []
    with ProcessPoolExecutor(workers, mp_context=get_context("spawn")) as pool:
        futures = [pool.submit(classify_batch, b) for b in batches]
        for b, future in zip(batches, futures, strict=True):
            try:
                results += future.result(timeout=PER_INPUT_S * len(b) + 60)
            except TimeoutError:
                for f in futures:
                    f.cancel()
                raise TimeoutError(f"a batch hung: {b}") from None
    return results


def summary(results: list[Classified], seconds: float) -> str:
    labels = Counter(r.label for r in results)
    reasons = Counter(r.detail for r in results if r.label == "parse error")
    lines = [
        f"corpus fuzz: {len(results)} inputs in {seconds:.1f} s: "
        + ", ".join(f"{k} {v}" for k, v in labels.most_common())
    ]
    lines += [f"  {n:5d}  {reason}" for reason, n in reasons.most_common(12)]
    lines += [f"  CRASH {r.input}: {r.detail}" for r in results if r.label == "crash"]
    return "\n".join(lines)


def timed_run(items: list[Input]) -> tuple[list[Classified], float]:
    started = time.monotonic()
    results = run(items)
    return results, time.monotonic() - started
