"""The delivery promises under faults, with real ``newswire serve store`` processes
(DESIGN.md, Delivery semantics). Each scenario asserts lost 0 and stored duplicates 0, and
that the fault demonstrably hit (evidence); each durability scenario has a control run with
an unsafe configuration that the verifier must catch (loss), or the harness is blind.

The fast subset (unmarked) runs in ``make test``; ``reliability`` tests run with
``make reliability`` (see conftest.py).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from procs import SeparateBroker
from scenarios import (
    broker_killed_during_production,
    settings_for,
    sigterm_under_load,
    store_killed_mid_batch,
)
from verify import Report, assert_clean, assert_control_caught

from newswire.settings import Settings

# xdist_group: the separate broker (fixed ports) is started once, by one worker.
pytestmark = [pytest.mark.kafka, pytest.mark.xdist_group("separate-broker")]


@pytest.fixture
def frozen_broker(request: pytest.FixtureRequest) -> SeparateBroker | None:
    """The broker a case freezes (indirect parameter True: the separate broker), or None.
    A fixture, not a lookup in the test: the separate broker's fixture runs its own event
    loop, which it cannot do inside a running test."""
    frozen: bool = request.param
    return request.getfixturevalue("separate_broker") if frozen else None


# -- the fast subset (make test) --


async def test_store_hook_exit_mid_batch_loses_nothing(
    make_settings: Callable[..., Settings], kafka_bootstrap: str, tmp_path: Path, report: Report
) -> None:
    settings = settings_for(make_settings, kafka_bootstrap)
    result = await store_killed_mid_batch(
        settings, tmp_path, items=150, hook_rounds=1, sigkill_rounds=0
    )
    assert_clean(result, report, "hook_exits", "redelivered")


async def test_control_commit_before_process_is_caught(
    make_settings: Callable[..., Settings], kafka_bootstrap: str, tmp_path: Path, report: Report
) -> None:
    settings = settings_for(make_settings, kafka_bootstrap)
    control = await store_killed_mid_batch(
        settings, tmp_path, items=150, hook_rounds=1, sigkill_rounds=0,
        unsafe="commit_before_process",
    )  # fmt: skip
    assert_control_caught(None, control, report)


# -- the full set (make reliability) --


@pytest.mark.reliability
@pytest.mark.slow
@pytest.mark.timeout(400)
async def test_store_killed_mid_batch_repeatedly(
    make_settings: Callable[..., Settings], kafka_bootstrap: str, tmp_path: Path, report: Report
) -> None:
    settings = settings_for(make_settings, kafka_bootstrap)
    result = await store_killed_mid_batch(
        settings, tmp_path / "safe", items=800, hook_rounds=4, sigkill_rounds=3
    )
    assert_clean(result, report, "hook_exits", "sigkills", "redelivered")


@pytest.mark.reliability
@pytest.mark.slow
@pytest.mark.timeout(300)
@pytest.mark.parametrize("unsafe", ["commit_before_process", "auto_commit"])
async def test_store_kill_controls_are_caught(
    unsafe: str,
    make_settings: Callable[..., Settings],
    kafka_bootstrap: str,
    tmp_path: Path,
    report: Report,
) -> None:
    settings = settings_for(make_settings, kafka_bootstrap)
    control = await store_killed_mid_batch(
        settings, tmp_path, items=400, hook_rounds=2, sigkill_rounds=1, unsafe=unsafe
    )
    assert_control_caught(None, control, report)


@pytest.mark.reliability
@pytest.mark.slow
@pytest.mark.parametrize(
    ("frozen_broker", "kafka_waits", "evidence"),
    [
        pytest.param(
            False, 2, ("stored_before_sigterm", "backlog_at_sigterm"),
            id="broker-up", marks=pytest.mark.timeout(300),
        ),
        pytest.param(
            True, 3, ("broker_frozen", "stored_before_sigterm"),
            id="broker-frozen", marks=pytest.mark.timeout(400),
        ),
    ],
    indirect=["frozen_broker"],
)  # fmt: skip
async def test_sigterm_under_load_exits_0_within_deadline(
    frozen_broker: SeparateBroker | None,
    kafka_waits: int,
    evidence: tuple[str, ...],
    make_settings: Callable[..., Settings],
    kafka_bootstrap: str,
    tmp_path: Path,
    report: Report,
) -> None:
    # Freezing a broker is a fault: only the separate broker takes it, never the shared one.
    bootstrap = frozen_broker.bootstrap if frozen_broker else kafka_bootstrap
    settings = settings_for(make_settings, bootstrap)
    result, seconds, code = await sigterm_under_load(
        settings, tmp_path, items=3000, broker=frozen_broker
    )
    assert code == 0, result
    # The drain deadline, then the shutdown's Kafka calls (the consumer's and the producer's
    # stop, ...), each bounded by kafka_timeout_s: a frozen broker lets each run to its bound.
    assert seconds <= settings.drain_timeout_s + kafka_waits * settings.kafka_timeout_s, result
    assert_clean(result, report, *evidence)


@pytest.mark.reliability
@pytest.mark.slow
@pytest.mark.timeout(900)
async def test_broker_killed_and_restarted_during_production(
    make_settings: Callable[..., Settings],
    separate_broker: SeparateBroker,
    tmp_path: Path,
    report: Report,
) -> None:
    settings = settings_for(make_settings, separate_broker.bootstrap)
    result = await broker_killed_during_production(
        settings, tmp_path, separate_broker, items=1500, kills=2
    )
    assert_clean(result, report, "broker_kills_mid_production", "publish_stalls")
