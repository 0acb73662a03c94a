"""EgressTransport: deadline, safe retry, pool metrics and logs around httpx's transport."""

from __future__ import annotations

import math
import random
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import anyio
import httpx

from .attempts import AttemptObserver, Retrier, SocketOptions, log_failure, logger, pool_counts
from .config import EgressConfig
from .deadline import Deadline
from .failures import failure_reason
from .metrics import EgressMetrics

__all__ = ["EgressTransport"]

_TraceCallback = Callable[[str, dict[str, Any]], Awaitable[None]]
_monotonic = time.monotonic


class EgressTransport(httpx.AsyncBaseTransport):
    """Wraps an ``httpx.AsyncHTTPTransport`` (which holds the pool limits and socket options)."""

    def __init__(
        self,
        inner: httpx.AsyncHTTPTransport,
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
        self._retry_statuses = bool(config.retry_statuses)
        self.pool_limit = config.pool_max_connections  # read by the metrics' pool_max gauge
        metrics.track_pool(self)

    def pool_state(self) -> tuple[int, int]:
        """``(idle, active)`` connections in the pool (closed ones left out)."""
        return pool_counts(self._inner)

    async def __aenter__(self) -> EgressTransport:
        await self._inner.__aenter__()
        return self

    async def aclose(self) -> None:
        await self._inner.aclose()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        # The hot path of every call: locals bound once, no per-call closures, one cancel scope.
        started = _monotonic()
        extensions = request.extensions
        deadline = Deadline.for_request(request, self._config.deadline)
        user_trace: _TraceCallback | None = extensions.get("trace")
        metrics = self._metrics
        metrics.request_started()
        retries = 0
        try:
            while True:
                attempt = _AttemptTracer(metrics, request, user_trace, self._connect_socket_options)
                extensions["trace"] = attempt
                failure: httpx.TransportError | None = None
                if deadline.finite and deadline.end - _monotonic() <= _head_bound(extensions.get("timeout")):
                    with deadline.scope() as scope:
                        try:
                            response = await self._inner.handle_async_request(request)
                        except httpx.TransportError as exc:
                            failure = exc
                    if scope.cancelled_caught:
                        raise deadline.exceeded(request)
                else:
                    try:
                        response = await self._inner.handle_async_request(request)
                    except httpx.TransportError as exc:
                        failure = exc
                if failure is None:
                    if not self._retry_statuses:
                        break
                    delay = self._retrier.after_status(request, response, retries, deadline)
                    if delay is None:
                        break
                    await response.aclose()
                else:
                    delay = self._retrier.after_failure(request, failure, attempt.state, retries, deadline)
                retries += 1
                metrics.request_retried()
                with deadline.scope() as scope:
                    await anyio.sleep(delay)
                if scope.cancelled_caught:
                    raise deadline.exceeded(request) from failure
        except BaseException as exc:
            duration = _monotonic() - started
            log_failure(request, exc, duration)
            metrics.request_finished(
                duration, timed_out=isinstance(exc, httpx.TimeoutException), failure=failure_reason(exc)
            )
            raise
        finally:
            if user_trace is None:
                extensions.pop("trace", None)
            else:
                extensions["trace"] = user_trace
        stream = response.stream
        assert isinstance(stream, httpx.AsyncByteStream)
        response.stream = _MeteredStream(stream, request, deadline, started, metrics)
        return response


def _head_bound(timeouts: dict[str, float | None] | None) -> float:
    """How long one attempt up to its response head takes at most if each of its steps runs
    once: a pool wait, a TCP connect and a TLS handshake, one write and one read, each
    bounded by its own timeout (infinite if one of them is not bounded).

    With more time than this left before the deadline the attempt runs without a cancel
    scope (one costs several µs a request, about 1.5 % of a small GET). It can then outlive
    the deadline only through many steps each shorter than its timeout: a response head
    trickled in pieces, or a long upload, as in the sync client; the body's first read after
    such a head ends the request at once (`RequestDeadlineExceeded`).
    """
    if not timeouts:
        return math.inf
    pool, connect = timeouts.get("pool"), timeouts.get("connect")
    write, read = timeouts.get("write"), timeouts.get("read")
    if pool is None or connect is None or write is None or read is None:
        return math.inf
    return pool + 2 * connect + write + read


class _AttemptTracer(AttemptObserver):
    """httpcore ``trace`` callback for one async attempt: observes, then forwards."""

    __slots__ = ("_forward_to",)

    def __init__(
        self,
        metrics: EgressMetrics,
        request: httpx.Request,
        forward: _TraceCallback | None,
        socket_options: SocketOptions,
    ) -> None:
        super().__init__(metrics, request, forward, socket_options)
        self._forward_to = forward

    async def __call__(self, name: str, info: dict[str, Any]) -> None:
        if not self.aside:  # httpcore still calls back for the phase in which it stepped aside
            self.observe(name, info)
        if self._forward_to is not None:
            await self._forward_to(name, info)


class _MeteredStream(httpx.AsyncByteStream):
    """The response body, read under the request's deadline; records the request once, when
    the body ends, fails or is closed, or (reason ``unclosed``) when it is collected unclosed.

    A cancel scope per chunk is costly (about 13 us). While the deadline is further away than
    the read timeout, a read cannot outlive the deadline (the read timeout ends it first), so
    a clock check suffices; only reads that start within one read timeout of the deadline run
    in a scope that fires at the deadline.

    Its own async iterator (``__anext__``) rather than an async generator: a generator costs a
    first-iteration hook (the event loop's weak set of generators) and a reference cycle
    (stream -> generator -> frame -> stream) that only the cyclic collector frees, for every
    response, which matters most for small ones read in one chunk.
    """

    __slots__ = ("_chunks", "_deadline", "_finished", "_inner", "_metrics", "_request", "_started",
                 "_unguarded_until")  # fmt: skip

    def __init__(
        self,
        inner: httpx.AsyncByteStream,
        request: httpx.Request,
        deadline: Deadline,
        started: float,
        metrics: EgressMetrics,
    ) -> None:
        self._inner = inner
        self._request = request
        self._deadline = deadline
        self._started = started
        self._metrics = metrics
        self._chunks: AsyncIterator[bytes] | None = None  # the inner stream's iterator, while open
        self._finished = False
        timeout = request.extensions.get("timeout")
        read = timeout.get("read") if timeout else None
        self._unguarded_until = deadline.end - read if read is not None else -math.inf

    def __aiter__(self) -> AsyncIterator[bytes]:
        self._chunks = self._inner.__aiter__()
        return self

    async def __anext__(self) -> bytes:
        chunks = self._chunks
        if chunks is None:
            raise StopAsyncIteration
        try:
            if _monotonic() < self._unguarded_until:
                return await chunks.__anext__()
            return await self._guarded(chunks)
        except StopAsyncIteration:
            self._chunks = None  # ran to its end: nothing to close there
            self._finish(None)
            raise
        except Exception as exc:  # a caller's cancellation is not the request failing
            self._finish(exc)
            raise

    async def _guarded(self, chunks: AsyncIterator[bytes]) -> bytes:
        """Within one read timeout of the deadline: the read runs in a scope that fires at it."""
        deadline = self._deadline
        if deadline.remaining() <= 0:
            raise deadline.exceeded(self._request)
        with deadline.scope() as scope:
            chunk = await chunks.__anext__()
        if scope.cancelled_caught:
            raise deadline.exceeded(self._request)
        return chunk

    async def aclose(self) -> None:
        try:
            chunks, self._chunks = self._chunks, None
            aclose = getattr(chunks, "aclose", None)
            if aclose is not None:
                await aclose()
            await self._inner.aclose()
        finally:
            self._finish(None)

    def __del__(self) -> None:
        # A response dropped before its body ended and without being closed: count it anyway.
        if not getattr(self, "_finished", True):
            self._finished = True
            duration = _monotonic() - self._started
            logger.debug("Response collected unclosed after %.3f s: its connection was never returned", duration)
            self._metrics.request_finished(duration, failure="unclosed")

    def _finish(self, error: BaseException | None) -> None:
        if self._finished:
            return
        self._finished = True
        duration = _monotonic() - self._started
        if error is None:
            self._metrics.request_finished(duration)
            return
        log_failure(self._request, error, duration, mid_stream=True)
        self._metrics.request_finished(
            duration, timed_out=isinstance(error, httpx.TimeoutException), failure=failure_reason(error)
        )


