"""Terminal and JSON output of feed text (the one output filter, newswire.terminal): no
C0/C1 control, DEL, bidi control, invisible character or Unicode line separator reaches a
terminal raw, and rich markup in data is printed, never interpreted. JSON output keeps every
value (a JSON reader gets it back) with those characters escaped."""

from __future__ import annotations

import io
import re

import orjson
import pytest
from factories import make_item
from rich.console import Console

from newswire.app.render import format_hits_table, render_article
from newswire.terminal import for_rich, for_terminal, json_line, one_line
from newswire_consumers.store.store import SearchHit

# What a hostile feed puts in a title: 7-bit and 8-bit CSI/OSC sequences, BEL, DEL, a
# bidi override and isolates, zero-width characters, line separators, and rich markup.
HOSTILE = (
    "Breaking \x1b[2J\x1b]8;;http://evil.example\x07link\x1b]8;;\x07 \x9b31m\x9d0;title\x9c"
    " \x85next \x7f \u202eevil\u202c \u2066iso\u2069 zero\u200bwidth\ufeff \u2028sep\u2029"
    " [red]red[/red] [link=http://evil.example]click[/link] \u061cmark\u200f"
)
# Everything a terminal could act on (tab and newline aside).
RAW = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200b-\u200f\u2028\u2029\u202a-\u202e\u2060-\u2069\ufeff]"
)


def test_for_terminal_removes_every_class_and_keeps_the_text() -> None:
    out = for_terminal(HOSTILE)
    assert not RAW.search(out)
    assert "Breaking" in out and "evil" in out and "zerowidth" in out
    assert "[red]red[/red]" in out  # markup is text here
    assert (
        for_terminal("tab\tand\nnewline é 😀 русский اردو") == "tab\tand\nnewline é 😀 русский اردو"
    )


def test_one_line_folds_line_breaks() -> None:
    assert one_line("a\nb\tc\u2028d") == "a b c d"
    assert "\n" not in one_line(HOSTILE)


def test_json_output_is_lossless_and_escapes_what_a_terminal_would_act_on() -> None:
    line = json_line({"title": HOSTILE})
    assert not RAW.search(line.decode())
    assert orjson.loads(line) == {"title": HOSTILE}
    assert b"\\u009b" in line and b"\\u202e" in line and b"\\u2028" in line


def test_rich_markup_in_data_is_printed_not_interpreted() -> None:
    buffer = io.StringIO()
    Console(file=buffer, force_terminal=True, width=300).print(f"[bold]{for_rich(HOSTILE)}[/bold]")
    printed = buffer.getvalue()
    assert "\x1b]8;" not in printed  # no hyperlink planted
    plain = re.sub(r"\x1b\[[0-9;]*m", "", printed)  # without rich's own styling (SGR)
    assert "[red]red[/red]" in plain and "[link=http://evil.example]click[/link]" in plain
    assert not RAW.search(plain.replace("\n", ""))


@pytest.mark.parametrize("width", [40, 80])
def test_show_and_search_print_no_raw_controls(width: int) -> None:
    item = make_item(1, title=HOSTILE, feed_title=HOSTILE)
    assert not RAW.search(render_article(item, width=width).replace("\n", ""))
    buffer = io.StringIO()
    hits = [SearchHit(item, snippet="", rank=0.0)]
    Console(file=buffer, force_terminal=False, width=width).print(format_hits_table(hits))
    printed = buffer.getvalue()
    assert not RAW.search(printed.replace("\n", "")) and "Breaking" in printed
