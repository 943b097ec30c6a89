"""Shared fixtures.

Tests marked ``corpus`` read the shared real-world corpus (``../shared/corpus``, see
tests/corpora.py): without it they FAIL in CI and are skipped elsewhere, with one line in the
summary saying what is missing.

Tests that need Kafka use the ``kafka_bootstrap`` fixture: it points at
NEWSWIRE_KAFKA_BOOTSTRAP or the local broker (``make kafka``) and FAILS when no broker
answers; it never skips. Every event any test publishes through the producer wrapper is
validated against the JSON Schema files in ``schemas/json`` (see ``_contract_guard``).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from paths import CORPUS, REPO

from newswire.kafka import producer as producer_module
from newswire.kafka.topics import delete_topics, list_topics
from newswire.settings import Settings
from newswire_schemas import Event
from tests.contract import schema_errors

__all__ = ["CORPUS", "REPO"]

# the scenario report and the `reliability` cadence, for every test directory.
pytest_plugins = ["scenario_report"]


_CORPUS_MISSING = (
    f"the shared corpus is missing at {CORPUS}: the corpus tier reads it "
    "(a checkout beside the project's shared/ folder has it; CI always runs it)"
)


# A test that asks for one of these fixtures needs the service: it gets its marker, so
# `make test-fast` (-m "not kafka and not postgres and not redis") leaves it out.
_SERVICE_FIXTURES = {
    "kafka_bootstrap": "kafka",
    "postgres_server": "postgres",
    "redis_url": "redis",
}


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        for fixture in set(getattr(item, "fixturenames", ())) & _SERVICE_FIXTURES.keys():
            item.add_marker(_SERVICE_FIXTURES[fixture])
    if CORPUS.joinpath("MANIFEST.tsv").is_file() or os.environ.get("CI"):
        return
    for item in items:
        if item.get_closest_marker("corpus"):
            item.add_marker(pytest.mark.skip(reason=_NO_CORPUS))


_NO_CORPUS = "no shared corpus (the corpus tier)"


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    # Counted from the reports, which reach the controller under pytest-xdist too.
    skipped = sum(_NO_CORPUS in str(r.longrepr) for r in terminalreporter.stats.get("skipped", []))
    if skipped:
        terminalreporter.write_line(
            f"corpus tier: {skipped} tests skipped, {_CORPUS_MISSING}", yellow=True
        )


@pytest.fixture(autouse=True)
def _corpus_present(request: pytest.FixtureRequest) -> None:
    """A ``corpus`` test FAILS (in CI) with one clear line when the corpus is not there."""
    if request.node.get_closest_marker("corpus") and not CORPUS.joinpath("MANIFEST.tsv").is_file():
        pytest.fail(_CORPUS_MISSING, pytrace=False)


@pytest.fixture(scope="session", autouse=True)
def _no_real_data_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """No test touches the user's data: the default data directory (``$XDG_DATA_HOME/
    newswire``) is a temporary one for the whole run, subprocesses included, and
    the shell's NEWSWIRE_DATA_DIR / NEWSWIRE_STORE_URL are dropped (tests name their own)."""
    names = ("XDG_DATA_HOME", "NEWSWIRE_DATA_DIR", "NEWSWIRE_STORE_URL")
    saved = {name: os.environ.get(name) for name in names}
    os.environ["XDG_DATA_HOME"] = str(tmp_path_factory.mktemp("xdg-data"))
    os.environ.pop("NEWSWIRE_DATA_DIR", None)
    os.environ.pop("NEWSWIRE_STORE_URL", None)
    yield
    for name, value in saved.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value


@pytest.fixture(autouse=True)
def _contract_guard(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Validate every event published in the test against the subscribers' schema files."""
    violations: list[str] = []
    original = producer_module.Record.of.__func__  # type: ignore[attr-defined]

    def checked(cls: type[producer_module.Record], topic: str, event: Event) -> Any:
        record = original(cls, topic, event)
        for problem in schema_errors(record.headers, record.value):
            violations.append(f"{topic} {event.type}: {problem}")
        return record

    monkeypatch.setattr(producer_module.Record, "of", classmethod(checked))
    yield violations
    assert not violations, "events broke the v1 contract:\n" + "\n".join(violations[:20])


def _answers(bootstrap: str) -> bool:
    host, _, port = bootstrap.split(",")[0].rpartition(":")
    try:
        with socket.create_connection((host.strip("[]"), int(port)), timeout=3):
            return True
    except OSError:
        return False


@pytest.fixture(scope="session")
def kafka_bootstrap() -> str:
    bootstrap = os.environ.get("NEWSWIRE_KAFKA_BOOTSTRAP", "127.0.0.1:9092")
    if not _answers(bootstrap):
        pytest.fail(
            f"no Kafka broker answers at {bootstrap}: start it with `make kafka` "
            "(deploy/kafka/local-kafka.sh start) or set NEWSWIRE_KAFKA_BOOTSTRAP",
            pytrace=False,
        )
    return bootstrap


def _delete_test_topics(bootstrap: str, prefix: str) -> None:
    """Best effort: a broker that kept every test's topics would grow without bound."""

    async def delete() -> None:
        names = [t for t in await list_topics(bootstrap, 10) if t.startswith(f"{prefix}.")]
        if names:
            await delete_topics(bootstrap, names, 10)

    with contextlib.suppress(Exception):
        asyncio.run(delete())


@pytest.fixture
def make_settings(tmp_path: Path) -> Iterator[Callable[..., Settings]]:
    """Settings isolated per test: own topic prefix, data dir and store. The topics of the
    prefixes it handed out are deleted after the test."""
    made: list[Settings] = []

    def make(bootstrap: str = "127.0.0.1:9092", **overrides: Any) -> Settings:
        values: dict[str, Any] = {
            "kafka_bootstrap": bootstrap,
            "topic_prefix": f"test-{uuid.uuid4().hex[:10]}",
            "data_dir": tmp_path / "data",
            "store_url": f"sqlite:///{tmp_path / 'data' / 'store.db'}",
            "fetch_allow_networks": ("127.0.0.1/32",),
            "health_port": 0,
            "kafka_timeout_s": 20.0,
            "drain_timeout_s": 10.0,
            "producer_linger_ms": 5,
        }
        values.update(overrides)
        settings = Settings(**values)
        made.append(settings)
        return settings

    yield make
    for settings in made:
        if _answers(settings.kafka_bootstrap):
            _delete_test_topics(settings.kafka_bootstrap, settings.topic_prefix)


@pytest.fixture
def kafka_settings(kafka_bootstrap: str, make_settings: Callable[..., Settings]) -> Settings:
    return make_settings(kafka_bootstrap)


def run(coro: Any) -> Any:
    """Run a coroutine from a sync test."""
    return asyncio.run(coro)
