"""Logs: JSON lines with stable keys in production, readable text in development.

The JSON test runs the real console script (``newswire run --until-idle``) on the demo site
with ``NEWSWIRE_LOG_FORMAT=json`` and parses every stderr line: each is one JSON object with
``timestamp``, ``level``, ``event`` and ``logger``, library records included.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import uuid
from datetime import datetime
from pathlib import Path

import pytest

from newswire.app.demo import FeedServer, generate_site
from newswire.log import configure_logging, get_logger

STABLE_KEYS = {"timestamp", "level", "event", "logger"}
NEWSWIRE = Path(sys.executable).with_name("newswire")


@pytest.mark.kafka
def test_a_service_in_json_mode_writes_only_json_lines_with_stable_keys(
    kafka_bootstrap: str, tmp_path: Path
) -> None:
    site = generate_site(seed=5)
    with FeedServer() as server:
        server.add_site(site)
        opml = tmp_path / "feeds.opml"
        opml.write_bytes(site.opml(server.base_url))
        env = {key: value for key, value in os.environ.items() if not key.startswith("NEWSWIRE_")}
        env |= {
            "NEWSWIRE_LOG_FORMAT": "json",
            "NEWSWIRE_LOG_LEVEL": "INFO",
            "NEWSWIRE_KAFKA_BOOTSTRAP": kafka_bootstrap,
            "NEWSWIRE_TOPIC_PREFIX": f"test-{uuid.uuid4().hex[:10]}",
            "NEWSWIRE_DATA_DIR": str(tmp_path / "data"),
            "NEWSWIRE_STORE_URL": f"sqlite:///{tmp_path / 'data' / 'store.db'}",
            "NEWSWIRE_FETCH_ALLOW_NETWORKS": "127.0.0.1/32",
            "NEWSWIRE_HEALTH_PORT": "0",
            "NEWSWIRE_PRODUCER_LINGER_MS": "5",
            "NEWSWIRE_POLL_FIRST_SPREAD_S": "0",
            "NEWSWIRE_CONFIG": str(tmp_path / "absent.toml"),
        }
        done = subprocess.run(
            [str(NEWSWIRE), "run", "--feeds", str(opml), "--until-idle"],
            env=env,
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    assert done.returncode == 0, done.stderr[-3000:]
    lines = done.stderr.splitlines()
    events = []
    for line in lines:
        try:
            event = json.loads(line)
        except json.JSONDecodeError:
            pytest.fail(f"not a JSON line on stderr: {line!r}")
        assert isinstance(event, dict), line
        assert event.keys() >= STABLE_KEYS, f"missing {STABLE_KEYS - event.keys()}: {line}"
        assert datetime.fromisoformat(event["timestamp"]).utcoffset() is not None, line
        events.append(event)
    polled = [e for e in events if e["event"] == "polled"]
    assert len(polled) == len(site.feeds), [e["event"] for e in events]
    assert {e["logger"] for e in polled} == {"newswire_producers.poller"}
    assert all(e["level"] == "info" and e["outcome"] == "ok" for e in polled)


def test_console_mode_is_readable_text_with_the_same_context(
    capsys: pytest.CaptureFixture[str],
) -> None:
    try:
        configure_logging("console", "INFO")
        get_logger("newswire.test").info("stage started", stage="dedup", topic="t.raw")
        logging.getLogger("aiokafka.test").warning("broker %s gone", "b1")
        err = capsys.readouterr().err.splitlines()
    finally:
        configure_logging("console", "INFO")
    assert len(err) == 2, err
    for line in err:
        with pytest.raises(json.JSONDecodeError):
            json.loads(line)
    assert "stage started" in err[0] and "stage=dedup" in err[0] and "[newswire.test]" in err[0]
    assert "info" in err[0]
    assert "broker b1 gone" in err[1] and "warning" in err[1] and "aiokafka.test" in err[1]
