"""The dedup decision, pure: records in, decisions and record writes out.

Both seen-store backends load the records a batch needs in three reads
(:func:`identity_names`, then :func:`bucket_names_needed`, then :func:`second_names`), call
:func:`decide`, and write its result atomically with the state it read (SQLite: one
transaction; Redis: a script that compares what was read), so the rules live here once.
Records are JSON values under these names (``<...>`` filled in)::

    k:<dedup key>   the key's owner item, version, field fingerprints, story, alias_of,
                    the item ids seen as aliases on it, and ``hist``: the last deliveries
                    that changed it with the decision each got (the replay rule)
    f:<content fp>  the first key and item with that content fingerprint (identity drift)
    b2:<key>        story candidates: [item id, story id, time] of the recent items
                    sharing an LSH band or a title key (clustering)
    s2:<item id>    an item's story sketch (``v``, packed ``sig``, ``w``, ``nm``), story, time
    n:<story id>    a story's member count

The story index is versioned (``clustering.SKETCH_VERSION``): version 1 kept
``b:``/``s:`` records with a 61-bit MinHash signature. They are never read again and age
out with the retention; an ``s2:`` value of another version, or malformed, is skipped.

Decision rules for one observation (item ``I`` under key ``K`` from delivery ``D``):

1. ``K``'s record lists ``D`` in ``hist`` → repeat that decision (``replay=True``).
2. ``D`` is on the partition that last changed ``K`` at or before that offset, and not in
   ``hist`` → it was processed before and changed nothing → ``duplicate``. (All records of
   one key are on one partition: the record key is the dedup key.)
3. ``K`` unknown: content fingerprint known under another key → ``alias`` of that item;
   else ``created``, with the story of the most similar recent item or a new story.
4. ``K`` known, owned by ``I``: same fingerprints → ``duplicate``; else ``updated``.
5. ``K`` known, ``I`` another item not yet seen on ``K`` → ``alias`` of the owner; seen →
   ``duplicate``. Aliases carry no updates: the original's own sightings do.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import chain
from operator import itemgetter
from typing import Any

from newswire_consumers.dedup.clustering import (
    SKETCH_VERSION,
    StorySketch,
    candidate_keys,
    pack,
    same_story_scores,
    unpack_raw,
    values,
)
from newswire_consumers.dedup.seen_store import Decision, Observation, Verdict

HISTORY = 8  # deliveries remembered per key: replays within one uncommitted window
MAX_ALIASES = 64
MAX_BUCKET = 200  # entries per LSH band bucket; the oldest go first
MAX_TITLE_BUCKET = 16  # entries per title-key bucket: common words fill it fast
CANDIDATE_CACHE = 8192  # unpacked stored sketches kept (~3.5 kB each)

Records = dict[str, Any]  # name -> JSON value, None when absent
Candidate = tuple[StorySketch, bytes]  # a stored sketch and its signature's raw bytes
_ID, _STORY, _AT = itemgetter(0), itemgetter(1), itemgetter(2)  # of a bucket entry


@dataclass(frozen=True, slots=True)
class Params:
    story_threshold: float
    story_window_s: float


@dataclass(slots=True)
class Outcome:
    decisions: list[Decision]
    writes: Records = field(default_factory=dict)  # name -> new value
    touches: set[str] = field(default_factory=set)  # names whose retention restarts


def identity_names(observations: Sequence[Observation]) -> list[str]:
    """The first records a batch reads: each observation's key and content fingerprint."""
    names: set[str] = set()
    for obs in observations:
        names.add(f"k:{obs.key}")
        if obs.fingerprint:
            names.add(f"f:{obs.fingerprint}")
    return sorted(names)


def bucket_names_needed(observations: Sequence[Observation], records: Records) -> list[str]:
    """The story buckets a batch reads once its identity records are in ``records``: those
    of the observations whose key has no record. Only they can be ``created`` (rules 1, 2,
    4, 5 of the module docstring need a key record), so re-sightings and updates, most of
    the traffic, read no buckets and no candidates ("seen-store latency")."""
    names: set[str] = set()
    for obs in observations:
        if not obs.sketch.empty and f"k:{obs.key}" not in records:
            names.update(bucket_names(obs.sketch))
    return sorted(names)


@lru_cache(maxsize=4096)  # asked twice per new item: bucket_names_needed, then _created
def bucket_names(sk: StorySketch) -> tuple[str, ...]:
    """The ``b2:`` records of a sketch's candidate buckets (LSH bands, then title keys)."""
    return tuple(f"b2:{k}" for k in candidate_keys(sk))


def second_names(records: Records) -> list[str]:
    """The signatures and story counts of the clustering candidates found in buckets."""
    names: set[str] = set()
    for name, value in records.items():
        if name.startswith("b2:") and value:
            for item_id, story_id, _ in value:
                names.update((f"s2:{item_id}", f"n:{story_id}"))
    return sorted(names)


def decide(observations: Sequence[Observation], records: Records, params: Params) -> Outcome:
    """Decide the batch in order; later observations see earlier ones' writes."""
    state = dict(records)
    out = Outcome([])
    sketches: dict[str, Candidate | None] = {}  # s2: records unpacked in this batch
    for obs in observations:
        decision, writes = _decide_one(obs, state, params, sketches)
        state.update(writes)
        out.writes.update(writes)
        if decision.verdict is Verdict.DUPLICATE:
            out.touches.add(f"k:{obs.key}")
        out.decisions.append(decision)
    out.touches -= out.writes.keys()
    return out


def _decide_one(
    obs: Observation, state: Records, params: Params, sketches: dict[str, Candidate | None]
) -> tuple[Decision, Records]:
    d = obs.delivery
    here = [d.topic, d.partition, d.offset]
    rec: dict[str, Any] | None = state.get(f"k:{obs.key}")
    if rec is not None:
        for delivery, stored in rec["hist"]:
            if delivery == here:
                return _decision(stored, replay=True), {}
        last = rec["hist"][-1][0]
        if last[:2] == here[:2] and d.offset <= last[2]:
            return Decision(Verdict.DUPLICATE, rec["item"], rec["v"]), {}
        return _known_key(obs, rec)
    fp = state.get(f"f:{obs.fingerprint}") if obs.fingerprint else None
    if fp is not None and fp["key"] != obs.key:
        decision = Decision(
            Verdict.ALIAS, obs.item_id, 1, alias_of=fp["item"], story_id=fp["story"]
        )
        new = _record(obs, decision, alias_of=fp["item"])
        return decision, {f"k:{obs.key}": new}
    return _created(obs, state, params, sketches)


def _known_key(obs: Observation, rec: dict[str, Any]) -> tuple[Decision, Records]:
    owner, version = rec["item"], rec["v"]
    if obs.item_id != owner:
        if obs.item_id in rec["aliases"]:
            return Decision(Verdict.DUPLICATE, owner, version), {}
        original = rec["alias_of"] or owner
        decision = Decision(Verdict.ALIAS, obs.item_id, 1, alias_of=original, story_id=rec["story"])
        new = dict(rec, aliases=[*rec["aliases"], obs.item_id][-MAX_ALIASES:])
        return decision, {f"k:{obs.key}": _remember(new, obs, decision)}
    stored: dict[str, str] = rec["fields"]
    if stored == obs.fields or rec["alias_of"]:
        return Decision(Verdict.DUPLICATE, owner, version), {}
    diff = tuple(
        sorted(k for k in stored.keys() | obs.fields.keys() if stored.get(k) != obs.fields.get(k))
    )
    decision = Decision(Verdict.UPDATED, owner, version + 1, diff, story_id=rec["story"])
    writes: Records = {
        f"k:{obs.key}": _remember(dict(rec, v=version + 1, fields=obs.fields), obs, decision)
    }
    if obs.fingerprint:
        writes[f"f:{obs.fingerprint}"] = {"key": obs.key, "item": owner, "story": rec["story"]}
    return decision, writes


def _created(
    obs: Observation, state: Records, params: Params, sketches: dict[str, Candidate | None]
) -> tuple[Decision, Records]:
    writes: Records = {}
    story_id, formed = obs.item_id, False
    sk = obs.sketch
    if not sk.empty:
        window, at = params.story_window_s, sk.at
        # bucket -> its entries still within the window
        kept = {name: _in_window(state.get(name) or (), at, window) for name in bucket_names(sk)}
        # The candidates: every item of the kept entries once, in the order of its first
        # entry, with that entry's story. An item has one entry in each of its ~19 buckets
        # and buckets hold up to 200: built with C-level dict and map calls, not a Python
        # loop over thousands of entries (the end-to-end bench).
        flat = list(chain.from_iterable(kept.values()))
        first_story = dict(zip(map(_ID, reversed(flat)), map(_STORY, reversed(flat)), strict=True))
        stories: list[str] = []  # the story of every candidate, in the order compared
        cands: list[Candidate] = []
        for item_id in dict.fromkeys(map(_ID, flat)):
            name_s = f"s2:{item_id}"
            if name_s not in sketches:  # a batch compares one candidate many times
                sketches[name_s] = _stored_candidate(state.get(name_s))
            cand = sketches[name_s]
            if cand is not None:
                stories.append(first_story[item_id])
                cands.append(cand)
        best, best_story = 0.0, None
        # the first of the highest scores wins, as when they were compared one by one
        for score, cand_story in zip(
            same_story_scores(sk, cands, params.story_threshold), stories, strict=True
        ):
            if score > best:
                best, best_story = score, cand_story
        if best_story is not None:
            story_id = best_story
        members = (state.get(f"n:{story_id}") or 0) + 1
        formed = members == 2
        writes[f"n:{story_id}"] = members
        writes[f"s2:{obs.item_id}"] = {
            "v": SKETCH_VERSION,
            "sig": pack(sk.signature),
            "w": pack(sk.words),
            "nm": pack(sk.names),
            "story": story_id,
            "at": sk.at,
        }
        entry = [obs.item_id, story_id, sk.at]
        for name, entries in kept.items():
            cap = MAX_TITLE_BUCKET if name.startswith("b2:t:") else MAX_BUCKET
            entries.append(entry)
            writes[name] = entries[-cap:]
    decision = Decision(Verdict.CREATED, obs.item_id, 1, story_id=story_id, cluster_formed=formed)
    writes[f"k:{obs.key}"] = _record(obs, decision, alias_of=None)
    if obs.fingerprint and state.get(f"f:{obs.fingerprint}") is None:
        writes[f"f:{obs.fingerprint}"] = {"key": obs.key, "item": obs.item_id, "story": story_id}
    return decision, writes


def _in_window(entries: Sequence[list[Any]], at: float, window: float) -> list[list[Any]]:
    """The bucket entries ``[item id, story id, time]`` whose time is within ``window`` of
    ``at`` (NaN times kept: ``not >``), in order."""
    if entries:
        times = list(map(_AT, entries))
        # All within (the common case): one copy, no Python-level loop. Exact: float
        # subtraction is monotonic, so no time between these two is further from ``at``;
        # min and max pass over NaNs unless the first time is NaN (then: the loop below).
        lo, hi = min(times), max(times)
        if abs(lo - at) <= window and abs(hi - at) <= window:
            return list(entries)
    return [e for e in entries if not abs(e[2] - at) > window]


def _stored_candidate(value: Any) -> Candidate | None:
    """The sketch of an ``s2:`` record with its signature's raw bytes (for
    ``same_story_scores``); None when absent, of another sketch version, or malformed (a
    candidate that cannot be compared is no candidate)."""
    if not isinstance(value, dict) or value.get("v") != SKETCH_VERSION:
        return None
    try:
        return _unpacked(value["sig"], value["w"], value["nm"], float(value["at"]))
    except (KeyError, TypeError, ValueError):
        return None


@lru_cache(maxsize=CANDIDATE_CACHE)
def _unpacked(sig: str, words: str, names: str, at: float) -> Candidate:
    """A stored sketch from its packed fields. Cached: the recent items of a bucket are
    candidates of batch after batch (84% hits in the end-to-end bench's workload, where
    unpacking was a tenth of the seen-store's time). A pure function, so the
    cache changes no decision; it costs ~30 MiB when full."""
    raw = unpack_raw(sig)
    sk = StorySketch(
        values(raw),
        frozenset(values(unpack_raw(words))),
        frozenset(values(unpack_raw(names))),
        (),
        at,
    )
    return sk, raw


def _record(obs: Observation, decision: Decision, *, alias_of: str | None) -> dict[str, Any]:
    rec = {
        "item": obs.item_id,
        "v": 1,
        "fields": obs.fields,
        "story": decision.story_id,
        "alias_of": alias_of,
        "aliases": [],
        "hist": [],
    }
    return _remember(rec, obs, decision)


def _remember(rec: dict[str, Any], obs: Observation, decision: Decision) -> dict[str, Any]:
    d = obs.delivery
    stored = {
        "verdict": decision.verdict.value,
        "item": decision.owner_item_id,
        "v": decision.version,
        "changed": list(decision.changed_fields),
        "alias_of": decision.alias_of,
        "story": decision.story_id,
    }
    rec["hist"] = [*rec["hist"], [[d.topic, d.partition, d.offset], stored]][-HISTORY:]
    return rec


def _decision(stored: dict[str, Any], *, replay: bool) -> Decision:
    return Decision(
        Verdict(stored["verdict"]),
        stored["item"],
        stored["v"],
        tuple(stored["changed"]),
        alias_of=stored["alias_of"],
        story_id=stored["story"],
        replay=replay,
    )
