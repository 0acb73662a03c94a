"""Why a request failed, as one short reason: the label of the failures counter."""

from __future__ import annotations

import errno
import socket
import ssl
from collections.abc import Iterator

import httpx

from .deadline import RequestDeadlineExceeded

__all__ = ["FAILURE_REASONS", "failure_reason", "is_permanent_connect_failure"]

#: Every reason `failure_reason` gives, with what it means.
FAILURE_REASONS: dict[str, str] = {
    "deadline": "the whole-request deadline ended it",
    "read_timeout": "no byte arrived within the read timeout",
    "write_timeout": "a write did not complete within the write timeout",
    "connect_timeout": "the TCP connect or TLS handshake did not complete in time",
    "pool_timeout": "no pooled connection became free within the pool timeout",
    "black_hole": "the kernel gave up on a silent peer (TCP keepalive or TCP_USER_TIMEOUT: ETIMEDOUT)",
    "reset": "the peer reset or closed the connection",
    "refused": "the connection was refused",
    "dns": "the host name did not resolve",
    "tls": "TLS failed (certificate verification, handshake or alert)",
    "connect": "the connection could not be opened for another reason",
    "protocol": "the peer broke the HTTP protocol",
    "unclosed": "the response body was neither read to its end nor closed (found when collected)",
    "other": "anything else (cancellation, an error raised by a hook)",
}

_TIMEOUTS: tuple[tuple[type[httpx.TimeoutException], str], ...] = (
    (RequestDeadlineExceeded, "deadline"),
    (httpx.ReadTimeout, "read_timeout"),
    (httpx.WriteTimeout, "write_timeout"),
    (httpx.ConnectTimeout, "connect_timeout"),
    (httpx.PoolTimeout, "pool_timeout"),
)


def failure_reason(error: BaseException) -> str:
    """The `FAILURE_REASONS` key for ``error``, read from it and the errors that caused it."""
    for kind, reason in _TIMEOUTS:
        if isinstance(error, kind):
            return reason
    if not isinstance(error, httpx.TransportError):
        return "other"
    causes = list(_causes(error))
    if any(isinstance(cause, ssl.SSLError) for cause in causes):
        return "tls"
    if any(isinstance(cause, socket.gaierror) for cause in causes):
        return "dns"
    if any(isinstance(cause, ConnectionRefusedError) for cause in causes):
        return "refused"
    if any(isinstance(cause, OSError) and cause.errno == errno.ETIMEDOUT for cause in causes):
        return "black_hole"
    if isinstance(error, httpx.ConnectError):
        return "connect"
    if isinstance(error, (httpx.ReadError, httpx.WriteError, httpx.RemoteProtocolError)):
        return "reset"
    if isinstance(error, httpx.ProtocolError):
        return "protocol"
    return "other"


def is_permanent_connect_failure(error: BaseException) -> bool:
    """A TLS or DNS failure: sending the request again would fail the same way."""
    return failure_reason(error) in ("tls", "dns")


def _causes(error: BaseException) -> Iterator[BaseException]:
    """``error`` and everything in its ``__cause__``/``__context__`` chains and groups."""
    seen: set[int] = set()
    stack = [error]
    while stack:
        current = stack.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        stack.extend(e for e in (current.__cause__, current.__context__) if e is not None)
        stack.extend(getattr(current, "exceptions", ()))
