"""``newswire dlq list STAGE`` and ``newswire dlq replay STAGE``: dead letters with their
reasons, and re-publishing them once after a fix (see :mod:`newswire.app.ops.dlq`)."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from newswire.app.cli import common
from newswire.errors import ConfigError
from newswire.terminal import for_rich, json_line

if TYPE_CHECKING:
    from newswire.app.ops.names import StageTopics

dlq_app = typer.Typer(
    help="Dead letters: the events a stage could not process, with the reason.",
    no_args_is_help=True,
)

StageArg = Annotated[str, typer.Argument(help="dedup, enrich or store.")]
ReasonOpt = Annotated[
    str | None,
    typer.Option("--reason", help="Only dead letters with this reason (dlq_error_class)."),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="JSON for scripts.")]


def stage_or_exit(prefix: str, stage: str) -> StageTopics:
    """The stage's topics; an unknown stage exits 2 naming the known ones."""
    from newswire.app.ops.names import stage_topics

    try:
        return stage_topics(prefix, stage)
    except ConfigError as exc:
        common.fail(str(exc), code=2)


@dlq_app.command("list")
def dlq_list(
    stage: StageArg,
    reason: ReasonOpt = None,
    as_json: JsonOpt = False,
    limit: Annotated[
        int, typer.Option("--limit", "-n", min=1, help="Show at most this many (newest).")
    ] = 50,
) -> None:
    """List a stage's dead letters: where each came from, why it failed, whether it was
    replayed already. Reads only."""
    from newswire.app.ops.dlq import read_dead_letters, replayed_keys
    from newswire.app.ops.progress import live_progress

    settings = common.settings()
    names = stage_or_exit(settings.topic_prefix, stage)

    async def load() -> tuple[list[dict[str, Any]], int]:
        with live_progress(f"reading {names.dlq}") as advance:
            letters = await read_dead_letters(settings, names, advance)
        done = await replayed_keys(settings, names) if letters else set()
        rows = [
            dl.summary(dl.ledger_key in done)
            for dl in letters
            if reason is None or dl.reason == reason
        ]
        return rows, len(letters)

    rows, total = common.run_async(load())
    rows = rows[-limit:]
    if as_json:
        for row in rows:
            sys.stdout.buffer.write(json_line(row) + b"\n")
        return
    table = Table(title=f"{names.dlq}: {total} dead letters", title_justify="left")
    for col in ("offset", "from", "reason", "message", "time", "replayed"):
        table.add_column(col)
    for row in rows:
        table.add_row(
            str(row["dlq_offset"]),
            f"{row['original_topic']}:{row['original_partition']}:{row['original_offset']}",
            for_rich(row["reason"]),
            for_rich(row["message"][:100]),
            row["time"][:19],
            "yes" if row["replayed"] else "no",
        )
    Console().print(table)


@dlq_app.command("replay")
def dlq_replay(
    stage: StageArg,
    reason: ReasonOpt = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Say what would be replayed; publish nothing.")
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """Re-publish a stage's dead letters to its input topic (original key and value, plus
    a newswire_replayed_from header), after a fix. Each dead letter is replayed once:
    replays are recorded in <prefix>.dlq-replays, so running it again publishes nothing."""
    from newswire.app.ops.dlq import replay
    from newswire.app.ops.progress import live_progress

    settings = common.settings()
    names = stage_or_exit(settings.topic_prefix, stage)

    async def go() -> Any:
        # The bar's total is unknown until the DLQ is read; a counter says how far it got.
        with live_progress(f"replaying {names.dlq} -> {names.input}") as advance:
            return await replay(settings, names, reason=reason, dry_run=dry_run, progress=advance)

    report = common.run_async(go())
    summary = {
        "stage": stage,
        "dlq_topic": names.dlq,
        "to_topic": names.input,
        "reason": reason,
        "dry_run": dry_run,
        "dead_letters": report.total,
        "replayed_before": report.already,
        "selected": len(report.selected),
        "published": report.published,
    }
    if as_json:
        sys.stdout.buffer.write(json_line(summary) + b"\n")
        return
    which = f" with reason {reason}" if reason else ""
    if dry_run:
        typer.echo(
            f"dry run: would replay {len(report.selected)} dead letters{which} from {names.dlq} "
            f"to {names.input} ({report.total} in the DLQ, {report.already} replayed before); "
            "nothing published"
        )
    else:
        typer.echo(
            f"replayed {report.published} dead letters{which} from {names.dlq} to {names.input} "
            f"({report.total} in the DLQ, {report.already} replayed before)"
        )
