"""When a failed attempt may be sent again, and how long to wait first."""

from __future__ import annotations

import email.utils
import math
import random
import time
from dataclasses import dataclass

import httpx

from .config import EgressConfig
from .failures import is_permanent_connect_failure

__all__ = [
    "IDEMPOTENT_METHODS",
    "RETRYABLE_EXTENSION",
    "AttemptState",
    "backoff_delay",
    "retry_after",
    "retry_reason",
    "status_retry_allowed",
]

#: RFC 9110 section 9.2.2: sending these twice has the same effect as sending them once.
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE", "PUT", "DELETE"})

#: Request extension: ``True`` lets a non-idempotent request be replayed after a stale
#: connection failed under it, ``False`` forbids replaying even an idempotent one.
RETRYABLE_EXTENSION = "lunalint.retryable"

_STALE_ERRORS = (httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError)
_CONNECT_ERRORS = (httpx.ConnectError, httpx.ConnectTimeout)


@dataclass(slots=True)
class AttemptState:
    """What httpcore's trace events told us about one attempt."""

    new_connection: bool = False
    reused: bool = False
    request_sent: bool = False
    body_started: bool = False
    head_received: bool = False


def may_replay(request: httpx.Request) -> bool:
    """Whether the caller allows this request to reach the server twice."""
    marked = request.extensions.get(RETRYABLE_EXTENSION)
    if isinstance(marked, bool):
        return marked
    return request.method.upper() in IDEMPOTENT_METHODS


def retry_reason(request: httpx.Request, error: Exception, attempt: AttemptState) -> str | None:
    """Why the attempt that raised ``error`` may be retried, or ``None`` if it may not.

    A connect error sent nothing, so any request may be retried, unless it was a TLS or DNS
    failure, which a second attempt would meet again. A connection that failed
    after the request was sent but before the response head arrived may or may not have
    delivered it: on a reused connection that is the stale-connection race, on a new one an
    upstream going away behind a proxy or load balancer that accepted the connection (a
    restart). Either way only requests that may be replayed are retried, and only if their
    body can be sent again.
    """
    if isinstance(error, _CONNECT_ERRORS) and not attempt.request_sent:
        return None if is_permanent_connect_failure(error) else "connect failed"
    if not isinstance(error, _STALE_ERRORS):
        return None
    if not attempt.request_sent or attempt.head_received:
        return None
    if not may_replay(request):
        return None
    if attempt.body_started and not replayable_body(request):
        return None
    if attempt.reused:
        return "reused connection failed before the response"
    return "new connection failed before the response"


def backoff_delay(config: EgressConfig, retry_index: int, rng: random.Random) -> float:
    """Exponential backoff with equal jitter: half fixed, half random, capped."""
    cap = min(config.retry_backoff_max, config.retry_backoff * 2.0**retry_index)
    return cap / 2 + rng.uniform(0.0, cap / 2)


def replayable_body(request: httpx.Request) -> bool:
    """Whether the request body can be sent again (bytes, not a one-shot iterator)."""
    return isinstance(request.stream, httpx.ByteStream)


def status_retry_allowed(request: httpx.Request, response: httpx.Response, config: EgressConfig) -> bool:
    """Whether ``response`` has a status the config retries, for a request safe to send again."""
    return (
        response.status_code in config.retry_statuses
        and may_replay(request)
        and replayable_body(request)
    )


def retry_after(response: httpx.Response, now: float | None = None) -> float | None:
    """The response's ``Retry-After`` in seconds (delay-seconds or an HTTP date), if valid."""
    value = response.headers.get("retry-after")
    if value is None:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        return None
    seconds = when.timestamp() - (time.time() if now is None else now)
    return max(0.0, seconds) if math.isfinite(seconds) else None
