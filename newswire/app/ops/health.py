"""Which services answer ``/readyz``: a GET per configured URL, concurrently, bounded.

Only the URLs the operator configured are probed (``--health URL`` or the setting
``NEWSWIRE_STATUS_HEALTH_URLS``); nothing else is contacted.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

import httpx


@dataclass(frozen=True, slots=True)
class Probe:
    url: str
    ready: bool
    status: int | None  # HTTP status, None when nothing answered
    detail: str  # the body's first line, or why nothing answered


async def probe_one(client: httpx.AsyncClient, url: str) -> Probe:
    try:
        response = await client.get(url)
    except httpx.HTTPError as exc:
        return Probe(url, False, None, f"{type(exc).__name__}: {exc}"[:200] or type(exc).__name__)
    first = response.text.strip().splitlines()[0] if response.text.strip() else ""
    return Probe(url, response.status_code == 200, response.status_code, first[:200])


async def probe_all(urls: list[str], timeout_s: float = 2.0) -> list[Probe]:
    """One :class:`Probe` per URL, in order; never raises for an unreachable service."""
    if not urls:
        return []
    # trust_env=False: no proxy from the environment; a probe goes exactly where it is told.
    async with httpx.AsyncClient(timeout=timeout_s, trust_env=False) as client:
        return list(await asyncio.gather(*(probe_one(client, u) for u in urls)))
