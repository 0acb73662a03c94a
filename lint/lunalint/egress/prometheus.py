"""Prometheus exposition of EgressMetrics (needs the ``metrics`` extra, prometheus_client)."""

from __future__ import annotations

from collections.abc import Iterator

try:
    from prometheus_client.metrics_core import (
        CounterMetricFamily,
        GaugeMetricFamily,
        HistogramMetricFamily,
        Metric,
    )
    from prometheus_client.registry import CollectorRegistry
except ModuleNotFoundError as error:  # pragma: no cover - exercised by a test without the extra
    raise ModuleNotFoundError(
        "lunalint.egress.prometheus needs prometheus_client: pip install 'lunalint[metrics]'",
        name=error.name) from error

from .failures import FAILURE_REASONS
from .metrics import EgressMetrics

__all__ = ["EgressCollector", "register_prometheus"]


class EgressCollector:
    """Reads an `EgressMetrics` snapshot at every scrape; nothing is counted twice."""

    def __init__(self, metrics: EgressMetrics) -> None:
        self._metrics = metrics

    def collect(self) -> Iterator[Metric]:
        s = self._metrics.snapshot()
        counters = (
            ("http_connections_created", "TCP connections opened by the pool.", s.connections_created),
            ("http_connections_reused", "Requests sent on an already open pooled connection.", s.connections_reused),
            ("http_requests", "Requests made through the client.", s.requests_total),
            ("http_requests_timeout", "Requests that ended in a timeout or their deadline.", s.requests_timeout),
            ("http_request_retries", "Extra attempts after a connect error or a connection lost before the response.", s.requests_retried),
        )  # fmt: skip
        for name, documentation, value in counters:
            yield CounterMetricFamily(name, documentation, value=value)
        failures = CounterMetricFamily(
            "http_request_failures",
            "Requests that failed, before or during the response body, by reason.",
            labels=["reason"],
        )
        for reason in FAILURE_REASONS:  # every reason, so that rate() sees each series from 0
            failures.add_metric([reason], s.failures.get(reason, 0))
        yield failures
        buckets = [(repr(float(bound)), float(count)) for bound, count in s.duration_buckets]
        buckets.append(("+Inf", float(s.duration_count)))
        yield HistogramMetricFamily(
            "http_request_duration_seconds",
            "Time from the call until the response body was closed, retries included.",
            buckets=buckets,
            sum_value=s.duration_sum,
        )
        yield GaugeMetricFamily("http_connection_pool_idle", "Idle pooled connections.", value=s.pool_idle)
        yield GaugeMetricFamily(
            "http_connection_pool_active", "Pooled connections carrying a request.", value=s.pool_active
        )
        yield GaugeMetricFamily(
            "http_connection_pool_max", "Most connections the pools may open, summed.", value=s.pool_max
        )


def register_prometheus(metrics: EgressMetrics, registry: CollectorRegistry) -> EgressCollector:
    """Expose ``metrics`` on ``registry`` (``prometheus_client.REGISTRY`` for the global one)."""
    collector = EgressCollector(metrics)
    registry.register(collector)
    return collector
