"""Reading the store: ``search``, ``show``, ``export``; and ``topics`` for operators."""

from __future__ import annotations

import sys
from contextlib import nullcontext
from dataclasses import replace
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console

from newswire.app.cli import common
from newswire.errors import ConfigError
from newswire.terminal import json_line

if TYPE_CHECKING:
    from newswire_consumers.store.store import ItemFilter, ItemStore

topics_app = typer.Typer(help="Kafka topics of the pipeline.", no_args_is_help=True)


class ExportFormat(StrEnum):
    JSONL = "jsonl"
    CSV = "csv"


def _open_store(*, create: bool = False) -> ItemStore:
    """The configured store. Without ``create`` a SQLite store must exist already: a read
    command reports a missing store instead of creating an empty one."""
    from newswire_consumers.store.store import open_store_url  # deferred: keeps --help fast

    settings = common.settings()
    url = settings.store_url
    if url.startswith("sqlite:///") and not create:
        path = Path(url.removeprefix("sqlite:///"))
        if not path.is_file():  # a reader never creates an empty store
            common.fail(
                f"no store at {path.resolve()}: run the pipeline first (`newswire run`, `make "
                "demo`), or point NEWSWIRE_STORE_URL (or NEWSWIRE_DATA_DIR) at its store"
            )
    try:
        store = open_store_url(url)
        store.ping()
    except Exception as exc:  # noqa: BLE001 - any reason the store cannot open is reported
        common.fail(f"cannot open the store {url.split('@')[-1]}: {exc}")
    return store


def _when(value: str | None, option: str) -> datetime | None:
    """``2026-11-28`` (midnight UTC), an ISO 8601 time (UTC when no offset is given) or a
    duration ago (``2h``), as every command takes them (newswire.app.ops.times)."""
    from newswire.app.ops.times import parse_time

    if value is None:
        return None
    try:
        return parse_time(value, option)
    except ConfigError as exc:
        common.fail(str(exc), code=2)


def _filter(
    language: str | None, since: str | None, until: str | None, story: str | None
) -> ItemFilter:
    """The filter of the options (the feed is resolved against the store later)."""
    from newswire_consumers.store.store import ItemFilter

    return ItemFilter(
        language=language,
        since=_when(since, "--since"),
        until=_when(until, "--until"),
        story_id=story,
    )


def feed_url_of(store: ItemStore, feed: str) -> str:
    """The feed URL ``--feed`` names: a URL as it is, or the id of a feed the stored items
    come from (as `newswire feeds list` prints it: 16 hex digits or a unique prefix of 4+).
    Ends the command with a one-line reason when no stored feed, or several, match."""
    if "://" in feed:
        return feed
    from newswire_producers.normalize.identity import feed_id_for  # what set item.feed_id

    key = feed.strip().lower()
    urls = store.feed_urls()
    ids = {url: feed_id_for(url) for url in urls}
    exact = [url for url in urls if ids[url] == key]
    matches = exact or [url for url in urls if len(key) >= 4 and ids[url].startswith(key)]
    if len(matches) == 1:
        return matches[0]
    if matches:
        common.fail(f"--feed {feed!r} matches {len(matches)} stored feeds; give more of the id")
    common.fail(
        f"--feed {feed!r}: no stored item comes from a feed with this id (give the id "
        "`newswire feeds list` shows, 4+ characters of it, or the feed URL)"
    )


def search(
    words: Annotated[list[str], typer.Argument(help="Words to find in titles and full body text.")],
    limit: Annotated[
        int, typer.Option("--limit", "-n", min=1, help="At most this many results.")
    ] = 20,
    feed: Annotated[
        str | None,
        typer.Option(
            "--feed",
            help="Only items from this feed: its id as `newswire feeds list` shows it (or a "
            "unique prefix of 4+ characters), or its URL.",
        ),
    ] = None,
    language: Annotated[
        str | None, typer.Option("--language", help="Only items in this language (en: en-*).")
    ] = None,
    since: Annotated[
        str | None,
        typer.Option(
            "--since",
            help="Only items published at or after this date/time (UTC), or this long ago (2h).",
        ),
    ] = None,
    until: Annotated[
        str | None,
        typer.Option("--until", help="Only items published before this date/time (or 2h ago)."),
    ] = None,
    story: Annotated[
        str | None, typer.Option("--story", help="Only items of this story id.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="JSON Lines instead of a table.")] = False,
) -> None:
    """Full-text search over stored items (best matches first). Exits 1 when nothing
    matches (table output)."""
    from newswire.app.render import format_hits_table

    where = _filter(language, since, until, story)
    with _open_store() as store:
        if feed is not None:
            where = replace(where, feed_url=feed_url_of(store, feed))
        query = " ".join(words)
        hits = store.search(query, limit=limit, where=where)
        total = store.count_matches(query, where=where) if hits and not as_json else len(hits)
    if as_json:
        for hit in hits:
            sys.stdout.buffer.write(json_line(hit.item.model_dump(mode="json")) + b"\n")
        return
    if not hits:
        typer.echo("no items match")
        raise typer.Exit(1)
    Console().print(format_hits_table(hits))
    more = f"; see more with --limit {total}" if total > len(hits) else ""
    typer.echo(f"{len(hits):,} of {total:,} matching items{more} (`newswire show ID` reads one)")


SHOW_PREFIX = 8  # the shortest id prefix the stores look up


def show(
    item_id: Annotated[
        str, typer.Argument(help="An item id (or a unique prefix of 8+ characters).")
    ],
    width: Annotated[
        int, typer.Option("--width", min=40, help="Wrap the body at this width.")
    ] = 80,
) -> None:
    """Print one stored item as an article: title, byline and date, body, source link."""
    from newswire.app.render import render_article
    from newswire_consumers.store.store import AmbiguousItemId

    if len(item_id.strip()) < SHOW_PREFIX:
        common.fail(
            f"{item_id!r} is too short: give at least {SHOW_PREFIX} characters of the item id "
            "(`newswire search` shows 12)",
            code=2,
        )
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
        ExportFormat, typer.Option("--format", help="jsonl: every event field as is; csv: flat.")
    ] = ExportFormat.JSONL,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write here instead of stdout.")
    ] = None,
    keep_formulas: Annotated[
        bool,
        typer.Option(
            "--keep-formulas",
            help="CSV: write cells that start with = + - @ as they are (by default they get "
            "a leading ' so a spreadsheet shows them instead of running them).",
        ),
    ] = False,
) -> None:
    """Write every stored item, oldest first, with every event field (item_id, story_id...).
    CSV: nested fields as dotted columns, lists as JSON arrays; cells that would start a
    spreadsheet formula get a leading ' unless --keep-formulas."""
    from newswire_consumers.store.export import write_csv, write_jsonl

    with _open_store() as store:
        items = store.iter_items()
        if fmt is ExportFormat.JSONL:
            with output.open("wb") if output else nullcontext(sys.stdout.buffer) as out:
                count = write_jsonl(items, out)
        else:
            text = output.open("w", encoding="utf-8", newline="") if output else None
            with text or nullcontext(sys.stdout) as out:
                count = write_csv(items, out, neutralize_formulas=not keep_formulas)
    if output:
        typer.echo(f"exported {count} items to {output}", err=True)


def api(
    host: Annotated[
        str | None, typer.Option("--host", help="Listen address (default NEWSWIRE_API_HOST).")
    ] = None,
    port: Annotated[
        int | None,
        typer.Option("--port", min=0, max=65535, help="Port (default NEWSWIRE_API_PORT)."),
    ] = None,
) -> None:
    """Serve the read API (/items, /items/ID, /stories/ID, /openapi.json) and the HTML
    reader (/) until stopped."""
    import uvicorn

    from newswire.app.api.app import create_app

    settings = common.settings()
    store = _open_store(create=True)  # the API may start before the store has items
    app = create_app(store, page_max=settings.api_page_max, close_store=True)
    uvicorn.run(
        app,
        host=host or settings.api_host,
        port=settings.api_port if port is None else port,
        log_level=settings.log_level.lower(),
        server_header=False,
        proxy_headers=False,
    )


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
