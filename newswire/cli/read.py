"""Reading the store: ``search``, ``show``, ``export``; and ``topics`` for operators."""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import orjson
import typer
from rich.console import Console

from newswire.cli import common

if TYPE_CHECKING:
    from consumers.store.sqlite_store import SqliteStore

topics_app = typer.Typer(help="Kafka topics of the pipeline.", no_args_is_help=True)


class ExportFormat(StrEnum):
    JSONL = "jsonl"


def _open_store() -> SqliteStore:
    from consumers.store import sqlite_store  # deferred: keeps --help fast

    settings = common.settings()
    store_path = settings.store_url
    try:
        return sqlite_store.SqliteStore.from_url(store_path)
    except Exception as exc:  # noqa: BLE001 - any reason the store cannot open is reported
        common.fail(f"cannot open the store {store_path}: {exc}")


def search(
    words: Annotated[list[str], typer.Argument(help="Words to find in titles and full body text.")],
    limit: Annotated[
        int, typer.Option("--limit", "-n", min=1, help="At most this many results.")
    ] = 20,
    feed: Annotated[
        str | None, typer.Option("--feed", help="Only items from this feed URL.")
    ] = None,
    language: Annotated[
        str | None, typer.Option("--language", help="Only items in this language.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="JSON Lines instead of a table.")] = False,
) -> None:
    """Full-text search over stored items (best matches first)."""
    from consumers.store.article import format_hits_table

    with _open_store() as store:
        hits = store.search(" ".join(words), limit=limit, feed_url=feed, language=language)
    if as_json:
        for hit in hits:
            sys.stdout.buffer.write(orjson.dumps(hit.item.model_dump(mode="json")) + b"\n")
        return
    if not hits:
        typer.echo("no items match")
        raise typer.Exit(1)
    Console().print(format_hits_table(hits))


def show(
    item_id: Annotated[
        str, typer.Argument(help="An item id (or a unique prefix of 8+ characters).")
    ],
    width: Annotated[
        int, typer.Option("--width", min=40, help="Wrap the body at this width.")
    ] = 80,
) -> None:
    """Print one stored item as an article: title, byline and date, body, source link."""
    from consumers.store.article import render_article
    from consumers.store.sqlite_store import AmbiguousItemId

    with _open_store() as store:
        try:
            item = store.get(item_id)
        except AmbiguousItemId:
            common.fail(f"{item_id!r} matches several items; give more of the id")
    if item is None:
        common.fail(f"no stored item has the id {item_id!r}")
    typer.echo(render_article(item, width=width))


def export(
    fmt: Annotated[
        ExportFormat, typer.Option("--format", help="Output format.")
    ] = ExportFormat.JSONL,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write here instead of stdout.")
    ] = None,
) -> None:
    """Write every stored item, one JSON object per line, with every event field."""
    with _open_store() as store:
        out = output.open("wb") if output else sys.stdout.buffer
        try:
            count = 0
            for item in store.iter_items():
                out.write(orjson.dumps(item.model_dump(mode="json")) + b"\n")
                count += 1
        finally:
            if output:
                out.close()
    if output:
        typer.echo(f"exported {count} items to {output}", err=True)


@topics_app.command("ensure")
def topics_ensure() -> None:
    """Create the pipeline's topics that do not exist yet (partitions and cleanup policies
    from the settings)."""
    from newswire.kafka.topics import ensure_topics, pipeline_topics

    settings = common.settings()
    created = common.run_async(
        ensure_topics(settings.kafka_bootstrap, pipeline_topics(settings), settings.kafka_timeout_s)
    )
    typer.echo(f"created {len(created)} topics" + (f": {', '.join(created)}" if created else ""))


@topics_app.command("list")
def topics_list() -> None:
    """List the topics on the cluster."""
    from newswire.kafka.topics import list_topics

    settings = common.settings()
    for name in common.run_async(list_topics(settings.kafka_bootstrap, settings.kafka_timeout_s)):
        typer.echo(name)
