"""When a failed attempt may be sent again, and how long to wait first."""

from __future__ import annotations

import random
from dataclasses import dataclass

import httpx

from .config import EgressConfig

__all__ = ["IDEMPOTENT_METHODS", "RETRYABLE_EXTENSION", "AttemptState", "backoff_delay", "retry_reason"]

#: RFC 9110 section 9.2.2: sending these twice has the same effect as sending them once.
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE", "PUT", "DELETE"})

#: Request extension: ``True`` lets a non-idempotent request be replayed after a stale
#: connection failed under it, ``False`` forbids replaying even an idempotent one.
RETRYABLE_EXTENSION = "lunalint.retryable"

_STALE_ERRORS = (httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError)
_CONNECT_ERRORS = (httpx.ConnectError, httpx.ConnectTimeout)


@dataclass
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

    A connect error sent nothing, so any request may be retried. A connection that failed
    after the request was sent but before the response head arrived may or may not have
    delivered it: on a reused connection that is the stale-connection race, on a new one an
    upstream going away behind a proxy or load balancer that accepted the connection (a
    restart). Either way only requests that may be replayed are retried, and only if their
    body can be sent again.
    """
    if isinstance(error, _CONNECT_ERRORS) and not attempt.request_sent:
        return "connect failed"
    if not isinstance(error, _STALE_ERRORS):
        return None
    if not attempt.request_sent or attempt.head_received:
        return None
    if not may_replay(request):
        return None
    if attempt.body_started and not isinstance(request.stream, httpx.ByteStream):
        return None
    if attempt.reused:
        return "reused connection failed before the response"
    return "new connection failed before the response"


def backoff_delay(config: EgressConfig, retry_index: int, rng: random.Random) -> float:
    """Exponential backoff with equal jitter: half fixed, half random, capped."""
    cap = min(config.retry_backoff_max, config.retry_backoff * 2.0**retry_index)
    return cap / 2 + rng.uniform(0.0, cap / 2)
