"""``python -m bench [--smoke] [--profile] [sizes...]``: run the benchmark, write
``.local/bench/latest.json`` and the offered-load plot, print a markdown table.

Exit status: 0 when every part ran and every required key has a value, 1 otherwise (the
JSON is written either way, with each failed part's error in ``errors``).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import signal
import subprocess
import sys
import time
import traceback
from collections.abc import Awaitable, Callable
from dataclasses import asdict
from datetime import UTC, datetime
from typing import Any

import orjson

from bench.area_benches import run_areas
from bench.config import SMOKE, BenchConfig, from_env
from bench.corpus import REPO
from bench.e2e import run_e2e
from bench.parsing import run_parse
from bench.polling import run_polling
from bench.publish import run_publish
from bench.report import REQUIRED_KEYS, markdown, plot
from newswire.log import configure_logging

PARTS = ("parse", "publish", "e2e", "polling", "areas")


def say(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def _git_commit() -> str:
    def git(*args: str) -> str:
        return subprocess.run(
            ["git", *args], cwd=REPO, capture_output=True, text=True, check=False
        ).stdout.strip()

    commit = git("rev-parse", "HEAD") or "unknown"
    return commit + ("-dirty" if git("status", "--porcelain", "--untracked-files=no") else "")


def _machine() -> dict[str, Any]:
    model = ""
    try:
        for line in open("/proc/cpuinfo").read().splitlines():  # noqa: SIM115, PTH123
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "cpus": os.cpu_count(),
        "cpu_model": model,
        "platform": platform.platform(),
        "python": platform.python_version(),
        "loadavg_start": os.getloadavg(),
    }


def _parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n")[0])
    p.add_argument("--smoke", action="store_true", help="tiny sizes (CI): checks, not figures")
    p.add_argument("--profile", action="store_true", help="pyinstrument the e2e window")
    p.add_argument("--only", default=",".join(PARTS), help=f"parts to run: {','.join(PARTS)}")
    p.add_argument("--e2e-feeds", type=int)
    p.add_argument("--e2e-items", type=int)
    p.add_argument("--warmup-items", type=int)
    p.add_argument("--polling-feeds", type=int)
    p.add_argument("--polling-rounds", type=int)
    p.add_argument("--publish-events", type=int)
    p.add_argument("--sweep-seconds", type=float)
    return p.parse_args()


async def main_async(cfg: BenchConfig, parts: set[str]) -> dict[str, Any]:
    started = time.monotonic()
    result: dict[str, Any] = {
        "started": datetime.now(UTC).isoformat(),
        "git_commit": _git_commit(),
        "machine": _machine(),
        "smoke": cfg.smoke,
        "config": {
            k: (str(v) if not isinstance(v, int | float | tuple | bool) else v)
            for k, v in asdict(cfg).items()
        },
        "errors": {},
    }

    async def part(name: str, run: Callable[[], Awaitable[dict[str, Any]]]) -> dict[str, Any]:
        if name not in parts:
            result["errors"][name] = "skipped (--only)"
            return {}
        t0 = time.monotonic()
        try:
            out = await run()
        except Exception as exc:  # noqa: BLE001 - one failed part must not hide the others
            say(f"{name}: FAILED {type(exc).__name__}: {exc}")
            result["errors"][name] = traceback.format_exc(limit=8)
            return {}
        say(f"{name}: done in {time.monotonic() - t0:.1f}s")
        return out

    async def parse() -> dict[str, Any]:
        return await asyncio.to_thread(run_parse, cfg, say)

    result["parse"] = await part("parse", parse) or {
        "fast_items_per_s": None, "feedparser_items_per_s": None, "speedup": None}  # fmt: skip
    result["publish"] = await part("publish", lambda: run_publish(cfg, say))
    e2e = await part("e2e", lambda: run_e2e(cfg, say))
    result["e2e_items_per_s"] = e2e.get("e2e_items_per_s")
    result["stages"] = e2e.get("stages", {})
    result["cpu_s_per_1k_items"] = e2e.get("cpu_s_per_1k_items", {})
    result["peak_rss_bytes"] = e2e.get("peak_rss_bytes", {})
    result["seen_store_bytes_per_key"] = e2e.get("seen_store_bytes_per_key")
    result["sweep"] = e2e.get("sweep", [])
    result["e2e"] = {k: v for k, v in e2e.items() if k not in ("sweep", "stages")}
    result["latency_ms"] = _latency_at_70(result["sweep"], e2e)
    result["polling"] = await part("polling", lambda: run_polling(cfg, say)) or {
        "feeds": cfg.polling_feeds, "interval_s": cfg.polling_interval_s,
        "cpu_fraction_of_one_core": None, "not_modified_ratio": None}  # fmt: skip
    result["area_benches"] = await part("areas", lambda: run_areas(cfg.smoke, say))
    result["machine"]["loadavg_end"] = os.getloadavg()
    result["seconds"] = time.monotonic() - started
    return result


def _latency_at_70(sweep: list[dict[str, Any]], e2e: dict[str, Any]) -> dict[str, Any]:
    """Latency at the sweep point nearest 70% of max load (else the burst window's)."""
    if sweep:
        point = min(sweep, key=lambda p: abs(p["fraction"] - 0.7))
        return {**point["latency_ms"], "offered_fraction": point["fraction"],
                "offered_items_per_s": point["offered_items_per_s"]}  # fmt: skip
    burst = e2e.get("burst_latency_ms") or {"p50": None, "p95": None, "p99": None}
    return {**burst, "offered_fraction": None}


def missing_keys(result: dict[str, Any]) -> list[str]:
    missing = [k for k in REQUIRED_KEYS if result.get(k) in (None, {}, "")]
    for key, subs in (
        ("latency_ms", ("p50", "p95", "p99")),
        ("parse", ("fast_items_per_s", "feedparser_items_per_s", "speedup")),
        ("polling", ("feeds", "interval_s", "cpu_fraction_of_one_core", "not_modified_ratio")),
    ):
        missing += [f"{key}.{s}" for s in subs if (result.get(key) or {}).get(s) is None]
    return missing


def main() -> None:
    args = _parse_args()
    base = BenchConfig(**SMOKE) if args.smoke else BenchConfig()  # type: ignore[arg-type]
    overrides = {k: v for k, v in vars(args).items() if k not in ("smoke", "only")}
    cfg = from_env(base, overrides | {"profile": args.profile or None})
    parts = {p.strip() for p in args.only.split(",") if p.strip()}
    configure_logging("console", os.environ.get("BENCH_LOG_LEVEL", "WARNING"))
    cfg.out_dir.mkdir(parents=True, exist_ok=True)
    say(f"run {cfg.run_id}: parts {sorted(parts)}; topics {cfg.prefix}-*")
    # SIGTERM unwinds like Ctrl-C, so every part's cleanup (topics, processes) runs.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    result = asyncio.run(main_async(cfg, parts))
    result["missing"] = missing_keys(result)
    png = plot(result, cfg.out_dir / "offered-load.png")
    result["plot"] = str(png) if png else None
    out = cfg.out_dir / ("smoke.json" if cfg.smoke else "latest.json")
    out.write_bytes(orjson.dumps(result, option=orjson.OPT_INDENT_2 | orjson.OPT_NON_STR_KEYS))
    print(markdown(result))
    say(f"wrote {out}" + (f" and {png}" if png else "") + f" in {result['seconds']:.0f}s")
    if result["missing"]:
        say(f"missing figures: {', '.join(result['missing'])}")
    sys.exit(1 if result["missing"] or any(
        not v.startswith("skipped") for v in result["errors"].values()) else 0)  # fmt: skip


if __name__ == "__main__":
    main()
