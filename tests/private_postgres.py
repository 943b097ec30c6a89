"""A PostgreSQL cluster of a test's own, for tests that stop the database (outage tests).

It runs ``deploy/postgres/local-postgres.sh`` with its own port and data directory, so
stopping it never touches the shared test instance on 5433 that other tests (and other
test sessions) use at the same time. :func:`private_postgres` gives a fresh one on a free
port and always stops it and removes its directory; the script installs PostgreSQL when
its binaries are missing and fails when it cannot, so a test using it fails, never skips.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from paths import REPO

PG_SCRIPT = REPO / "deploy" / "postgres" / "local-postgres.sh"
# As root the server runs as the `postgres` user, which may not enter a root-owned pytest
# tmp_path (mode 0700): the clusters live under /var/tmp instead.
PARENT = Path("/var/tmp")


@dataclass(frozen=True)
class PrivatePostgres:
    """One private cluster: ``port`` on 127.0.0.1, data and log under ``directory``."""

    port: int
    directory: Path

    def url(self, database: str = "newswire") -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def run_sync(self, command: str) -> None:
        """``start`` (waits until it answers, creates the ``newswire`` database) or ``stop``
        (fast shutdown, waits); both idempotent. Raises RuntimeError with the script's
        output when it fails (no PostgreSQL and none installable, port taken, ...)."""
        assert command in ("start", "stop")
        env = dict(os.environ, NEWSWIRE_PG_PORT=str(self.port), NEWSWIRE_PG_DIR=str(self.directory))
        done = subprocess.run(
            ["bash", str(PG_SCRIPT), command],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        if done.returncode:
            raise RuntimeError(
                f"local-postgres.sh {command} (port {self.port}) exited {done.returncode}:\n"
                f"{done.stderr}{done.stdout}"
            )

    async def run(self, command: str) -> None:
        """:meth:`run_sync` in a thread, for async tests."""
        await asyncio.to_thread(self.run_sync, command)

    def halt(self) -> None:
        """Stop the server however it can: the script's fast shutdown, else an immediate
        shutdown (SIGQUIT) of the postmaster this cluster started, by the pid in its
        ``postmaster.pid``; returns once no server runs on the directory (or after 30 s)."""
        try:
            self.run_sync("stop")
            return
        except (RuntimeError, subprocess.TimeoutExpired):
            pass
        pid_file = self.directory / "data" / "postmaster.pid"
        with contextlib.suppress(OSError, ValueError, IndexError):
            pid = int(pid_file.read_text().split()[0])
            # A stale pid file may name a pid reused by an unrelated process: only postgres.
            if b"postgres" not in Path(f"/proc/{pid}/cmdline").read_bytes():
                return
            os.kill(pid, signal.SIGQUIT)
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                os.kill(pid, 0)  # raises ProcessLookupError (an OSError) once it is gone
                time.sleep(0.2)  # waiting for another process to exit: no event to wait on


def free_port() -> int:
    """A TCP port on 127.0.0.1 free right now (another process may take it before the
    server binds it: then ``start`` fails loudly, it never reaches another cluster)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextlib.contextmanager
def private_postgres() -> Iterator[PrivatePostgres]:
    """A fresh, started cluster (new directory, free port). However the block ends, the
    server is halted and its directory removed."""
    pg = PrivatePostgres(free_port(), Path(tempfile.mkdtemp(prefix="newswire-pg-", dir=PARENT)))
    try:
        pg.run_sync("start")
        yield pg
    finally:
        try:
            pg.halt()
        finally:
            shutil.rmtree(pg.directory, ignore_errors=True)
