"""One consuming stage as its own process, for the bench: ``python -m bench.stageproc``.

It is ``newswire serve <stage>`` (the same ``run_pipeline`` call) with a
:class:`~bench.recording.RecordingMetrics`, plus a reporter that every 0.2 s rewrites
``<out>/<stage>.json`` (counters, busy seconds, first/last batch times) and appends every
new freshness observation to ``<out>/<stage>.lat`` as ``wall_time seconds`` lines. Settings
come from the environment (``NEWSWIRE_*``), as for ``newswire serve``. SIGTERM drains and
exits 0. With ``--profile`` the whole run is profiled with pyinstrument.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import signal
from pathlib import Path

import orjson

from bench.recording import RecordingMetrics
from newswire.app.pipeline import run_pipeline
from newswire.log import configure_logging
from newswire.settings import load_settings


def _write_stats(metrics: RecordingMetrics, stage: str, out: Path, state: dict[str, float]) -> None:
    new_batches = metrics.batches[:]
    del metrics.batches[: len(new_batches)]
    for _, t, seconds in new_batches:
        state["busy_s"] = state.get("busy_s", 0.0) + seconds
        state["first_batch_t"] = state.get("first_batch_t") or (t - seconds)
        state["last_batch_t"] = t
    new_obs = metrics.observations[:]
    del metrics.observations[: len(new_obs)]
    wanted = f"fetched_to_{stage}"
    lines = "".join(f"{t:.6f} {v:.6f}\n" for span, t, v in new_obs if span == wanted)
    if lines:
        with (out / f"{stage}.lat").open("a") as f:
            f.write(lines)
    counters = metrics.counters(
        ("newswire_records_consumed", "newswire_stage_records", "newswire_dlq_records")
    )
    stats = {
        "pid": os.getpid(),
        "stage": stage,
        "consumed": counters["newswire_records_consumed"].get(f"stage={stage}", 0.0),
        "outcomes": counters["newswire_stage_records"],
        "dlq": counters["newswire_dlq_records"],
        **state,
    }
    tmp = out / f"{stage}.json.tmp"
    tmp.write_bytes(orjson.dumps(stats))
    tmp.replace(out / f"{stage}.json")


async def _main(stage: str, out: Path) -> None:
    settings = load_settings()
    configure_logging(settings.log_format, settings.log_level)
    metrics = RecordingMetrics()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    state: dict[str, float] = {}

    async def report() -> None:
        while True:
            _write_stats(metrics, stage, out, state)
            await asyncio.sleep(0.2)

    reporter = asyncio.create_task(report())
    try:
        await run_pipeline(settings, stop=stop, services=[stage], metrics=metrics)
    finally:
        reporter.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await reporter
        _write_stats(metrics, stage, out, state)


def main() -> None:
    p = argparse.ArgumentParser(description="run one pipeline stage for the bench")
    p.add_argument("stage")
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--profile", type=Path, default=None, help="write profiles to this dir")
    args = p.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    if args.profile is None:
        asyncio.run(_main(args.stage, args.out))
        return
    from pyinstrument import Profiler

    profiler = Profiler(async_mode="disabled")
    profiler.start()
    try:
        asyncio.run(_main(args.stage, args.out))
    finally:
        profiler.stop()
        base = args.profile / f"profile-{args.stage}"
        base.with_suffix(".html").write_text(profiler.output_html())
        base.with_suffix(".txt").write_text(profiler.output_text(unicode=True))


if __name__ == "__main__":
    main()
