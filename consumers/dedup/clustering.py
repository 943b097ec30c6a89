"""Story clustering: one ``story_id`` for the same story told by several outlets (issue 4).

An item's *story sketch* is a MinHash signature (Broder 1997) of the set of content words of
its normalized title and lead (the first ``LEAD_WORDS`` words of its body). Two items whose
signatures agree in at least ``threshold`` of their positions (an estimate of the Jaccard
similarity of their word sets) tell the same story.

Candidates are found with locality-sensitive hashing (Leskovec, Rajaraman, Ullman, *Mining
of Massive Datasets*, ch. 3.4): the signature is cut into ``BANDS`` bands of ``ROWS``
values; items sharing one band's values are candidates. With 16 bands of 2 rows a pair of
Jaccard 0.5 is a candidate with probability 0.99, a pair of Jaccard 0.1 with 0.15, so the
index stays small and the threshold decides.

The band index lives in the seen-store (see :mod:`consumers.dedup.ledger`), not in process
memory: it is shared by replicas, survives restarts, and is written in the same atomic step
as the dedup decision, so a replayed delivery repeats its story assignment. State is
time-bounded: an item joins only stories seen within ``window_s`` of its own time.

Why not datasketch's ``MinHashLSH``: its index keeps its own storage, which cannot take part
in the seen-store's atomic replay rule, and it pulls in numpy and scipy for 40 lines of
hashing. The evaluation (tests/unit/test_clustering.py) compares against a 64-bit SimHash.
"""

from __future__ import annotations

import hashlib
import itertools
import random
from collections.abc import Sequence
from dataclasses import dataclass

from consumers.dedup.fingerprint import body_text, normalized_words
from schemas import Item

LEAD_WORDS = 120
PERMUTATIONS = 32
ROWS = 2
BANDS = PERMUTATIONS // ROWS
DEFAULT_THRESHOLD = 0.6
DEFAULT_WINDOW_S = 3 * 86400.0

_PRIME = (1 << 61) - 1  # a Mersenne prime larger than any 60-bit token hash
_rng = random.Random(20260404)  # fixed: signatures are stored and compared across processes
_PERMS = tuple((_rng.randrange(1, _PRIME), _rng.randrange(0, _PRIME)) for _ in range(PERMUTATIONS))
# Words that carry no story: articles, auxiliaries, prepositions (en, de, fr, es, it).
_STOP = frozenset(
    # (SIM905 is silenced below: a word list reads better as text than as a list literal)
    """a an the and or but of to in on at by for from with without as is are was were be been
    has have had will would can could may might it its this that these those he she they we
    you i his her their our your not no than then there here what which who whom how when
    where why also just more most over after before about into out up down new says said
    der die das und ein eine ist im den dem des mit von zu für auf nicht sich
    le la les un une des et est du au aux pour dans sur par pas que qui
    el los las y en por con para del al lo il di che per non""".split()  # noqa: SIM905
)


@dataclass(frozen=True, slots=True)
class StorySketch:
    """What clustering knows of an item: its signature and its time (epoch seconds)."""

    signature: tuple[int, ...]
    at: float

    @property
    def empty(self) -> bool:
        return not self.signature


def story_words(title: str, body: str) -> set[str]:
    """The content words of the title and the lead (stop words and one-letter words left out;
    numbers stay, they tell template stories apart) and their adjacent pairs: pairs keep
    stories built from one phrase with other names and places apart."""
    words = normalized_words(title) + normalized_words(body)[:LEAD_WORDS]
    kept = [w for w in words if len(w) > 1 and w not in _STOP]
    return set(kept) | {f"{a} {b}" for a, b in itertools.pairwise(kept)}


def signature(words: set[str]) -> tuple[int, ...]:
    """The MinHash signature of ``words``; () for an empty set. Deterministic."""
    if not words:
        return ()
    hashed = [
        int.from_bytes(hashlib.blake2b(w.encode(), digest_size=8).digest()) >> 4 for w in words
    ]
    return tuple(min((a * x + b) % _PRIME for x in hashed) for a, b in _PERMS)


def sketch(item: Item) -> StorySketch:
    """The story sketch of an item; its time is when it was published, else fetched."""
    when = item.published or item.fetched
    return StorySketch(signature(story_words(item.title, body_text(item))), when.timestamp())


def band_keys(sig: Sequence[int]) -> list[str]:
    """The LSH bucket names of a signature: ``BANDS`` short strings."""
    keys = []
    for band in range(BANDS):
        rows = ",".join(str(v) for v in sig[band * ROWS : (band + 1) * ROWS])
        keys.append(f"{band}:{hashlib.blake2b(rows.encode(), digest_size=6).hexdigest()}")
    return keys


def similarity(a: Sequence[int], b: Sequence[int]) -> float:
    """The fraction of equal positions: an unbiased estimate of the Jaccard similarity."""
    if not a or len(a) != len(b):
        return 0.0
    return sum(x == y for x, y in zip(a, b, strict=True)) / len(a)
