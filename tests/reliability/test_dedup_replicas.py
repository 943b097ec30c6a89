"""Three dedup replicas sharing Redis and one consumer group, with rebalances under load
(DESIGN.md, Scale-out).

"Once", given at-least-once delivery: after the run, every unique item has a ``created``
event and the store (by item id and version, fed from the topic by the real store stage)
holds each item exactly once, at its final version; no item id outside the expected set is
created; each article under two identities is created once and aliased once, even when its
two copies are decided by different replicas on different partitions (the shared content
fingerprint index). A ``created`` event may repeat only as the replay of one delivery after
a rebalance or kill (counted as ``replays``).

The control run is the same storm with auto-commit on
(``NEWSWIRE_UNSAFE_AUTO_COMMIT``): the replica that crashes in its first batch has had that
batch's offsets auto-committed, so the verifier must report lost unique items.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

import pytest
from harness import Audit, Workload, audit, caught_up, dedup_env, produce, start_dedup
from procs import FAULT_EXIT
from scenarios import UNSAFE
from services import kill, terminate
from verify import Report, ScenarioResult, assert_control_caught

from newswire.kafka.topics import ensure_topics, pipeline_topics
from newswire.settings import Settings

pytestmark = [pytest.mark.kafka, pytest.mark.slow]


async def rebalance_storm(
    settings: Settings, tmp_path: Path, *, items: int, unsafe: str | None = None
) -> tuple[Workload, Audit, dict[str, int]]:
    """Replicas join and leave while the raw events arrive (``unsafe``: every replica with
    that control setting); one more replica crashes by the runner's fault hook in its first
    batch (between publish and commit; with auto-commit, after the offsets were committed
    and before the processing). Then the audit's figures (nothing asserted here but the
    crash)."""
    work = Workload.build(items)
    await ensure_topics(settings.kafka_bootstrap, pipeline_topics(settings))
    log = tmp_path / "replicas.log"
    env = dedup_env(settings, **(UNSAFE[unsafe] if unsafe else {}))
    procs = [start_dedup(env, log)]
    crashing = start_dedup({**env, "FAULT_EXIT_MID_BATCH": "1"}, log)
    producing = asyncio.create_task(produce(settings, work.events, chunks=12))
    rebalances = 0
    try:
        # Membership changes while the producer runs: every one is a rebalance.
        for action in ("start", "start", "sigterm", "start", "sigkill", "start"):
            await asyncio.sleep(1.0)  # spread the changes over the load
            if action == "start":
                procs.append(start_dedup(env, log))
            elif action == "sigterm":
                terminate(procs.pop(0))
            else:
                kill(procs.pop(0))
            rebalances += 1
        await producing
        crash_code = await asyncio.to_thread(crashing.wait, 60)
        assert crash_code == FAULT_EXIT, f"fault hook did not fire (exit {crash_code}); see {log}"
        assert len([p for p in procs if p.poll() is None]) == 3
        await caught_up(settings, timeout_s=45)
    finally:
        kill(crashing)
        for proc in procs:
            terminate(proc)
    result = await audit(settings, tmp_path)
    created_ids = set(result.created)
    firsts = {a if a in created_ids else b for a, b in work.alias_pairs}
    expected = work.unique | firsts
    figures = {
        "sent": len(work.events),
        "unique": len(expected),
        "created_events": sum(result.created.values()),
        "replays": sum(result.created.values()) - len(created_ids),
        "stored": result.stored,
        "lost": len(expected - created_ids),
        "unexpected_created": len(created_ids - expected),
        "duplicates_in_store": sum(n - 1 for n in result.store_keys.values()),
        "aliases": len(result.aliases),
        "rebalances": rebalances + 1,  # the crash is one more
        "hook_exits": 1,
    }
    print("\ndedup replica figures:", " ".join(f"{k}={v}" for k, v in figures.items()))
    return work, result, figures


@pytest.mark.parametrize(
    "unsafe", [None, pytest.param("auto_commit", marks=[pytest.mark.reliability])]
)
async def test_three_replicas_with_rebalances_store_every_item_once(
    unsafe: str | None,
    make_settings: Callable[..., Settings],
    kafka_bootstrap: str,
    tmp_path: Path,
    redis_url: str,
    report: Report,
) -> None:
    settings = make_settings(kafka_bootstrap, dedup_store_url=redis_url, topic_partitions=6)
    work, result, figures = await rebalance_storm(settings, tmp_path, items=300, unsafe=unsafe)
    name = "rebalance storm: 3 dedup replicas coming and going (test)"
    scenario = ScenarioResult(
        name=name if unsafe is None else f"{name} [control: {unsafe}]",
        items=figures["unique"],
        lost=figures["lost"],
        duplicates=figures["duplicates_in_store"],
        fault_evidence={
            "rebalances": figures["rebalances"],
            "hook_exits": figures["hook_exits"],
            "replays": figures["replays"],
        },
        control_detected=None,
    )
    if unsafe:
        assert_control_caught(None, scenario, report)
        return
    scenario.judge(evidence_keys=("rebalances", "hook_exits"))
    report.add(scenario)
    created_ids = set(result.created)
    assert figures["lost"] == 0, figures
    assert figures["unexpected_created"] == 0, figures
    assert figures["stored"] == figures["unique"], figures
    assert figures["duplicates_in_store"] == 0, figures
    for item_id, version in work.versions.items():
        if item_id in result.store_versions:
            assert result.store_versions[item_id] == version, item_id
    for a, b in work.alias_pairs:
        assert (a in created_ids) != (b in created_ids), (a, b)
        first, second = (a, b) if a in created_ids else (b, a)
        assert result.aliases.get(second) == first
