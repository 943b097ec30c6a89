"""README.md stays true: every setting, metric and command it must document is there."""

from __future__ import annotations

import re

from paths import REPO
from typer.main import get_command

from newswire.app.cli.main import app
from newswire.metrics import Metrics
from newswire.settings import Settings

README = (REPO / "README.md").read_text()


def test_every_setting_is_documented() -> None:
    missing = [
        f"NEWSWIRE_{name.upper()}"
        for name in Settings.model_fields
        if f"NEWSWIRE_{name.upper()}" not in README
    ]
    assert not missing, f"README.md does not document {missing}"


def test_every_metric_is_documented() -> None:
    # Name a metric as a scrape shows it: counters with their _total suffix.
    shown = {
        f"{f.name}_total" if f.type == "counter" else f.name for f in Metrics().registry.collect()
    }
    missing = sorted(name for name in shown if f"`{name}`" not in README)
    assert not missing, f"README.md's metrics table lacks {missing}"


def test_every_command_is_mentioned() -> None:
    group = get_command(app)
    commands = getattr(group, "commands", {})
    missing = [name for name in commands if not re.search(rf"newswire {name}\b", README)]
    assert not missing, f"README.md never shows {missing}"


def test_quickstart_is_the_two_commands() -> None:
    assert "make demo" in README
    assert "make test" in README
