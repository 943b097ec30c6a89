"""Points in the delivery path where a test harness may act: the reliability tests'
fault injection (tests/fault_serve.py installs hooks that exit the process at an exact
point). Production installs none, so reaching a point is a loop over an empty list.

Points: ``mid_batch`` (runner: between a batch's commit and the work the commit should
wait for: after publishing under the default commit policy, before processing under the
control runs' policies) and ``seen_store_written`` (dedup: after the seen-store write of a
batch, before publish and commit).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Literal

Point = Literal["mid_batch", "seen_store_written"]
Hook = Callable[[Point, str], Awaitable[None]]

_hooks: list[Hook] = []


def install(hook: Hook) -> None:
    """Call ``hook(point, stage)`` at every point reached from now on (tests only)."""
    _hooks.append(hook)


async def reach(point: Point, stage: str) -> None:
    for hook in _hooks:
        await hook(point, stage)
