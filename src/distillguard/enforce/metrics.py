"""The gateway's Prometheus metrics, on a registry of its own (one per app, so tests and several apps in one
process never collide). Served at ``GET /metrics`` in the text exposition format."""

from __future__ import annotations

from typing import Final

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

#: Decision time is microseconds; the buckets resolve that and still catch a slow state store.
DECISION_BUCKETS: Final = (1e-5, 2.5e-5, 5e-5, 1e-4, 2.5e-4, 5e-4, 1e-3, 2.5e-3, 5e-3, 0.01, 0.025, 0.1)
UPSTREAM_BUCKETS: Final = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0)


class GatewayMetrics:
    """Every metric the gateway exports. Names start with ``distillguard_``."""

    content_type: Final = CONTENT_TYPE_LATEST

    def __init__(self) -> None:
        r = self.registry = CollectorRegistry()
        self.requests = Counter("distillguard_requests", "Requests by endpoint and decided action "
                                "(passthrough: not a decided endpoint; rejected: refused before a decision).",
                                ["endpoint", "action", "shadow"], registry=r)
        self.decision_seconds = Histogram("distillguard_decision_seconds", "Time to decide one request.",
                                          buckets=DECISION_BUCKETS, registry=r)
        self.upstream_seconds = Histogram("distillguard_upstream_seconds", "Upstream time to response headers "
                                          "(streams) or to the full body.", ["endpoint"],
                                          buckets=UPSTREAM_BUCKETS, registry=r)
        self.upstream_errors = Counter("distillguard_upstream_errors", "Upstream failures by kind "
                                       "(timeout, connect, protocol).", ["kind"], registry=r)
        self.refresh_failures = Counter("distillguard_refresh_failures", "Background refreshes of the "
                                        "decision window that failed (decisions keep the last good scores).",
                                        registry=r)
        self.refreshes = Counter("distillguard_refreshes", "Re-scorings of the decision window.", registry=r)
        self.bypasses = Counter("distillguard_bypasses", "Requests let through without the full decision "
                                "(allowlist, fail_open).", ["reason"], registry=r)
        self.log_lines = Counter("distillguard_traffic_log_lines", "Lines appended to the traffic log.",
                                 registry=r)
        self.log_errors = Counter("distillguard_traffic_log_errors", "Traffic log writes that failed.",
                                  registry=r)
        self.record_errors = Counter("distillguard_record_errors", "Finished requests the decision window "
                                     "could not take (logged all the same).", registry=r)
        self.window_events = Gauge("distillguard_window_events", "Requests in the decision window at the last "
                                   "re-scoring.", registry=r)

    def exposition(self) -> bytes:
        return generate_latest(self.registry)


__all__ = ["GatewayMetrics"]
