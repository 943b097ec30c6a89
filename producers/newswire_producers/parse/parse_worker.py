"""Parsing off the event loop with a time and a memory bound (DESIGN.md safety).

:func:`parse_bounded` is what the poller awaits instead of ``asyncio.to_thread(parse_feed,
...)``. Small bodies (at most ``inline_bytes``, 512 KiB by default: nearly every feed) are
parsed in a thread, as before: entity declarations are refused before any parser runs and
the fast path parses such a body in milliseconds, so a worker process would only add its
start-up cost. Bigger bodies are parsed in a fresh worker process with an address-space
limit (``RLIMIT_AS``); at the deadline the process is killed and
``FeedParseError("parse timed out")`` is raised, so no document can hold the producer.

``then`` runs on the parsed feed in the same place and under the same bounds: the poller
passes the normalizer (sanitizing included), so a body big enough for a worker is also
normalized there, within the deadline and the memory limit.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import resource
from collections.abc import Callable
from multiprocessing.connection import Connection
from typing import Any, TypeVar, overload

from newswire.errors import FeedParseError
from newswire_producers.parse.parsed import ParsedFeed
from newswire_producers.parse.parser import MAX_BYTES, parse_feed

__all__ = ["INLINE_BYTES", "WORKER_MEMORY_BYTES", "parse_bounded"]

#: Bodies up to this size are parsed in a thread; bigger ones in a killable process.
INLINE_BYTES = 512 * 1024
#: Address-space limit of a worker process (the interpreter, lxml and one feed).
WORKER_MEMORY_BYTES = 1024 * 1024 * 1024
_SPAWN = multiprocessing.get_context("spawn")  # no fork of a threaded, event-looped process
T = TypeVar("T")


def keep(feed: ParsedFeed) -> ParsedFeed:
    """The default ``then``: the parsed feed itself."""
    return feed


@overload
async def parse_bounded(
    data: bytes,
    *,
    url: str,
    content_type: str | None = ...,
    timeout_s: float = ...,
    max_bytes: int = ...,
    inline_bytes: int = ...,
    memory_bytes: int = ...,
) -> ParsedFeed: ...


@overload
async def parse_bounded(
    data: bytes,
    *,
    url: str,
    then: Callable[[ParsedFeed], T],
    content_type: str | None = ...,
    timeout_s: float = ...,
    max_bytes: int = ...,
    inline_bytes: int = ...,
    memory_bytes: int = ...,
) -> T: ...


async def parse_bounded(
    data: bytes,
    *,
    url: str,
    then: Callable[[ParsedFeed], Any] = keep,
    content_type: str | None = None,
    timeout_s: float = 10.0,
    max_bytes: int = MAX_BYTES,
    inline_bytes: int = INLINE_BYTES,
    memory_bytes: int = WORKER_MEMORY_BYTES,
) -> Any:
    """``then(parse_feed(data, ...))`` without blocking the event loop, within
    ``timeout_s``. ``then`` must be picklable (a module-level function, or a partial of one).

    Guarantees: the same result or :class:`FeedParseError` as :func:`parse_feed`; raises
    ``FeedParseError("parse timed out")`` when a worker-parsed body takes longer than
    ``timeout_s`` (the worker is killed) and ``FeedParseError("parse ran out of memory")``
    when it exceeds ``memory_bytes``. Never raises anything else (cancellation aside:
    cancelling kills the worker).
    """
    if len(data) > max_bytes:
        raise FeedParseError(f"feed is larger than {max_bytes} bytes")
    if len(data) <= inline_bytes:
        return await asyncio.to_thread(_parse_then, then, data, url, content_type, max_bytes)
    return await _in_worker(then, data, url, content_type, max_bytes, timeout_s, memory_bytes)


def _parse_then(
    then: Callable[[ParsedFeed], Any],
    data: bytes,
    url: str,
    content_type: str | None,
    max_bytes: int,
) -> Any:
    return then(parse_feed(data, url=url, content_type=content_type, max_bytes=max_bytes))


async def _in_worker(
    then: Callable[[ParsedFeed], Any],
    data: bytes,
    url: str,
    content_type: str | None,
    max_bytes: int,
    timeout_s: float,
    memory_bytes: int,
) -> Any:
    receiver, sender = _SPAWN.Pipe(duplex=False)
    args = (sender, then, data, url, content_type, max_bytes, memory_bytes)
    process = _SPAWN.Process(target=_work, args=args, daemon=True)
    process.start()
    sender.close()
    try:
        outcome = await asyncio.wait_for(asyncio.to_thread(_receive, receiver), timeout_s)
    except TimeoutError:
        raise FeedParseError("parse timed out") from None
    finally:
        if process.is_alive():
            process.kill()
        await asyncio.to_thread(process.join)
        receiver.close()
    kind, value = outcome
    if kind == "ok":
        return value
    raise FeedParseError(str(value))


def _receive(receiver: Connection) -> tuple[str, Any]:
    try:
        result: tuple[str, Any] = receiver.recv()
    except (EOFError, OSError):
        return "error", "parse worker died"
    return result


def _work(
    sender: Connection,
    then: Callable[[ParsedFeed], Any],
    data: bytes,
    url: str,
    content_type: str | None,
    max_bytes: int,
    memory_bytes: int,
) -> None:
    """The worker process: limit memory, parse and ``then``, send ("ok", result) or
    ("error", reason)."""
    resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
    try:
        outcome: tuple[str, Any] = ("ok", _parse_then(then, data, url, content_type, max_bytes))
    except FeedParseError as exc:
        outcome = ("error", str(exc))
    except MemoryError:
        outcome = ("error", "parse ran out of memory")
    except Exception as exc:  # noqa: BLE001 -- the parent must get a reason, whatever failed
        outcome = ("error", f"parse failed: {type(exc).__name__}")
    sender.send(outcome)
    sender.close()
