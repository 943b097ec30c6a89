"""Versioned SQL migrations of the PostgreSQL store, applied on start.

Files ``postgres/NNNN_name.sql`` (package data) are applied in number order, each in its
own transaction together with its row in ``schema_migrations``; a migration that fails
leaves no trace. Concurrent starts (several replicas) serialize on an advisory lock, so
each migration runs exactly once. Append only: never edit a migration that has shipped.
"""

from __future__ import annotations

import re
from importlib import resources
from typing import Any

import psycopg

from newswire.errors import ConfigError

_NAME = re.compile(r"(\d{4})_[a-z0-9_]+\.sql")
# An arbitrary constant: the advisory lock key newswire's migrations hold (pg_advisory_xact_lock).
_LOCK_KEY = 0x6E657773


def migrations() -> list[tuple[int, str, str]]:
    """(version, file name, SQL) of every shipped migration, in order; versions 1, 2, ..."""
    found = []
    for entry in resources.files(__package__).joinpath("postgres").iterdir():
        if m := _NAME.fullmatch(entry.name):
            found.append((int(m.group(1)), entry.name, entry.read_text(encoding="utf-8")))
    found.sort()
    if [v for v, _, _ in found] != list(range(1, len(found) + 1)):
        raise ConfigError(f"migration files are not numbered 1..n: {[n for _, n, _ in found]}")
    return found


def migrate(conn: psycopg.Connection[tuple[Any, ...]]) -> list[str]:
    """Apply the migrations ``conn``'s database has not had yet; return their file names.

    Raises :class:`ConfigError` if the database has a migration this newswire does not know
    (made by a newer version). ``conn`` must be in autocommit mode.
    """
    applied: list[str] = []
    known = migrations()
    with conn.transaction():
        conn.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations ("
            " version integer PRIMARY KEY, name text NOT NULL,"
            " applied_at timestamptz NOT NULL DEFAULT now())"
        )
    for version, name, sql in known:
        with conn.transaction():
            conn.execute("SELECT pg_advisory_xact_lock(%s)", (_LOCK_KEY,))
            row = conn.execute("SELECT max(version) FROM schema_migrations").fetchone()
            current = int(row[0]) if row and row[0] is not None else 0
            if current > len(known):
                raise ConfigError(
                    f"the database has schema version {current}; this newswire knows up to "
                    f"{len(known)}"
                )
            if current >= version:
                continue
            conn.execute(sql.encode())
            conn.execute(
                "INSERT INTO schema_migrations (version, name) VALUES (%s, %s)", (version, name)
            )
            applied.append(name)
    return applied
