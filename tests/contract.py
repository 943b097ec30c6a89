"""Validate events against the JSON Schema files in ``schemas/json`` (the subscribers'
source of truth). The test suite runs it on every event it sees."""

from __future__ import annotations

import functools
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import orjson
from jsonschema import Draft202012Validator, FormatChecker
from jsonschema.exceptions import ValidationError

_SCHEMA_DIR = Path(__file__).resolve().parents[1] / "schemas" / "json"


@functools.cache
def _validator(name: str) -> Draft202012Validator:
    text = (_SCHEMA_DIR / name).read_text("utf-8")
    schema: dict[str, Any] = json.loads(text)
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema, format_checker=FormatChecker())


def schema_errors(headers: Sequence[tuple[str, bytes]], value: bytes) -> list[str]:
    """Every way the record breaks the v1 contract; an empty list means it conforms."""
    decoded = {k: v.decode("utf-8", "replace") for k, v in headers}
    errors: list[ValidationError] = list(_validator("headers.v1.json").iter_errors(decoded))
    try:
        payload = orjson.loads(value)
    except orjson.JSONDecodeError as exc:
        return [f"value is not JSON: {exc}"]
    errors += list(_validator("item.v1.json").iter_errors(payload))
    return [f"{'/'.join(map(str, e.absolute_path)) or '<root>'}: {e.message}" for e in errors]
