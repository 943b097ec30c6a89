"""Live counters and progress bars for commands that can take more than a few seconds.

They draw on stderr, only when stderr is a terminal, and vanish when done (``transient``),
so stdout stays clean for scripts (``--json``) and logs stay free of control codes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
)

Advance = Callable[[int], None]


def stderr_console() -> Console:
    return Console(stderr=True)


@contextmanager
def live_progress(description: str, total: int | None = None) -> Iterator[Advance]:
    """Yields ``advance(n)``. With ``total`` a bar with N/M, without it a spinner and a count."""
    console = stderr_console()
    columns = [SpinnerColumn(), TextColumn("{task.description}")]
    if total is not None:
        columns += [BarColumn(), MofNCompleteColumn()]
    else:
        columns += [TextColumn("{task.completed}")]
    columns.append(TimeElapsedColumn())
    with Progress(
        *columns, console=console, transient=True, disable=not console.is_terminal
    ) as progress:
        task = progress.add_task(description, total=total)
        yield lambda n: progress.advance(task, n)
