"""The metrics contract (DESIGN.md, Observability): names start with ``newswire_``, carry
unit suffixes and only bounded labels (stage, outcome, reason, topic, partition; never a
feed URL or an item id). Built on an injected registry, never the global one.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

_LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60)
_FRESHNESS_BUCKETS = (0.1, 0.5, 1, 5, 15, 60, 300, 900, 3600, 4 * 3600, 86400, 7 * 86400)
_SIZE_BUCKETS = (1, 5, 10, 25, 50, 100, 250, 500, 1000)


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
        # -- producers (issue 3) --
        # -- dedup (issue 4) --
        # -- enrichment (issue 5) --
        # -- storage (issue 6) --
        # -- observability (issue 7) --
        self.up = Gauge(
            "newswire_service_ready",
            "1 when the service reports ready.",
            ["service"],
            registry=r,
        )
