"""Running the console script from the operator-tools tests against the test's
own topics, without blocking the event loop (a stage or server may run in it meanwhile)."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

import orjson

from newswire.settings import Settings


def cli_env(settings: Settings, tmp_path: Path) -> dict[str, str]:
    """The environment that points ``newswire`` at this test's topics, data and broker."""
    return {
        **os.environ,
        "NEWSWIRE_KAFKA_BOOTSTRAP": settings.kafka_bootstrap,
        "NEWSWIRE_TOPIC_PREFIX": settings.topic_prefix,
        "NEWSWIRE_DATA_DIR": str(settings.data_dir),
        "NEWSWIRE_STORE_URL": settings.store_url,
        "NEWSWIRE_HEALTH_PORT": "0",
        "NEWSWIRE_KAFKA_TIMEOUT_S": "20",
        "NEWSWIRE_CONFIG": str(tmp_path / "absent.toml"),
    }


async def newswire(settings: Settings, tmp_path: Path, *args: str) -> tuple[int, str, str]:
    """``newswire ARGS`` as a subprocess: (exit status, stdout, stderr); 60 s at most."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "newswire.app.cli",
        *args,
        env=cli_env(settings, tmp_path),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        async with asyncio.timeout(60):
            out, err = await proc.communicate()
    except TimeoutError:
        proc.kill()
        await proc.wait()
        raise
    assert proc.returncode is not None
    return proc.returncode, out.decode(), err.decode()


def json_lines(out: str) -> list[dict[str, object]]:
    return [orjson.loads(line) for line in out.splitlines()]
