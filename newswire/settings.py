"""Typed settings, validated once at start-up and then passed in.

Precedence: defaults < config file (TOML, ``NEWSWIRE_CONFIG`` or ``./newswire.toml``) <
environment variables (``NEWSWIRE_*``) < explicit overrides from the CLI. Nothing deeper in
the code reads ``os.environ``.
"""

from __future__ import annotations

import ipaddress
import os
from contextvars import ContextVar
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field, field_validator
from pydantic_settings import (
    BaseSettings,
    NoDecode,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from newswire.errors import ConfigError

# The config file named on the command line (``--config``), if any; see load_settings.
_config_file: ContextVar[Path | None] = ContextVar("newswire_config_file", default=None)


class Settings(BaseSettings):
    """Every setting newswire reads; see README.md for the table."""

    model_config = SettingsConfigDict(env_prefix="NEWSWIRE_", extra="ignore", frozen=True)

    # Kafka
    kafka_bootstrap: str = "127.0.0.1:9092"
    topic_prefix: str = "newswire"
    topic_partitions: int = Field(default=3, ge=1)
    topic_replication_factor: int = Field(default=1, ge=1)
    kafka_timeout_s: float = Field(default=30.0, gt=0)
    producer_linger_ms: int = Field(default=20, ge=0)
    producer_compression: Literal["zstd", "lz4", "gzip", "none"] = "zstd"
    consumer_max_batch: int = Field(default=500, ge=1)
    drain_timeout_s: float = Field(default=30.0, gt=0)

    # State
    data_dir: Path = Path(".local/data")
    store_url: str = "sqlite:///.local/data/newswire.db"

    # Fetching
    fetch_allow_networks: Annotated[tuple[str, ...], NoDecode] = ()
    fetch_timeout_s: float = Field(default=30.0, gt=0)
    fetch_max_bytes: int = Field(default=10 * 1024 * 1024, gt=0)
    fetch_concurrency: int = Field(default=8, ge=1)
    user_agent: str = "newswire/0.1 (+https://github.com/newswire/newswire)"
    poll_interval_s: float = Field(default=900.0, gt=0)

    # Service
    health_host: str = "127.0.0.1"
    health_port: int = Field(default=9400, ge=0, le=65535)
    log_format: Literal["console", "json"] = "console"
    log_level: str = "INFO"

    # Area blocks: each area adds its settings under its own marker (keep the markers).
    # -- producers: scheduling, politeness, feeds (issue 3) --
    # -- parsing (issue 3) --
    # -- dedup (issue 4) --
    # -- enrichment (issue 5) --
    # -- storage and read API (issue 6) --
    # -- observability (issue 7) --
    # -- operator tools (issue 11) --

    @field_validator("fetch_allow_networks", mode="before")
    @classmethod
    def _split_networks(cls, value: Any) -> Any:
        if isinstance(value, str):
            return tuple(part.strip() for part in value.split(",") if part.strip())
        return value

    @field_validator("fetch_allow_networks")
    @classmethod
    def _valid_networks(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for net in value:
            ipaddress.ip_network(net, strict=False)  # raises ValueError with the culprit
        return value

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # The config file is the one documented place that reads the environment outside
        # the env source: its path has to be known before the sources are built.
        config = _config_file.get() or Path(os.environ.get("NEWSWIRE_CONFIG", "newswire.toml"))
        toml = TomlConfigSettingsSource(settings_cls, toml_file=config)
        return (init_settings, env_settings, toml)


def load_settings(config_file: Path | None = None, **overrides: Any) -> Settings:
    """Settings from defaults, the config file, the environment and ``overrides``.

    Raises pydantic's ValidationError (with every bad field named) or ConfigError when the
    named config file does not exist.
    """
    if config_file is not None and not config_file.is_file():
        raise ConfigError(f"config file {config_file} does not exist")
    token = _config_file.set(config_file)
    try:
        return Settings(**overrides)
    finally:
        _config_file.reset(token)


class Topics:
    """Topic names derived from the one prefix setting."""

    def __init__(self, prefix: str) -> None:
        self.prefix = prefix
        self.feeds = f"{prefix}.feeds"
        self.feed_state = f"{prefix}.feed-state"
        self.raw = f"{prefix}.items.raw"
        self.unique = f"{prefix}.items.unique"
        self.enriched = f"{prefix}.items.enriched"

    @staticmethod
    def dlq(topic: str) -> str:
        return f"{topic}.dlq"

    def group(self, stage: str) -> str:
        """The consumer group of a stage: replicas of a stage share it."""
        return f"{self.prefix}.{stage}"
