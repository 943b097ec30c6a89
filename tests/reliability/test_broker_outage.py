"""A broker outage under a running pipeline (all four services in one ``newswire serve``
process, on the separate broker): ``/readyz`` answers 503 ``kafka`` while the broker is
away and 200 again once it is back, on its own; the log gets one newswire line when Kafka
goes away and one when it comes back (with the outage's length), not the Kafka client's
hundreds of connection errors a second."""

from __future__ import annotations

import asyncio
import re
import socket
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path

import pytest
from procs import SeparateBroker, Service, service_env

from newswire.settings import Settings

pytestmark = [pytest.mark.kafka, pytest.mark.xdist_group("separate-broker")]

SERVICES = ("producer", "dedup", "enrich", "store")


def readyz(port: int) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=3) as answer:
            return answer.status, answer.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


async def wait_for_status(port: int, status: int, timeout_s: float) -> float:
    """Poll /readyz every 0.5 s until it answers ``status``; returns the seconds it took."""
    started = time.monotonic()
    async with asyncio.timeout(timeout_s):
        while True:
            if (await asyncio.to_thread(readyz, port))[0] == status:
                return time.monotonic() - started
            await asyncio.sleep(0.5)


async def test_a_broker_outage_fails_readiness_and_logs_two_lines(
    separate_broker: SeparateBroker, make_settings: Callable[..., Settings], tmp_path: Path
) -> None:
    settings = make_settings(separate_broker.bootstrap, kafka_timeout_s=10.0)
    env = service_env(settings, NEWSWIRE_LOG_LEVEL="INFO", NEWSWIRE_KAFKA_PROBE_INTERVAL_S="2")
    service = Service(SERVICES, env, tmp_path / "pipeline.log").start()
    try:
        await service.started()
        found = re.search(rb"health on http://127\.0\.0\.1:(\d+)/readyz", service.log.read_bytes())
        assert found, service.tail()
        port = int(found[1])
        await wait_for_status(port, 200, 30)
        await asyncio.sleep(3)  # the services settle (groups joined) before the outage

        before = len(service.log.read_bytes().splitlines())
        outage_started = time.monotonic()
        await separate_broker.stop()
        noticed = await wait_for_status(port, 503, 30)
        status, body = await asyncio.to_thread(readyz, port)
        await asyncio.sleep(20)  # the broker stays away; readiness must stay down
        status_later, _ = await asyncio.to_thread(readyz, port)
        outage_lines = service.log.read_bytes().splitlines()[before:]
        outage_s = time.monotonic() - outage_started

        await separate_broker.start()
        recovered = await wait_for_status(port, 200, 90)
        await asyncio.sleep(1)
        assert service.alive(), service.tail()
    finally:
        if not separate_broker_answers(separate_broker):
            await separate_broker.start()
        code, _ = await service.terminate()
    text = service.log.read_text(errors="replace")
    per_minute = len(outage_lines) * 60 / outage_s
    held = re.search(r"client_lines_held_back=(\d+)", text)
    print(  # the closing note's figures (pytest -s)
        f"outage {outage_s:.0f} s: {len(outage_lines)} log lines ({per_minute:.0f}/min), "
        f"{held[1] if held else '?'} client lines held back; "
        f"/readyz 503 after {noticed:.1f} s ({body.strip()!r}), still {status_later} 20 s "
        f"later, 200 again {recovered:.1f} s after the broker restarted"
    )
    assert (status, status_later) == (503, 503) and "kafka" in body, body
    assert noticed < 15
    assert text.count("kafka unreachable since") == 1, text[-3000:]
    assert len(re.findall(r"kafka reachable again after \d+ s", text)) == 1, text[-3000:]
    assert len(outage_lines) <= 6, b"\n".join(outage_lines)[-3000:].decode(errors="replace")
    assert code == 0, service.tail()


def separate_broker_answers(broker: SeparateBroker) -> bool:
    try:
        socket.create_connection(("127.0.0.1", broker.port), timeout=1).close()
    except OSError:
        return False
    return True
