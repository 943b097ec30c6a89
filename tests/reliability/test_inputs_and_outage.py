"""Poison events, a duplicate storm, schema skew (input_scenarios.py) and a 30 s
PostgreSQL outage (postgres_outage.py), each through the real store process, each an entry
of the reliability report. Their fast in-process versions stay in make test:
tests/integration/test_runner.py (poison, handler crash), test_store_stage.py (storm,
outage) and tests/unit/test_golden_events.py (contract compatibility)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from input_scenarios import duplicate_storm, poison_events, schema_skew
from postgres_outage import postgres_down
from private_postgres import PrivatePostgres, private_postgres
from scenario_report import Report
from scenarios import settings_for
from verify import assert_clean, assert_control_caught

from newswire.settings import Settings

pytestmark = [pytest.mark.kafka, pytest.mark.reliability, pytest.mark.slow]


@pytest.mark.timeout(300)
async def test_poison_events_all_in_dlq_good_events_all_stored(
    make_settings: Callable[..., Settings], kafka_bootstrap: str, tmp_path: Path, report: Report
) -> None:
    result = await poison_events(settings_for(make_settings, kafka_bootstrap), tmp_path, items=600)
    assert result.fault_evidence["dlq_records"] == result.fault_evidence["poison_records"]
    assert_clean(result, report, "poison_records", "dlq_records")


@pytest.mark.timeout(300)
async def test_duplicate_storm_stores_each_item_once(
    make_settings: Callable[..., Settings], kafka_bootstrap: str, tmp_path: Path, report: Report
) -> None:
    settings = settings_for(make_settings, kafka_bootstrap)
    result = await duplicate_storm(settings, tmp_path, items=2000, copies=20)
    assert result.fault_evidence["in_topic_repeats"] == 2000 * 19
    assert_clean(result, report, "in_topic_repeats")


@pytest.mark.timeout(300)
async def test_schema_skew_is_consumed_not_dead_lettered(
    make_settings: Callable[..., Settings], kafka_bootstrap: str, tmp_path: Path, report: Report
) -> None:
    result = await schema_skew(settings_for(make_settings, kafka_bootstrap), tmp_path, items=600)
    assert result.fault_evidence["dlq_records"] == 0
    assert_clean(result, report, "newer_events", "older_events")


@pytest.fixture(scope="session")
def outage_postgres() -> Iterator[PrivatePostgres]:
    """The scenarios' own PostgreSQL (a fresh private cluster); halted and removed at the
    end. FAILS when PostgreSQL cannot start."""
    with private_postgres() as pg:
        yield pg


@pytest.mark.timeout(400)
@pytest.mark.parametrize(
    ("unsafe", "items", "down_s"), [(None, 2000, 30.0), ("commit_before_process", 600, 10.0)]
)
async def test_postgres_down_30_s_loses_and_doubles_nothing(
    unsafe: str | None,
    items: int,
    down_s: float,
    make_settings: Callable[..., Settings],
    kafka_bootstrap: str,
    outage_postgres: PrivatePostgres,
    tmp_path: Path,
    report: Report,
) -> None:
    settings = settings_for(make_settings, kafka_bootstrap)
    result = await postgres_down(
        settings, tmp_path, outage_postgres, items=items, down_s=down_s, unsafe=unsafe
    )
    if unsafe:
        assert_control_caught(None, result, report)
        return
    assert result.fault_evidence["restart_exit_code_during_outage"] == 0, result
    assert result.fault_evidence["store_exit_code_after_outage"] == 0, result
    assert result.fault_evidence["store_alive_through_outage"] == 1, result
    assert_clean(result, report, "acked_during_outage", "db_down_logged")
