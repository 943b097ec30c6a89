"""What every command shares: settings from the global options, errors as one-line exits."""

from __future__ import annotations

import asyncio
import signal
import sys
from collections.abc import Coroutine
from pathlib import Path
from typing import Any, NoReturn, TypeVar

from pydantic import ValidationError

from newswire.errors import BrokerUnavailable, ConfigError, NewswireError
from newswire.log import configure_logging
from newswire.settings import Settings, load_settings

T = TypeVar("T")

_state: dict[str, Path | None] = {"config": None}


def set_config_file(path: Path | None) -> None:
    _state["config"] = path


def settings(**overrides: Any) -> Settings:
    """Load and validate settings once; a bad setting exits 2 with every problem named."""
    try:
        loaded = load_settings(_state["config"], **overrides)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(map(str, e['loc'])) or 'settings'}: {e['msg']}" for e in exc.errors()
        )
        fail(f"invalid settings: {problems}", code=2)
    except ConfigError as exc:
        fail(str(exc), code=2)
    configure_logging(loaded.log_format, loaded.log_level)
    return loaded


def _on_signal(loop: asyncio.AbstractEventLoop, stop: asyncio.Event, sig: signal.Signals) -> None:
    if not stop.is_set():
        print(f"newswire: {sig.name}: stopping ({sig.name} again to exit at once)", file=sys.stderr)
        stop.set()
        return
    print(f"newswire: {sig.name} again: exiting now", file=sys.stderr)
    for each in (signal.SIGTERM, signal.SIGINT):
        loop.remove_signal_handler(each)
    signal.signal(sig, signal.SIG_DFL)
    signal.raise_signal(sig)


def fail(message: str, code: int = 1) -> NoReturn:
    print(f"newswire: {message}", file=sys.stderr)
    raise SystemExit(code)


def run_async(coro: Coroutine[Any, Any, T], *, stop: asyncio.Event | None = None) -> T:
    """Run ``coro``; when ``stop`` is given, the first SIGTERM or SIGINT sets it (a graceful
    stop) and a second one ends the process at once, by that signal's default action (exit
    status 128 + the signal's number; nothing committed is lost, what was not committed is
    processed by the next run). Newswire errors end the command with a one-line reason."""

    async def main() -> T:
        if stop is not None:
            loop = asyncio.get_running_loop()
            for sig in (signal.SIGTERM, signal.SIGINT):
                loop.add_signal_handler(sig, _on_signal, loop, stop, sig)
        return await coro

    try:
        return asyncio.run(main())
    except BrokerUnavailable as exc:
        fail(
            f"{exc}\nIs Kafka running? Start the local broker with "
            "`deploy/kafka/local-kafka.sh start` or point NEWSWIRE_KAFKA_BOOTSTRAP at a cluster."
        )
    except NewswireError as exc:
        fail(str(exc), code=exc.exit_code)
