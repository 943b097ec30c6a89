"""Is the Kafka cluster reachable? One watcher per process answers for ``/readyz``.

It asks the cluster for its metadata every ``interval_s`` (a request the brokers answer
without touching any topic) and keeps one state. A failed or unanswered request marks the
cluster unreachable: one log line says so, a reminder follows once a minute, and the Kafka
client's own lines are held back meanwhile (newswire.log.ClientNoise). The first answer
after that ends the outage with one line that says how long it lasted. Nothing else changes:
the clients retry on their own, and the watcher only reports.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from datetime import UTC, datetime

from aiokafka.client import AIOKafkaClient
from aiokafka.errors import KafkaError

from newswire.closing import AsyncClosing
from newswire.kafka.clients import stop_within
from newswire.log import client_noise, get_logger
from newswire.metrics import Metrics

log = get_logger(__name__)


class KafkaWatch(AsyncClosing):
    """Probes ``bootstrap`` in the background while open (an async context manager).
    ``reachable`` starts True: the service checked the cluster before it opened this."""

    def __init__(
        self,
        bootstrap: str,
        metrics: Metrics,
        *,
        interval_s: float = 5.0,
        timeout_s: float = 5.0,
        remind_s: float = 60.0,
    ) -> None:
        self._bootstrap = bootstrap
        self._metrics = metrics
        self._interval_s = interval_s
        self._timeout_s = timeout_s
        self._remind_s = remind_s
        self._client: AIOKafkaClient | None = None
        self._task: asyncio.Task[None] | None = None
        self.down_since: float | None = None  # wall clock (epoch s) of the first failure
        self._down_mono = 0.0
        self._reminded = 0.0
        metrics.dependency_up.labels("kafka").set(1)

    @property
    def reachable(self) -> bool:
        return self.down_since is None

    def is_reachable(self) -> bool:
        """For ``/readyz``."""
        return self.reachable

    async def __aenter__(self) -> KafkaWatch:
        self._task = asyncio.create_task(self._watch(), name="kafka-watch")
        return self

    async def aclose(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        await self._close_client()
        client_noise.outage = False

    async def _watch(self) -> None:
        while True:
            await asyncio.sleep(self._interval_s)
            failure = await self.probe()
            if failure is None:
                self._up()
            else:
                self._down(failure)

    async def probe(self) -> str | None:
        """One metadata request; returns None when answered, else why not."""
        try:
            async with asyncio.timeout(self._timeout_s):
                if self._client is None:
                    client = AIOKafkaClient(
                        bootstrap_servers=self._bootstrap,
                        client_id="newswire-watch",
                        request_timeout_ms=int(self._timeout_s * 1000),
                    )
                    self._client = client
                    await client.bootstrap()
                await self._client.fetch_all_metadata()
        except TimeoutError:
            await self._close_client()
            return f"no answer within {self._timeout_s:g} s"
        except (KafkaError, OSError) as exc:
            await self._close_client()
            return str(exc) or type(exc).__name__
        return None

    async def _close_client(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            await stop_within(client.close, 2.0)

    def _down(self, why: str) -> None:
        now = time.monotonic()
        if self.down_since is None:
            self.down_since, self._down_mono, self._reminded = time.time(), now, now
            client_noise.outage = True
            self._metrics.dependency_up.labels("kafka").set(0)
            log.warning(
                f"kafka unreachable since {_clock(self.down_since)}, retrying",
                bootstrap=self._bootstrap,
                cause=why,
            )
        elif now - self._reminded >= self._remind_s:
            self._reminded = now
            log.warning(
                f"kafka still unreachable, for {now - self._down_mono:.0f} s, retrying",
                bootstrap=self._bootstrap,
                cause=why,
            )

    def _up(self) -> None:
        if self.down_since is None:
            return
        lasted = time.monotonic() - self._down_mono
        self.down_since = None
        client_noise.outage = False
        self._metrics.dependency_up.labels("kafka").set(1)
        log.warning(
            f"kafka reachable again after {lasted:.0f} s",
            bootstrap=self._bootstrap,
            client_lines_held_back=client_noise.take_held_in_outage(),
        )


def _clock(epoch_s: float) -> str:
    return datetime.fromtimestamp(epoch_s, UTC).strftime("%H:%M:%SZ")
