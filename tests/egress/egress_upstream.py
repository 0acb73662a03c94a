"""Test upstream: a small HTTP/1.1 server on 127.0.0.1 that records every connection and request."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import ssl
import struct
import time
import urllib.parse
from dataclasses import dataclass, field

__all__ = ["Connection", "Received", "Upstream"]

@dataclass
class Connection:
    """One accepted TCP connection, as the server saw it."""

    id: int
    peer_port: int
    opened_at: float
    closed_at: float | None = None
    closed_by: str | None = None  # "client" (EOF/reset seen) or "server"
    requests: int = 0
    busy: bool = False  # between the first byte of a request and the end of its response
    drain: bool = False  # close after the current response (set by `Upstream.restart`)


@dataclass(frozen=True)
class Received:
    """One request the server read completely (whether or not it answered)."""

    method: str
    path: str
    body: bytes
    connection: int
    reused: bool  # not the first request on its connection
    answered: bool
    request_id: str | None = None  # the client's ``x-request-id`` header, if it sent one


@dataclass
class _State:
    connections: list[Connection] = field(default_factory=list)
    received: list[Received] = field(default_factory=list)
    open_now: int = 0
    peak_open: int = 0
    status_served: dict[str, int] = field(default_factory=dict)


class Upstream:
    """HTTP/1.1 server with keep-alive; routes, chosen by path (query values in seconds):

    - ``/ok?delay=S``: ``200 ok`` after S seconds (default 0).
    - ``/stream?chunks=N&interval=S``: chunked body, N chunks S seconds apart.
    - ``/slow-head?pieces=N&interval=S``: the response head in N pieces, S seconds apart, then ``ok``.
    - ``/trickle?interval=S``: headers at once, then one byte every S seconds, never ending
      (until ``lifetime``).
    - ``/silent``: reads the request and never answers (until ``lifetime``).
    - ``/drop-if-reused``: a request on a reused connection is read and the connection closed
      without an answer (the server-side stale race); on a new connection, ``200 ok``.
    - ``/redirect?hops=N&delay=S``: after S seconds a ``302`` to ``hops=N-1``; at 0, ``200 ok``.
    - ``/status?code=C&times=N&after=A``: the first N requests to this exact URL get status C
      (with ``Retry-After: A`` if given), later ones ``200 ok``.
    - ``/cut?chunks=N``: a chunked body of N chunks, then the connection is reset mid-body.

    ``tls`` serves HTTPS with that server context. ``idle_close_after`` closes a connection once it has been idle that long, as servers and
    load balancers do. ``lifetime`` stops everything, so nothing outlives a test. ``port`` 0
    picks a free port; `restart` listens again on the same one.
    """

    def __init__(
        self,
        *,
        idle_close_after: float | None = None,
        lifetime: float = 300.0,
        port: int = 0,
        tls: ssl.SSLContext | None = None,
    ) -> None:
        self.tls = tls
        self.idle_close_after = idle_close_after
        self.lifetime = lifetime
        self.port = port
        self.restarts = 0
        self._state = _State()
        self._server: asyncio.base_events.Server | None = None
        self._handlers: set[asyncio.Task[None]] = set()
        self._live: dict[asyncio.Task[None], Connection] = {}
        self._writers: set[asyncio.StreamWriter] = set()
        self._watchdog: asyncio.Task[None] | None = None

    # -- lifecycle -------------------------------------------------------------------------

    async def __aenter__(self) -> Upstream:
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", self.port, ssl=self.tls)
        self.port = self._server.sockets[0].getsockname()[1]
        self._watchdog = asyncio.create_task(self._stop_after_lifetime())
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        if self._watchdog is not None:
            self._watchdog.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._watchdog
        await self.stop()

    async def _stop_after_lifetime(self) -> None:
        await asyncio.sleep(self.lifetime)
        await self.stop()

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
        for writer in list(self._writers):
            writer.transport.abort()
        for task in list(self._handlers):
            task.cancel()
        await asyncio.gather(*self._handlers, return_exceptions=True)

    async def restart(self, pause: float) -> None:
        """A graceful restart on the same port, as a server reload does.

        Stops listening (connects are refused), closes idle keep-alive connections with a FIN,
        lets each busy connection finish its current response and then close, and after
        ``pause`` seconds listens again. The old connections drain in the background.
        """
        if self._server is None:
            raise RuntimeError("restart before start")
        self._server.close()
        for task, conn in list(self._live.items()):
            if conn.busy:
                conn.drain = True
            else:
                task.cancel()
        await asyncio.sleep(pause)
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", self.port)
        self.restarts += 1

    def url(self, path: str = "/ok") -> str:
        return f"{'https' if self.tls else 'http'}://127.0.0.1:{self.port}{path}"

    # -- what the server saw ---------------------------------------------------------------

    @property
    def connections(self) -> list[Connection]:
        return list(self._state.connections)

    @property
    def received(self) -> list[Received]:
        return list(self._state.received)

    @property
    def open_connections(self) -> int:
        return self._state.open_now

    @property
    def peak_open_connections(self) -> int:
        return self._state.peak_open

    def count(self, method: str | None = None, path: str | None = None) -> int:
        return sum(
            1
            for r in self._state.received
            if (method is None or r.method == method) and (path is None or r.path == path)
        )

    async def wait_closed(self, connection: Connection, timeout: float = 5.0) -> bool:
        """Wait (bounded) until the server has seen ``connection`` close."""
        end = time.monotonic() + timeout
        while connection.closed_at is None and time.monotonic() < end:
            await asyncio.sleep(0.01)
        return connection.closed_at is not None

    # -- serving ---------------------------------------------------------------------------

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._handlers.add(task)
        self._writers.add(writer)
        state = self._state
        conn = Connection(len(state.connections), writer.get_extra_info("peername")[1], time.monotonic())
        state.connections.append(conn)
        self._live[task] = conn
        state.open_now += 1
        state.peak_open = max(state.peak_open, state.open_now)
        try:
            conn.closed_by = await self._serve(conn, reader, writer)
        except (ConnectionError, asyncio.IncompleteReadError):
            conn.closed_by = "client"
        except asyncio.CancelledError:
            conn.closed_by = "server"
        finally:
            writer.close()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(writer.wait_closed(), timeout=1.0)
            conn.closed_at = time.monotonic()
            state.open_now -= 1
            self._writers.discard(writer)
            self._handlers.discard(task)
            self._live.pop(task, None)

    async def _serve(
        self, conn: Connection, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> str:
        while True:
            try:
                first = await asyncio.wait_for(reader.read(1), timeout=self.idle_close_after)
            except asyncio.TimeoutError:
                return "server"  # idle close, a FIN to the client
            if not first:
                return "client"
            conn.busy = True
            head = first + await reader.readuntil(b"\r\n\r\n")
            method, target, headers = _parse_head(head)
            body = await _read_body(reader, headers)
            conn.requests += 1
            url = urllib.parse.urlsplit(target)
            query = {k: float(v) for k, v in urllib.parse.parse_qsl(url.query)}
            request_id = headers.get("x-request-id")
            if url.path == "/drop-if-reused" and conn.requests > 1:
                self._record(method, url.path, body, conn, request_id, answered=False)
                return "server"
            if url.path == "/silent":
                self._record(method, url.path, body, conn, request_id, answered=False)
                with contextlib.suppress(asyncio.TimeoutError):  # until the client gives up
                    if not await asyncio.wait_for(reader.read(1), timeout=self.lifetime):
                        return "client"
                return "server"
            self._record(method, url.path, body, conn, request_id, answered=True)
            await self._respond(url.path, query, writer, target)
            conn.busy = False
            if conn.drain or headers.get("connection", "").lower() == "close":
                return "server"

    def _record(
        self, method: str, path: str, body: bytes, conn: Connection, request_id: str | None, *, answered: bool
    ) -> None:
        self._state.received.append(
            Received(
                method, path, body, conn.id, reused=conn.requests > 1, answered=answered, request_id=request_id
            )
        )

    async def _respond(
        self, path: str, query: dict[str, float], writer: asyncio.StreamWriter, target: str = ""
    ) -> None:
        if path == "/redirect":
            await asyncio.sleep(query.get("delay", 0.0))
            hops = int(query.get("hops", 0))
            if hops > 0:
                location = f"/redirect?hops={hops - 1}&delay={query.get('delay', 0.0)}"
                writer.write(
                    f"HTTP/1.1 302 Found\r\nlocation: {location}\r\ncontent-length: 0\r\n\r\n".encode()
                )
                await writer.drain()
                return
        elif path == "/status":
            served = self._state.status_served.get(target, 0)
            self._state.status_served[target] = served + 1
            if served < int(query.get("times", 1)):
                code = int(query.get("code", 503))
                after = f"retry-after: {int(query['after'])}\r\n" if "after" in query else ""
                writer.write(f"HTTP/1.1 {code} Busy\r\n{after}content-length: 4\r\n\r\nbusy".encode())
                await writer.drain()
                return
        elif path == "/cut":
            writer.write(_chunked_head())
            for i in range(int(query.get("chunks", 2))):
                writer.write(_chunk(f"chunk {i}\n".encode()))
                await writer.drain()
                await asyncio.sleep(0.05)
            sock = writer.get_extra_info("socket")
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            writer.transport.abort()
            raise ConnectionResetError("cut mid-body (test route)")
        if path == "/stream":
            writer.write(_chunked_head())
            for i in range(int(query.get("chunks", 3))):
                await asyncio.sleep(query.get("interval", 0.1))
                writer.write(_chunk(f"chunk {i}\n".encode()))
                await writer.drain()
            writer.write(b"0\r\n\r\n")
        elif path == "/slow-head":
            head = b"HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: 2\r\n\r\n"
            pieces = int(query.get("pieces", 10))
            step = max(1, len(head) // pieces)
            for start in range(0, len(head), step):  # the head in pieces, each after `interval`
                await asyncio.sleep(query.get("interval", 0.1))
                writer.write(head[start : start + step])
                await writer.drain()
            writer.write(b"ok")
        elif path == "/trickle":
            writer.write(_chunked_head())
            while True:  # ends with the connection or at `lifetime` (stop cancels it)
                await asyncio.sleep(query.get("interval", 0.2))
                writer.write(_chunk(b"."))
                await writer.drain()
        else:
            if path != "/redirect":
                await asyncio.sleep(query.get("delay", 0.0))
            writer.write(
                b"HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: 2\r\n\r\nok"
            )
        await writer.drain()


def _parse_head(head: bytes) -> tuple[str, str, dict[str, str]]:
    lines = head.decode("latin-1").split("\r\n")
    method, target, _version = lines[0].split(" ", 2)
    headers: dict[str, str] = {}
    for line in lines[1:]:
        if line:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
    return method, target, headers


async def _read_body(reader: asyncio.StreamReader, headers: dict[str, str]) -> bytes:
    if "content-length" in headers:
        return await reader.readexactly(int(headers["content-length"]))
    if headers.get("transfer-encoding", "").lower() != "chunked":
        return b""
    body = b""
    while True:
        size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
        chunk = await reader.readexactly(size + 2)
        if size == 0:
            return body
        body += chunk[:-2]


def _chunked_head() -> bytes:
    return b"HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ntransfer-encoding: chunked\r\n\r\n"


def _chunk(data: bytes) -> bytes:
    return f"{len(data):x}\r\n".encode() + data + b"\r\n"
