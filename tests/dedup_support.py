"""Shared by the dedup tests: the Redis fixture helpers (Redis from deploy/redis)."""

from __future__ import annotations

import os
import socket
from urllib.parse import urlsplit

import pytest

REDIS_URL = os.environ.get("NEWSWIRE_TEST_REDIS_URL", "redis://127.0.0.1:6390/0")


def require_redis() -> str:
    """The test Redis URL; FAILS the test (never skips) when no Redis answers there."""
    parts = urlsplit(REDIS_URL)
    host, port = parts.hostname or "127.0.0.1", parts.port or 6379
    if host not in ("127.0.0.1", "localhost", "::1"):
        pytest.fail(f"tests talk to 127.0.0.1 only, not {host}", pytrace=False)
    try:
        with socket.create_connection((host, port), timeout=3) as sock:
            sock.sendall(b"PING\r\n")
            if not sock.recv(16).startswith(b"+PONG"):
                raise OSError("no PONG")
    except OSError as exc:
        pytest.fail(
            f"no Redis answers at {REDIS_URL} ({exc}): start it with "
            "`deploy/redis/local-redis.sh start` or set NEWSWIRE_TEST_REDIS_URL",
            pytrace=False,
        )
    return REDIS_URL
