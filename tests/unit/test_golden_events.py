"""Compatibility: golden samples of every published contract version still decode, still
validate against the schema files, and survive a round trip without losing a field."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import orjson
import pytest
from paths import REPO

from newswire_schemas import EventType
from newswire_schemas.envelope import decode_event
from tests.contract import schema_errors

GOLDEN = sorted((REPO / "schemas" / "golden").glob("v*/*.json"))


def load(path: Path) -> tuple[list[tuple[str, bytes]], bytes, dict[str, Any]]:
    doc = json.loads(path.read_text())
    headers = [(k, v.encode()) for k, v in doc["headers"].items()]
    return headers, orjson.dumps(doc["value"]), doc


def test_every_event_type_has_a_golden_sample() -> None:
    types = {json.loads(p.read_text())["headers"]["ce_type"] for p in GOLDEN}
    assert types >= {e.value for e in EventType}


@pytest.mark.parametrize("path", GOLDEN, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_golden_sample_still_decodes_and_validates(path: Path) -> None:
    headers, value, doc = load(path)
    assert schema_errors(headers, value) == []
    event = decode_event(headers, value)
    assert event.key.decode() == doc["key"]
    again = orjson.loads(event.value())
    # Additive evolution: today's model may add fields, never drop or change old ones.
    lost = {k: v for k, v in doc["value"].items() if again.get(k) != v}
    assert not lost, f"fields changed by a round trip: {sorted(lost)}"
