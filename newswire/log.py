"""Structured logging: JSON lines in production, readable on a terminal in development.

With ``fmt="json"`` every line a newswire process writes to stderr is one JSON object with
the stable keys ``timestamp`` (RFC 3339, UTC), ``level``, ``event`` and ``logger``, plus the
context bound to the call (feed, stage, topic, partition, offset, ...); the libraries' own
stdlib log records (aiokafka, httpx, uvicorn) are rendered the same way. With
``fmt="console"`` the same events are rendered for people, coloured on a terminal.
"""

from __future__ import annotations

import logging
import sys
import time
from collections import Counter
from typing import Any, TextIO

import structlog

from newswire.terminal import for_terminal


class _Stderr:
    """Whatever ``sys.stderr`` is when a line is written, not when logging was configured
    (a test runner or a daemonizer may swap it)."""

    def write(self, text: str) -> int:
        return sys.stderr.write(text)

    def flush(self) -> None:
        sys.stderr.flush()


class _NamedPrintLogger(structlog.PrintLogger):
    """A PrintLogger that knows its name, so ``add_logger_name`` can add the ``logger`` key."""

    def __init__(self, file: TextIO | _Stderr, name: str) -> None:
        super().__init__(file)  # type: ignore[arg-type]  # write/flush is all it uses
        self.name = name


class _NamedPrintLoggerFactory:
    def __init__(self, file: TextIO | _Stderr) -> None:
        self._file = file

    def __call__(self, *args: Any) -> _NamedPrintLogger:
        return _NamedPrintLogger(self._file, str(args[0]) if args else "newswire")


def configure_logging(fmt: str = "console", level: str = "INFO") -> None:
    """Configure structlog and the stdlib root logger. Idempotent."""
    timestamper = structlog.processors.TimeStamper(fmt="iso", utc=True)
    shared: list[structlog.types.Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.stdlib.add_logger_name,
        timestamper,
    ]
    renderer: structlog.types.Processor
    if fmt == "json":
        renderer = structlog.processors.JSONRenderer()
        shared.append(structlog.processors.format_exc_info)
    else:
        renderer = structlog.dev.ConsoleRenderer(colors=sys.stderr.isatty())
    # On a console, feed text in a log line reaches a terminal: through the output filter.
    safe: list[structlog.types.Processor] = [] if fmt == "json" else [_terminal_safe]
    structlog.configure(
        processors=[*shared, *safe, renderer],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level.upper())),
        logger_factory=_NamedPrintLoggerFactory(_Stderr()),
        cache_logger_on_first_use=False,
    )
    # Records of the stdlib loggers (the libraries) go through the same renderer, so a JSON
    # deployment never gets a plain-text line in its log stream.
    handler: logging.StreamHandler[_Stderr] = logging.StreamHandler(_Stderr())
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=[
                structlog.stdlib.add_log_level,
                structlog.stdlib.add_logger_name,
                timestamper,
            ],
            processors=[
                structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                *safe,
                renderer,
            ],
        )
    )
    handler.addFilter(client_noise)
    logging.basicConfig(level=logging.WARNING, handlers=[handler], force=True)
    # aiokafka logs every rebalance and retry at INFO; warnings and errors are what we want.
    logging.getLogger("aiokafka").setLevel(logging.WARNING)
    logging.getLogger("httpx").setLevel(logging.WARNING)
    quiet_client_noise()


class _RetriedByTheClient(logging.Filter):
    """Drops aiokafka's warning that it will look for a group's coordinator again: the
    client retries by itself, and on a broker that has just started (the first ``make
    demo``) it comes once per group while the offsets topic loads, when nothing is wrong.
    A broker that stays away shows in the connection errors and in /readyz."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not record.getMessage().startswith("Marking the coordinator dead")


_RETRIED = _RetriedByTheClient()


def quiet_client_noise() -> None:
    """Keep expected, self-healing client warnings out of the log (idempotent)."""
    logger = logging.getLogger("aiokafka.consumer.group_coordinator")
    if _RETRIED not in logger.filters:
        logger.addFilter(_RETRIED)


def _terminal_safe(
    logger: Any, method: str, event: structlog.typing.EventDict
) -> structlog.typing.EventDict:
    """Console mode: every text value of a log line through the terminal output filter
    (JSON lines escape controls themselves)."""
    del logger, method
    return {k: for_terminal(v) if isinstance(v, str) else v for k, v in event.items()}


class ClientNoise(logging.Filter):
    """The Kafka client's (aiokafka's) own warnings and errors, collapsed. While a watcher
    knows the cluster is unreachable (``outage``; newswire.kafka.watch says so itself, once,
    and once a minute after) the client's lines are held back: a broker that is away makes
    aiokafka log several hundred connection errors a second. Otherwise each distinct message
    passes once per ``every_s``; a line that passes says how many like it were held back."""

    def __init__(self, every_s: float = 60.0) -> None:
        super().__init__()
        self.every_s = every_s
        self.outage = False
        self.held_in_outage = 0
        self._last: dict[str, float] = {}
        self._held: Counter[str] = Counter()

    def filter(self, record: logging.LogRecord) -> bool:
        if not record.name.startswith("aiokafka"):
            return True
        if self.outage:
            self.held_in_outage += 1
            return False
        key = f"{record.name}:{record.msg}"
        now = time.monotonic()
        last = self._last.get(key)
        if last is not None and now - last < self.every_s:
            self._held[key] += 1
            return False
        self._last[key] = now
        if held := self._held.pop(key, 0):
            record.msg = f"{record.msg} [and {held} more like it held back]"
        return True

    def take_held_in_outage(self) -> int:
        """How many client lines were held back since the last call (for the recovery line)."""
        held, self.held_in_outage = self.held_in_outage, 0
        return held


client_noise = ClientNoise()


def get_logger(name: str) -> structlog.stdlib.BoundLogger:
    """A logger whose every event carries ``logger=name`` (the module, by convention).
    Lazy: safe to call at import time, before ``configure_logging``."""
    logger: structlog.stdlib.BoundLogger = structlog.get_logger(name)
    return logger
