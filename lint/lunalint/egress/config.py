"""EgressConfig: every pool, keepalive, timeout and retry setting of the reference client."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from .presets import PRESETS

__all__ = ["EgressConfig"]

# Linux caps TCP_KEEPIDLE and TCP_KEEPINTVL at 32767 s and TCP_KEEPCNT at 127 probes.
_MAX_KEEPALIVE_SECONDS = 32767
_MAX_KEEPALIVE_PROBES = 127


@dataclass(frozen=True)
class EgressConfig:
    """Settings of `create_client` and `create_sync_client`; the defaults are what lunalint's
    policy asks for (`preset` gives named alternatives). Times are in seconds.

    - ``pool_idle_timeout``: a pooled connection idle longer than this is not reused (httpx
      ``Limits.keepalive_expiry``). Keep it below the smallest idle timeout of any NAT, load
      balancer or server on the path. httpx closes expired connections lazily, at the next
      request or response close.
    - ``tcp_keepalive``: idle time before the kernel sends the first TCP keepalive probe.
      ``tcp_keepalive_interval`` and ``tcp_keepalive_count`` (15 s x 6) find a dead peer within
      90 s more. Socket options take whole seconds, so these are rounded up. On Linux the same
      total (``dead_peer_detection_seconds``, 150 s) is also set as ``TCP_USER_TIMEOUT``: the
      kernel sends no keepalive probe while sent data is unacknowledged, so without it a
      request written into a dead path waits for the whole read timeout.
    - ``timeout``: httpx's per-operation timeout for each socket read and each write. It
      restarts on every chunk, so it never kills a stream that keeps producing.
    - ``connect_timeout``: TCP connect plus TLS handshake, per attempt.
    - ``pool_timeout``: how long a request waits for a connection when ``pool_max_connections``
      are all busy (then ``httpx.PoolTimeout``). Short on purpose: a saturated pool should push
      back, not queue callers for the read timeout.
    - ``deadline``: whole-request deadline, measured from the call: connect, pool wait, retries
      and their backoff, redirects and authentication round trips, response headers and the
      full streamed body. A stuck request (say an upstream that trickles a byte every few
      seconds forever) ends here; a stream that finishes within it is never cut. (Async, while
      more time is left than one step of each kind before the response head, that part runs
      without a cancel scope: a head trickled in pieces past the deadline ends at the first
      body read, see the egress README.) ``None`` disables it. A request can override it with the extension ``"lunalint.deadline"``.
    - ``pool_max_idle``: idle connections kept (httpx ``max_keepalive_connections``). It counts
      over the whole pool, not per host, and httpcore 1.0 compares it with the pool's *total*
      connection count: when it is below ``pool_max_connections``, every connection a burst
      opens beyond it is closed as soon as it is idle. Keep the two equal unless memory matters
      more than reuse.
    - ``pool_max_connections``: open connections at most, over all hosts.
    - ``max_retries``: extra attempts after a connect error (not a TLS certificate or DNS
      failure: those do not heal by retrying), or after a connection failed between sending
      the request and the response head: on a reused connection the stale-connection race, on
      a new one an upstream restarting behind a proxy that accepted the connection. The second
      kind only for idempotent methods or requests marked with the extension
      ``"lunalint.retryable": True``.
    - ``retry_statuses``: response statuses to retry (opt-in, e.g. ``(429, 503)``), under the
      same idempotency rule, honouring ``Retry-After`` (seconds or an HTTP date), and only if
      the wait ends before the deadline; otherwise the response is returned as it is.
    - ``retry_backoff`` / ``retry_backoff_max``: exponential backoff base and cap, with jitter.
    """

    pool_idle_timeout: float = 90.0
    tcp_keepalive: float = 60.0
    tcp_keepalive_interval: float = 15.0
    tcp_keepalive_count: int = 6
    timeout: float = 600.0
    connect_timeout: float = 10.0
    pool_timeout: float = 10.0
    deadline: float | None = 3600.0
    pool_max_idle: int = 100
    pool_max_connections: int = 100
    max_retries: int = 2
    retry_statuses: tuple[int, ...] = ()
    retry_backoff: float = 0.2
    retry_backoff_max: float = 5.0

    @classmethod
    def preset(cls, name: str, **overrides: Any) -> EgressConfig:
        """The named settings of `lunalint.egress.presets.PRESETS`, then ``overrides``.

        ``EgressConfig.preset("long-running", connect_timeout=5)``: keyword overrides win.
        """
        try:
            values = PRESETS[name]
        except KeyError:
            known = ", ".join(PRESETS)
            raise ValueError(f"unknown egress preset {name!r} (known: {known})") from None
        return cls(**{**values, **overrides})

    def __post_init__(self) -> None:
        _positive("pool_idle_timeout", self.pool_idle_timeout)
        _positive("timeout", self.timeout)
        _positive("connect_timeout", self.connect_timeout)
        _positive("pool_timeout", self.pool_timeout)
        if self.deadline is not None:
            _positive("deadline", self.deadline)
        for name in ("tcp_keepalive", "tcp_keepalive_interval"):
            value = getattr(self, name)
            _positive(name, value)
            if value > _MAX_KEEPALIVE_SECONDS:
                raise ValueError(f"{name} must be at most {_MAX_KEEPALIVE_SECONDS} s, got {value!r}")
        _count("tcp_keepalive_count", self.tcp_keepalive_count, low=1, high=_MAX_KEEPALIVE_PROBES)
        _count("pool_max_idle", self.pool_max_idle, low=0)
        _count("pool_max_connections", self.pool_max_connections, low=1)
        _count("max_retries", self.max_retries, low=0)
        if not isinstance(self.retry_statuses, tuple):
            raise ValueError(f"retry_statuses must be a tuple of status codes, got {self.retry_statuses!r}")
        for status in self.retry_statuses:
            _count("retry_statuses", status, low=100, high=599)
        _non_negative("retry_backoff", self.retry_backoff)
        _non_negative("retry_backoff_max", self.retry_backoff_max)
        if self.retry_backoff_max < self.retry_backoff:
            raise ValueError(
                f"retry_backoff_max ({self.retry_backoff_max!r}) must not be below "
                f"retry_backoff ({self.retry_backoff!r})"
            )

    @property
    def keepalive_idle_seconds(self) -> int:
        """``tcp_keepalive`` as the whole seconds the socket option takes."""
        return math.ceil(self.tcp_keepalive)

    @property
    def keepalive_interval_seconds(self) -> int:
        """``tcp_keepalive_interval`` as the whole seconds the socket option takes."""
        return math.ceil(self.tcp_keepalive_interval)

    @property
    def dead_peer_detection_seconds(self) -> int:
        """Worst case from the last byte until the kernel fails a silent connection."""
        return self.keepalive_idle_seconds + self.keepalive_interval_seconds * self.tcp_keepalive_count

    @property
    def tcp_user_timeout_ms(self) -> int:
        """``TCP_USER_TIMEOUT`` (Linux): how long sent data may stay unacknowledged, in ms."""
        return self.dead_peer_detection_seconds * 1000


def _number(name: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"{name} must be a number of seconds, got {value!r}")
    if not math.isfinite(value):
        raise ValueError(f"{name} must be finite, got {value!r}")
    return float(value)


def _positive(name: str, value: object) -> None:
    if _number(name, value) <= 0:
        raise ValueError(f"{name} must be greater than 0 s, got {value!r}")


def _non_negative(name: str, value: object) -> None:
    if _number(name, value) < 0:
        raise ValueError(f"{name} must not be negative, got {value!r}")


def _count(name: str, value: object, *, low: int, high: int | None = None) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"{name} must be an integer, got {value!r}")
    if value < low or (high is not None and value > high):
        bounds = f"at least {low}" if high is None else f"between {low} and {high}"
        raise ValueError(f"{name} must be {bounds}, got {value!r}")
