"""``newswire tail TOPIC``: follow a topic (or read it from the beginning) as events.

Reads outside any consumer group and commits nothing, so it never disturbs a stage or a
subscriber. Ctrl-C (or SIGTERM) ends it cleanly with exit status 0.
"""

from __future__ import annotations

import asyncio
import os
import sys
from typing import Annotated

import typer
from rich.console import Console

from newswire.app.cli import common
from newswire.app.ops.events import Filters, Seen
from newswire.errors import ConfigError
from newswire.settings import Settings
from newswire.terminal import json_line


async def follow(
    settings: Settings,
    topic: str,
    filters: Filters,
    *,
    from_beginning: bool,
    keep_following: bool,
    as_json: bool,
    max_events: int | None,
    stop: asyncio.Event,
) -> int:
    """Print matching records until ``stop``, ``max_events`` or (without
    ``keep_following``) the end offsets seen at start; returns how many were printed."""
    from newswire.app.ops.progress import live_progress
    from newswire.kafka.reader import TopicReader

    out = Console(highlight=False, soft_wrap=True)
    shown = 0
    async with TopicReader(
        settings.kafka_bootstrap,
        topic,
        from_beginning=from_beginning,
        timeout_s=settings.kafka_timeout_s,
    ) as reader:
        if keep_following and not from_beginning:
            typer.echo(
                f"waiting for new records on {topic}; the {reader.stored} already there are "
                "read with --from-beginning",
                err=True,
            )
        catching_up = reader.remaining
        with live_progress(f"reading {topic}", total=catching_up or None) as advance:
            async for batch in reader.batches(follow=keep_following, stop=stop):
                if catching_up > 0:
                    advance(min(len(batch), catching_up))
                    catching_up -= len(batch)
                for record in batch:
                    seen = Seen.of(record)
                    if not seen.matches(filters):
                        continue
                    if not _emit(out, seen, as_json):
                        return shown  # stdout closed (| head): a normal end
                    shown += 1
                    if max_events is not None and shown >= max_events:
                        return shown
    return shown


def _emit(out: Console, seen: Seen, as_json: bool) -> bool:
    try:
        if as_json:
            sys.stdout.buffer.write(json_line(seen.to_json()) + b"\n")
            sys.stdout.buffer.flush()
        else:
            out.print(seen.line())
    except BrokenPipeError:
        # Python would complain again when it flushes stdout at exit; point it at devnull.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return False
    return True


def tail(
    topic: Annotated[
        str,
        typer.Argument(
            help="raw, unique, enriched, feeds, feed-state, a DLQ (raw.dlq, dedup.dlq ...) "
            "or a full topic name."
        ),
    ],
    from_beginning: Annotated[
        bool, typer.Option("--from-beginning", help="Start at the oldest record, not now.")
    ] = False,
    no_follow: Annotated[
        bool,
        typer.Option("--no-follow", help="Stop at the end of the topic instead of waiting."),
    ] = False,
    filters: Annotated[
        list[str] | None,
        typer.Option(
            "--filter",
            help="FIELD=VALUE with FIELD feed, language, type or reason; repeat to narrow "
            "(e.g. --filter type=created --filter language=en).",
        ),
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="JSON Lines: one object per record.")
    ] = False,
    max_events: Annotated[
        int | None, typer.Option("--max", min=1, help="Stop after this many matching records.")
    ] = None,
) -> None:
    """Print a topic's events as they arrive (or from the beginning), pretty or as JSON.
    Reads outside any consumer group; Ctrl-C stops it cleanly."""
    from newswire.app.ops.names import resolve_topic

    settings = common.settings()
    try:
        parsed = Filters.parse(filters or [])
    except ConfigError as exc:
        common.fail(str(exc), code=2)
    stop = asyncio.Event()
    common.run_async(
        follow(
            settings,
            resolve_topic(settings.topic_prefix, topic),
            parsed,
            from_beginning=from_beginning,
            keep_following=not no_follow,
            as_json=as_json,
            max_events=max_events,
            stop=stop,
        ),
        stop=stop,
    )
