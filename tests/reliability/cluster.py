"""The 3-node local cluster (``local-kafka.sh start-cluster 3``, ports 19092-19094) as the
fault injector sees it: nodes by id, their JVMs' pids, SIGSTOP / SIGCONT / SIGKILL, and who
leads a partition. Never the shared single node on 9092.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess

from paths import REPO
from procs import KAFKA_SCRIPT

from newswire.kafka.topics import admin_client

NODES = (1, 2, 3)


class LocalCluster:
    """Start it with :meth:`start` (also restarts killed nodes); :meth:`close` stops it only
    when this session started it, and thaws every node it froze first."""

    bootstrap = "127.0.0.1:19092,127.0.0.1:19093,127.0.0.1:19094"

    def __init__(self) -> None:
        self.started_here = False
        self.frozen: set[int] = set()

    def _script(self, command: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["bash", str(KAFKA_SCRIPT), command, *(["3"] if command == "start-cluster" else [])],
            capture_output=True,
            text=True,
            check=False,
            timeout=240,
        )

    async def start(self) -> None:
        """Every node running and answering; raises when the cluster does not come up."""
        running = await asyncio.to_thread(self._script, "status-cluster")
        if running.returncode != 0:
            done = await asyncio.to_thread(self._script, "start-cluster")
            if done.returncode != 0:
                raise RuntimeError(f"the 3-node cluster did not start:\n{done.stderr[-2000:]}")
            # stopped at the end only when no node ran before (another session's cluster)
            self.started_here |= running.stderr.count("not running") == len(NODES)

    def thaw_all(self) -> None:
        for node in list(self.frozen):
            self.thaw(node)

    def close(self) -> None:
        self.thaw_all()
        if self.started_here:
            self._script("stop-cluster")

    def pid(self, node: int) -> int:
        path = REPO / ".local" / "kafka" / "cluster" / f"node-{node}" / "broker.pid"
        return int(path.read_text().strip())

    def freeze(self, node: int) -> None:
        os.kill(self.pid(node), signal.SIGSTOP)
        self.frozen.add(node)

    def thaw(self, node: int) -> None:
        os.kill(self.pid(node), signal.SIGCONT)
        self.frozen.discard(node)

    async def sigkill(self, node: int) -> None:
        """SIGKILL the node's JVM and return once it is gone."""
        pid = self.pid(node)
        os.kill(pid, signal.SIGKILL)
        for _ in range(100):  # bounded: the JVM is gone within a second or so
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                return
            await asyncio.sleep(0.1)

    async def placement(self, topic: str, partition: int) -> tuple[int, list[int], list[int]]:
        """(leader, replicas, in-sync replicas) of ``topic``/``partition``; leader -1 when
        the partition has none."""
        async with admin_client(self.bootstrap) as admin:
            [described] = await admin.describe_topics([topic])
        part = next(p for p in described["partitions"] if p["partition"] == partition)
        return part["leader"], list(part["replicas"]), list(part["isr"])
