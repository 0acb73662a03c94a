"""EgressTransport: deadline, safe retry, pool metrics and logs around httpx's transport."""

from __future__ import annotations

import logging
import math
import random
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import anyio
import httpcore
import httpx

from .config import EgressConfig
from .deadline import Deadline
from .failures import failure_reason
from .metrics import EgressMetrics
from .retry import AttemptState, backoff_delay, retry_after, retry_reason, status_retry_allowed

__all__ = ["EgressTransport"]

logger = logging.getLogger("lunalint.egress")

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
    ) -> None:
        self._inner = inner
        self._config = config
        self._metrics = metrics
        self._rng = rng or random.Random()
        metrics.track_pool(self)

    def pool_state(self) -> tuple[int, int]:
        """``(idle, active)`` connections in the pool (closed ones left out)."""
        # httpx has no public accessor for its pool; httpcore's `connections` is public.
        pool = getattr(self._inner, "_pool", None)
        if not isinstance(pool, httpcore.AsyncConnectionPool):
            return (0, 0)
        open_connections = [c for c in pool.connections if not c.is_closed()]
        idle = sum(1 for c in open_connections if c.is_idle())
        return (idle, len(open_connections) - idle)

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
                attempt = _AttemptTracer(self._metrics, request, user_trace)
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
                    delay = self._status_retry_delay(request, response, retries, deadline)
                    if delay is None:
                        break
                    await response.aclose()
                else:
                    delay = self._retry_delay_or_raise(request, failure, attempt.state, retries, deadline)
                retries += 1
                self._metrics.request_retried()
                with deadline.scope() as scope:
                    await anyio.sleep(delay)
                if scope.cancelled_caught:
                    raise deadline.exceeded(request) from failure
        except BaseException as exc:
            duration = time.monotonic() - started
            _log_failure(request, exc, duration)
            self._metrics.request_finished(
                duration, timed_out=isinstance(exc, httpx.TimeoutException), failure=failure_reason(exc)
            )
            raise
        finally:
            _restore_trace(request, user_trace)
        assert isinstance(response.stream, httpx.AsyncByteStream)
        response.stream = _MeteredStream(response.stream, request, deadline, started, self._metrics)
        return response

    def _status_retry_delay(
        self, request: httpx.Request, response: httpx.Response, retries: int, deadline: Deadline
    ) -> float | None:
        """How long to wait before sending ``request`` again after ``response``, or ``None``
        to return the response (status not retried, retries used up, or past the deadline)."""
        if not self._config.retry_statuses or not status_retry_allowed(request, response, self._config):
            return None
        if retries >= self._config.max_retries:
            return None
        after = retry_after(response)
        delay = backoff_delay(self._config, retries, self._rng) if after is None else after
        if not deadline.allows(delay):
            logger.debug(
                "Not retrying %s %s after status %d: waiting %.3f s would pass the deadline",
                request.method, request.url, response.status_code, delay,
            )  # fmt: skip
            return None
        logger.debug(
            "Status %d, retrying %s %s in %.3f s (retry %d of %d)",
            response.status_code, request.method, request.url, delay, retries + 1, self._config.max_retries,
        )  # fmt: skip
        return delay

    def _retry_delay_or_raise(
        self,
        request: httpx.Request,
        failure: httpx.TransportError,
        state: AttemptState,
        retries: int,
        deadline: Deadline,
    ) -> float:
        """The backoff before retrying after ``failure``; raise it if it may not be retried."""
        reason = retry_reason(request, failure, state)
        stale = state.reused and not state.head_received
        if stale:
            logger.debug(
                "Connection pool: connection reset before response on reused connection to %s "
                "(%s: %s)", _Origin(request), type(failure).__name__, failure,
            )
        if reason is None:
            if stale:
                logger.debug(
                    "Connection pool: not retrying %s %s: the server may have received it and "
                    "it is neither idempotent nor marked retryable", request.method, request.url,
                )
            raise failure
        if retries >= self._config.max_retries:
            logger.debug("Connection pool: %s, retries exhausted (%d)", reason, retries)
            raise failure
        delay = backoff_delay(self._config, retries, self._rng)
        if not deadline.allows(delay):
            logger.debug(
                "Connection pool: %s, no time left before the deadline to wait %.3f s and retry",
                reason, delay,
            )  # fmt: skip
            raise failure
        logger.debug(
            "Connection pool: %s (%s), retrying %s %s (retry %d of %d)",
            reason, type(failure).__name__, request.method, request.url,
            retries + 1, self._config.max_retries,
        )  # fmt: skip
        return delay


class _AttemptTracer:
    """httpcore ``trace`` callback for one attempt: counts connection events, then forwards."""

    def __init__(self, metrics: EgressMetrics, request: httpx.Request, forward: _TraceCallback | None) -> None:
        self.state = AttemptState()
        self._metrics = metrics
        self._request = request
        self._forward = forward

    @property
    def _origin(self) -> _Origin:
        return _Origin(self._request)

    async def __call__(self, name: str, info: dict[str, Any]) -> None:
        state = self.state
        if name == "connection.connect_tcp.started":
            logger.debug("Connection pool: creating new connection to %s", self._origin)
        elif name == "connection.connect_tcp.complete":
            state.new_connection = True
            self._metrics.connection_created()
            logger.debug(
                "Connection pool: connected to %s from %s", self._origin, _local(info["return_value"])
            )
        elif name == "connection.connect_tcp.failed":
            logger.debug("Connection pool: connect to %s failed: %r", self._origin, info.get("exception"))
        elif name.endswith(".send_request_headers.started"):
            state.request_sent = True
            if not state.new_connection:
                state.reused = True
                self._metrics.connection_reused()
                logger.debug("Connection pool: reusing connection to %s", self._origin)
        elif name.endswith(".send_request_body.started"):
            state.body_started = True
        elif name.endswith(".receive_response_headers.complete"):
            state.head_received = True
        if self._forward is not None:
            await self._forward(name, info)


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
        self._iterator: AsyncIterator[bytes] | None = None
        self._finished = False
        read = request.extensions["timeout"].get("read") if "timeout" in request.extensions else None
        self._unguarded_until = deadline.end - read if read is not None else -math.inf

    def __aiter__(self) -> AsyncIterator[bytes]:
        self._iterator = self._inner.__aiter__()
        return self

    async def __anext__(self) -> bytes:
        iterator = self._iterator
        if iterator is None:
            iterator = self._iterator = self._inner.__aiter__()
        if time.monotonic() < self._unguarded_until:
            try:
                return await iterator.__anext__()
            except StopAsyncIteration:
                self._finish(None)
                raise
            except Exception as exc:  # a caller's cancellation is not the request failing
                self._finish(exc)
                raise
        return await self._guarded_next(iterator)

    async def _guarded_next(self, iterator: AsyncIterator[bytes]) -> bytes:
        if self._deadline.remaining() > 0:
            with self._deadline.scope():
                try:
                    return await iterator.__anext__()
                except StopAsyncIteration:
                    self._finish(None)
                    raise
                except Exception as exc:
                    self._finish(exc)
                    raise
            # Only reached when the deadline cancelled the read.
        error = self._deadline.exceeded(self._request)
        self._finish(error)
        raise error

    async def aclose(self) -> None:
        try:
            iterator = self._iterator
            if iterator is not None and hasattr(iterator, "aclose"):
                await iterator.aclose()
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
        _log_failure(self._request, error, duration, mid_stream=True)
        self._metrics.request_finished(
            duration, timed_out=isinstance(error, httpx.TimeoutException), failure=failure_reason(error)
        )




def _log_failure(
    request: httpx.Request, error: BaseException, duration: float, *, mid_stream: bool = False
) -> None:
    where = "while streaming the response" if mid_stream else "before the response"
    if isinstance(error, httpx.TimeoutException):
        logger.debug(
            "Request timed out: %s %s after %.3f s %s (%s: %s)",
            request.method, request.url, duration, where, type(error).__name__, error,
        )  # fmt: skip
    elif isinstance(error, httpx.TransportError):
        logger.debug(
            "Connection pool: connection reset %s: %s %s after %.3f s (%s: %s)",
            where, request.method, request.url, duration, type(error).__name__, error,
        )  # fmt: skip


class _Origin:
    """``scheme://host:port`` of a request, for log lines: formatted only if a line is logged."""

    __slots__ = ("_request",)

    def __init__(self, request: httpx.Request) -> None:
        self._request = request

    def __str__(self) -> str:
        url = self._request.url
        return f"{url.scheme}://{url.host}:{url.port or ''}"


def _restore_trace(request: httpx.Request, user_trace: _TraceCallback | None) -> None:
    if user_trace is None:
        request.extensions.pop("trace", None)
    else:
        request.extensions["trace"] = user_trace


def _local(stream: object) -> str:
    get_extra_info = getattr(stream, "get_extra_info", None)
    sock = get_extra_info("socket") if callable(get_extra_info) else None
    try:
        return "{}:{}".format(*sock.getsockname()) if sock is not None else "?"
    except OSError:
        return "?"
