"""EgressTransport: deadline, safe retry, pool metrics and logs around httpx's transport."""

from __future__ import annotations

import math
import random
import time
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable
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
        started = time.monotonic()
        deadline = Deadline.for_request(request, self._config.deadline)
        user_trace: _TraceCallback | None = request.extensions.get("trace")
        self._metrics.request_started()
        retries = 0
        try:
            while True:
                attempt = _AttemptTracer(self._metrics, request, user_trace, self._connect_socket_options)
                request.extensions["trace"] = attempt
                failure: httpx.TransportError | None = None
                if deadline.finite:
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
                self._metrics.request_retried()
                with deadline.scope() as scope:
                    await anyio.sleep(delay)
                if scope.cancelled_caught:
                    raise deadline.exceeded(request) from failure
        except BaseException as exc:
            duration = time.monotonic() - started
            log_failure(request, exc, duration)
            self._metrics.request_finished(
                duration, timed_out=isinstance(exc, httpx.TimeoutException), failure=failure_reason(exc)
            )
            raise
        finally:
            _restore_trace(request, user_trace)
        assert isinstance(response.stream, httpx.AsyncByteStream)
        response.stream = _MeteredStream(response.stream, request, deadline, started, self._metrics)
        return response


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
    """

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
        self._chunks: AsyncGenerator[bytes, None] | None = None
        self._inner_chunks: AsyncIterator[bytes] | None = None
        self._exhausted = False  # both generators ran to their end: nothing to close there
        self._finished = False
        read = request.extensions["timeout"].get("read") if "timeout" in request.extensions else None
        self._unguarded_until = deadline.end - read if read is not None else -math.inf

    def __aiter__(self) -> AsyncIterator[bytes]:
        self._chunks = self._read()
        return self._chunks

    async def _read(self) -> AsyncGenerator[bytes, None]:
        # An async generator rather than a class with __anext__: no new frame per chunk.
        inner = self._inner_chunks = self._inner.__aiter__()
        deadline = self._deadline
        try:
            if time.monotonic() < self._unguarded_until:
                async for chunk in inner:
                    yield chunk
                    if time.monotonic() >= self._unguarded_until:
                        break
                else:
                    self._exhausted = True
                    self._finish(None)
                    return
            while True:  # within one read timeout of the deadline: each read in a scope
                if deadline.remaining() <= 0:
                    raise deadline.exceeded(self._request)
                with deadline.scope() as scope:
                    try:
                        chunk = await inner.__anext__()
                    except StopAsyncIteration:
                        self._exhausted = True
                        self._finish(None)
                        return
                if scope.cancelled_caught:
                    raise deadline.exceeded(self._request)
                yield chunk
        except Exception as exc:  # a caller's cancellation is not the request failing
            self._finish(exc)
            raise

    async def aclose(self) -> None:
        try:
            if not self._exhausted:
                for chunks in (self._chunks, self._inner_chunks):
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
            duration = time.monotonic() - self._started
            logger.debug("Response collected unclosed after %.3f s: its connection was never returned", duration)
            self._metrics.request_finished(duration, failure="unclosed")

    def _finish(self, error: BaseException | None) -> None:
        if self._finished:
            return
        self._finished = True
        duration = time.monotonic() - self._started
        if error is None:
            self._metrics.request_finished(duration)
            return
        log_failure(self._request, error, duration, mid_stream=True)
        self._metrics.request_finished(
            duration, timed_out=isinstance(error, httpx.TimeoutException), failure=failure_reason(error)
        )




def _restore_trace(request: httpx.Request, user_trace: object) -> None:
    if user_trace is None:
        request.extensions.pop("trace", None)
    else:
        request.extensions["trace"] = user_trace
