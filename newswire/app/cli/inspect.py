"""``newswire inspect``: fetch-or-read, parse and normalize feeds without Kafka."""

from __future__ import annotations

import asyncio
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import orjson
import typer

from newswire.app.cli import common
from newswire.errors import NewswireError
from newswire.settings import Settings


async def _inspect(settings: Settings, sources: list[str]) -> int:
    from newswire.fetch.fetcher import Fetcher
    from newswire.fetch.policy import fetch_policy
    from newswire_producers.normalize.normalizer import normalize
    from newswire_producers.parse.parser import parse_feed

    failures = 0
    async with Fetcher(fetch_policy(settings)) as fetcher:
        for source in sources:
            try:
                if source.lower().startswith(("http://", "https://")):
                    result = await fetcher.fetch(source)
                    data, feed_url, ctype = result.body, source, result.content_type
                else:
                    path = Path(source)
                    try:
                        data = await asyncio.to_thread(path.read_bytes)
                    except OSError as exc:
                        raise NewswireError(f"cannot read: {exc.strerror}") from exc
                    feed_url, ctype = (await asyncio.to_thread(path.resolve)).as_uri(), None
                parsed = await asyncio.to_thread(parse_feed, data, url=feed_url, content_type=ctype)
                items = normalize(parsed, feed_url=feed_url, fetched=datetime.now(UTC))
            except NewswireError as exc:
                failures += 1
                print(f"newswire inspect: {source}: {exc}", file=sys.stderr)
                continue
            for item in items:
                sys.stdout.buffer.write(orjson.dumps(item.model_dump(mode="json")) + b"\n")
            sys.stdout.flush()
    return failures


def inspect_command(
    sources: Annotated[list[str], typer.Argument(help="Feed files or http(s) URLs.")],
) -> None:
    """Parse and normalize feeds with the producer's own code, without Kafka, and print JSON
    Lines: one object per item (every item field, including feed_url). Exits 1 if any input is
    not a readable feed, after printing a one-line reason for it."""
    settings = common.settings()
    failures = common.run_async(_inspect(settings, sources))
    raise typer.Exit(1 if failures else 0)
