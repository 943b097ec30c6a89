"""``newswire tail`` against the real broker: from the beginning, filters, JSON and pretty
output, --max, and a clean stop on Ctrl-C."""

from __future__ import annotations

import asyncio
import contextlib
import signal
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from factories import make_event
from tools_cli import cli_env, json_lines, newswire

from newswire.kafka.producer import EventProducer, Record
from newswire.kafka.topics import ensure_topics, pipeline_topics
from newswire.metrics import Metrics
from newswire.settings import Settings, Topics
from newswire_schemas import EventType, Language

pytestmark = pytest.mark.kafka

# (type, declared language) of the six events published to items.unique
SHAPES = [
    (EventType.CREATED, "en"),
    (EventType.UPDATED, "fr"),
    (EventType.CREATED, "fr"),
    (EventType.UPDATED, "en-GB"),
    (EventType.UPDATED, "fr"),
    (EventType.CREATED, "de"),
]


async def publish_events(settings: Settings) -> list[str]:
    """Publish SHAPES to items.unique; returns their titles."""
    topics = Topics(settings.topic_prefix)
    await ensure_topics(settings.kafka_bootstrap, pipeline_topics(settings))
    events = [
        make_event(i, type_, language=Language(declared=lang), feed_title=f"Outlet {i % 2}")
        for i, (type_, lang) in enumerate(SHAPES)
    ]
    async with EventProducer(settings, Metrics()) as producer:
        await producer.publish([Record.of(topics.unique, e) for e in events])
    return [e.item.title for e in events]


async def test_from_beginning_max_filters_and_output(
    kafka_settings: Settings, tmp_path: Path
) -> None:
    titles = await publish_events(kafka_settings)
    topics = Topics(kafka_settings.topic_prefix)

    code, out, err = await newswire(
        kafka_settings, tmp_path, "tail", "unique", "--from-beginning", "--max", "3", "--json"
    )
    assert code == 0, err
    first = json_lines(out)
    assert len(first) == 3
    for row in first:
        assert row["topic"] == topics.unique
        assert row["item"]["title"] in titles  # type: ignore[index]
        assert str(row["type"]).startswith("newswire.item.")

    code, out, err = await newswire(
        kafka_settings, tmp_path, "tail", topics.unique, "--from-beginning", "--no-follow",
        "--json", "--filter", "type=updated", "--filter", "language=fr",
    )  # fmt: skip
    assert code == 0, err
    wanted = {
        titles[i] for i, (t, lang) in enumerate(SHAPES) if t is EventType.UPDATED and lang == "fr"
    }
    assert {row["item"]["title"] for row in json_lines(out)} == wanted  # type: ignore[index]
    assert len(json_lines(out)) == 2

    # language=en also matches en-GB; several values of one field are alternatives
    code, out, err = await newswire(
        kafka_settings, tmp_path, "tail", "unique", "--from-beginning", "--no-follow",
        "--json", "--filter", "language=en", "--filter", "language=de",
    )  # fmt: skip
    assert code == 0, err
    assert len(json_lines(out)) == 3

    code, out, err = await newswire(
        kafka_settings, tmp_path, "tail", "unique", "--from-beginning", "--no-follow",
        "--filter", "feed=outlet 1",
    )  # fmt: skip
    assert code == 0, err
    assert len(out.splitlines()) == 3
    assert all("Outlet 1" in line for line in out.splitlines())
    assert titles[1] in out and titles[0] not in out


@contextlib.asynccontextmanager
async def following(
    settings: Settings, tmp_path: Path, *args: str
) -> AsyncIterator[asyncio.subprocess.Process]:
    """``newswire tail unique ARGS`` running (stdout and stderr piped); killed if the test
    leaves it running."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "newswire.app.cli", "tail", "unique", *args,
        env=cli_env(settings, tmp_path),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    try:
        yield proc
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()


async def interrupt(proc: asyncio.subprocess.Process) -> tuple[bytes, bytes]:
    """Ctrl-C, then what it printed; it must stop within 15 s."""
    proc.send_signal(signal.SIGINT)
    async with asyncio.timeout(15):
        return await proc.communicate()


async def test_ctrl_c_stops_cleanly(kafka_settings: Settings, tmp_path: Path) -> None:
    titles = await publish_events(kafka_settings)
    async with following(kafka_settings, tmp_path, "--from-beginning", "--json") as proc:
        assert proc.stdout is not None
        async with asyncio.timeout(30):
            seen = [await proc.stdout.readline() for _ in titles]  # caught up: now following
        assert all(line.endswith(b"\n") for line in seen)
        _, err = await interrupt(proc)
    assert proc.returncode == 0, err.decode()
    assert b"Traceback" not in err


async def test_bad_filter_and_missing_topic(kafka_settings: Settings, tmp_path: Path) -> None:
    code, _, err = await newswire(
        kafka_settings, tmp_path, "tail", "unique", "--filter", "colour=red"
    )
    assert code == 2
    assert "bad filter 'colour=red'" in err
    code, _, err = await newswire(kafka_settings, tmp_path, "tail", "no-such-topic-here")
    assert code == 1
    assert "topic no-such-topic-here does not exist" in err


async def test_following_says_what_it_waits_for(kafka_settings: Settings, tmp_path: Path) -> None:
    titles = await publish_events(kafka_settings)
    async with following(kafka_settings, tmp_path, "--max", "5") as proc:
        assert proc.stderr is not None
        async with asyncio.timeout(30):
            line = (await proc.stderr.readline()).decode().strip()
        topic = Topics(kafka_settings.topic_prefix).unique
        assert line == (
            f"waiting for new records on {topic}; the {len(titles)} already there are read "
            "with --from-beginning"
        )
        out, _ = await interrupt(proc)
    assert proc.returncode == 0
    assert out == b""  # nothing new arrived
