"""Pool metrics counted from httpcore connection events, with a frozen snapshot."""

from __future__ import annotations

import bisect
import math
import threading
import weakref
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Protocol

__all__ = ["DURATION_BUCKETS", "EgressMetrics", "MetricsSnapshot", "PoolStateSource"]

#: Histogram bucket bounds (seconds) for request durations: short calls up to hour-long streams.
DURATION_BUCKETS: tuple[float, ...] = (
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
    30.0, 60.0, 120.0, 300.0, 600.0, 1800.0, 3600.0,
)  # fmt: skip

_RECENT_DURATIONS = 10_000


class PoolStateSource(Protocol):
    """Something that can tell how many pooled connections are idle and active right now."""

    def pool_state(self) -> tuple[int, int]:
        """Return ``(idle, active)``."""
        ...


@dataclass(frozen=True)
class MetricsSnapshot:
    """Counters and gauges at one instant.

    ``connections_created`` counts TCP connects that completed, ``connections_reused`` requests
    sent on a connection that an earlier request had used (both per attempt, so retries count).
    ``requests_total`` counts calls (each redirect or authentication hop is one),
    ``requests_timeout`` those that ended in a timeout (connect, read, write, pool wait or the
    whole-request deadline), ``requests_retried`` extra attempts. ``failures`` counts calls
    that failed, before or during the response body, by reason (`FAILURE_REASONS`).
    """

    connections_created: int
    connections_reused: int
    requests_total: int
    requests_timeout: int
    requests_retried: int
    pool_idle: int
    pool_active: int
    duration_count: int
    duration_sum: float
    duration_buckets: tuple[tuple[float, int], ...]
    duration_p50: float | None
    duration_p99: float | None
    pool_max: int = 0  # the tracked pools' connection limits, summed (0: none known)
    failures: Mapping[str, int] = field(default_factory=lambda: MappingProxyType({}))

    @property
    def reuse_rate(self) -> float:
        """Share of request attempts served by an already open connection (0 when none yet)."""
        total = self.connections_created + self.connections_reused
        return self.connections_reused / total if total else 0.0


class EgressMetrics:
    """Counts pool events for one or more clients (share one instance to sum clients).

    Thread-safe: a sync client may be used from many threads (a WSGI server's workers), and a
    response collected unclosed is recorded from whichever thread the collector runs in.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._created = 0
        self._reused = 0
        self._requests = 0
        self._timeouts = 0
        self._retries = 0
        self._failures: dict[str, int] = {}
        self._bucket_counts = [0] * len(DURATION_BUCKETS)
        self._duration_count = 0
        self._duration_sum = 0.0
        self._recent: deque[float] = deque(maxlen=_RECENT_DURATIONS)
        self._pools: weakref.WeakSet[PoolStateSource] = weakref.WeakSet()

    def track_pool(self, source: PoolStateSource) -> None:
        """Include ``source``'s idle and active connections in the pool gauges."""
        self._pools.add(source)

    def connection_created(self) -> None:
        with self._lock:
            self._created += 1

    def connection_reused(self) -> None:
        with self._lock:
            self._reused += 1

    def request_started(self) -> None:
        with self._lock:
            self._requests += 1

    def request_retried(self) -> None:
        with self._lock:
            self._retries += 1

    def request_finished(self, duration: float, *, timed_out: bool = False, failure: str | None = None) -> None:
        """Record one call's duration, from the call until its body was closed or it failed;
        ``failure`` is its reason (`lunalint.egress.failures.failure_reason`) if it failed."""
        index = bisect.bisect_left(DURATION_BUCKETS, duration)
        with self._lock:
            if timed_out:
                self._timeouts += 1
            if failure is not None:
                self._failures[failure] = self._failures.get(failure, 0) + 1
            if index < len(self._bucket_counts):
                self._bucket_counts[index] += 1
            self._duration_count += 1
            self._duration_sum += duration
            self._recent.append(duration)

    def snapshot(self) -> MetricsSnapshot:
        idle = active = pool_max = 0
        for source in list(self._pools):
            source_idle, source_active = source.pool_state()
            idle += source_idle
            active += source_active
            pool_max += int(getattr(source, "pool_limit", 0))
        with self._lock:
            counts = (self._created, self._reused, self._requests, self._timeouts, self._retries)
            buckets, recent = list(self._bucket_counts), sorted(self._recent)
            duration_count, duration_sum = self._duration_count, self._duration_sum
            failures = dict(sorted(self._failures.items()))
        cumulative: list[tuple[float, int]] = []
        running = 0
        for bound, count in zip(DURATION_BUCKETS, buckets):
            running += count
            cumulative.append((bound, running))
        created, reused, requests, timeouts, retries = counts
        return MetricsSnapshot(
            connections_created=created,
            connections_reused=reused,
            requests_total=requests,
            requests_timeout=timeouts,
            requests_retried=retries,
            pool_idle=idle,
            pool_active=active,
            duration_count=duration_count,
            duration_sum=duration_sum,
            duration_buckets=tuple(cumulative),
            duration_p50=_quantile(recent, 0.50),
            duration_p99=_quantile(recent, 0.99),
            pool_max=pool_max,
            failures=MappingProxyType(failures),
        )


def _quantile(ordered: list[float], q: float) -> float | None:
    """Nearest-rank quantile of the last durations (``None`` before the first request)."""
    if not ordered:
        return None
    rank = max(1, math.ceil(q * len(ordered)))
    return ordered[rank - 1]
