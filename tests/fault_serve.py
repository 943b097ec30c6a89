"""``newswire serve`` with the fault hooks a test asks for in its environment (these are no
settings of newswire's, and production never installs a hook):

* ``FAULT_EXIT_MID_BATCH=N``: a consumer stage exits with code 87 at the ``mid_batch``
  point of its Nth batch: published but not committed, or, under the control runs' commit
  policies, committed but not processed (with ``auto``, after waiting for the auto-commit);
* ``FAULT_EXIT_AFTER_SEEN_STORE_WRITE=N``: dedup exits with code 86 right after the
  seen-store write of its Nth batch, before publish and commit.

The exits are ``os._exit``: no cleanup, like SIGKILL, at an exact point. tests/services.py
and tests/reliability/procs.py start every service through this file:
``python tests/fault_serve.py serve SERVICE...``.
"""

from __future__ import annotations

import asyncio
import os
from collections import Counter

from newswire import hooks
from newswire.app.cli.main import app
from newswire.log import get_logger

MID_BATCH_EXIT = 87
SEEN_STORE_EXIT = 86
log = get_logger("fault_serve")


def exit_at(point: hooks.Point, batch: int, code: int, settle_s: float = 0.0) -> hooks.Hook:
    """A hook that exits with ``code`` when a stage reaches ``point`` for the ``batch``th
    time (counted per stage), after ``settle_s`` seconds."""
    reached: Counter[str] = Counter()

    async def hook(at: hooks.Point, stage: str) -> None:
        if at != point:
            return
        reached[stage] += 1
        if reached[stage] == batch:
            if settle_s:
                await asyncio.sleep(settle_s)
            log.warning("fault injection: exiting", point=point, stage=stage, batch=batch)
            os._exit(code)

    return hook


def main() -> None:
    if mid := int(os.environ.get("FAULT_EXIT_MID_BATCH", "0")):
        # Under auto-commit, first several of its 100 ms intervals: the commit happens.
        settle = 0.5 if os.environ.get("NEWSWIRE_COMMIT_POLICY") == "auto" else 0.0
        hooks.install(exit_at("mid_batch", mid, MID_BATCH_EXIT, settle))
    if written := int(os.environ.get("FAULT_EXIT_AFTER_SEEN_STORE_WRITE", "0")):
        hooks.install(exit_at("seen_store_written", written, SEEN_STORE_EXIT))
    app(prog_name="newswire")


if __name__ == "__main__":
    main()
