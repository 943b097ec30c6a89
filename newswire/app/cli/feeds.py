"""``newswire feeds``: the feed registry (the compacted ``newswire.feeds`` topic).

add, import, export, list, show, remove, pause, resume. A running producer picks changes up
as they are written (it consumes the topic in the producer group). ``remove`` writes
tombstones (registry and feed state).
"""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import orjson
import typer
from rich.console import Console
from rich.table import Table

from newswire.app.cli import common
from newswire.settings import Settings, Topics

if TYPE_CHECKING:
    from newswire.kafka.producer import EventProducer
    from producers.feed_state import FeedState
    from producers.registry import FeedRecord

feeds_app = typer.Typer(
    help="The feed registry: add, import, export, list, show, remove, pause and resume feeds.",
    no_args_is_help=True,
)

IdArg = Annotated[str, typer.Argument(help="A feed id, a unique prefix of it (4+), or its URL.")]


@asynccontextmanager
async def _producer(settings: Settings) -> AsyncIterator[EventProducer]:
    from newswire.kafka.producer import EventProducer
    from newswire.metrics import Metrics

    async with EventProducer(settings, Metrics(), client_id="newswire-feeds") as producer:
        yield producer


async def _registry(settings: Settings) -> list[FeedRecord]:
    from newswire.kafka.topics import ensure_topics, pipeline_topics
    from producers.registry import load_registry

    await ensure_topics(
        settings.kafka_bootstrap, pipeline_topics(settings), settings.kafka_timeout_s
    )
    return await load_registry(
        settings.kafka_bootstrap, Topics(settings.topic_prefix).feeds,
        timeout_s=settings.kafka_timeout_s,
    )  # fmt: skip


async def _states(settings: Settings) -> dict[str, FeedState]:
    from producers.feed_state import load_states

    return await load_states(
        settings.kafka_bootstrap, Topics(settings.topic_prefix).feed_state,
        timeout_s=settings.kafka_timeout_s,
    )  # fmt: skip


async def _publish(settings: Settings, records: list[FeedRecord]) -> None:
    from producers.registry import publish_feeds

    async with _producer(settings) as producer:
        await publish_feeds(producer, Topics(settings.topic_prefix).feeds, records)


def _find(records: list[FeedRecord], key: str) -> FeedRecord:
    from newswire.errors import ConfigError
    from producers.registry import find_feed

    try:
        return find_feed(records, key)
    except ConfigError as exc:
        common.fail(str(exc))


# -- add, import, export ---------------------------------------------------------------


async def _add(settings: Settings, url: str, title: str | None, check: bool) -> None:
    from newswire.fetch.fetcher import Fetcher
    from newswire.fetch.policy import fetch_policy
    from producers.discovery import discover
    from producers.registry import FeedRecord

    page = None
    if check:
        async with Fetcher(fetch_policy(settings)) as fetcher:
            found = await discover(fetcher, url)
        url, page = found.feed_url, found.page_url
        title = title if title is not None else found.title
    record = FeedRecord.new(url, title or "")
    registry = await _registry(settings)
    existing = next((r for r in registry if record.feed_id == r.feed_id or url == r.url), None)
    if existing is not None:
        typer.echo(f"already registered: {existing.feed_id} {existing.url} ({existing.status})")
        return
    await _publish(settings, [record])
    if page:
        typer.echo(f"found {url} on {page}")
    typer.echo(f"added {record.feed_id} {url}" + (f" ({record.title})" if record.title else ""))


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
    common.run_async(_add(common.settings(), url, title, check))


async def _import(settings: Settings, path: Path, console: Console) -> tuple[int, int, list[str]]:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    from producers.registry import publish_feeds, read_feed_list

    listed = read_feed_list(path)
    known = {r.feed_id for r in await _registry(settings)}
    new = [r for r in listed.records if r.feed_id not in known]
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn())
    with Progress(*columns, console=console, transient=False) as progress:
        task = progress.add_task(f"importing {path.name}", total=len(listed.records))
        progress.advance(task, len(listed.records) - len(new))  # already registered
        async with _producer(settings) as producer:
            topic = Topics(settings.topic_prefix).feeds
            for start in range(0, len(new), 100):
                chunk = new[start : start + 100]
                await publish_feeds(producer, topic, chunk)
                progress.advance(task, len(chunk))
    return len(new), len(listed.records) - len(new), [str(e) for e in listed.errors]


@feeds_app.command("import")
def import_(
    path: Annotated[Path, typer.Argument(help="An OPML, YAML or text (one URL a line) file.")],
) -> None:
    """Import a feed list (OPML, YAML or text) into the registry.

    Adds the listed feeds the registry lacks; registered ones keep their record (paused,
    moved). Shows progress. Bad entries are listed and skipped, and the exit code is then 1.
    """
    settings = common.settings()
    console = Console(stderr=True)
    added, known, errors = common.run_async(_import(settings, path, console))
    typer.echo(f"imported {added} new feeds from {path} ({known} already registered)")
    if errors:
        typer.echo(f"skipped {len(errors)} bad entries:", err=True)
        for error in errors:
            typer.echo(f"  {error}", err=True)
        raise typer.Exit(1)


@feeds_app.command("export")
def export(
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write here instead of stdout.")
    ] = None,
) -> None:
    """Write the registry as OPML 2.0 (every feed, at its current URL)."""
    from producers.registry import to_opml

    records = common.run_async(_registry(common.settings()))
    document = to_opml(records)
    if output is None:
        sys.stdout.buffer.write(document)
    else:
        output.write_bytes(document)
        typer.echo(f"exported {len(records)} feeds to {output}", err=True)


# -- list, show --------------------------------------------------------------------------


async def _records_and_states(
    settings: Settings,
) -> tuple[list[FeedRecord], dict[str, FeedState]]:
    return await _registry(settings), await _states(settings)


def _state_word(record: FeedRecord, state: FeedState | None) -> str:
    if not record.active:
        return record.status
    health = state.health if state is not None else "new"
    return "new" if health == "disabled" else health


def _when(value: str, now: datetime) -> str:
    """An RFC 3339 time as "2026-11-29 12:00:00Z (in 14 min)"."""
    from producers.feed_state import epoch
    from producers.pacing.next_poll import human

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
    records, states = common.run_async(_records_and_states(common.settings()))
    if as_json:
        for r in records:
            state = states.get(r.feed_id)
            row = {
                "feed": orjson.loads(r.to_json()),
                "state": _state_word(r, state),
                "feed_state": orjson.loads(state.to_json()) if state else None,
            }
            sys.stdout.buffer.write(orjson.dumps(row) + b"\n")
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
            r.url + (f"\n{r.title}" if r.title else ""),
        )
    Console(width=200).print(table)
    typer.echo(f"{len(records)} feeds")


def _show_lines(
    record: FeedRecord, state: FeedState | None, now: datetime
) -> list[tuple[str, str]]:
    from producers.pacing.next_poll import human

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
    records, states = common.run_async(_records_and_states(common.settings()))
    record = _find(records, feed)
    state = states.get(record.feed_id)
    if as_json:
        row = {
            "feed": orjson.loads(record.to_json()),
            "state": _state_word(record, state),
            "feed_state": orjson.loads(state.to_json()) if state else None,
        }
        sys.stdout.buffer.write(orjson.dumps(row, option=orjson.OPT_INDENT_2) + b"\n")
        return
    for label, value in _show_lines(record, state, datetime.now(UTC)):
        typer.echo(f"{label:<14}{value}")


# -- remove, pause, resume ---------------------------------------------------------------


async def _remove(settings: Settings, key: str) -> FeedRecord:
    from producers.registry import remove_feeds

    record = _find(await _registry(settings), key)
    topics = Topics(settings.topic_prefix)
    async with _producer(settings) as producer:
        await remove_feeds(producer, topics.feeds, [record.feed_id])
        await remove_feeds(producer, topics.feed_state, [record.feed_id])
    return record


@feeds_app.command("remove")
def remove(feed: IdArg) -> None:
    """Remove a feed from the registry, and its fetch state (tombstones)."""
    record = common.run_async(_remove(common.settings(), feed))
    typer.echo(f"removed {record.feed_id} {record.url}")


async def _set_paused(settings: Settings, key: str, paused: bool) -> FeedRecord:
    record = _find(await _registry(settings), key)
    changed = record.with_(paused=paused) if paused else record.with_(paused=False, disabled="")
    if changed != record:
        await _publish(settings, [changed])
    return changed


@feeds_app.command("pause")
def pause(feed: IdArg) -> None:
    """Stop polling a feed until `resume` (its state is kept)."""
    record = common.run_async(_set_paused(common.settings(), feed, True))
    typer.echo(f"paused {record.feed_id} {record.url}")


@feeds_app.command("resume")
def resume(feed: IdArg) -> None:
    """Poll a paused feed again; also re-enables a feed the producer disabled (410 Gone)."""
    record = common.run_async(_set_paused(common.settings(), feed, False))
    typer.echo(f"resumed {record.feed_id} {record.url}")
