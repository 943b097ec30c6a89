"""Crash safety of dedup (DESIGN.md, Delivery semantics), with real processes.

The dedup process is killed repeatedly under load: by SIGKILL at random moments, and by the
fault-injection hook right after the seen-store write of a batch (before publish and commit:
the window the replay rule exists for). After a clean final run:

- lost = unique items with no ``created`` event on ``newswire.items.unique`` must be 0;
- no item id outside the expected set is created, every edit reaches its version, each
  article under two identities is created once and aliased once;
- the store, fed from the topic by the real store stage, holds each item once (one row per
  item id and per dedup key, at its final version).

A ``created`` event may repeat (a replay of the same delivery after a kill): counted and
printed as ``replays``, never as a stored duplicate.

The control run is the same crash run with the runner committing each batch before
handling it (``NEWSWIRE_UNSAFE_COMMIT_BEFORE_PROCESS``): the batch the hook interrupts is
committed and never published, so the verifier must report lost unique items. The control
exercises the runner's commit order, which does not depend on the seen-store: SQLite only.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Callable
from pathlib import Path

import pytest
from fault_serve import SEEN_STORE_EXIT
from harness import Workload, audit, caught_up, dedup_env, produce, start_dedup
from scenarios import UNSAFE
from services import kill, terminate
from verify import Report, ScenarioResult, assert_control_caught

from newswire.kafka.topics import ensure_topics, pipeline_topics
from newswire.settings import Settings

pytestmark = pytest.mark.kafka


async def crash_run(
    settings: Settings,
    tmp_path: Path,
    *,
    items: int,
    rounds: int,
    seed: int,
    unsafe: str | None = None,
) -> dict[str, int]:
    """Kill dedup ``rounds`` times under load (``unsafe``: with that control setting), then
    run it clean to the end of its input; the figures of the audit (asserts nothing but
    that every round's kill happened)."""
    rng = random.Random(seed)
    extra = UNSAFE[unsafe] if unsafe else {}
    work = Workload.build(items)
    await ensure_topics(settings.kafka_bootstrap, pipeline_topics(settings))
    log = tmp_path / "dedup.log"
    producing = asyncio.create_task(produce(settings, work.events))
    kills = hook_exits = 0
    for round_ in range(rounds):
        if round_ % 2 == 0:  # the hook: exit right after the seen-store write of batch N
            env = dedup_env(
                settings,
                FAULT_EXIT_AFTER_SEEN_STORE_WRITE=str(rng.randint(1, 3)),
                **extra,
            )
            proc = start_dedup(env, log)
            try:
                code = await asyncio.to_thread(proc.wait, 30)
            except Exception:
                kill(proc)
                raise
            assert code == SEEN_STORE_EXIT, f"fault hook did not fire (exit {code}); see {log}"
            hook_exits += 1
        else:  # SIGKILL at a random moment
            proc = start_dedup(dedup_env(settings, **extra), log)
            await asyncio.sleep(rng.uniform(2.0, 4.0))  # a random moment is the point here
            kill(proc)
            kills += 1
    await producing
    final = start_dedup(dedup_env(settings), log)
    try:
        await caught_up(settings)
    finally:
        terminate(final)
    result = await audit(settings, tmp_path)

    created_ids = set(result.created)
    pair_ok = all(
        (a in created_ids) != (b in created_ids)
        and ((result.aliases.get(b) == a) if a in created_ids else (result.aliases.get(a) == b))
        for a, b in work.alias_pairs
    )
    expected = work.unique | {a for a, b in work.alias_pairs if a in created_ids}
    expected |= {b for a, b in work.alias_pairs if b in created_ids}
    figures = {
        "sent": len(work.events),
        "unique": len(work.unique) + len(work.alias_pairs),
        "created_events": sum(result.created.values()),
        "replays": sum(result.created.values()) - len(created_ids),
        "stored": result.stored,
        "lost": len(expected - created_ids),  # expected holds every unique item
        "unexpected_created": len(created_ids - expected),
        "duplicates_in_store": result.stored
        - len(result.store_keys)
        + sum(n - 1 for n in result.store_keys.values()),
        "wrong_version": sum(
            1
            for i, v in work.versions.items()
            if i in result.store_versions and result.store_versions[i] != v
        ),
        "aliases": len(result.aliases),
        "alias_pairs_ok": int(pair_ok),
        "sigkills": kills,
        "hook_exits": hook_exits,
    }
    print("\ndedup crash figures:", " ".join(f"{k}={v}" for k, v in figures.items()))
    assert hook_exits + kills == rounds
    return figures


def assert_figures_clean(figures: dict[str, int]) -> None:
    """Fail unless a crash run lost nothing, created nothing unexpected and stored every
    item once, at its final version, with each alias pair resolved once."""
    assert figures["lost"] == 0, figures
    assert figures["unexpected_created"] == 0, figures
    assert figures["stored"] == figures["unique"], figures
    assert figures["duplicates_in_store"] == 0, figures
    assert figures["wrong_version"] == 0, figures
    assert figures["alias_pairs_ok"] == 1, figures


async def test_fault_hook_exit_after_seen_store_write_loses_nothing(
    make_settings: Callable[..., Settings], kafka_bootstrap: str, tmp_path: Path
) -> None:
    """The fast subset: one exit between seen-store write and commit, SQLite store."""
    settings = make_settings(kafka_bootstrap)
    assert_figures_clean(await crash_run(settings, tmp_path, items=60, rounds=1, seed=1))


@pytest.mark.slow
@pytest.mark.parametrize(
    ("backend", "unsafe", "items", "rounds"),
    [
        ("sqlite", None, 300, 6),
        ("redis", None, 300, 6),
        pytest.param("sqlite", "commit_before_process", 150, 2, marks=pytest.mark.reliability),
    ],
)
async def test_repeated_kills_under_load_lose_nothing_and_store_no_duplicate(
    backend: str,
    unsafe: str | None,
    items: int,
    rounds: int,
    make_settings: Callable[..., Settings],
    kafka_bootstrap: str,
    tmp_path: Path,
    request: pytest.FixtureRequest,
) -> None:
    url = request.getfixturevalue("redis_url") if backend == "redis" else ""
    settings = make_settings(kafka_bootstrap, dedup_store_url=url)
    f = await crash_run(settings, tmp_path, items=items, rounds=rounds, seed=4, unsafe=unsafe)
    report: Report = request.getfixturevalue("report")  # the reliability report
    name = f"dedup SIGKILLed / fault hook under load ({backend} seen-store)"
    result = ScenarioResult(
        name=name if unsafe is None else f"{name} [control: {unsafe}]",
        items=f["unique"],
        lost=f["lost"],
        duplicates=f["duplicates_in_store"],
        fault_evidence={"sigkills": f["sigkills"], "hook_exits": f["hook_exits"],
                        "replays": f["replays"]},
        control_detected=None,
        notes="control: the sqlite control (the commit order is the runner's, whatever the "
        "seen-store)" if backend == "redis" and unsafe is None else "",
    )  # fmt: skip
    if unsafe:
        assert_control_caught(None, result, report)
        return
    assert_figures_clean(f)
    result.judge(evidence_keys=("sigkills", "hook_exits"))
    report.add(result)
