"""render_article and format_hits_table: layout, wrapping, missing parts, untrusted text."""

from __future__ import annotations

import hashlib
import io
from datetime import UTC, datetime
from typing import Any

import pytest
from rich.console import Console

from newswire.app.render import format_date, format_hits_table, render_article
from newswire_consumers.store.sqlite_store import SearchHit
from newswire_consumers.store.text import body_text
from newswire_schemas.item import Author, Content, Item

LONG = (
    "The city council voted on Tuesday to approve a new budget that increases spending on "
    "public transport, parks and libraries, while cutting the administrative overhead that "
    "critics had called wasteful for many years."
)


def make_item(n: int = 0, **fields: Any) -> Item:
    """A valid item; ``n`` picks the identity, ``fields`` override anything."""
    base: dict[str, Any] = {
        "item_id": hashlib.sha256(f"item-{n}".encode()).hexdigest()[:32],
        "dedup_key": f"guid:item-{n}",
        "feed_id": "0123456789abcdef",
        "feed_url": "https://news.example/feed.xml",
        "feed_title": "The Daily Example",
        "link": f"https://news.example/articles/{n}",
        "title": "Council approves budget",
        "authors": (Author(name="Ada Lovelace"), Author(name="Bob Jones")),
        "content": Content(text=f"{LONG}\n\nSecond paragraph."),
        "published": datetime(2026, 11, 28, 14, 5, tzinfo=UTC),
        "fetched": datetime(2026, 11, 28, 15, 0, tzinfo=UTC),
        "content_hash": hashlib.sha256(f"content-{n}".encode()).hexdigest(),
    }
    base.update(fields)
    return Item(**base)


def body_of(lines: list[str]) -> list[str]:
    """The lines between the header's blank line and the blank line before Source."""
    start = lines.index("") + 1
    return lines[start:-2]


def test_layout() -> None:
    lines = render_article(make_item(), width=80).split("\n")
    assert lines[0] == "Council approves budget"
    assert lines[1] == "=" * len("Council approves budget")
    assert lines[2] == "By Ada Lovelace, Bob Jones · The Daily Example · Sat 28 Nov 2026 14:05 UTC"
    assert lines[3] == ""
    assert lines[-2] == ""
    assert lines[-1] == "Source: https://news.example/articles/0"
    body = body_of(lines)
    assert body[-1] == "Second paragraph."
    assert body[-2] == ""  # paragraphs keep a blank line between them
    assert " ".join(body[:-2]) == LONG


@pytest.mark.parametrize("width", [20, 40, 60, 80, 120])
def test_wrapping(width: int) -> None:
    text = render_article(
        make_item(title="A rather long headline about the council budget"), width=width
    )
    lines = text.split("\n")
    assert all(len(line) <= width for line in lines[:-1])
    paragraphs = "\n".join(body_of(lines)).split("\n\n")
    assert [" ".join(p.split()) for p in paragraphs] == [LONG, "Second paragraph."]
    rule = next(i for i, line in enumerate(lines) if set(line) == {"="})
    assert " ".join(lines[:rule]) == "A rather long headline about the council budget"
    assert len(lines[rule]) == max(len(line) for line in lines[:rule])


def test_long_words_are_not_broken() -> None:
    url = "https://example.org/" + "x" * 100
    text = render_article(make_item(content=Content(text=f"See {url} for details.")), width=40)
    assert url in text.split("\n")


def test_missing_date_and_authors() -> None:
    lines = render_article(make_item(published=None, authors=())).split("\n")
    assert lines[2] == "The Daily Example"
    lines = render_article(make_item(published=None)).split("\n")
    assert lines[2] == "By Ada Lovelace, Bob Jones · The Daily Example"
    lines = render_article(make_item(authors=(), feed_title="")).split("\n")
    assert lines[2] == "Sat 28 Nov 2026 14:05 UTC"
    authors = (Author(email="desk@example.org"), Author(), Author(name="Desk"), Author(name="Desk"))
    lines = render_article(make_item(authors=authors, feed_title="", published=None)).split("\n")
    assert lines[2] == "By desk@example.org, Desk"


def test_byline_breaks_between_its_parts() -> None:
    lines = render_article(make_item(), width=60).split("\n")
    assert lines[2:5] == [
        "By Ada Lovelace, Bob Jones · The Daily Example",
        "Sat 28 Nov 2026 14:05 UTC",
        "",
    ]
    many = tuple(Author(name=f"Reporter Number {n}") for n in range(6))
    lines = render_article(make_item(authors=many, published=None), width=40).split("\n")
    rule = lines.index("")
    assert all(len(line) <= 40 for line in lines[:rule])
    assert " ".join(lines[2:rule]).startswith("By Reporter Number 0, Reporter Number 1,")
    assert lines[rule - 1] == "The Daily Example"


def test_no_byline_at_all() -> None:
    lines = render_article(make_item(published=None, authors=(), feed_title="")).split("\n")
    assert lines[:3] == ["Council approves budget", "=" * 23, ""]


def test_summary_html_is_the_fallback_body_and_link_falls_back_to_feed() -> None:
    item = make_item(
        content=Content(),
        summary="<p>First &amp; <b>bold</b>.</p><script>alert(1)</script><p>Second</p>",
        link="",
        title="",
    )
    lines = render_article(item).split("\n")
    assert lines[:2] == ["(untitled)", "=" * 10]
    assert body_of(lines) == ["First & bold.", "", "Second"]
    assert lines[-1] == "Source: https://news.example/feed.xml"


def test_no_body() -> None:
    lines = render_article(make_item(content=Content(), summary="")).split("\n")
    assert lines[3:] == ["", "Source: https://news.example/articles/0"]


def test_single_newlines_separate_paragraphs_when_there_are_no_blank_lines() -> None:
    lines = render_article(make_item(content=Content(text="One.\nTwo.\nThree."))).split("\n")
    assert body_of(lines) == ["One.", "", "Two.", "", "Three."]


def test_terminal_control_characters_are_removed() -> None:
    item = make_item(
        title="\x1b[31mRed\x1b[0m alert\u202e",
        content=Content(text="Bell\x07 and \x9bCSI"),
        feed_title="Feed\x1b]0;pwned\x07",
    )
    text = render_article(item)
    assert not any(c in text for c in "\x1b\x07\x9b\u202e")
    assert text.startswith("[31mRed[0m alert\n")


def test_format_date_is_locale_independent() -> None:
    assert format_date(datetime(2026, 1, 5, 9, 7, tzinfo=UTC)) == "Mon 5 Jan 2026 09:07 UTC"


def test_width_must_be_sensible() -> None:
    with pytest.raises(ValueError, match="width"):
        render_article(make_item(), width=5)


def test_body_text_prefers_content() -> None:
    assert body_text(make_item(content=Content(text=" x "), summary="y")) == "x"
    assert body_text(make_item(content=Content(), summary="<i>y</i>")) == "y"


def test_hits_table() -> None:
    items = [make_item(1), make_item(2, title="[bold]not markup[/bold]", published=None)]
    table = format_hits_table(SearchHit(item=i, snippet="", rank=-1.0) for i in items)
    assert [c.header for c in table.columns] == ["title", "feed", "published", "id"]
    assert table.row_count == 2
    out = io.StringIO()
    Console(file=out, width=200, color_system=None).print(table)
    text = out.getvalue()
    assert items[0].item_id[:12] in text and items[0].item_id[:13] not in text
    assert "2026-11-28" in text
    assert "[bold]not markup[/bold]" in text
    assert "The Daily Example" in text


def test_hits_fit_80_columns_title_first_one_line_each() -> None:
    long_title = "Harbour authority closes the eastern breakwater for a season of storm repairs"
    items = [
        make_item(n, title=long_title, feed_title="The Very Long Name Of A Daily") for n in range(3)
    ]
    out = io.StringIO()
    Console(file=out, width=80, color_system=None).print(
        format_hits_table(SearchHit(item=i, snippet="", rank=-1.0) for i in items)
    )
    lines = out.getvalue().rstrip("\n").split("\n")
    assert len(lines) == 1 + len(items)  # the header, then one line per hit
    assert all(len(line) <= 80 for line in lines)
    assert lines[1].startswith("Harbour authority closes the") and "…" in lines[1]
    assert "2026-11-28" in lines[1]
    assert items[0].item_id[:12] in lines[1]  # what `show` takes
