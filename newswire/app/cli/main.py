"""``newswire``: the console script."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from newswire.app.cli import common, feeds, read
from newswire.app.cli import dlq as ops_dlq
from newswire.app.cli import reprocess as ops_reprocess
from newswire.app.cli import status as ops_status
from newswire.app.cli import tail as ops_tail
from newswire.app.cli.inspect import inspect_command
from newswire.log import configure_logging

if TYPE_CHECKING:
    from newswire.app.pipeline import RunSummary

app = typer.Typer(
    name="newswire",
    help="A streaming event pipeline for news: feeds in; a clean, deduplicated, enriched Kafka "
    "event stream and a searchable store out.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _print_version(value: bool) -> None:
    if value:
        from importlib.metadata import PackageNotFoundError, version

        try:
            release = version("newswire")
        except PackageNotFoundError:  # a source tree that was never installed
            release = "unknown (not installed)"
        typer.echo(f"newswire {release}")
        raise typer.Exit()


@app.callback()
def main(
    version: Annotated[
        bool,
        typer.Option(
            "--version",
            help="Print the version and exit.",
            callback=_print_version,
            is_eager=True,
        ),
    ] = False,
    config: Annotated[
        Path | None,
        typer.Option(
            "--config",
            "-c",
            help="TOML config file (default: $NEWSWIRE_CONFIG or ./newswire.toml).",
        ),
    ] = None,
) -> None:
    """Settings come from defaults < config file < NEWSWIRE_* environment variables."""
    common.set_config_file(config)


@app.command()
def run(
    feeds: Annotated[
        Path | None,
        typer.Option(
            "--feeds", help="Import this feed list (OPML, YAML or text) into the registry first."
        ),
    ] = None,
    until_idle: Annotated[
        bool,
        typer.Option(
            "--until-idle",
            help="Poll every feed once, wait until every stage drained, then exit: 0, or 3 "
            "when no feed could be fetched (every poll failed).",
        ),
    ] = False,
) -> None:
    """Run every service of the pipeline on this machine until stopped. The first
    SIGTERM/Ctrl-C stops polling within seconds, lets the stages process what was fetched
    (up to NEWSWIRE_DRAIN_TIMEOUT_S), says what is left in Kafka and exits 0; a second one
    exits at once (what was not committed is processed by the next run)."""
    from newswire.app.pipeline import run_pipeline

    settings = common.settings()
    stop = asyncio.Event()
    summary = common.run_async(
        run_pipeline(
            settings, feeds_file=feeds, until_idle=until_idle, stop=stop, progress=typer.echo
        ),
        stop=stop,
    )
    polls = sum(summary.fetch_outcomes.values())
    parts = {
        "feeds" if until_idle else "polls": summary.feeds if until_idle else polls,
        "items fetched": summary.items_fetched,
        "new": summary.outcome("dedup", "created"),
        "updated": summary.outcome("dedup", "updated"),
        "duplicates": summary.outcome("dedup", "duplicate"),
        "aliases": summary.outcome("dedup", "alias"),
        "stored": summary.outcome("store", "stored"),
        "dead-lettered": summary.dead_lettered,
    }
    typer.echo(" · ".join(f"{k} {v:,}" for k, v in parts.items()) + f" · {summary.seconds:.1f} s")
    if summary.interrupted:
        typer.echo(left_line(summary))
    if until_idle and summary.nothing_fetched:
        common.fail(
            f"no feed could be fetched ({summary.fetch_words}); see `newswire feeds list`", code=3
        )


def left_line(summary: RunSummary) -> str:
    """What an interrupted run left for the next one."""
    if not summary.left:
        return "stopped; could not count what is left in Kafka (is the broker away?)"
    total = sum(summary.left.values())
    if not total:
        return "stopped; everything fetched was processed (nothing left in Kafka)"
    each = ", ".join(f"{stage} {n:,}" for stage, n in summary.left.items() if n)
    return f"stopped; {total:,} records left in Kafka for the next run ({each})"


@app.command()
def demo(
    fresh: Annotated[
        bool,
        typer.Option(
            "--fresh",
            help="Forget earlier demo runs (topics, dedup state) and run the whole flow again.",
        ),
    ] = False,
    verbose: Annotated[
        bool, typer.Option("--verbose", "-v", help="Show the services' logs.")
    ] = False,
) -> None:
    """Offline demo: serve generated news feeds on 127.0.0.1, run the whole pipeline through
    Kafka until every demo item is stored, print a summary. Run again, it polls again: the
    feeds answer 304 and nothing new is stored."""
    from newswire.app.demo.run import run_demo

    settings = common.settings()
    if not verbose:
        configure_logging(settings.log_format, "WARNING")
    ok = common.run_async(run_demo(settings, echo=typer.echo, fresh=fresh))
    raise typer.Exit(0 if ok else 1)


@app.command()
def serve(
    services: Annotated[
        list[str],
        typer.Argument(help="One or more of: producer, dedup, enrich, store."),
    ],
) -> None:
    """Run some of the pipeline's services in this process, until stopped: the microservice
    deployment (one container per service, each with its own /metrics, /livez, /readyz)."""
    from newswire.app.pipeline import run_pipeline

    settings = common.settings()
    stop = asyncio.Event()
    common.run_async(
        run_pipeline(settings, stop=stop, services=services, progress=typer.echo), stop=stop
    )


app.command("inspect")(inspect_command)
app.command("search")(read.search)
app.command("show")(read.show)
app.command("export")(read.export)
app.command("api")(read.api)
app.add_typer(read.topics_app, name="topics")
app.add_typer(feeds.feeds_app, name="feeds")  # the feed registry
# operator and subscriber tools
app.command("status")(ops_status.status)
app.command("tail")(ops_tail.tail)
app.command("reprocess")(ops_reprocess.reprocess)
app.add_typer(ops_dlq.dlq_app, name="dlq")
