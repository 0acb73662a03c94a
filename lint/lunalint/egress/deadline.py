"""Whole-request deadline: one absolute end time for connect, retries, headers and body."""

from __future__ import annotations

import math

import anyio
import httpx

__all__ = ["DEADLINE_EXTENSION", "Deadline", "RequestDeadlineExceeded"]

#: Request extension overriding the configured deadline (seconds, or ``None`` for none).
DEADLINE_EXTENSION = "lunalint.deadline"


class RequestDeadlineExceeded(httpx.TimeoutException):
    """The whole request, body included, took longer than its deadline."""


class Deadline:
    """An absolute end time on the event loop's clock, or none at all."""

    def __init__(self, seconds: float | None) -> None:
        if seconds is not None and (isinstance(seconds, bool) or not seconds > 0):
            raise ValueError(f"deadline must be a positive number of seconds or None, got {seconds!r}")
        self.seconds = seconds
        self._end = math.inf if seconds is None else anyio.current_time() + seconds

    @classmethod
    def for_request(cls, request: httpx.Request, default: float | None) -> Deadline:
        """The request's own deadline extension if it has one, else ``default``."""
        seconds = request.extensions.get(DEADLINE_EXTENSION, default)
        if seconds is not None and not isinstance(seconds, (int, float)):
            raise ValueError(f"{DEADLINE_EXTENSION} must be a number or None, got {seconds!r}")
        return cls(seconds)

    def remaining(self) -> float:
        return self._end - anyio.current_time()

    def allows(self, delay: float) -> bool:
        """Whether waiting ``delay`` seconds still leaves time before the deadline."""
        return self.remaining() > delay

    def scope(self) -> anyio.CancelScope:
        """A cancel scope that fires at the deadline (check ``cancelled_caught`` after it)."""
        return anyio.CancelScope(deadline=self._end)

    def exceeded(self, request: httpx.Request) -> RequestDeadlineExceeded:
        return RequestDeadlineExceeded(
            f"whole-request deadline of {self.seconds} s exceeded", request=request
        )
