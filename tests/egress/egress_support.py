"""Small helpers for the egress tests: bounded polling and timing a call."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

import anyio

__all__ = ["Timed", "timed", "wait_until"]

T = TypeVar("T")


async def wait_until(predicate: Callable[[], object], timeout: float, what: str) -> None:
    """Poll ``predicate`` every 10 ms; fail the test after ``timeout`` seconds."""
    end = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > end:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        await anyio.sleep(0.01)


class Timed:
    """Outcome of one timed call: its result or exception, and how long it took."""

    def __init__(self, result: object, error: BaseException | None, elapsed: float) -> None:
        self.result = result
        self.error = error
        self.elapsed = elapsed

    def __repr__(self) -> str:
        return f"Timed(result={self.result!r}, error={self.error!r}, elapsed={self.elapsed:.3f})"


async def timed(call: Callable[[], Awaitable[T]]) -> Timed:
    start = time.monotonic()
    try:
        result: object = await call()
    except Exception as exc:  # the test asserts on which one
        return Timed(None, exc, time.monotonic() - start)
    return Timed(result, None, time.monotonic() - start)
