"""Untrusted text on its way to a terminal: the one output filter of every human-facing
surface (CLI tables and lines, ``show``, ``tail``, ``status``, console logs).

Feed text is untrusted. A terminal acts on control characters: 7-bit ESC sequences and
their 8-bit C1 forms (``\\x9b`` is CSI, ``\\x9d`` OSC) can move the cursor, rewrite the
title, or plant a hyperlink; bidirectional controls make text display other than it is
("Trojan Source"); zero-width characters hide text. :func:`for_terminal` removes them all
(tab and newline kept), :func:`one_line` also folds line breaks into spaces. Neither
interprets anything: a caller that prints through rich passes the result as
:class:`rich.text.Text`, never as console markup.

JSON output stays lossless: :func:`json_line` escapes the same characters as ``\\uXXXX``,
so a terminal never sees them raw while a JSON reader gets the value back unchanged.
"""

from __future__ import annotations

import re
from typing import Any

import orjson
from rich.markup import escape

__all__ = ["for_rich", "for_terminal", "json_line", "one_line"]

# C0 (but tab and newline), DEL, C1; bidi embeddings, overrides, isolates and marks;
# zero-width and other invisible format characters; the Unicode line and paragraph
# separators (which some terminals and JavaScript treat as line breaks).
_RANGES = (
    (0x00, 0x08), (0x0B, 0x1F), (0x7F, 0x9F), (0x061C, 0x061C), (0x200B, 0x200F),
    (0x2028, 0x2029), (0x202A, 0x202E), (0x2060, 0x2069), (0xFEFF, 0xFEFF),
)  # fmt: skip
_DROP: dict[int, str | None] = {c: None for lo, hi in _RANGES for c in range(lo, hi + 1)}
_DROP.update({0x2028: "\n", 0x2029: "\n"})
_LINE: dict[int, str | None] = {**_DROP, ord("\n"): " ", ord("\t"): " ", 0x2028: " ", 0x2029: " "}
# In orjson's output the C0 controls are escaped already; the rest of the set is not.
_JSON_UNSAFE_RE = re.compile(
    "[" + "".join(f"\\u{lo:04x}-\\u{hi:04x}" for lo, hi in _RANGES if lo > 0x1F) + "]"
)


def for_terminal(text: str) -> str:
    """``text`` without the characters a terminal would act on (tab and newline kept; the
    Unicode line and paragraph separators become newlines)."""
    return text.translate(_DROP)


def one_line(text: str) -> str:
    """:func:`for_terminal` on one line: line breaks and tabs become spaces."""
    return text.translate(_LINE)


def for_rich(text: str) -> str:
    """:func:`one_line` with rich console markup escaped: data inside a markup string."""
    return escape(one_line(text))


def _escape(match: re.Match[str]) -> str:
    return f"\\u{ord(match.group()):04x}"


def json_line(value: Any, *, indent: bool = False) -> bytes:
    """``value`` as JSON (orjson) with every character :func:`for_terminal` removes
    escaped as ``\\uXXXX``: lossless, and safe to print. No trailing newline."""
    raw = orjson.dumps(value, option=orjson.OPT_INDENT_2 if indent else 0).decode()
    return _JSON_UNSAFE_RE.sub(_escape, raw).encode()
