"""The areas' own micro-benchmarks, integrated when they exist.

``bench/parse_bench.py``, ``bench/enrich_bench.py`` and ``bench/store_bench.py`` are written
by the engineers of those areas; each exposes a function that returns a dict of figures.
The harness imports each module if present, calls the first of ``run``, ``run_bench``,
``bench``, ``measure``, ``main`` it finds (passing ``smoke=`` when the function takes it;
awaiting it when it is async), and records its dict, or why there is none.
"""

from __future__ import annotations

import importlib
import inspect
import time
import traceback
from typing import Any

AREAS = {
    "parse": "bench.parse_bench",
    "dedup": "bench.dedup_bench",
    "enrich": "bench.enrich_bench",
    "store": "bench.store_bench",
}
_ENTRY_POINTS = ("run", "run_bench", "bench", "measure", "store_bench", "enrich_bench",
                 "parse_bench")  # fmt: skip
# Smoke sizes, passed to an entry point that takes a parameter of that name.
_SMOKE_KWARGS: dict[str, Any] = {"smoke": True, "rounds": 1, "seconds": 1.0, "n": 500}

Say = Any


async def run_area(area: str, module_name: str, smoke: bool) -> dict[str, Any]:
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name != module_name:
            return {"status": "error", "error": f"{type(exc).__name__}: {exc}"}
        path = module_name.replace(".", "/") + ".py"
        return {"status": "missing", "error": f"{path} does not exist yet"}
    fn = next(
        (getattr(module, n) for n in _ENTRY_POINTS if callable(getattr(module, n, None))), None
    )
    if fn is None:
        return {"status": "error", "error": f"{module_name} has none of {', '.join(_ENTRY_POINTS)}"}
    params = inspect.signature(fn).parameters
    kwargs = {k: v for k, v in _SMOKE_KWARGS.items() if smoke and k in params}
    t0 = time.monotonic()
    try:
        result = fn(**kwargs)
        if inspect.isawaitable(result):
            result = await result
    except Exception as exc:  # noqa: BLE001 - an area's bench failing must not end the run
        return {
            "status": "error",
            "error": f"{type(exc).__name__}: {exc}",
            "traceback": traceback.format_exc(limit=5),
        }
    if not isinstance(result, dict):
        return {"status": "error", "error": f"{fn.__name__} returned {type(result).__name__}"}
    return {"status": "ok", "entry": f"{module_name}.{fn.__name__}",
            "seconds": time.monotonic() - t0, "figures": result}  # fmt: skip


async def run_areas(smoke: bool, say: Say) -> dict[str, Any]:
    out = {}
    for area, module in AREAS.items():
        out[area] = await run_area(area, module, smoke)
        say(f"area bench {area}: {out[area]['status']}"
            + (f" ({out[area]['error']})" if out[area]["status"] != "ok" else ""))  # fmt: skip
    return out
