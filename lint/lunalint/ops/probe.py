"""Measure how long an upstream keeps an idle keep-alive connection open, and how it ends it.

Several connections probe different idle times at once. Each sends one request, reads the whole
response, then stays idle while watching the socket: a FIN or a RST seen while idle is the
upstream (or a load balancer) closing the connection, timed to the millisecond. A connection
still quiet when its idle time is up sends the same request again: an answer means the
connection was still usable after that idle time; no answer within the answer timeout means it
was dropped silently (a NAT or firewall that forgot the flow); an immediate FIN or RST means it
was closed without telling the client until it spoke. Only the request the user asked for is
sent, only to the URL given: at most twice per connection.
"""

from __future__ import annotations

import asyncio
import ssl
import time
import urllib.parse
from collections.abc import Sequence
from dataclasses import dataclass

import h11

from lunalint import __version__

__all__ = [
    "OUTCOMES",
    "ConnectionResult",
    "Measurement",
    "ProbeError",
    "ProbeSettings",
    "Target",
    "idle_ladder",
    "measure",
    "parse_target",
]

#: What happened to one probing connection.
#: ``fin`` / ``rst``: closed by the upstream while idle; ``alive``: answered after its idle time;
#: ``silent``: no answer after its idle time; ``closed-on-reuse``: FIN or RST only once reused.
OUTCOMES = ("fin", "rst", "alive", "silent", "closed-on-reuse")

_READ_SIZE = 65536
_AFTER_UNSOLICITED = 2.0  # how long to wait for the close after unsolicited bytes while idle


class ProbeError(Exception):
    """The probe cannot run or the upstream cannot be reached; the message is one line."""


@dataclass(frozen=True)
class Target:
    """Where the probe connects and what it asks for."""

    url: str
    scheme: str
    host: str
    port: int
    request_target: str  # path and query, as sent on the request line
    host_header: str


@dataclass(frozen=True)
class ProbeSettings:
    """How the probe runs (times in seconds)."""

    idles: tuple[float, ...]
    method: str = "GET"
    headers: tuple[tuple[str, str], ...] = ()
    answer_timeout: float = 10.0
    connect_timeout: float = 10.0
    cafile: str | None = None


@dataclass(frozen=True)
class ConnectionResult:
    """One probing connection: the idle time it waited for and what happened."""

    idle: float
    outcome: str
    closed_after: float | None = None  # idle seconds at the FIN/RST, for fin and rst
    detail: str = ""


@dataclass(frozen=True)
class Measurement:
    """Every connection's result, plus what the first responses looked like."""

    target: Target
    status: int
    keep_alive: bool
    first_response: float  # seconds from sending the first request to the end of its response
    connections: tuple[ConnectionResult, ...]
    elapsed: float


def parse_target(url: str) -> Target:
    """The probe target of an ``http://`` or ``https://`` URL (`ProbeError` otherwise)."""
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise ProbeError(f"{url}: the URL must start with http:// or https://")
    if not parts.hostname:
        raise ProbeError(f"{url}: the URL has no host")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise ProbeError(f"{url}: invalid port") from None
    default_port = (parts.scheme == "https" and port == 443) or (parts.scheme == "http" and port == 80)
    host = parts.hostname
    shown = f"[{host}]" if ":" in host else host
    request_target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return Target(
        url=url,
        scheme=parts.scheme,
        host=host,
        port=port,
        request_target=request_target,
        host_header=shown if default_port else f"{shown}:{port}",
    )


def idle_ladder(low: float, high: float, count: int) -> tuple[float, ...]:
    """``count`` idle times from ``low`` to ``high``, each a constant factor above the last.

    A silent close between two neighbours is known to within that factor, so the midpoint is
    within about half of it: 24 times from 5 to 150 s are 16 % apart, the midpoint within 8 %.
    """
    if not 0 < low <= high:
        raise ProbeError(f"idle times must satisfy 0 < min ({low}) <= max ({high})")
    if count < 1:
        raise ProbeError(f"the number of connections must be at least 1, got {count}")
    if count == 1 or low == high:
        return (high,) if count == 1 else tuple(low for _ in range(count))
    ratio = (high / low) ** (1 / (count - 1))
    return tuple(round(low * ratio**index, 3) for index in range(count - 1)) + (high,)


def _ssl_context(target: Target, cafile: str | None) -> ssl.SSLContext | None:
    if target.scheme != "https":
        return None
    try:
        context = ssl.create_default_context(cafile=cafile)  # the system trust store, or cafile
    except (OSError, ssl.SSLError) as error:
        raise ProbeError(f"{cafile}: cannot load CA file: {error}") from None
    context.set_alpn_protocols(["http/1.1"])
    return context


class _Closed(Exception):
    """The upstream closed the connection (FIN, or RST when ``reset``)."""

    def __init__(self, reset: bool) -> None:
        super().__init__("reset" if reset else "closed")
        self.reset = reset


class _Probe:
    """One connection: first exchange, idle watch, then the reuse exchange."""

    def __init__(self, target: Target, settings: ProbeSettings, context: ssl.SSLContext | None) -> None:
        self.target = target
        self.settings = settings
        self.context = context
        self.conn = h11.Connection(our_role=h11.CLIENT)
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def connect(self) -> None:
        try:
            self.reader, self.writer = await asyncio.wait_for(
                asyncio.open_connection(
                    self.target.host, self.target.port, ssl=self.context,
                    server_hostname=self.target.host if self.context else None,
                ),
                self.settings.connect_timeout,
            )  # fmt: skip
        except asyncio.TimeoutError:
            raise ProbeError(
                f"{self.target.url}: no connection within {self.settings.connect_timeout:g} s"
            ) from None
        except ssl.SSLError as error:
            raise ProbeError(f"{self.target.url}: TLS handshake failed: {error.reason or error}") from None
        except OSError as error:
            raise ProbeError(f"{self.target.url}: cannot connect: {error.strerror or error}") from None

    async def exchange(self) -> tuple[int, bool]:
        """Send the request, read the whole response; ``(status, connection stays open)``."""
        assert self.reader is not None and self.writer is not None
        headers = [("Host", self.target.host_header), ("User-Agent", f"lunalint-probe/{__version__}"),
                   ("Accept", "*/*"), *self.settings.headers]  # fmt: skip
        request = h11.Request(method=self.settings.method, target=self.target.request_target, headers=headers)
        try:
            self.writer.write(self.conn.send(request) + (self.conn.send(h11.EndOfMessage()) or b""))
            await self.writer.drain()
        except ConnectionResetError:
            raise _Closed(reset=True) from None
        except (BrokenPipeError, ConnectionError):
            raise _Closed(reset=False) from None
        status = 0
        while True:
            event = self.conn.next_event()
            if event is h11.NEED_DATA:
                self.conn.receive_data(await self._read())
                continue
            if isinstance(event, h11.Response):
                status = event.status_code
            elif isinstance(event, h11.EndOfMessage):
                break
            elif isinstance(event, h11.ConnectionClosed):
                raise _Closed(reset=False)
        keep_alive = self.conn.our_state is h11.DONE and self.conn.their_state is h11.DONE
        if keep_alive:
            self.conn.start_next_cycle()
        return status, keep_alive

    async def _read(self) -> bytes:
        assert self.reader is not None
        try:
            return await self.reader.read(_READ_SIZE)
        except ConnectionResetError:
            raise _Closed(reset=True) from None
        except ssl.SSLError:
            raise _Closed(reset=False) from None

    async def watch_idle(self, idle: float) -> ConnectionResult | None:
        """Wait ``idle`` seconds from now; a result if the upstream closed first, else None."""
        assert self.reader is not None
        start = time.monotonic()
        try:
            data = await asyncio.wait_for(self._read(), idle)
        except asyncio.TimeoutError:
            return None
        except _Closed as closed:
            return _closed_result(idle, closed.reset, time.monotonic() - start)
        at = time.monotonic() - start
        if not data:
            return _closed_result(idle, False, at)
        # Bytes nobody asked for (some servers send "408 Request Timeout" before closing): the
        # connection is over; how it ends tells FIN from RST.
        try:
            while await asyncio.wait_for(self._read(), _AFTER_UNSOLICITED):
                pass
        except _Closed as closed:
            return _closed_result(idle, closed.reset, at, f"{len(data)}+ unsolicited bytes first")
        except asyncio.TimeoutError:
            return ConnectionResult(idle, "closed-on-reuse", None, "unsolicited bytes while idle, then no close")
        return _closed_result(idle, False, at, f"{len(data)}+ unsolicited bytes first")

    async def reuse(self, idle: float) -> ConnectionResult:
        try:
            await asyncio.wait_for(self.exchange(), self.settings.answer_timeout)
        except asyncio.TimeoutError:
            return ConnectionResult(idle, "silent", None,
                                    f"no answer within {self.settings.answer_timeout:g} s")
        except _Closed as closed:
            return ConnectionResult(idle, "closed-on-reuse", None, "RST" if closed.reset else "FIN")
        except h11.ProtocolError as error:
            return ConnectionResult(idle, "closed-on-reuse", None, f"invalid response: {error}")
        return ConnectionResult(idle, "alive")

    def close(self) -> None:
        if self.writer is not None:
            self.writer.transport.abort()


def _closed_result(idle: float, reset: bool, at: float, detail: str = "") -> ConnectionResult:
    return ConnectionResult(idle, "rst" if reset else "fin", round(at, 3), detail)


async def _first(probe: _Probe) -> tuple[int, bool, float]:
    start = time.monotonic()
    try:
        status, keep_alive = await asyncio.wait_for(probe.exchange(), probe.settings.answer_timeout)
    except asyncio.TimeoutError:
        raise ProbeError(
            f"{probe.target.url}: no response within {probe.settings.answer_timeout:g} s"
        ) from None
    except _Closed:
        raise ProbeError(f"{probe.target.url}: the connection closed before a response") from None
    except h11.ProtocolError as error:
        raise ProbeError(f"{probe.target.url}: not an HTTP/1.1 response: {error}") from None
    return status, keep_alive, time.monotonic() - start


async def _run_one(probe: _Probe, idle: float, firsts: list[tuple[int, bool, float]]) -> ConnectionResult | None:
    await probe.connect()
    first = await _first(probe)
    firsts.append(first)
    if not first[1]:
        return None
    return await probe.watch_idle(idle) or await probe.reuse(idle)


async def measure(target: Target, settings: ProbeSettings) -> Measurement:
    """Probe ``target`` with one connection per idle time in ``settings.idles``, all at once."""
    context = _ssl_context(target, settings.cafile)
    started = time.monotonic()
    probes = [_Probe(target, settings, context) for _ in settings.idles]
    firsts: list[tuple[int, bool, float]] = []
    tasks = [asyncio.ensure_future(_run_one(probe, idle, firsts))
             for probe, idle in zip(probes, settings.idles)]  # fmt: skip
    try:
        done = await asyncio.gather(*tasks)
    except BaseException:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        raise
    finally:
        for probe in probes:
            probe.close()
    status, _, first_response = firsts[0]
    keep_alive = all(first[1] for first in firsts)
    results = tuple(result for result in done if result is not None)
    return Measurement(
        target=target,
        status=status,
        keep_alive=keep_alive,
        first_response=round(max(first[2] for first in firsts), 3),
        connections=_by_idle(results),
        elapsed=round(time.monotonic() - started, 3),
    )


def _by_idle(results: Sequence[ConnectionResult]) -> tuple[ConnectionResult, ...]:
    return tuple(sorted(results, key=lambda result: result.idle))
