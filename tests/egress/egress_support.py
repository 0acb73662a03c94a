"""Small helpers for the egress tests: bounded polling, timing a call, and a pooled connection's
socket and the options the egress client sets on it."""

from __future__ import annotations

import socket
import sys
import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import anyio
import httpx

__all__ = ["Timed", "assert_pool_socket_options", "socket_of", "timed", "wait_until"]

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


def socket_of(response: httpx.Response) -> Any:
    """The connection's socket (asyncio hands out a TransportSocket wrapper)."""
    sock = response.extensions["network_stream"].get_extra_info("socket")
    assert sock is not None
    return sock


def assert_pool_socket_options(sock: Any) -> None:
    """The keepalive and user timeout the egress client's defaults set."""
    assert sock.getsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE) == 1
    if sys.platform.startswith("linux"):
        assert sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPIDLE) == 60
        assert sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_USER_TIMEOUT) == 150_000
