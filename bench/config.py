"""Bench sizes: full (``make bench``) and smoke (``make bench-smoke``), overridable by flags
and by ``BENCH_<NAME>`` environment variables (flags win)."""

from __future__ import annotations

import os
import uuid
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from bench.corpus import REPO
from newswire.settings import Settings


@dataclass(frozen=True)
class BenchConfig:
    # end to end: the producer polls e2e_feeds feeds of e2e_items new items each
    e2e_feeds: int = 500
    e2e_items: int = 20
    warmup_items: int = 2000
    # polling cost: polling_feeds feeds, polling_changed of them changed per round
    polling_feeds: int = 10_000
    polling_items: int = 20
    polling_changed: float = 0.10
    polling_rounds: int = 2
    polling_interval_s: float = 300.0
    # side by side
    parse_feeds: int = 100
    parse_rounds: int = 5
    publish_events: int = 20_000
    publish_rounds: int = 4
    # offered-load sweep: fractions of the measured max, seconds each
    sweep_fractions: tuple[float, ...] = (0.25, 0.5, 0.7, 1.0)
    sweep_seconds: float = 20.0
    # where and how
    out_dir: Path = REPO / ".local" / "bench"
    profile: bool = False
    smoke: bool = False
    run_id: str = field(default_factory=lambda: uuid.uuid4().hex[:8])

    @property
    def prefix(self) -> str:
        return f"bench-{self.run_id}"


SMOKE = dict(
    e2e_feeds=20, e2e_items=10, warmup_items=100, polling_feeds=200, polling_items=10,
    polling_rounds=1, parse_feeds=10, parse_rounds=2, publish_events=1000, publish_rounds=2,
    sweep_seconds=2.0, sweep_fractions=(0.25, 0.7), smoke=True,
)  # fmt: skip


def from_env(base: BenchConfig, overrides: dict[str, Any]) -> BenchConfig:
    """``base`` with BENCH_* environment values, then ``overrides`` (non-None) applied."""
    values: dict[str, Any] = {}
    for f in fields(BenchConfig):
        raw = os.environ.get(f"BENCH_{f.name.upper()}")
        if raw is None or f.name in ("run_id", "smoke"):
            continue
        current = getattr(base, f.name)
        if isinstance(current, bool):
            values[f.name] = raw.lower() in ("1", "true", "yes")
        elif isinstance(current, tuple):
            values[f.name] = tuple(float(x) for x in raw.split(","))
        elif isinstance(current, Path):
            values[f.name] = Path(raw)
        else:
            values[f.name] = type(current)(raw)
    values.update({k: v for k, v in overrides.items() if v is not None})
    return replace(base, **values)


def bench_settings(cfg: BenchConfig, name: str) -> Settings:
    """Settings of one bench part: its own topic prefix, data dir and store."""
    data = cfg.out_dir / "runs" / cfg.run_id / name
    return Settings(
        topic_prefix=f"{cfg.prefix}-{name}",
        data_dir=data,
        store_url=f"sqlite:///{data / 'store.db'}",
        fetch_allow_networks=("127.0.0.1/32",),
        health_port=0,
        log_level=os.environ.get("BENCH_LOG_LEVEL", "WARNING"),
        **_BENCH_OVERRIDES,
    )


# Every bench feed is on one host (127.0.0.1), where real feeds are spread over thousands:
# the per-host politeness budget would measure the budget, not the CPU, so it is lifted.
# The e2e target is for enrichment without full-text fetching. Settings ignore names they
# do not know, so these are harmless on a tree that does not have them yet.
_BENCH_OVERRIDES: dict[str, Any] = {
    "per_host_concurrency": 8,
    "per_host_requests_per_minute": 1e9,
    "per_host_burst": 1_000_000,
    "poll_first_spread_s": 0.0,
    "enrich_fulltext": False,
}


def settings_env(settings: Settings) -> dict[str, str]:
    """The bench's explicit settings as NEWSWIRE_* variables for a stage process (the rest
    it reads from the inherited environment, as the parent did)."""
    env = {}
    for name in sorted(settings.model_fields_set):
        value = getattr(settings, name)
        if isinstance(value, tuple):
            value = ",".join(value)
        env[f"NEWSWIRE_{name.upper()}"] = str(value)
    return env
