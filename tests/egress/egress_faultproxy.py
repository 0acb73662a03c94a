"""Fault-injecting TCP proxy on 127.0.0.1: FIN, RST or a silent black-hole once a connection idles."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import struct
import time
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any

__all__ = ["FaultProxy", "Link", "LinkPlan"]

MODES = ("pass", "fin", "rst", "blackhole", "close-on-reuse")


@dataclass(frozen=True)
class LinkPlan:
    """The fault one connection gets: a mode, its idle threshold and a per-chunk delay."""

    mode: str
    idle: float = 0.5
    chunk_delay: float = 0.0

    def __post_init__(self) -> None:
        if self.mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}, got {self.mode!r}")


@dataclass
class Link:
    """One client connection through the proxy and its upstream leg."""

    client_port: int
    last_activity: float
    plan: LinkPlan
    exchanges: int = 0  # downstream bursts forwarded; >0 means the connection has been used
    fault: str | None = None  # the mode once it fired, or "refused" (upstream not listening)
    ended_legs: int = 0  # pumps finished (a black-holed link closes when both have)
    dropped_bytes: int = 0
    closed: bool = False
    tasks: list[asyncio.Task[None]] = field(default_factory=list)


class FaultProxy:
    """Forwards each accepted connection to ``upstream_port`` and, by ``mode``:

    - ``pass``: forwards only (``chunk_delay`` still slows each downstream chunk);
    - ``fin`` / ``rst``: once a used connection has been idle ``idle`` seconds, closes it
      towards the client with a FIN, or a RST (SO_LINGER 0 then abort), and closes upstream;
    - ``blackhole``: once idle ``idle`` seconds, silently discards everything in both
      directions and never closes (a NAT that forgot the flow; the proxy's kernel still ACKs);
    - ``close-on-reuse``: when a request arrives on a used connection idle ``idle`` seconds,
      drops it unforwarded and closes the connection (the stale race, made deterministic).

    ``plan``, if given, is called once per accepted connection and overrides ``mode``,
    ``idle`` and ``chunk_delay`` for it (a mix of faults). A black-holed link is released once
    both its client and its upstream have closed their ends. When the upstream refuses the
    connection, the client's is aborted and recorded with the fault ``"refused"``.

    ``lifetime`` closes everything, so nothing outlives a test.
    """

    def __init__(
        self,
        upstream_port: int,
        *,
        mode: str = "pass",
        idle: float = 0.5,
        chunk_delay: float = 0.0,
        lifetime: float = 300.0,
        plan: Callable[[], LinkPlan] | None = None,
    ) -> None:
        if mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}, got {mode!r}")
        self.plan = plan
        self.upstream_port = upstream_port
        self.mode = mode
        self.idle = idle
        self.chunk_delay = chunk_delay
        self.lifetime = lifetime
        self.port = 0
        self.links: list[Link] = []
        self._server: asyncio.base_events.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self._tasks: set[asyncio.Task[None]] = set()

    async def __aenter__(self) -> FaultProxy:
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        self._spawn(self._stop_after_lifetime())
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    def url(self, path: str = "/ok") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def faults(self, kind: str | None = None) -> list[Link]:
        return [link for link in self.links if link.fault and (kind is None or link.fault == kind)]

    @property
    def open_links(self) -> int:
        return sum(1 for link in self.links if not link.closed)

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
        for writer in list(self._writers):
            writer.transport.abort()
        current = asyncio.current_task()
        tasks = [t for t in self._tasks if t is not current]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    async def _stop_after_lifetime(self) -> None:
        await asyncio.sleep(self.lifetime)
        await self.stop()

    def _spawn(self, coro: Coroutine[Any, Any, None]) -> asyncio.Task[None]:
        task = asyncio.create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    async def _accept(self, creader: asyncio.StreamReader, cwriter: asyncio.StreamWriter) -> None:
        plan = self.plan() if self.plan is not None else LinkPlan(self.mode, self.idle, self.chunk_delay)
        link = Link(cwriter.get_extra_info("peername")[1], time.monotonic(), plan)
        self.links.append(link)
        self._writers.add(cwriter)
        try:
            ureader, uwriter = await asyncio.open_connection("127.0.0.1", self.upstream_port)
        except OSError:
            link.fault, link.closed = "refused", True
            cwriter.transport.abort()
            self._writers.discard(cwriter)
            return
        self._writers.add(uwriter)
        legs = (cwriter, uwriter)
        link.tasks = [
            self._spawn(self._pump(link, creader, uwriter, legs, upstream=True)),
            self._spawn(self._pump(link, ureader, cwriter, legs, upstream=False)),
            self._spawn(self._watch(link, legs)),
        ]

    async def _pump(
        self,
        link: Link,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        legs: tuple[asyncio.StreamWriter, asyncio.StreamWriter],
        *,
        upstream: bool,
    ) -> None:
        plan = link.plan
        try:
            while not link.closed:
                data = await reader.read(65536)
                if not data:
                    break
                if link.fault == "blackhole":
                    link.dropped_bytes += len(data)
                    continue
                idle_for = time.monotonic() - link.last_activity
                if (
                    upstream
                    and plan.mode == "close-on-reuse"
                    and link.exchanges
                    and idle_for >= plan.idle
                ):
                    link.fault = "close-on-reuse"
                    link.dropped_bytes += len(data)
                    break
                link.last_activity = time.monotonic()
                if not upstream:
                    link.exchanges += 1
                    if plan.chunk_delay:
                        await asyncio.sleep(plan.chunk_delay)
                writer.write(data)
                await writer.drain()
        except (ConnectionError, OSError):
            pass
        link.ended_legs += 1
        if link.fault != "blackhole" or link.ended_legs == 2:
            self._close(link, legs)

    async def _watch(self, link: Link, legs: tuple[asyncio.StreamWriter, asyncio.StreamWriter]) -> None:
        mode, idle = link.plan.mode, link.plan.idle
        while not link.closed and link.fault is None:
            await asyncio.sleep(0.02)
            idle_for = time.monotonic() - link.last_activity
            if mode not in ("fin", "rst", "blackhole") or not link.exchanges or idle_for < idle:
                continue
            link.fault = mode
            if mode == "rst":
                sock = legs[0].get_extra_info("socket")
                with contextlib.suppress(OSError):
                    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                legs[0].transport.abort()
                self._close(link, legs)
            elif mode == "fin":
                self._close(link, legs)

    def _close(self, link: Link, legs: tuple[asyncio.StreamWriter, asyncio.StreamWriter]) -> None:
        if link.closed:
            return
        link.closed = True
        for writer in legs:
            writer.close()
            self._writers.discard(writer)
        current = asyncio.current_task()
        for task in link.tasks:
            if task is not current:
                task.cancel()
        link.tasks = []
