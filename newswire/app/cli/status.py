"""``newswire status``: the operator's one screen, or ``--json`` for scripts."""

from __future__ import annotations

import sys
from typing import Annotated, Any

import typer
from rich.console import Console, Group
from rich.table import Table

from newswire.app.cli import common
from newswire.settings import Settings
from newswire.terminal import for_rich, json_line


def health_urls(settings: Settings, given: list[str]) -> list[str]:
    """``--health`` URLs, else the setting, else this machine's own health port."""
    if given:
        return given
    if settings.status_health_urls:
        return list(settings.status_health_urls)
    if settings.health_port:
        return [f"http://{settings.health_host}:{settings.health_port}/readyz"]
    return []


def status(
    health: Annotated[
        list[str] | None,
        typer.Option(
            "--health",
            help="A service's /readyz URL to probe; repeat for each service "
            "(default: NEWSWIRE_STATUS_HEALTH_URLS, else this machine's health port).",
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object for scripts.")] = False,
) -> None:
    """Feeds by state and the failing ones, lag per stage, dead letters by reason, items/s
    over the last 1, 5 and 15 minutes, and which services answer /readyz. Reads only."""
    from newswire.app.ops.status import collect_status

    settings = common.settings()
    for url in health or []:
        if not url.lower().startswith(("http://", "https://")):
            common.fail(f"--health {url!r} is not an http(s) URL", code=2)
    urls = health_urls(settings, health or [])
    err = Console(stderr=True)
    if err.is_terminal and not as_json:
        with err.status("asking Kafka and the services..."):
            report = common.run_async(collect_status(settings, urls))
    else:
        report = common.run_async(collect_status(settings, urls))
    if as_json:
        sys.stdout.buffer.write(json_line(report, indent=True) + b"\n")
        return
    Console().print(render(report))


def render(report: dict[str, Any]) -> Group:
    """The report as rich tables, in the order an operator reads them."""
    feeds = report["feeds"]
    by_state = Table(title=f"feeds ({feeds['total']})", title_justify="left")
    by_state.add_column("state")
    by_state.add_column("feeds", justify="right")
    for state, n in feeds["by_state"].items():
        style = "red" if state == "failing" else ""
        by_state.add_row(f"[{style}]{state}[/{style}]" if style else state, str(n))

    failing = Table(title="failing feeds", title_justify="left")
    for col in ("feed", "errors", "outcome", "reason", "last ok"):
        failing.add_column(col, overflow="fold")  # a URL cut short names no feed
    for f in feeds["failing"][:20]:
        failing.add_row(
            for_rich(f["title"] or f["url"]),
            str(f["consecutive_errors"]),
            f["outcome"],
            for_rich(f["error"][:80]),
            f["last_ok"][:19] or "never",
        )

    stages = Table(title="stages", title_justify="left")
    for col in ("stage", "input topic", "group", "members", "lag", "lag by partition"):
        stages.add_column(
            col, justify="right" if col in ("members", "lag") else "left", overflow="fold"
        )
    for s in report["stages"]:
        by_part = " ".join(f"{p['partition']}:{p['lag']}" for p in s["partitions"]) or "no topic"
        lag_style = "yellow" if s["lag"] else "green"
        stages.add_row(
            s["stage"], s["topic"], s["group_state"], str(s["members"]),
            f"[{lag_style}]{s['lag']}[/{lag_style}]", by_part,
        )  # fmt: skip

    dlq = Table(title="dead letters", title_justify="left")
    for col in ("stage", "reason", "total", "not replayed"):
        dlq.add_column(col, justify="right" if col in ("total", "not replayed") else "left")
    for d in report["dlq"]:
        if not d["total"]:
            dlq.add_row(d["stage"], "[dim]none[/dim]", "0", "0")
        for reason, counts in d["by_reason"].items():
            dlq.add_row(
                d["stage"], for_rich(reason), str(counts["total"]), str(counts["not_replayed"])
            )

    rates = Table(title="items per second (record timestamps)", title_justify="left")
    rates.add_column("topic")
    windows = sorted({r["window_s"] for r in report["throughput"]})
    for w in windows:
        rates.add_column(f"last {w // 60} min", justify="right")
    for topic in dict.fromkeys(r["topic"] for r in report["throughput"]):
        row = {r["window_s"]: r for r in report["throughput"] if r["topic"] == topic}
        rates.add_row(
            topic, *(f"{row[w]['per_second']:.2f} ({row[w]['records']})" for w in windows)
        )

    health = Table(title="services (/readyz)", title_justify="left")
    for col in ("url", "ready", "answer"):
        health.add_column(col)
    for h in report["health"]:
        mark = "[green]ready[/green]" if h["ready"] else "[red]NOT READY[/red]"
        health.add_row(for_rich(h["url"]), mark, for_rich(f"{h['status'] or '-'} {h['detail']}"))
    if not report["health"]:
        health.add_row("[dim]none configured (--health URL)[/dim]", "", "")

    header = f"newswire status · {report['prefix']} on {report['kafka']} · {report['time'][:19]}Z"
    parts: list[Any] = [header, by_state]
    if feeds["failing"]:
        parts.append(failing)
    parts += [stages, dlq, rates, health]
    return Group(*parts)
