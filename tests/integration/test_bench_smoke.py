"""The bench harness keeps working: ``python -m bench --smoke`` runs every part on tiny
sizes against the real broker and writes every figure. No figure's size is asserted: a
smoke run measures nothing."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import orjson
import pytest

pytestmark = [pytest.mark.kafka, pytest.mark.timeout(600)]

REPO = Path(__file__).resolve().parents[2]


def test_smoke_run_writes_every_figure(kafka_bootstrap: str, tmp_path: Path) -> None:
    env = {
        **os.environ,
        "BENCH_OUT_DIR": str(tmp_path),
        "NEWSWIRE_KAFKA_BOOTSTRAP": kafka_bootstrap,
    }
    proc = subprocess.run(
        [sys.executable, "-m", "bench", "--smoke"],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=580, check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-3000:]
    result = orjson.loads((tmp_path / "smoke.json").read_bytes())
    assert result["missing"] == []
    assert result["e2e_items_per_s"] > 0
    assert all(result["latency_ms"][q] > 0 for q in ("p50", "p95", "p99"))
    parse = result["parse"]
    assert parse["fast_items_per_s"] > 0 and parse["feedparser_items_per_s"] > 0
    assert parse["speedup"] > 0
    assert set(result["stages"]) >= {"producer", "dedup", "enrich", "store"}
    assert all(s["items_per_s"] > 0 for s in result["stages"].values())
    assert all(v > 0 for k, v in result["cpu_s_per_1k_items"].items() if k != "broker")
    polling = result["polling"]
    assert polling["feeds"] > 0 and polling["interval_s"] > 0
    assert polling["cpu_fraction_of_one_core"] > 0
    assert 0 < polling["not_modified_ratio"] < 1
    assert result["seen_store_bytes_per_key"] > 0
    assert result["machine"]["cpus"] > 0 and result["git_commit"]
    assert (tmp_path / "offered-load.png").stat().st_size > 0
    assert "| figure | measured | target |" in proc.stdout
