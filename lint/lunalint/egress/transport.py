"""EgressTransport: deadline, safe retry, pool metrics and logs around httpx's transport."""

from __future__ import annotations

import logging
import random
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import anyio
import httpcore
import httpx

from .config import EgressConfig
from .deadline import Deadline
from .metrics import EgressMetrics
from .retry import AttemptState, backoff_delay, retry_reason

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
        self.pool_limit = config.pool_max_connections  # read by the metrics' pool_max gauge
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
        started = anyio.current_time()
        deadline = Deadline.for_request(request, self._config.deadline)
        user_trace: _TraceCallback | None = request.extensions.get("trace")
        origin = f"{request.url.scheme}://{request.url.host}:{request.url.port or ''}"
        self._metrics.request_started()
        retries = 0
        try:
            while True:
                attempt = _AttemptTracer(self._metrics, origin, user_trace)
                request.extensions["trace"] = attempt
                failure: httpx.TransportError | None = None
                with deadline.scope() as scope:
                    try:
                        response = await self._inner.handle_async_request(request)
                    except httpx.TransportError as exc:
                        failure = exc
                if scope.cancelled_caught:
                    raise deadline.exceeded(request)
                if failure is None:
                    break
                self._retry_or_raise(request, failure, attempt.state, retries, deadline, origin)
                delay = backoff_delay(self._config, retries, self._rng)
                retries += 1
                self._metrics.request_retried()
                with deadline.scope() as scope:
                    await anyio.sleep(delay)
                if scope.cancelled_caught:
                    raise deadline.exceeded(request) from failure
        except BaseException as exc:
            _log_failure(request, exc, anyio.current_time() - started)
            timed_out = isinstance(exc, httpx.TimeoutException)
            self._metrics.request_finished(anyio.current_time() - started, timed_out=timed_out)
            raise
        finally:
            _restore_trace(request, user_trace)
        assert isinstance(response.stream, httpx.AsyncByteStream)
        response.stream = _MeteredStream(
            response.stream, request, deadline, started, self._metrics
        )
        return response

    def _retry_or_raise(
        self,
        request: httpx.Request,
        failure: httpx.TransportError,
        state: AttemptState,
        retries: int,
        deadline: Deadline,
        origin: str,
    ) -> None:
        """Return if ``failure`` may be retried now, else log why not and raise it."""
        reason = retry_reason(request, failure, state)
        stale = state.reused and not state.head_received
        if stale:
            logger.debug(
                "Connection pool: connection reset before response on reused connection to %s "
                "(%s: %s)", origin, type(failure).__name__, failure,
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
        if not deadline.allows(self._config.retry_backoff):
            logger.debug("Connection pool: %s, no time left before the deadline to retry", reason)
            raise failure
        logger.debug(
            "Connection pool: %s (%s), retrying %s %s (retry %d of %d)",
            reason, type(failure).__name__, request.method, request.url,
            retries + 1, self._config.max_retries,
        )  # fmt: skip


class _AttemptTracer:
    """httpcore ``trace`` callback for one attempt: counts connection events, then forwards."""

    def __init__(self, metrics: EgressMetrics, origin: str, forward: _TraceCallback | None) -> None:
        self.state = AttemptState()
        self._metrics = metrics
        self._origin = origin
        self._forward = forward

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
    """The response body, read under the request's deadline; records the request when closed."""

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
        self._error: BaseException | None = None
        self._finished = False

    def __aiter__(self) -> AsyncIterator[bytes]:
        self._iterator = self._inner.__aiter__()
        return self

    async def __anext__(self) -> bytes:
        if self._iterator is None:
            self._iterator = self._inner.__aiter__()
        with self._deadline.scope() as scope:
            try:
                return await self._iterator.__anext__()
            except StopAsyncIteration:
                raise
            except BaseException as exc:
                self._error = exc
                raise
        # Only reached when the deadline cancelled the read.
        error = self._deadline.exceeded(self._request)
        self._error = error
        assert scope.cancelled_caught
        raise error

    async def aclose(self) -> None:
        try:
            iterator = self._iterator
            if iterator is not None and hasattr(iterator, "aclose"):
                await iterator.aclose()
            await self._inner.aclose()
        finally:
            self._finish()

    def _finish(self) -> None:
        if self._finished:
            return
        self._finished = True
        duration = anyio.current_time() - self._started
        if self._error is not None:
            _log_failure(self._request, self._error, duration, mid_stream=True)
        timed_out = isinstance(self._error, httpx.TimeoutException)
        self._metrics.request_finished(duration, timed_out=timed_out)


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
