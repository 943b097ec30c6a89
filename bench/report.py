"""The bench's outputs: ``latest.json``, a markdown table, and the offered-load plot."""

from __future__ import annotations

from pathlib import Path
from typing import Any

REQUIRED_KEYS = (
    "e2e_items_per_s", "latency_ms", "parse", "stages", "cpu_s_per_1k_items", "polling",
    "seen_store_bytes_per_key", "machine", "git_commit",
)  # fmt: skip


def _f(value: Any, digits: int = 1) -> str:
    if value is None:
        return "n/a"
    if isinstance(value, float | int):
        return f"{value:,.{digits}f}"
    return str(value)


def _pct(value: float | None, digits: int = 1) -> str:
    return "n/a" if value is None else _f(value * 100, digits)


def markdown(result: dict[str, Any]) -> str:
    r = result
    lat, parse, poll = r["latency_ms"], r["parse"], r["polling"]
    rows = [
        ("end to end", f"{_f(r['e2e_items_per_s'])} items/s", "≥ 5,000 items/s"),
        (
            f"fetched→stored at {_pct(lat.get('offered_fraction'), 0)}% load",
            f"p50 {_f(lat['p50'])} / p95 {_f(lat['p95'])} / p99 {_f(lat['p99'])} ms",
            "p99 ≤ 500 ms at 70%",
        ),
        (
            "parse (fast vs feedparser)",
            f"{_f(parse['fast_items_per_s'], 0)} vs {_f(parse['feedparser_items_per_s'], 0)} "
            f"items/s = {_f(parse['speedup'])}x",
            "≥ 20x",
        ),
        (
            f"polling {poll['feeds']:,} feeds / {_f(poll['interval_s'], 0)} s",
            f"{_pct(poll['cpu_fraction_of_one_core'], 2)}% of one core, "
            f"304 ratio {_f(poll['not_modified_ratio'], 2)}",
            "≤ 10% of one core",
        ),
    ]
    for name, st in r["stages"].items():
        rows.append((f"stage {name}", f"{_f(st.get('items_per_s'))} items/s", ""))
    for name, v in r["cpu_s_per_1k_items"].items():
        rows.append((f"CPU {name}", f"{_f(v, 3)} s / 1k items", ""))
    for name, v in r.get("peak_rss_bytes", {}).items():
        rows.append((f"peak RSS {name}", f"{_f(v / 2**20)} MiB", ""))
    rows.append(("seen-store", f"{_f(r['seen_store_bytes_per_key'], 0)} bytes/key", ""))
    pub = r.get("publish", {})
    if pub:
        ratio = pub["throughput_ratio_tuned_over_naive"]["median"]
        bratio = pub["broker_cpu_ratio_tuned_over_naive"]["median"]
        rows.append(("publish tuned/naive", f"{_f(ratio, 2)}x items/s, "
                     f"{_f(bratio, 2)}x broker CPU per item", ""))  # fmt: skip
    for p in r.get("sweep", []):
        rows.append((
            f"offered {_f(p['offered_items_per_s'], 0)}/s ({p['fraction']:.0%})",
            f"achieved {_f(p['achieved_items_per_s'], 0)}/s, p99 {_f(p['latency_ms']['p99'])} ms",
            "",
        ))  # fmt: skip
    for area, a in r.get("area_benches", {}).items():
        error = "" if a["status"] == "ok" else ": " + a["error"].splitlines()[0][:120]
        rows.append((f"{area} area bench", a["status"] + error, ""))
    lines = ["| figure | measured | target |", "| --- | --- | --- |"]
    lines += [f"| {a} | {b} | {c} |" for a, b, c in rows]
    head = f"newswire bench {r['git_commit'][:12]} on {r['machine']['cpus']} CPUs"
    if r.get("smoke"):
        head += " (SMOKE sizes: not a measurement)"
    return head + "\n\n" + "\n".join(lines) + "\n"


def plot(result: dict[str, Any], path: Path) -> Path | None:
    """Throughput and p50/p99 latency against offered load, as a PNG."""
    points = result.get("sweep") or []
    if not points:
        return None
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    offered = [p["offered_items_per_s"] for p in points]
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 4))
    ax1.plot(offered, [p["achieved_items_per_s"] for p in points], "o-", label="achieved")
    ax1.plot(offered, offered, ":", color="grey", label="offered")
    ax1.set(xlabel="offered load (items/s)", ylabel="items/s stored", title="throughput")
    ax1.legend()
    for q in ("p50", "p95", "p99"):
        ax2.plot(offered, [p["latency_ms"][q] for p in points], "o-", label=q)
    ax2.axhline(500, color="red", linestyle=":", label="p99 target")
    ax2.set(xlabel="offered load (items/s)", ylabel="ms", title="fetched→stored latency")
    ax2.set_yscale("log")
    ax2.legend()
    fig.suptitle(f"newswire bench {result['git_commit'][:12]}")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path
