"""create_sync_client: the reference ``httpx.Client`` for scripts and WSGI apps.

The same pool, keepalive, timeout, retry and metrics as `create_client`. A blocking read
cannot be cancelled from the outside, so the whole-request deadline is kept differently:
each attempt's connect, pool, write and read timeouts are cut to the time left, the body is
checked between chunks, and a read that starts within one read timeout of the deadline is
ended at the deadline by shutting its socket down from a timer thread.
"""

from __future__ import annotations

import contextlib
import random
import socket
import ssl
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import httpx

from .attempts import AttemptObserver, Retrier, SocketOptions, log_failure, logger, pool_counts
from .client import client_timeout, config_with_limits, egress_transports, register_metrics
from .config import EgressConfig
from .deadline import Deadline
from .failures import failure_reason
from .metrics import EgressMetrics

__all__ = ["EgressSyncTransport", "create_sync_client"]

_SyncTrace = Callable[[str, dict[str, Any]], None]
_TIMEOUT_KEYS = ("connect", "read", "write", "pool")
#: A timeout or cut read ending this close to the deadline (seconds) was the deadline's: the
#: timeouts were cut to the time left, so they end at the deadline give or take the clock.
_DEADLINE_SLACK = 0.05


def create_sync_client(
    config: EgressConfig | None = None,
    *,
    metrics: EgressMetrics | None = None,
    base_url: str = "",
    headers: Mapping[str, str] | None = None,
    verify: ssl.SSLContext | str | bool = True,
    cert: Any = None,
    proxy: str | httpx.Proxy | None = None,
    trust_env: bool = True,
    mounts: Mapping[str, httpx.BaseTransport | None] | None = None,
    http2: bool = False,
    follow_redirects: bool = False,
    auth: Any = None,
    event_hooks: Mapping[str, list[Any]] | None = None,
    limits: httpx.Limits | None = None,
    **client_options: Any,
) -> httpx.Client:
    """An ``httpx.Client`` with the guarantees of `create_client` (same options)."""
    config = EgressConfig() if config is None else config
    if limits is not None:
        config = config_with_limits(config, limits)
    metrics = EgressMetrics() if metrics is None else metrics
    transport, all_mounts = egress_transports(
        config, metrics, httpx.HTTPTransport, EgressSyncTransport, verify=verify, cert=cert, trust_env=trust_env,
        http2=http2, proxy=proxy, mounts=mounts)
    client = httpx.Client(
        transport=transport,
        mounts=all_mounts,
        timeout=client_timeout(config),
        base_url=base_url,
        headers=headers,
        trust_env=trust_env,
        follow_redirects=follow_redirects,
        auth=auth,
        event_hooks=None if event_hooks is None else dict(event_hooks),
        **client_options,
    )
    register_metrics(client, metrics)
    return client


class EgressSyncTransport(httpx.BaseTransport):
    """Wraps an ``httpx.HTTPTransport`` (which holds the pool limits and socket options)."""

    def __init__(
        self,
        inner: httpx.HTTPTransport,
        *,
        config: EgressConfig,
        metrics: EgressMetrics,
        rng: random.Random | None = None,
        connect_socket_options: SocketOptions = (),
    ) -> None:
        """``connect_socket_options`` are set on each new connection as it connects: give a
        proxy transport its ``socket_options`` again here (httpcore does not apply them to
        proxied connections)."""
        self._inner = inner
        self._connect_socket_options = connect_socket_options
        self._config = config
        self._metrics = metrics
        self._retrier = Retrier(config, rng)
        self.pool_limit = config.pool_max_connections  # read by the metrics' pool_max gauge
        metrics.track_pool(self)

    def pool_state(self) -> tuple[int, int]:
        """``(idle, active)`` connections in the pool (closed ones left out)."""
        return pool_counts(self._inner)

    def __enter__(self) -> EgressSyncTransport:
        self._inner.__enter__()
        return self

    def close(self) -> None:
        self._inner.close()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        started = time.monotonic()
        deadline = Deadline.for_request(request, self._config.deadline)
        user_trace: _SyncTrace | None = request.extensions.get("trace")
        timeouts: dict[str, float | None] = dict(request.extensions.get("timeout", {}))
        self._metrics.request_started()
        retries = 0
        try:
            while True:
                if deadline.remaining() <= 0:
                    raise deadline.exceeded(request)
                attempt = _SyncAttemptTracer(self._metrics, request, user_trace, self._connect_socket_options)
                request.extensions["trace"] = attempt
                # Left in place: httpcore reads the body's read timeout when the body starts.
                request.extensions["timeout"] = _cut_to(timeouts, deadline)
                failure: httpx.TransportError | None = None
                try:
                    response = self._inner.handle_request(request)
                except httpx.TransportError as exc:
                    failure = exc
                timed_out = isinstance(failure, httpx.TimeoutException)
                if timed_out and deadline.remaining() <= _DEADLINE_SLACK:
                    raise deadline.exceeded(request) from failure
                if failure is None:
                    delay = self._retrier.after_status(request, response, retries, deadline)
                    if delay is None:
                        break
                    response.close()
                else:
                    delay = self._retrier.after_failure(request, failure, attempt.state, retries, deadline)
                retries += 1
                self._metrics.request_retried()
                time.sleep(delay)
        except BaseException as exc:
            duration = time.monotonic() - started
            log_failure(request, exc, duration)
            self._metrics.request_finished(
                duration, timed_out=isinstance(exc, httpx.TimeoutException), failure=failure_reason(exc)
            )
            raise
        finally:
            if user_trace is None:
                request.extensions.pop("trace", None)
            else:
                request.extensions["trace"] = user_trace
        assert isinstance(response.stream, httpx.SyncByteStream)
        response.stream = _MeteredSyncStream(
            response.stream, request, deadline, started, self._metrics, _socket_of(response)
        )
        return response


def _cut_to(timeouts: dict[str, float | None], deadline: Deadline) -> dict[str, float | None]:
    """Each timeout, but no longer than the time left before the deadline."""
    if not deadline.finite:
        return timeouts
    left = max(deadline.remaining(), 0.001)
    cut: dict[str, float | None] = {key: left for key in _TIMEOUT_KEYS}
    for key, value in timeouts.items():
        cut[key] = left if value is None or value > left else value
    return cut


def _socket_of(response: httpx.Response) -> socket.socket | None:
    stream = response.extensions.get("network_stream")
    get_extra_info = getattr(stream, "get_extra_info", None)
    sock = get_extra_info("socket") if callable(get_extra_info) else None
    return sock if isinstance(sock, socket.socket) else None


class _SyncAttemptTracer(AttemptObserver):
    """httpcore ``trace`` callback for one blocking attempt: observes, then forwards."""

    __slots__ = ("_forward_to",)

    def __init__(
        self,
        metrics: EgressMetrics,
        request: httpx.Request,
        forward: _SyncTrace | None,
        socket_options: SocketOptions,
    ) -> None:
        super().__init__(metrics, request, forward, socket_options)
        self._forward_to = forward

    def __call__(self, name: str, info: dict[str, Any]) -> None:
        if not self.aside:  # httpcore still calls back for the phase in which it stepped aside
            self.observe(name, info)
        if self._forward_to is not None:
            self._forward_to(name, info)


class _MeteredSyncStream(httpx.SyncByteStream):
    """The response body under the request's deadline; records the request once (see
    `lunalint.egress.transport`'s async stream for what is recorded when)."""

    def __init__(
        self,
        inner: httpx.SyncByteStream,
        request: httpx.Request,
        deadline: Deadline,
        started: float,
        metrics: EgressMetrics,
        sock: socket.socket | None,
    ) -> None:
        self._inner = inner
        self._request = request
        self._deadline = deadline
        self._started = started
        self._metrics = metrics
        self._socket = sock
        self._finished = False
        self._timer: threading.Timer | None = None
        read = request.extensions.get("timeout", {}).get("read")
        self._unguarded_until = deadline.end - read if read is not None else -float("inf")

    def __iter__(self) -> Iterator[bytes]:
        try:
            for chunk in self._inner:
                if time.monotonic() >= self._unguarded_until:
                    self._guard()
                yield chunk
                if time.monotonic() >= self._unguarded_until:
                    self._guard()
        except Exception as exc:
            if self._deadline.remaining() > _DEADLINE_SLACK:
                self._finish(exc)
                raise
            error = self._deadline.exceeded(self._request)  # also when the timer cut the read
            self._finish(error)
            raise error from exc
        self._finish(None)

    def _guard(self) -> None:
        """Past the deadline: fail. Within one read timeout of it: arm the timer that cuts the
        next read at the deadline (a blocking read cannot be cancelled otherwise)."""
        left = self._deadline.remaining()
        if left <= 0:
            raise self._deadline.exceeded(self._request)
        if self._timer is None and self._socket is not None:
            self._timer = threading.Timer(left, _shut_down, (self._socket,))
            self._timer.daemon = True
            self._timer.start()

    def close(self) -> None:
        try:
            self._inner.close()
        finally:
            self._finish(None)

    def __del__(self) -> None:
        if not getattr(self, "_finished", True):
            self._finished = True
            duration = time.monotonic() - self._started
            logger.debug("Response collected unclosed after %.3f s: its connection was never returned", duration)
            self._metrics.request_finished(duration, failure="unclosed")

    def _finish(self, error: BaseException | None) -> None:
        if self._finished:
            return
        self._finished = True
        if self._timer is not None:
            self._timer.cancel()
        duration = time.monotonic() - self._started
        if error is None:
            self._metrics.request_finished(duration)
            return
        log_failure(self._request, error, duration, mid_stream=True)
        self._metrics.request_finished(
            duration, timed_out=isinstance(error, httpx.TimeoutException), failure=failure_reason(error)
        )


def _shut_down(sock: socket.socket) -> None:
    """Wake a read blocked on ``sock`` (it returns end-of-file) so the deadline can end it."""
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)
