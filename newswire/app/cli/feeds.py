"""``newswire feeds``: the feed registry (the compacted ``newswire.feeds`` topic), as
:mod:`newswire.app.ops.feeds` reads and changes it.

add, import, export, list, show, remove, pause, resume. A running producer picks changes up
as they are written (it consumes the topic in the producer group). ``remove`` writes
tombstones (registry and feed state).
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import orjson
import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from newswire.app.cli import common
from newswire.terminal import json_line, one_line

if TYPE_CHECKING:
    from newswire_producers.feed_state import FeedState
    from newswire_producers.registry import FeedRecord

feeds_app = typer.Typer(
    help="The feed registry: add, import, export, list, show, remove, pause and resume feeds.",
    no_args_is_help=True,
)

IdArg = Annotated[str, typer.Argument(help="A feed id, a unique prefix of it (4+), or its URL.")]


# -- add, import, export ---------------------------------------------------------------


@feeds_app.command("add")
def add(
    url: Annotated[str, typer.Argument(help="A feed URL, or a web page that links its feed.")],
    title: Annotated[str | None, typer.Option("--title", help="Name the feed.")] = None,
    check: Annotated[
        bool,
        typer.Option(
            "--check/--no-check",
            help="Fetch the URL first: it must be a feed, or a page whose "
            '<link rel="alternate"> names one (that feed is added).',
        ),
    ] = True,
) -> None:
    """Register a feed (given a web page, the feed it links).

    The URL is fetched first: a feed is added as it is; a web page is searched for
    <link rel="alternate" type="application/rss+xml|atom+xml|feed+json"> and the first
    working feed it names is added.
    """
    if not url.lower().startswith(("http://", "https://")):
        common.fail(f"{url!r} is not an http(s) URL", code=2)
    from newswire.app.ops import feeds

    added = common.run_async(feeds.add(common.settings(), url, title, check=check))
    if added.existing is not None:
        e = added.existing
        typer.echo(one_line(f"already registered: {e.feed_id} {e.url} ({e.status})"))
        return
    record = added.record
    if added.page:
        typer.echo(one_line(f"found {record.url} on {added.page}"))
    suffix = f" ({record.title})" if record.title else ""
    typer.echo(one_line(f"added {record.feed_id} {record.url}{suffix}"))


@feeds_app.command("import")
def import_(
    path: Annotated[Path, typer.Argument(help="An OPML, YAML or text (one URL a line) file.")],
) -> None:
    """Import a feed list (OPML, YAML or text) into the registry.

    Adds the listed feeds the registry lacks; registered ones keep their record (paused,
    moved). Shows progress. Bad entries are listed and skipped, and the exit code is then 1.
    """
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    from newswire.app.ops import feeds

    settings = common.settings()
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn())
    with Progress(*columns, console=Console(stderr=True), transient=False) as bar:
        task = bar.add_task(f"importing {path.name}", total=None)

        def advance(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        result = common.run_async(feeds.import_list(settings, path, advance))
    typer.echo(f"imported {result.added} new feeds from {path} ({result.known} already registered)")
    if result.errors:
        typer.echo(f"skipped {len(result.errors)} bad entries:", err=True)
        for error in result.errors:
            typer.echo(f"  {one_line(str(error))}", err=True)
        raise typer.Exit(1)


@feeds_app.command("export")
def export(
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write here instead of stdout.")
    ] = None,
) -> None:
    """Write the registry as OPML 2.0 (every feed, at its current URL)."""
    from newswire.app.ops import feeds
    from newswire_producers.registry import to_opml

    records = common.run_async(feeds.registry(common.settings()))
    document = to_opml(records)
    if output is None:
        sys.stdout.buffer.write(document)
    else:
        output.write_bytes(document)
        typer.echo(f"exported {len(records)} feeds to {output}", err=True)


# -- list, show --------------------------------------------------------------------------


def _state_word(record: FeedRecord, state: FeedState | None) -> str:
    if not record.active:
        return record.status
    health = state.health if state is not None else "new"
    return "new" if health == "disabled" else health


def _when(value: str, now: datetime) -> str:
    """An RFC 3339 time as "2026-11-29 12:00:00Z (in 14 min)"."""
    from newswire_producers.feed_state import epoch
    from newswire_producers.pacing.next_poll import human

    ts = epoch(value)
    if ts is None:
        return "-"
    delta = ts - now.timestamp()
    rel = f"in {human(delta)}" if delta >= 0 else f"{human(-delta)} ago"
    return f"{value[:19].replace('T', ' ')}Z ({rel})"


@feeds_app.command("list")
def list_(
    as_json: Annotated[bool, typer.Option("--json", help="JSON Lines instead of a table.")] = False,
) -> None:
    """List registered feeds: id, state, last outcome, next poll, URL and title."""
    from newswire.app.ops import feeds

    records, states = common.run_async(feeds.registry_and_states(common.settings()))
    if as_json:
        for r in records:
            state = states.get(r.feed_id)
            row = {
                "feed": orjson.loads(r.to_json()),
                "state": _state_word(r, state),
                "feed_state": orjson.loads(state.to_json()) if state else None,
            }
            sys.stdout.buffer.write(json_line(row) + b"\n")
        return
    if not records:
        typer.echo("no feeds registered (add one with `newswire feeds add URL`)")
        return
    now = datetime.now(UTC)
    table = Table("id", "state", "last", "next poll", "feed", box=None)
    for r in records:
        state = states.get(r.feed_id)
        table.add_row(
            r.feed_id[:12],
            _state_word(r, state),
            state.last_outcome if state else "-",
            _when(state.next_poll, now) if state and r.active else "-",
            Text(one_line(r.url) + (f"\n{one_line(r.title)}" if r.title else "")),
        )
    Console(width=200).print(table)
    typer.echo(f"{len(records)} feeds")


def _show_lines(
    record: FeedRecord, state: FeedState | None, now: datetime
) -> list[tuple[str, str]]:
    from newswire_producers.pacing.next_poll import human

    rows = [("feed", record.feed_id), ("url", record.url)]
    if record.origin_url:
        rows.append(("registered as", f"{record.origin_url} (moved permanently since)"))
    rows += [("title", record.title or "-"), ("added", record.added or "-")]
    status = record.status + (f": {record.disabled}" if record.disabled else "")
    rows.append(("status", status))
    if state is None:
        rows.append(("polls", "never polled"))
        return rows
    rows.append(("health", _state_word(record, state)))
    last = f"{state.last_outcome}" + (f" (HTTP {state.last_status})" if state.last_status else "")
    if state.last_outcome == "ok":
        last += f", {state.items_last_poll} items ({state.new_items_last_poll} new)"
    rows += [("last poll", f"{_when(state.last_polled, now)}: {last}")]
    rows.append(("last ok", _when(state.last_ok, now)))
    if state.last_error:
        rows.append(("last error", state.last_error))
    errors = f"{state.consecutive_errors} in a row, {state.errors_total} in all"
    rows.append(("errors", f"{errors}, of {state.polls_total} polls"))
    validators = [f"ETag {state.etag}"] if state.etag else []
    validators += [f"Last-Modified {state.last_modified}"] if state.last_modified else []
    rows.append(("validators", "; ".join(validators) or "none (body hash compared instead)"))
    if record.active and state.next_poll:
        why = f"{state.next_poll_reason}: {state.next_poll_detail}"
        rows.append(("next poll", f"{_when(state.next_poll, now)} - {why}"))
    elif record.active:
        rows.append(("next poll", "soon (staggered), when a producer runs"))
    else:
        rows.append(("next poll", f"none while {record.status}"))
    if state.retry_after_until:
        rows.append(("retry after", _when(state.retry_after_until, now)))
    hints = [f"<ttl> {state.ttl_s / 60:.0f} min"] if state.ttl_s else []
    hints += [f"sy:update every {human(state.sy_period_s)}"] if state.sy_period_s else []
    hints += [f"skipHours {list(state.skip_hours)} UTC"] if state.skip_hours else []
    hints += [f"skipDays {list(state.skip_days)} (0 = Monday)"] if state.skip_days else []
    rows.append(("feed hints", "; ".join(hints) or "none"))
    if state.post_interval_s:
        rows.append(("posts", f"about every {human(state.post_interval_s)} (by item dates)"))
    rows.append(("recent ids", f"{len(state.recent_item_ids)} remembered"))
    return rows


@feeds_app.command("show")
def show(
    feed: IdArg,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object.")] = False,
) -> None:
    """Show a feed and its fetch state.

    The last outcome and error, validators, error counts, the publisher's hints, and when
    the feed is polled next and why.
    """
    from newswire.app.ops import feeds
    from newswire.errors import ConfigError
    from newswire_producers.registry import find_feed

    records, states = common.run_async(feeds.registry_and_states(common.settings()))
    try:
        record = find_feed(records, feed)
    except ConfigError as exc:
        common.fail(str(exc))
    state = states.get(record.feed_id)
    if as_json:
        row = {
            "feed": orjson.loads(record.to_json()),
            "state": _state_word(record, state),
            "feed_state": orjson.loads(state.to_json()) if state else None,
        }
        sys.stdout.buffer.write(json_line(row, indent=True) + b"\n")
        return
    for label, value in _show_lines(record, state, datetime.now(UTC)):
        typer.echo(f"{label:<14}{one_line(value)}")


# -- remove, pause, resume ---------------------------------------------------------------


@feeds_app.command("remove")
def remove(feed: IdArg) -> None:
    """Remove a feed from the registry, and its fetch state (tombstones)."""
    from newswire.app.ops import feeds

    record = common.run_async(feeds.remove(common.settings(), feed))
    typer.echo(one_line(f"removed {record.feed_id} {record.url}"))


@feeds_app.command("pause")
def pause(feed: IdArg) -> None:
    """Stop polling a feed until `resume` (its state is kept)."""
    from newswire.app.ops import feeds

    record = common.run_async(feeds.set_paused(common.settings(), feed, True))
    typer.echo(one_line(f"paused {record.feed_id} {record.url}"))


@feeds_app.command("resume")
def resume(feed: IdArg) -> None:
    """Poll a paused feed again; also re-enables a feed the producer disabled (410 Gone)."""
    from newswire.app.ops import feeds

    record = common.run_async(feeds.set_paused(common.settings(), feed, False))
    typer.echo(one_line(f"resumed {record.feed_id} {record.url}"))
