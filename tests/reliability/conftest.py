"""Fixtures of the reliability tests: Redis, the separate broker and the ``slow`` marker.

``slow`` tests (several kill or rebalance rounds, up to ~60 s each) are deselected with
``-m "not slow"``; a fast subset stays unmarked. The scenario report (the ``report``
fixture) and the ``reliability`` cadence live in tests/scenario_report.py, a plugin shared
with tests/security: tests marked ``reliability`` run only under ``make reliability``.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from dedup_support import require_redis
from procs import SeparateBroker


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "slow: a reliability test of up to ~60 s")


@pytest.fixture
def redis_url() -> str:
    """The test Redis (deploy/redis/local-redis.sh); FAILS when it does not answer."""
    return require_redis()


@pytest.fixture(scope="session")
def separate_broker() -> Iterator[SeparateBroker]:
    """A second single-node broker on 127.0.0.1:19392, the only one faults may touch (tests
    that use it carry ``xdist_group("separate-broker")``: fixed ports, one worker)."""
    import asyncio

    broker = SeparateBroker()
    asyncio.run(broker.start())
    yield broker
    asyncio.run(broker.stop())
