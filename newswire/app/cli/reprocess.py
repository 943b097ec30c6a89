"""``newswire reprocess STAGE --since TIME``: re-run a stage over past events by moving its
group's offsets back (see :mod:`newswire.app.ops.reprocess` for the safety rules)."""

from __future__ import annotations

import sys
from typing import Annotated

import orjson
import typer
from rich.console import Console
from rich.table import Table

from newswire.app.cli import common
from newswire.app.cli.dlq import stage_or_exit
from newswire.errors import ConfigError


def reprocess(
    stage: Annotated[str, typer.Argument(help="dedup, enrich or store.")],
    since: Annotated[
        str,
        typer.Option(
            "--since",
            help="Events at or after this time: RFC 3339 (2026-11-28T12:00:00Z; no zone = "
            "UTC) or a duration ago (90s, 15m, 2h, 1d).",
        ),
    ],
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Say how many events per partition; change nothing.")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="The plan as JSON.")] = False,
) -> None:
    """Make a stage process its input again from TIME (e.g. re-enrich after an enrichment
    change). Refuses while the stage is running; offsets only ever move back. The events
    are processed again the next time the stage runs."""
    from newswire.app.ops.progress import live_progress
    from newswire.app.ops.reprocess import apply_plan, plan_reprocess
    from newswire.app.ops.times import parse_time

    settings = common.settings()
    names = stage_or_exit(settings.topic_prefix, stage)
    try:
        when = parse_time(since, "--since")
    except ConfigError as exc:
        common.fail(str(exc), code=2)

    with live_progress(f"reading offsets of {names.input} at {when:%Y-%m-%d %H:%M:%S}Z"):
        plan = common.run_async(plan_reprocess(settings, names, when))
    moved = 0
    if not dry_run:
        # Refuses (exit 1, nothing changed) while the group has members: see apply_plan.
        with live_progress(f"moving {plan.group}"):
            moved = common.run_async(apply_plan(settings, plan))
    result = {
        "stage": plan.stage,
        "topic": plan.topic,
        "group": plan.group,
        "since": plan.since.isoformat(),
        "dry_run": dry_run,
        "group_state": plan.group_state,
        "members": plan.members,
        "events": plan.events,
        "partitions_moved": moved,
        "partitions": [
            {
                "partition": m.partition,
                "committed": m.committed,
                "target": m.target,
                "events": m.events,
            }
            for m in plan.moves
        ],
    }
    if as_json:
        sys.stdout.buffer.write(orjson.dumps(result) + b"\n")
        return
    table = Table(
        title=f"{plan.group} on {plan.topic} since {plan.since:%Y-%m-%d %H:%M:%S}Z",
        title_justify="left",
    )
    for col in ("partition", "committed", "new offset", "events again"):
        table.add_column(col, justify="right")
    for m in plan.moves:
        table.add_row(
            str(m.partition),
            "-" if m.committed is None else str(m.committed),
            str(m.target),
            str(m.events),
        )
    Console().print(table)
    if dry_run:
        note = " (the stage is running now: stop it before the real move)" if plan.members else ""
        typer.echo(
            f"dry run: would re-process {plan.events} events of {plan.topic} in {stage}"
            f"{note}; nothing changed"
        )
    else:
        typer.echo(
            f"moved {moved} partitions of {plan.group}: {stage} will process "
            f"{plan.events} events again when it next runs"
        )
