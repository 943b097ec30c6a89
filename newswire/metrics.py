"""The metrics contract (DESIGN.md, Observability): names start with ``newswire_``, carry
unit suffixes and only bounded labels (stage, outcome, reason, topic, partition; never a
feed URL or an item id). Built on an injected registry, never the global one.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from newswire.fetch.errors import FETCH_ERROR_OUTCOMES

if TYPE_CHECKING:
    from newswire.settings import Topics

_LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60)
_FRESHNESS_BUCKETS = (0.1, 0.5, 1, 5, 15, 60, 300, 900, 3600, 4 * 3600, 86400, 7 * 86400)
_SIZE_BUCKETS = (1, 5, 10, 25, 50, 100, 250, 500, 1000)

# Label values the code defines itself, created at 0 when a service starts: a
# labelled series that only appears with its first event shows "No data" on a healthy
# pipeline's dashboard and keeps rate() alerts such as NewswireNoFetches from evaluating.
# The producer's poll outcomes (newswire_producers.poller): the feed answered (ok, 304,
# the same bytes), a fetch error of newswire.fetch.errors, a body that did not parse, or a
# crash of the poll itself.
ANSWERED_OUTCOMES = ("ok", "not_modified", "unchanged")
POLL_OUTCOMES = (*ANSWERED_OUTCOMES, *FETCH_ERROR_OUTCOMES, "parse_error", "internal_error")
# newswire_feeds{state}: the health states the producer's scheduler counts feeds in.
FEED_STATES = ("new", "ok", "failing", "paused", "disabled")
# The consumer runner's own dead-letter reason (newswire.kafka.runner); the other reasons
# are the snake-case class names of what a stage raised, which appear with their first use.
RUNNER_DLQ_REASONS = ("undecodable",)


class Metrics:
    """Every newswire metric, registered on ``registry``."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry if registry is not None else CollectorRegistry()
        r = self.registry
        # producer
        self.fetches = Counter(
            "newswire_fetches_total", "Feed fetches by outcome.", ["outcome"], registry=r
        )
        self.fetch_bytes = Counter(
            "newswire_fetch_bytes_total", "Body bytes fetched from feeds.", registry=r
        )
        self.fetch_seconds = Histogram(
            "newswire_fetch_duration_seconds",
            "Whole-fetch duration, redirects and body included.",
            buckets=_LATENCY_BUCKETS,
            registry=r,
        )
        self.parse_errors = Counter(
            "newswire_parse_errors_total",
            "Feeds that did not parse, by reason.",
            ["reason"],
            registry=r,
        )
        self.items_published = Counter(
            "newswire_items_published_total", "Items published to the raw topic.", registry=r
        )
        self.items_per_fetch = Histogram(
            "newswire_items_per_fetch",
            "Items found per successful fetch.",
            buckets=_SIZE_BUCKETS,
            registry=r,
        )
        # consumer runner (every stage)
        self.records_consumed = Counter(
            "newswire_records_consumed_total", "Records read by a stage.", ["stage"], registry=r
        )
        self.stage_records = Counter(
            "newswire_stage_records_total",
            "Records a stage finished, by outcome (dedup: created, updated, alias, duplicate).",
            ["stage", "outcome"],
            registry=r,
        )
        self.dlq_records = Counter(
            "newswire_dlq_records_total",
            "Records sent to a dead-letter topic, by reason.",
            ["stage", "reason"],
            registry=r,
        )
        self.batch_seconds = Histogram(
            "newswire_stage_batch_duration_seconds",
            "Time to process, publish and commit one batch.",
            ["stage"],
            buckets=_LATENCY_BUCKETS,
            registry=r,
        )
        self.batch_size = Histogram(
            "newswire_stage_batch_size",
            "Records per processed batch.",
            ["stage"],
            buckets=_SIZE_BUCKETS,
            registry=r,
        )
        self.retries = Counter(
            "newswire_stage_retries_total",
            "Transient failures retried, by stage.",
            ["stage"],
            registry=r,
        )
        self.consumer_lag = Gauge(
            "newswire_consumer_lag_records",
            "Records behind the partition's high watermark.",
            ["stage", "topic", "partition"],
            registry=r,
        )
        self.events_published = Counter(
            "newswire_events_published_total",
            "Events acknowledged by Kafka, by topic.",
            ["topic"],
            registry=r,
        )
        self.freshness = Histogram(
            "newswire_freshness_seconds",
            "End-to-end freshness: published->fetched and fetched->stage done.",
            ["span"],
            buckets=_FRESHNESS_BUCKETS,
            registry=r,
        )
        # Area blocks: each area adds its metrics under its own marker (keep the markers).
        # -- producers --
        self.next_polls = Counter(
            "newswire_next_polls_total",
            "Next-poll times set, by the reason that decided them (base, adaptive, ttl, "
            "sy_update, max_age, expires, retry_after, backoff, skip_hours, ...).",
            ["reason"],
            registry=r,
        )
        self.host_deferrals = Counter(
            "newswire_host_deferrals_total",
            "Due polls held back by per-host politeness (host_budget, host_retry_after).",
            ["reason"],
            registry=r,
        )
        self.feed_changes = Counter(
            "newswire_feed_changes_total",
            "Registry changes the producer made itself (moved: 301/308, disabled: 410).",
            ["change"],
            registry=r,
        )
        self.parse_seconds = Histogram(
            "newswire_parse_duration_seconds",
            "Parse and normalize time of one fetched feed body.",
            buckets=_LATENCY_BUCKETS,
            registry=r,
        )
        # -- dedup --
        self.dedup_clusters_formed = Counter(
            "newswire_dedup_clusters_formed_total",
            "Stories that became clusters: a second item joined them.",
            registry=r,
        )
        self.dedup_store_seconds = Histogram(
            "newswire_dedup_seen_store_duration_seconds",
            "Seen-store latency: one batch read, decided and written.",
            ["backend"],
            buckets=_LATENCY_BUCKETS,
            registry=r,
        )
        self.dedup_state_keys = Gauge(
            "newswire_dedup_state_keys", "Records in the seen-store.", ["backend"], registry=r
        )
        self.dedup_state_bytes = Gauge(
            "newswire_dedup_state_bytes",
            "Approximate size of the seen-store's records.",
            ["backend"],
            registry=r,
        )
        self.dedup_state_bytes_per_key = Gauge(
            "newswire_dedup_state_bytes_per_key",
            "Average bytes per seen-store record.",
            ["backend"],
            registry=r,
        )
        # -- enrichment --
        self.enrich_step_seconds = Histogram(
            "newswire_enrich_step_duration_seconds",
            "Duration of one enrichment step on one item.",
            ["step"],
            buckets=(1e-5, 5e-5, 1e-4, 2.5e-4, 5e-4, 1e-3, 5e-3, 0.01, 0.05, 0.25, 1),
            registry=r,
        )
        self.enrich_step_failures = Counter(
            "newswire_enrich_step_failures_total",
            "Enrichment steps that failed on an item (the item went on, flagged).",
            ["step"],
            registry=r,
        )
        self.enrich_fulltext = Counter(
            "newswire_enrich_fulltext_total",
            "Full-text attempts by outcome (fetched, cached, robots_disallowed, unreachable...).",
            ["outcome"],
            registry=r,
        )
        # -- storage --
        self.store_batch_items = Histogram(
            "newswire_store_batch_items",
            "Items per store transaction (upsert_many call).",
            ["backend"],
            buckets=_SIZE_BUCKETS,
            registry=r,
        )
        self.store_upsert_seconds = Histogram(
            "newswire_store_upsert_duration_seconds",
            "Time of one store transaction (upsert_many), committed or failed.",
            ["backend"],
            buckets=_LATENCY_BUCKETS,
            registry=r,
        )
        self.store_rows = Counter(
            "newswire_store_rows_total",
            "Items the store wrote or skipped, by outcome (inserted, updated, unchanged).",
            ["backend", "outcome"],
            registry=r,
        )
        self.store_db_up = Gauge(
            "newswire_store_database_up",
            "1 while the store's database answers, 0 while it does not.",
            ["backend"],
            registry=r,
        )
        self.store_retention_deleted = Counter(
            "newswire_store_retention_deleted_total",
            "Items deleted by retention (older than NEWSWIRE_RETENTION_DAYS).",
            ["backend"],
            registry=r,
        )
        # Set by a COUNT when the store stage opens (and again every few minutes, which takes
        # in what other replicas of a shared database wrote), then kept current from the
        # rows the stage inserts and retention deletes: replicas report the same total, so
        # the dashboard takes max(), never sum().
        self.store_items = Gauge(
            "newswire_store_items",
            "Items in the store (every replica of one database reports the same total).",
            ["backend"],
            registry=r,
        )
        # -- observability --
        self.up = Gauge(
            "newswire_service_ready",
            "1 when the service reports ready.",
            ["service"],
            registry=r,
        )
        self.dependency_up = Gauge(
            "newswire_dependency_up",
            "1 while the dependency (kafka) answers the service's probe, 0 while it does not.",
            ["dependency"],
            registry=r,
        )
        # Feed health for the dashboard and the NewswireFeedsFailing alert: the producer sets
        # it after every poll from its feed states (ok: last poll succeeded; failing: the
        # last poll failed; paused: paused in the registry). One series per state, bounded.
        self.feeds_by_state = Gauge(
            "newswire_feeds", "Registered feeds by health state.", ["state"], registry=r
        )
        # Constant 1, labelled with the running version: joins "which build" onto any query.
        self.build_info = Gauge(
            "newswire_build_info", "Always 1; the running newswire version.", ["version"],
            registry=r,
        )  # fmt: skip
        from importlib.metadata import version  # local: keeps this area's edit in its block

        self.build_info.labels(version("newswire")).set(1)

    def init_producer(self, topics: Topics) -> None:
        """Create the producer's labelled series at 0: poll outcomes, parse errors, feed
        states, its freshness span, readiness and the topics it publishes to. Idempotent;
        call when the producer service starts."""
        for outcome in POLL_OUTCOMES:
            self.fetches.labels(outcome)
        self.parse_errors.labels("feed_parse_error")  # FeedParseError.reason
        for state in FEED_STATES:
            self.feeds_by_state.labels(state)
        for change in ("moved", "disabled"):
            self.feed_changes.labels(change)
        self.freshness.labels("published_to_fetched")
        for topic in (topics.raw, topics.feed_state, topics.feeds):
            self.events_published.labels(topic)
        self.up.labels("producer")

    def init_stage(self, stage: str, outcomes: Iterable[str], publishes: Iterable[str]) -> None:
        """Create the series the consumer runner reports for ``stage`` at 0: records read,
        each of its ``outcomes``, the runner's dead-letter reasons, retries, batch
        histograms, its freshness span, readiness, and the topics it ``publishes`` to (its
        output and its DLQ). Idempotent; call when the stage opens. Consumer lag is not
        created: its partitions are known only once Kafka assigns them."""
        self.records_consumed.labels(stage)
        for outcome in outcomes:
            self.stage_records.labels(stage, outcome)
        for reason in RUNNER_DLQ_REASONS:
            self.dlq_records.labels(stage, reason)
        self.retries.labels(stage)
        self.batch_seconds.labels(stage)
        self.batch_size.labels(stage)
        self.freshness.labels(f"fetched_to_{stage}")
        for topic in publishes:
            self.events_published.labels(topic)
        self.up.labels(stage)
