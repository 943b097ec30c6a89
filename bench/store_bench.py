"""Batched upsert throughput of the item stores, for the benchmark.

``store_bench(...)`` returns a dict of rows/s per backend: fresh inserts and a full
redelivery of the same rows (unchanged: the idempotency path). PostgreSQL runs in a
throw-away schema of the local cluster (deploy/postgres/local-postgres.sh start).

    .venv/bin/python -m bench.store_bench            # prints JSON, < 60 s
"""

from __future__ import annotations

import hashlib
import json
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

import psycopg

from newswire_consumers.store.postgres_store import PostgresStore
from newswire_consumers.store.sqlite_store import SqliteStore
from newswire_consumers.store.store import ItemStore
from newswire_schemas.item import Author, Content, Item

POSTGRES_URL = "postgresql://postgres@127.0.0.1:5433/newswire"
_WORDS = [
    *("harbour", "council", "storm", "election", "budget", "market", "river", "school"),
    *("hospital", "rail", "court", "energy", "festival", "museum", "bridge", "minister"),
    *("report", "weather", "football", "police"),
]


def make_items(n: int) -> list[Item]:
    """``n`` realistic-sized items (~1.5 KB of body text each), deterministic."""
    base = datetime(2026, 11, 1, tzinfo=UTC)
    items = []
    for i in range(n):
        words = [_WORDS[(i * 7 + k * 3) % len(_WORDS)] for k in range(220)]
        text = " ".join(words).capitalize() + "."
        items.append(
            Item(
                item_id=hashlib.sha256(f"bench{i}".encode()).hexdigest()[:32],
                dedup_key=f"link:https://bench.example/{i}",
                feed_id="0" * 15 + "1",
                feed_url="https://bench.example/feed.xml",
                link=f"https://bench.example/{i}",
                title=f"{_WORDS[i % len(_WORDS)].capitalize()} story {i}",
                summary=f"<p>{text[:200]}</p>",
                content=Content(html=f"<p>{text}</p>", text=text),
                authors=(Author(name="Bench Writer"),),
                categories=("news",),
                published=base + timedelta(seconds=i),
                fetched=base + timedelta(seconds=i, minutes=5),
                content_hash=hashlib.sha256(text.encode()).hexdigest(),
            )
        )
    return items


def _measure(store: ItemStore, items: list[Item], batch: int) -> dict[str, float]:
    def run() -> float:
        started = time.perf_counter()
        for i in range(0, len(items), batch):
            store.upsert_many(items[i : i + batch])
        return time.perf_counter() - started

    insert_s = run()
    redeliver_s = run()
    assert store.count() == len(items)
    return {
        "insert_rows_per_s": round(len(items) / insert_s),
        "redelivery_rows_per_s": round(len(items) / redeliver_s),
        "insert_seconds": round(insert_s, 2),
    }


def store_bench(
    n: int = 10_000, batch: int = 500, postgres_url: str = POSTGRES_URL
) -> dict[str, Any]:
    """Upsert ``n`` items in batches of ``batch`` into each backend; rows/s per backend."""
    items = make_items(n)
    result: dict[str, Any] = {"items": n, "batch": batch}
    with tempfile.TemporaryDirectory() as tmp, SqliteStore(Path(tmp) / "bench.db") as sqlite:
        result["sqlite"] = _measure(sqlite, items, batch)
    schema = f"bench_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(postgres_url, autocommit=True) as admin:
        admin.execute(f"CREATE SCHEMA {schema}")
        try:
            sep = "&" if "?" in postgres_url else "?"
            url = f"{postgres_url}{sep}options={quote(f'-csearch_path={schema}')}"
            with PostgresStore(url) as pg:
                result["postgresql"] = _measure(pg, items, batch)
        finally:
            admin.execute(f"DROP SCHEMA {schema} CASCADE")
    return result


if __name__ == "__main__":
    print(json.dumps(store_bench(), indent=2))
