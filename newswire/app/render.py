"""Stored items rendered for people: a plain-text article and a table of search hits
(the body text is the store's: :mod:`newswire_consumers.store.text`).

Feed text is untrusted: before it reaches a terminal it passes the one output filter
(:mod:`newswire.terminal`: controls, bidi and invisible characters removed), and table cells
are :class:`rich.text.Text`, never console markup.
"""

from __future__ import annotations

import re
import textwrap
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from rich.table import Table
from rich.text import Text

from newswire.terminal import for_terminal, one_line
from newswire_consumers.store.text import author_names, body_text
from newswire_schemas.item import Item

if TYPE_CHECKING:
    from newswire_consumers.store.sqlite_store import SearchHit

MIN_WIDTH = 20

_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def format_date(value: datetime) -> str:
    """``Sat 28 Nov 2026 14:05 UTC``: English names whatever the process locale is."""
    v = value.astimezone(UTC)
    return f"{_DAYS[v.weekday()]} {v.day} {_MONTHS[v.month - 1]} {v.year} {v:%H:%M} UTC"


def _paragraphs(text: str) -> list[str]:
    # Text with blank lines uses them between paragraphs (lines inside are reflowed); text
    # without any treats every line as a paragraph, so "<p>" rendered as "\n" keeps its shape.
    text = text.replace("\r\n", "\n")
    blocks = re.split(r"\n\s*\n", text) if re.search(r"\n\s*\n", text) else text.split("\n")
    return [p for p in (" ".join(b.split()) for b in blocks) if p]


def render_article(item: Item, *, width: int = 80) -> str:
    """The item as a plain-text news article, lines no wider than ``width``.

    Layout: the title (``(untitled)`` if empty) underlined with ``=``; a byline
    ``By A, B · <feed title> · <published>`` with missing parts left out (and no line at all
    when every part is missing); a blank line; the body (:func:`body_text`) wrapped with its
    paragraphs kept, separated by blank lines; a blank line; ``Source: <link>`` (the feed URL
    when the item has no link) as the last line. No trailing newline.

    Words longer than ``width`` (URLs) are not broken, so only such lines can be wider.
    Pure function; raises ``ValueError`` if ``width < 20``.
    """
    if width < MIN_WIDTH:
        raise ValueError(f"width must be at least {MIN_WIDTH}, got {width}")

    def wrap(text: str) -> list[str]:
        return textwrap.wrap(text, width, break_long_words=False, break_on_hyphens=False)

    title_lines = wrap(" ".join(for_terminal(item.title).split()) or "(untitled)")
    lines = [*title_lines, "=" * min(width, max(len(line) for line in title_lines))]

    byline: list[str] = []
    if names := author_names(item):
        byline.append("By " + ", ".join(names))
    if feed_title := " ".join(item.feed_title.split()):
        byline.append(feed_title)
    if item.published is not None:
        byline.append(format_date(item.published))
    # Break the byline between its parts, so a date is never split across lines.
    packed: list[str] = []
    for part in (for_terminal(p) for p in byline):
        if packed and len(joined := f"{packed[-1]} · {part}") <= width:
            packed[-1] = joined
        else:
            packed.append(part)
    lines += [line for chunk in packed for line in wrap(chunk)]

    for paragraph in _paragraphs(for_terminal(body_text(item))):
        lines += ["", *wrap(paragraph)]
    lines += ["", f"Source: {for_terminal(item.link or item.feed_url)}"]
    return "\n".join(lines)


def format_hits_table(hits: Iterable[SearchHit]) -> Table:
    """Search hits as a table that fits 80 columns: title (one line, cut with an ellipsis;
    the column that gives way), feed, published day (UTC), and the first 12 characters of
    the id (what ``show`` takes).

    Cells are plain :class:`~rich.text.Text`, so ``[bold]`` in a feed's title is shown as
    written, never interpreted. Missing published times show as ``-``.
    """
    table = Table(show_header=True, header_style="bold", box=None, padding=(0, 1), pad_edge=False)
    # The title column is the one that gives way to a narrow terminal; its cells are cut to
    # one line (Text(no_wrap=True)) instead of wrapping.
    table.add_column("title", min_width=20)
    table.add_column("feed", max_width=20, no_wrap=True, overflow="ellipsis")
    table.add_column("published", width=10, no_wrap=True)
    table.add_column("id", width=12, no_wrap=True, style="cyan")
    for hit in hits:
        item = hit.item
        published = item.published.astimezone(UTC).strftime("%Y-%m-%d") if item.published else "-"
        table.add_row(
            Text(
                " ".join(one_line(item.title).split()) or "(untitled)",
                no_wrap=True,
                overflow="ellipsis",
            ),
            Text(one_line(item.feed_title or item.feed_url)),
            Text(published),
            Text(item.item_id[:12]),
        )
    return table
