"""Fixtures of the reliability tests (issues 4 and 8): Redis, the ``slow`` marker, the
scenario report, and the cadence.

``slow`` tests (several kill or rebalance rounds, up to ~60 s each) are deselected with
``-m "not slow"``; a fast subset stays unmarked. Tests marked ``reliability`` (issue 8's
full scenarios) run only when the ``-m`` expression names ``reliability``
(``make reliability``); plain ``pytest`` / ``make test`` deselects them. Every scenario
result goes to the session's :class:`verify.Report`, written as
``$NEWSWIRE_RELIABILITY_REPORT/report.json`` and ``report.md`` when that variable is set
(``make reliability`` sets it to ``.local/reliability``).
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from dedup_support import require_redis
from verify import Report

_SESSION_STARTED = time.monotonic()


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "slow: a reliability test of up to ~60 s")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if "reliability" in (config.option.markexpr or ""):
        return
    here = Path(__file__).parent
    deselected = [
        i for i in items if i.get_closest_marker("reliability") and here in i.path.parents
    ]
    if deselected:
        config.hook.pytest_deselected(items=deselected)
        items[:] = [i for i in items if i not in deselected]


_REPORT = Report()


@pytest.fixture(scope="session")
def report() -> Iterator[Report]:
    yield _REPORT
    target = os.environ.get("NEWSWIRE_RELIABILITY_REPORT")
    if target and _REPORT.results:
        _REPORT.write(Path(target), seconds=time.monotonic() - _SESSION_STARTED)


@pytest.fixture
def redis_url() -> str:
    """The test Redis (deploy/redis/local-redis.sh); FAILS when it does not answer."""
    return require_redis()
