"""Whole-request deadline: one absolute end time for connect, retries, hops, headers and body."""

from __future__ import annotations

import asyncio
import math
import time

import anyio
import httpx

__all__ = ["DEADLINE_EXTENSION", "Deadline", "RequestDeadlineExceeded"]

#: Request extension overriding the configured deadline (seconds, or ``None`` for none).
DEADLINE_EXTENSION = "lunalint.deadline"

#: Where the running deadline is kept on the request. httpx copies a request's extensions into
#: the request of a redirect, and sends the same request again for an authentication round
#: trip, so every hop of one logical request finds the deadline its first hop started.
_STATE = "lunalint.deadline.state"


class RequestDeadlineExceeded(httpx.TimeoutException):
    """The whole request, body included, took longer than its deadline."""


class Deadline:
    """An absolute end time on the monotonic clock, or none at all (``end`` is infinite)."""

    __slots__ = ("end", "seconds")

    def __init__(self, seconds: float | None) -> None:
        if seconds is not None and (isinstance(seconds, bool) or not seconds > 0):
            raise ValueError(f"deadline must be a positive number of seconds or None, got {seconds!r}")
        self.seconds = seconds
        self.end = math.inf if seconds is None else time.monotonic() + seconds

    @classmethod
    def for_request(cls, request: httpx.Request, default: float | None) -> Deadline:
        """The deadline an earlier hop of this request started, else a new one: the request's
        own deadline extension if it has one, else ``default``."""
        state = request.extensions.get(_STATE)
        if isinstance(state, Deadline):
            return state
        seconds = request.extensions.get(DEADLINE_EXTENSION, default)
        if seconds is not None and not isinstance(seconds, (int, float)):
            raise ValueError(f"{DEADLINE_EXTENSION} must be a number or None, got {seconds!r}")
        deadline = cls(seconds)
        request.extensions[_STATE] = deadline
        return deadline

    @property
    def finite(self) -> bool:
        return self.end != math.inf

    def remaining(self) -> float:
        return self.end - time.monotonic()

    def allows(self, delay: float) -> bool:
        """Whether waiting ``delay`` seconds still leaves time before the deadline."""
        return self.remaining() > delay

    def scope(self) -> anyio.CancelScope:
        """A cancel scope that fires at the deadline (check ``cancelled_caught`` after it)."""
        return anyio.CancelScope(deadline=_backend_time() + (self.end - time.monotonic()))

    def exceeded(self, request: httpx.Request) -> RequestDeadlineExceeded:
        return RequestDeadlineExceeded(
            f"whole-request deadline of {self.seconds} s exceeded", request=request
        )


def _backend_time() -> float:
    """``anyio.current_time()``, read directly from the running asyncio loop when there is one.

    anyio's asyncio backend answers ``get_running_loop().time()``, but finding the backend
    first (through sniffio) costs a few microseconds, on every request. Without a running
    asyncio loop (trio) anyio answers.
    """
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        return anyio.current_time()
    return loop.time()
