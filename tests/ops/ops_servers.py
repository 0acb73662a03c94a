"""Keep-alive HTTP/1.1 test server on 127.0.0.1 (optionally TLS) that ends idle connections after a known time.

``mode`` says how: ``fin`` closes the connection, ``rst`` resets it (SO_LINGER 0, then abort),
``blackhole`` calls ``on_blackhole(peer_port)`` (inside a network namespace: nftables drops the
flow, like a NAT that forgot it) and then stays silent. ``keep_alive=False`` answers with
``Connection: close``. Requests are read up to the blank line (the probe sends no body).
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import ssl
import struct
import time
from collections.abc import Callable
from dataclasses import dataclass, field

__all__ = ["IdleServer"]

MODES = ("fin", "rst", "blackhole")


@dataclass
class IdleServer:
    idle_close: float
    mode: str = "fin"
    tls: ssl.SSLContext | None = None
    keep_alive: bool = True
    on_blackhole: Callable[[int], None] | None = None
    lifetime: float = 120.0
    port: int = 0
    requests: int = 0
    closed_at_idle: list[float] = field(default_factory=list)  # idle seconds at each close
    _server: asyncio.base_events.Server | None = None
    _tasks: set[asyncio.Task[None]] = field(default_factory=set)

    def __post_init__(self) -> None:
        if self.mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}, got {self.mode!r}")

    async def __aenter__(self) -> IdleServer:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0, ssl=self.tls)
        self.port = self._server.sockets[0].getsockname()[1]
        self._spawn(self._stop_after(self.lifetime))
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    def url(self, path: str = "/") -> str:
        return f"{'https' if self.tls else 'http'}://127.0.0.1:{self.port}{path}"

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
        current = asyncio.current_task()
        tasks = [task for task in self._tasks if task is not current]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    def _spawn(self, coro: object) -> None:
        task: asyncio.Task[None] = asyncio.ensure_future(coro)  # type: ignore[arg-type]
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _stop_after(self, seconds: float) -> None:
        await asyncio.sleep(seconds)
        await self.stop()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        try:
            await self._handle(reader, writer)
        except (ConnectionError, OSError, asyncio.IncompleteReadError, ssl.SSLError):
            writer.transport.abort()
        except asyncio.CancelledError:  # `stop`: end the connection quietly, this task is done
            writer.transport.abort()
        finally:
            self._tasks.discard(task)

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        last = time.monotonic()
        while True:
            try:
                await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), self.idle_close)
            except asyncio.TimeoutError:
                self.closed_at_idle.append(time.monotonic() - last)
                await self._end_idle(reader, writer)
                return
            self.requests += 1
            header = b"Connection: keep-alive\r\n" if self.keep_alive else b"Connection: close\r\n"
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 3\r\n" + header + b"\r\nok\n")
            await writer.drain()
            last = time.monotonic()
            if not self.keep_alive:
                writer.close()
                return

    async def _end_idle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if self.mode == "fin":
            writer.close()
            with contextlib.suppress(ConnectionError, OSError, ssl.SSLError):
                await writer.wait_closed()
        elif self.mode == "rst":
            sock = writer.get_extra_info("socket")
            with contextlib.suppress(OSError):
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            writer.transport.abort()
        else:
            assert self.on_blackhole is not None, "blackhole mode needs on_blackhole"
            self.on_blackhole(writer.get_extra_info("peername")[1])
            while await reader.read(65536):  # nothing arrives once the flow is dropped
                pass
