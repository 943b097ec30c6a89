"""Settings precedence: defaults < config file < environment < explicit overrides."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from newswire.errors import ConfigError
from newswire.settings import Settings, Topics, load_settings


def test_defaults_are_safe(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    s = load_settings()
    assert s.fetch_allow_networks == ()  # the SSRF guard exempts nothing by default
    assert s.kafka_bootstrap == "127.0.0.1:9092"
    assert s.store_url.startswith("sqlite:///")


def test_the_data_dir_and_store_do_not_depend_on_the_current_directory(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    home, xdg = tmp_path / "home", tmp_path / "xdg"
    for name in ("NEWSWIRE_DATA_DIR", "NEWSWIRE_STORE_URL", "NEWSWIRE_CONFIG", "XDG_DATA_HOME"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.chdir(tmp_path)  # no newswire.toml here

    def resolved() -> tuple[Path, str]:
        s = load_settings()
        return s.data_dir, s.store_url

    # Neither set: ~/.local/share/newswire, whatever the current directory.
    expected = home / ".local" / "share" / "newswire"
    assert resolved() == (expected, f"sqlite:///{expected}/newswire.db")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    assert resolved() == (expected, f"sqlite:///{expected}/newswire.db")
    # XDG_DATA_HOME when absolute (a relative one is invalid by the XDG spec: ignored).
    monkeypatch.setenv("XDG_DATA_HOME", "relative/share")
    assert resolved()[0] == expected
    monkeypatch.setenv("XDG_DATA_HOME", str(xdg))
    assert resolved() == (xdg / "newswire", f"sqlite:///{xdg}/newswire/newswire.db")
    # NEWSWIRE_DATA_DIR beats both; the default store follows it.
    monkeypatch.setenv("NEWSWIRE_DATA_DIR", str(tmp_path / "data"))
    assert resolved() == (tmp_path / "data", f"sqlite:///{tmp_path}/data/newswire.db")
    monkeypatch.setenv("NEWSWIRE_DATA_DIR", "~/news")  # a config file has no shell to expand ~
    assert resolved() == (home / "news", f"sqlite:///{home}/news/newswire.db")
    # NEWSWIRE_STORE_URL, when set, is used as it is.
    monkeypatch.setenv("NEWSWIRE_STORE_URL", "postgresql://news@db:5432/newswire")
    assert resolved() == (home / "news", "postgresql://news@db:5432/newswire")
    # And nothing was created anywhere.
    assert not home.exists() and not xdg.exists()
    assert not (tmp_path / ".local").exists() and not (elsewhere / ".local").exists()


def test_the_demo_says_where_its_store_is_when_not_in_the_default_data_dir(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from newswire.app.demo.run import next_steps

    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    read = "Next: .venv/bin/newswire search <words>   then   .venv/bin/newswire show <id>"
    assert next_steps(Settings(data_dir=tmp_path / "xdg" / "newswire")) == [read]
    checkout = tmp_path / "my checkout" / ".local" / "data"  # make demo's
    assert next_steps(Settings(data_dir=checkout)) == [
        f"The data is in {checkout}, not in the default data directory:",
        f"  export NEWSWIRE_DATA_DIR='{checkout}'",
        read,
    ]


def test_no_home_directory_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("NEWSWIRE_DATA_DIR", "XDG_DATA_HOME"):
        monkeypatch.delenv(name, raising=False)

    def no_home() -> Path:
        raise RuntimeError("Could not determine home directory.")

    monkeypatch.setattr(Path, "home", staticmethod(no_home))
    with pytest.raises(ConfigError, match="set NEWSWIRE_DATA_DIR"):
        Settings()


def test_file_then_env_then_overrides(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    config = tmp_path / "newswire.toml"
    config.write_text('topic_prefix = "fromfile"\npoll_interval_s = 60\nlog_level = "DEBUG"\n')
    monkeypatch.setenv("NEWSWIRE_POLL_INTERVAL_S", "120")
    monkeypatch.setenv("NEWSWIRE_FETCH_ALLOW_NETWORKS", "127.0.0.0/8, ::1/128")
    s = load_settings(config, log_level="ERROR")
    assert s.topic_prefix == "fromfile"  # file beats default
    assert s.poll_interval_s == 120  # env beats file
    assert s.log_level == "ERROR"  # override beats file
    assert s.fetch_allow_networks == ("127.0.0.0/8", "::1/128")


def test_bad_values_are_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NEWSWIRE_FETCH_ALLOW_NETWORKS", "not-a-network")
    monkeypatch.setenv("NEWSWIRE_TOPIC_PARTITIONS", "0")
    with pytest.raises(ValidationError) as info:
        Settings()
    fields = {e["loc"][0] for e in info.value.errors()}
    assert fields == {"fetch_allow_networks", "topic_partitions"}


def test_a_bootstrap_without_a_port_number_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NEWSWIRE_KAFKA_BOOTSTRAP", "127.0.0.1:9092,127.0.0.1:notaport")
    with pytest.raises(ValidationError) as info:
        Settings()
    [error] = info.value.errors()
    assert error["loc"] == ("kafka_bootstrap",)
    assert "'127.0.0.1:notaport' is not host:port" in error["msg"]


def test_config_file_must_be_toml_with_known_keys(tmp_path: Path) -> None:
    broken = tmp_path / "broken.toml"
    broken.write_text('kafka_bootstrap = "127.0.0.1:9092\n')
    with pytest.raises(ConfigError, match=r"broken\.toml is not valid TOML: Illegal character"):
        load_settings(broken)
    typo = tmp_path / "typo.toml"
    typo.write_text('kafka_bootstrapp = "127.0.0.1:9092"\ntopic_prefix = "x"\nnonsense = 1\n')
    with pytest.raises(ConfigError) as info:
        load_settings(typo)
    assert str(info.value) == (
        f"config file {typo}: unknown settings: "
        "kafka_bootstrapp (did you mean kafka_bootstrap?), nonsense"
    )


def test_missing_config_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        load_settings(tmp_path / "nope.toml")


def test_topic_names_follow_the_prefix() -> None:
    t = Topics("acme")
    assert (t.feeds, t.feed_state, t.raw, t.unique, t.enriched) == (
        "acme.feeds",
        "acme.feed-state",
        "acme.items.raw",
        "acme.items.unique",
        "acme.items.enriched",
    )
    assert Topics.dlq(t.raw) == "acme.items.raw.dlq"
    assert t.group("dedup") == "acme.dedup"
