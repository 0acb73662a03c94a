"""What both egress transports share: an attempt's connection events, when to retry, log lines."""

from __future__ import annotations

import logging
import random
from collections.abc import Sequence
from typing import Any

import httpcore
import httpx

from .config import EgressConfig
from .deadline import Deadline
from .metrics import EgressMetrics
from .retry import AttemptState, backoff_delay, replayable_body, retry_after, retry_reason, status_retry_allowed

__all__ = ["AttemptObserver", "Origin", "Retrier", "SocketOptions", "log_failure", "logger", "pool_counts"]

logger = logging.getLogger("lunalint.egress")

#: ``(level, option, value)`` triples for ``socket.setsockopt``.
SocketOptions = Sequence[tuple[int, int, int]]


class Retrier:
    """Decides whether and after how long a request is sent again (both transports)."""

    def __init__(self, config: EgressConfig, rng: random.Random | None = None) -> None:
        self._config = config
        self._rng = rng or random.Random()

    def after_status(
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

    def after_failure(
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
                "(%s: %s)", Origin(request), type(failure).__name__, failure,
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


class AttemptObserver:
    """Reads httpcore's ``trace`` events of one attempt: counts connections, notes the phase.

    Each traced event costs httpcore a couple of microseconds, so the observer steps aside as
    soon as it knows what a retry decision needs: once the request head is being sent on a
    connection (new or reused) and the body can be sent again, later events change nothing
    (`retry_reason` sees a failure only before the response head, and a replayable body may
    be resent whether or not it started). httpcore reads ``request.extensions["trace"]`` at
    each phase, from the very dict httpx hands it, so putting the caller's own callback back
    there (or none) ends the tracing for the rest of the attempt.
    """

    __slots__ = ("_forward", "_metrics", "_request", "_socket_options", "aside", "state")

    def __init__(
        self,
        metrics: EgressMetrics,
        request: httpx.Request,
        forward: object = None,
        socket_options: SocketOptions = (),
    ) -> None:
        self.state = AttemptState()
        self._metrics = metrics
        self._request = request
        self._forward = forward
        self._socket_options = socket_options
        self.aside = False  # stepped aside: later events of this attempt change nothing

    @property
    def _origin(self) -> Origin:
        return Origin(self._request)

    def observe(self, name: str, info: dict[str, Any]) -> None:
        state = self.state
        if name.endswith(".send_request_headers.started"):  # first: the one event of most attempts
            state.request_sent = True
            if not state.new_connection:
                state.reused = True
                self._metrics.connection_reused()
                if logger.isEnabledFor(logging.DEBUG):
                    logger.debug("Connection pool: reusing connection to %s", self._origin)
            if replayable_body(self._request):
                self._step_aside()
        elif name == "connection.connect_tcp.started":
            logger.debug("Connection pool: creating new connection to %s", self._origin)
        elif name == "connection.connect_tcp.complete":
            if self._socket_options:
                _apply(self._socket_options, info["return_value"])
            state.new_connection = True
            self._metrics.connection_created()
            logger.debug(
                "Connection pool: connected to %s from %s", self._origin, _local(info["return_value"])
            )
        elif name == "connection.connect_tcp.failed":
            logger.debug("Connection pool: connect to %s failed: %r", self._origin, info.get("exception"))
        elif name.endswith(".send_request_body.started"):
            state.body_started = True
        elif name.endswith(".receive_response_headers.complete"):
            state.head_received = True


    def _step_aside(self) -> None:
        self.aside = True
        extensions = self._request.extensions
        if self._forward is None:
            extensions.pop("trace", None)
        else:
            extensions["trace"] = self._forward


def log_failure(
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


class Origin:
    """``scheme://host:port`` of a request, for log lines: formatted only if a line is logged."""

    __slots__ = ("_request",)

    def __init__(self, request: httpx.Request) -> None:
        self._request = request

    def __str__(self) -> str:
        url = self._request.url
        return f"{url.scheme}://{url.host}:{url.port or ''}"


def _local(stream: object) -> str:
    get_extra_info = getattr(stream, "get_extra_info", None)
    sock = get_extra_info("socket") if callable(get_extra_info) else None
    try:
        return "{}:{}".format(*sock.getsockname()) if sock is not None else "?"
    except OSError:
        return "?"


def _apply(options: SocketOptions, stream: object) -> None:
    """Set ``options`` on a just-connected stream's socket.

    httpcore 1.0.9's HTTP proxy pool accepts ``socket_options`` but does not hand them to the
    connections it opens (``AsyncHTTPProxy.create_connection``), so a proxied connection would
    have no keepalive and no user timeout; the proxy transports set them here instead.
    """
    get_extra_info = getattr(stream, "get_extra_info", None)
    sock = get_extra_info("socket") if callable(get_extra_info) else None
    if sock is not None:
        for option in options:
            sock.setsockopt(*option)


def pool_counts(transport: httpx.AsyncHTTPTransport | httpx.HTTPTransport) -> tuple[int, int]:
    """``(idle, active)`` connections in ``transport``'s pool (closed ones left out).

    httpx has no public accessor for its pool: this reads ``transport._pool`` (an httpcore
    pool, whose ``connections`` are public). ``test_egress_library.py`` fails if an httpx
    release renames it or changes its type.
    """
    pool = getattr(transport, "_pool", None)
    if not isinstance(pool, (httpcore.AsyncConnectionPool, httpcore.ConnectionPool)):
        return (0, 0)
    open_connections = [c for c in pool.connections if not c.is_closed()]
    idle = sum(1 for c in open_connections if c.is_idle())
    return (idle, len(open_connections) - idle)
