"""The four health metrics of the egress client, judged against the seed guide's thresholds.

Healthy and unhealthy levels (LunaRoute's connection pool guide, "Production Monitoring"):
connection reuse 80-95 % healthy, below 50 % unhealthy; timeouts below 0.1 % healthy, above
1 % unhealthy; p99 request duration below 5 s healthy, above 30 s unhealthy; pool size stable
within its limits healthy, constantly at its maximum unhealthy. The Prometheus rules
(``prometheus_rules.yml``) alert on the same unhealthy levels.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

__all__ = [
    "METRIC_NAMES",
    "P99",
    "REUSE",
    "STATUSES",
    "TIMEOUTS",
    "Check",
    "Threshold",
    "Totals",
    "histogram_quantile",
    "judge_totals",
]

#: Sample names the egress client's Prometheus exposition uses (lunalint.egress.prometheus).
METRIC_NAMES = {
    "created": "http_connections_created_total",
    "reused": "http_connections_reused_total",
    "requests": "http_requests_total",
    "timeouts": "http_requests_timeout_total",
    "duration_bucket": "http_request_duration_seconds_bucket",
    "pool_idle": "http_connection_pool_idle",
    "pool_active": "http_connection_pool_active",
    "pool_max": "http_connection_pool_max",
}

STATUSES = ("healthy", "watch", "unhealthy", "no data")


@dataclass(frozen=True)
class Threshold:
    """A healthy and an unhealthy level; between them the metric is worth watching."""

    healthy: float
    unhealthy: float
    higher_is_better: bool

    def status(self, value: float) -> str:
        if self.higher_is_better:
            return "healthy" if value >= self.healthy else "unhealthy" if value < self.unhealthy else "watch"
        return "healthy" if value < self.healthy else "unhealthy" if value > self.unhealthy else "watch"


REUSE = Threshold(healthy=0.80, unhealthy=0.50, higher_is_better=True)
TIMEOUTS = Threshold(healthy=0.001, unhealthy=0.01, higher_is_better=False)
P99 = Threshold(healthy=5.0, unhealthy=30.0, higher_is_better=False)

_LOOK_AT = {
    "connection_reuse": (
        "stale pool: pooled connections die before they are reused, or every request builds its "
        "own client. Measure the upstream's idle close with `lunalint probe URL` and keep "
        "pool_idle_timeout below it; share one client; `lunalint explain LL102`."
    ),
    "timeout_rate": (
        "stuck requests: a request on a connection a NAT or load balancer dropped silently waits "
        "for the full read timeout. Keep TCP keepalive on with a short idle time "
        "(`lunalint explain LL201`) and the pool idle expiry below the upstream's idle close "
        "(`lunalint probe URL`); the lunalint.egress debug log names each timeout."
    ),
    "request_duration_p99": (
        "stuck requests: find what the slow ones wait for. Stale connections hang until the read "
        "timeout, a stuck upstream until the deadline (`lunalint explain LL301`); long streams "
        "count too, so compare with the streams you expect."
    ),
    "pool_size": (
        "pool exhaustion: every connection is busy and further requests wait for one. Check for "
        "stuck requests (p99 duration, timeouts) before raising pool_max_connections."
    ),
}


@dataclass(frozen=True)
class Totals:
    """What the exposition says: counters (or their change over an interval) and pool samples."""

    created: float | None
    reused: float | None
    requests: float | None
    timeouts: float | None
    buckets: tuple[tuple[float, float], ...]  # (upper bound, cumulative count), +Inf included
    pool_sizes: tuple[float, ...]  # idle + active, one per read
    pool_max: float | None


@dataclass(frozen=True)
class Check:
    """One health metric: its value, its status and, when not healthy, what to look at."""

    metric: str
    value: float | None
    status: str
    summary: str
    look_at: str = ""


def histogram_quantile(q: float, buckets: tuple[tuple[float, float], ...]) -> float | None:
    """Prometheus's ``histogram_quantile``: linear inside the bucket, the largest finite bound
    when the rank falls in ``+Inf``, ``None`` without observations."""
    ordered = sorted(buckets)
    if not ordered or not math.isinf(ordered[-1][0]) or ordered[-1][1] <= 0:
        return None
    rank = q * ordered[-1][1]
    lower_bound, lower_count = 0.0, 0.0
    for bound, count in ordered:
        if count >= rank:
            if math.isinf(bound):
                return lower_bound
            if count == lower_count:
                return bound
            return lower_bound + (bound - lower_bound) * (rank - lower_count) / (count - lower_count)
        lower_bound, lower_count = bound, count
    return lower_bound


def judge_totals(totals: Totals) -> list[Check]:
    """The four checks, in the guide's order."""
    return [_reuse(totals), _timeouts(totals), _p99(totals), _pool(totals)]


def _reuse(t: Totals) -> Check:
    attempts = (t.reused or 0.0) + (t.created or 0.0)
    if t.reused is None or t.created is None or attempts <= 0:
        return Check("connection_reuse", None, "no data", "no request attempts counted")
    value = t.reused / attempts
    status = REUSE.status(value)
    return Check("connection_reuse", value, status,
                 f"{value:.1%} of {attempts:g} request attempts reused a pooled connection "
                 "(healthy 80-95 %, unhealthy below 50 %)", _look("connection_reuse", status))


def _timeouts(t: Totals) -> Check:
    if t.requests is None or t.timeouts is None or t.requests <= 0:
        return Check("timeout_rate", None, "no data", "no requests counted")
    value = t.timeouts / t.requests
    status = TIMEOUTS.status(value)
    return Check("timeout_rate", value, status,
                 f"{t.timeouts:g} of {t.requests:g} requests timed out, {value:.2%} "
                 "(healthy below 0.1 %, unhealthy above 1 %)", _look("timeout_rate", status))


def _p99(t: Totals) -> Check:
    value = histogram_quantile(0.99, t.buckets)
    if value is None:
        return Check("request_duration_p99", None, "no data", "no request durations counted")
    status = P99.status(value)
    return Check("request_duration_p99", value, status,
                 f"p99 request duration {value:.3g} s (healthy below 5 s, unhealthy above 30 s)",
                 _look("request_duration_p99", status))


def _pool(t: Totals) -> Check:
    if not t.pool_sizes:
        return Check("pool_size", None, "no data", "no pool gauges")
    size = t.pool_sizes[-1]
    if not t.pool_max:
        return Check("pool_size", size, "no data",
                     f"{size:g} pooled connections; the exposition has no pool maximum to compare with")
    at_max = [sample >= t.pool_max for sample in t.pool_sizes]
    reads = "every read" if len(at_max) > 1 else "the read"
    if all(at_max):
        return Check("pool_size", size, "unhealthy",
                     f"{size:g} pooled connections, at the maximum of {t.pool_max:g} in {reads}",
                     _LOOK_AT["pool_size"])
    status = "watch" if any(at_max) else "healthy"
    return Check("pool_size", size, status,
                 f"{size:g} pooled connections of at most {t.pool_max:g}"
                 + (" (at the maximum in some reads)" if status == "watch" else ""), _look("pool_size", status))


def _look(metric: str, status: str) -> str:
    return _LOOK_AT[metric] if status in ("unhealthy", "watch") else ""
