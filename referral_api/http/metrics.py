"""The app's Prometheus metrics: the middleware counts requests, routes count answers."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from referral_api.service.recording import BufferState


class Metrics:
    """The app's Prometheus metrics, in a registry of its own (one per app instance)."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "referral_http_requests",
            "HTTP requests by route template, method and status.",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "referral_http_request_duration_seconds",
            "HTTP request latency by route template and method.",
            ["method", "route"],
            registry=self.registry,
        )
        self.recommendations = Counter(
            "referral_recommendations",
            "Recommendations made, by the relationship of the winning offering (none: no fit).",
            ["winner_relationship"],
            registry=self.registry,
        )
        self.records_buffered = Gauge(
            "referral_records_buffered",
            "Recommendation records waiting in memory for the database to answer.",
            registry=self.registry,
        )
        self.records_dropped = Gauge(
            "referral_records_dropped",
            "Records dropped because the buffer was full while the database did not answer.",
            registry=self.registry,
        )
        self.database_up = Gauge(
            "referral_database_up",
            "1 when the database answered the last write, 0 when it did not.",
            registry=self.registry,
        )
        self.database_up.set(1)

    def record_buffer(self, state: BufferState) -> None:
        self.records_buffered.set(state.buffered)
        self.records_dropped.set(state.dropped)
        self.database_up.set(1 if state.database_ok else 0)
