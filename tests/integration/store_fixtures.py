"""Fixtures for the store tests: both backends, PostgreSQL in a schema of its own per test.

Import them into a test module (``from store_fixtures import any_store, postgres_url``).
PostgreSQL comes from ``deploy/postgres/local-postgres.sh start`` (127.0.0.1:5433) or
NEWSWIRE_TEST_POSTGRES_URL; when it does not answer, the fixture FAILS, never skips.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import psycopg
import pytest

from newswire_consumers.store.postgres_store import PostgresStore
from newswire_consumers.store.sqlite_store import SqliteStore
from newswire_consumers.store.store import ItemStore

POSTGRES_URL = os.environ.get(
    "NEWSWIRE_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5433/newswire"
)


@pytest.fixture(scope="session")
def postgres_server() -> str:
    try:
        with psycopg.connect(POSTGRES_URL, connect_timeout=5) as conn:
            conn.execute("SELECT 1")
    except psycopg.Error as exc:
        pytest.fail(
            f"PostgreSQL does not answer at {POSTGRES_URL}: start it with "
            f"`deploy/postgres/local-postgres.sh start` ({exc})",
            pytrace=False,
        )
    return POSTGRES_URL


@pytest.fixture
def postgres_url(postgres_server: str) -> Iterator[str]:
    """A store URL whose tables live in a fresh schema, dropped after the test."""
    schema = f"test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(postgres_server, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    sep = "&" if "?" in postgres_server else "?"
    yield f"{postgres_server}{sep}options={quote(f'-csearch_path={schema}')}"
    with psycopg.connect(postgres_server, autocommit=True) as conn:
        conn.execute(f"DROP SCHEMA {schema} CASCADE")


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'store.db'}"
    url: str = request.getfixturevalue("postgres_url")
    return url


@pytest.fixture
def any_store(store_url: str) -> Iterator[ItemStore]:
    store: ItemStore = (
        SqliteStore.from_url(store_url)
        if store_url.startswith("sqlite")
        else PostgresStore(store_url)
    )
    with store:
        yield store
