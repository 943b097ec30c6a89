"""Typed settings, validated once at start-up and then passed in.

Precedence: defaults < config file (TOML, ``NEWSWIRE_CONFIG`` or ``./newswire.toml``) <
environment variables (``NEWSWIRE_*``) < explicit overrides from the CLI. Nothing deeper in
the code reads ``os.environ``.
"""

from __future__ import annotations

import difflib
import ipaddress
import os
import tomllib
from contextvars import ContextVar
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field, field_validator, model_validator
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


def default_data_dir() -> Path:
    """The data directory when ``NEWSWIRE_DATA_DIR`` is not set: ``$XDG_DATA_HOME/newswire``,
    else ``~/.local/share/newswire`` (the XDG Base Directory default). Absolute, so no
    command depends on the directory it runs in. Raises ConfigError when there
    is no home directory to put it in."""
    xdg = os.environ.get("XDG_DATA_HOME", "")
    if xdg and Path(xdg).is_absolute():  # the spec: a relative value is invalid, ignore it
        return Path(xdg) / "newswire"
    try:
        home = Path.home()
    except RuntimeError as exc:
        raise ConfigError("no home directory for the data: set NEWSWIRE_DATA_DIR") from exc
    return home / ".local" / "share" / "newswire"


class Settings(BaseSettings):
    """Every setting newswire reads; see README.md for the table."""

    model_config = SettingsConfigDict(env_prefix="NEWSWIRE_", extra="ignore", frozen=True)

    # Kafka
    kafka_bootstrap: str = "127.0.0.1:9092"
    topic_prefix: str = "newswire"
    topic_partitions: int = Field(default=3, ge=1)
    topic_replication_factor: int = Field(default=1, ge=1)
    kafka_timeout_s: float = Field(default=30.0, gt=0)
    # How often a service asks the cluster for its metadata: /readyz fails ("kafka") after
    # the first unanswered probe and recovers on the first answer (newswire.kafka.watch).
    kafka_probe_interval_s: float = Field(default=5.0, gt=0)
    producer_linger_ms: int = Field(default=20, ge=0)
    producer_compression: Literal["zstd", "lz4", "gzip", "none"] = "zstd"
    consumer_max_batch: int = Field(default=500, ge=1)
    consumer_max_poll_interval_s: float = Field(default=300.0, gt=0)  # Kafka max.poll.interval.ms
    drain_timeout_s: float = Field(default=30.0, gt=0)

    # State. Defaults: default_data_dir(), and the store in it (_default_store below).
    data_dir: Path = Field(default_factory=default_data_dir)
    store_url: str = ""

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
    # -- producers: scheduling, politeness, feeds --
    # Next poll = max(base or adaptive interval, <ttl>, sy:update*, max-age, Expires,
    # Retry-After), clamped to [min, max]; errors back off exponentially up to error_max.
    poll_min_interval_s: float = Field(default=300.0, gt=0)
    poll_max_interval_s: float = Field(default=86400.0, gt=0)
    poll_error_max_interval_s: float = Field(default=6 * 3600.0, gt=0)
    poll_jitter: float = Field(default=0.1, ge=0, le=0.5)  # +-fraction of each interval
    poll_first_spread_s: float = Field(default=60.0, ge=0)  # first polls spread over this
    poll_adaptive: bool = True  # follow how often a feed really posts
    per_host_concurrency: int = Field(default=2, ge=1)  # feed polls at once per host
    per_host_requests_per_minute: float = Field(default=30.0, gt=0)  # per-host budget
    per_host_burst: int = Field(default=10, ge=1)  # requests a host may get back to back
    host_refusal_threshold: int = Field(default=3, ge=1)  # refused feeds before a host hold
    contact_url: str = ""  # http(s) or mailto: URL put in the User-Agent, e.g. your ops page

    @model_validator(mode="before")
    @classmethod
    def _default_store(cls, values: Any) -> Any:
        """No store_url given: ``sqlite:///<data_dir>/newswire.db``."""
        if isinstance(values, dict) and not values.get("store_url"):
            data_dir = values.get("data_dir")
            if not isinstance(data_dir, str | Path):
                data_dir = default_data_dir()
            path = Path(data_dir).expanduser() / "newswire.db"
            values = {**values, "store_url": f"sqlite:///{path}"}
        return values

    @field_validator("data_dir")
    @classmethod
    def _expand_home(cls, value: Path) -> Path:
        return value.expanduser()  # "~/news" from a config file, where no shell expands it

    @field_validator("contact_url")
    @classmethod
    def _contact_url(cls, value: str) -> str:
        if value and not value.lower().startswith(("http://", "https://", "mailto:")):
            raise ValueError("must be an http(s) or mailto: URL")
        return value

    @model_validator(mode="after")
    def _poll_bounds(self) -> Settings:
        if self.poll_min_interval_s > self.poll_max_interval_s:
            raise ValueError("poll_min_interval_s must not exceed poll_max_interval_s")
        return self

    # -- parsing --
    parse_timeout_s: float = Field(default=10.0, gt=0)  # bound on one feed's parse
    # -- dedup --
    # "" = sqlite:///<data_dir>/seen-<group>.db (one file per instance); redis://host:port/db
    # for a store shared by replicas.
    dedup_store_url: str = ""
    dedup_retention_days: float = Field(default=30.0, gt=0)  # since last sighting
    dedup_story_window_hours: float = Field(default=72.0, gt=0)  # stories join within this
    dedup_story_threshold: float = Field(default=0.6, gt=0, le=1)  # MinHash Jaccard estimate
    # -- enrichment --
    enrich_fulltext: bool = True  # fetch the article page when a feed carries only a teaser
    enrich_fulltext_min_words: int = Field(default=150, ge=0)  # feed text below this: teaser
    # Feed ids (16 hex) or hosts (a host also matches its subdomains); allow non-empty =
    # only those feeds/hosts get full text; deny always wins.
    enrich_fulltext_allow: Annotated[tuple[str, ...], NoDecode] = ()
    enrich_fulltext_deny: Annotated[tuple[str, ...], NoDecode] = ()
    enrich_fetch_per_host: int = Field(default=2, ge=1)  # article fetches at once per host
    enrich_fetch_concurrency: int = Field(default=16, ge=1)  # article fetches at once in all
    enrich_page_cache_ttl_s: float = Field(default=7 * 86400.0, gt=0)

    @field_validator("enrich_fulltext_allow", "enrich_fulltext_deny", mode="before")
    @classmethod
    def _split_enrich_lists(cls, value: Any) -> Any:
        if isinstance(value, str):
            return tuple(part.strip().lower() for part in value.split(",") if part.strip())
        return value

    # -- storage and read API --
    store_batch_max: int = Field(default=500, ge=1)  # items per database transaction
    store_health_interval_s: float = Field(default=5.0, gt=0)  # database probe for /readyz
    retention_days: float = Field(default=0.0, ge=0)  # delete items older than this; 0: keep all
    retention_interval_s: float = Field(default=3600.0, gt=0)  # between retention sweeps
    retention_batch: int = Field(default=1000, ge=1)  # rows deleted per transaction
    api_host: str = "127.0.0.1"
    api_port: int = Field(default=8080, ge=0, le=65535)
    api_page_max: int = Field(default=100, ge=1)  # largest /items page a client may ask for
    # -- observability --
    # -- operator tools --
    # `newswire status` probes these /readyz URLs (comma-separated); empty = this machine's
    # own health port, http://<health_host>:<health_port>/readyz (none when the port is 0).
    status_health_urls: Annotated[tuple[str, ...], NoDecode] = ()
    # -- scale-out --
    # Producer replicas form the consumer group <prefix>.producer on the registry; a dead
    # replica's feeds move after this session timeout (Kafka session.timeout.ms).
    producer_session_timeout_s: float = Field(default=10.0, gt=0)
    producer_heartbeat_s: float = Field(default=3.0, gt=0)  # below a third of the above
    # redis://host:port/db: the per-host request budget shared by producer replicas;
    # "" = in-process (one replica).
    politeness_redis_url: str = ""
    # min.insync.replicas of newswire's topics when topic_replication_factor > 1 (capped
    # at the replication factor).
    topic_min_insync_replicas: int = Field(default=2, ge=1)

    @field_validator("status_health_urls", mode="before")
    @classmethod
    def _split_health_urls(cls, value: Any) -> Any:
        if isinstance(value, str):
            return tuple(part.strip() for part in value.split(",") if part.strip())
        return value

    @field_validator("status_health_urls")
    @classmethod
    def _http_health_urls(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for url in value:
            if not url.lower().startswith(("http://", "https://")):
                raise ValueError(f"{url!r} is not an http(s) URL")
        return value

    # -- delivery policies (DESIGN.md, "Delivery semantics") --
    # The defaults are the guarantees. Every other value breaks them on purpose and exists
    # for the reliability harness's control runs, which must catch the loss that follows;
    # never set one in a deployment.
    # When a consumer commits a batch's offsets: after its results are published; before it
    # is processed; or by aiokafka's auto-commit every 100 ms.
    commit_policy: Literal["after_publish", "before_process", "auto"] = "after_publish"
    # The producer's acknowledgement: "all" with idempotence, or "1" without.
    producer_acks: Literal["all", "1"] = "all"
    # When the producer saves a feed's state (validators, body hash): after Kafka
    # acknowledged the feed's items, or before (a crash in between loses them: the next
    # poll sees 304 / the same hash).
    feed_state_policy: Literal["after_publish", "before_publish"] = "after_publish"

    @field_validator("fetch_allow_networks", mode="before")
    @classmethod
    def _split_networks(cls, value: Any) -> Any:
        if isinstance(value, str):
            return tuple(part.strip() for part in value.split(",") if part.strip())
        return value

    @field_validator("kafka_bootstrap")
    @classmethod
    def _host_ports(cls, value: str) -> str:
        for server in value.split(","):
            host, sep, port = server.strip().rpartition(":")
            if not (sep and host and port.isdigit() and 0 < int(port) < 65536):
                raise ValueError(f"{server.strip()!r} is not host:port (e.g. 127.0.0.1:9092)")
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
    _check_config_file(config_file or Path(os.environ.get("NEWSWIRE_CONFIG", "newswire.toml")))
    token = _config_file.set(config_file)
    try:
        return Settings(**overrides)
    finally:
        _config_file.reset(token)


def _check_config_file(path: Path) -> None:
    """A config file that exists must be valid TOML naming known settings only: a misspelt
    key would otherwise be ignored without a word. Raises :class:`ConfigError`."""
    if not path.is_file():
        return
    try:
        keys = tomllib.loads(path.read_text(encoding="utf-8")).keys()
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"config file {path} is not valid TOML: {exc}") from exc
    unknown = sorted(set(keys) - set(Settings.model_fields))
    if unknown:
        hints = []
        for key in unknown:
            close = difflib.get_close_matches(key, Settings.model_fields, n=1)
            hints.append(f"{key} (did you mean {close[0]}?)" if close else key)
        raise ConfigError(f"config file {path}: unknown settings: {', '.join(hints)}")


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
