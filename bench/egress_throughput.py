"""Throughput of lunalint's egress client against raw httpx, both on one loopback server.

    python bench/egress_throughput.py            # 9 alternating runs per case, text table
    python bench/egress_throughput.py --markdown # the same table as Markdown
    python bench/egress_throughput.py --quick    # 1 short run per case: does the harness work?

The server runs in a child process (so the client process's CPU time is the client's alone)
and answers three routes over HTTP/1.1 keep-alive: ``/small`` (a 2-byte body), ``/sse``
(400 chunks of 64 bytes, each written on its own, as a server-sent-event stream is) and
``/large`` (a 1 MiB body). For each case the two clients run alternately (raw, egress, egress,
raw, ...) so that both see the same machine load; each run makes a fresh client, warms it up
with a few requests, collects garbage (so that one run's leftovers are not collected during
the next run's timing), then times ``requests`` requests at ``concurrency`` at a time.

"raw httpx" is the very transport `create_client` wraps: an ``httpx.AsyncHTTPTransport`` with
the same limits and socket options, so the ratio is the cost of the egress layer (deadline,
retry bookkeeping, metrics, logging) and nothing else. Reported per case: medians of req/s and
of client CPU per request (``time.process_time``, user + system of this process), and their
ratios egress / raw (the median of the ratios of each back-to-back pair of runs). The target
is a throughput ratio of at least 0.95 and a CPU ratio of at most 1.05 in every case.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "lint"))

import httpx  # noqa: E402

from lunalint.egress import EgressConfig, create_client  # noqa: E402
from lunalint.egress.client import socket_options_for  # noqa: E402

SSE_CHUNKS = 400
SSE_CHUNK = b"data: " + b"x" * 56 + b"\n\n"  # 64 bytes, one event
LARGE = b"y" * (1 << 20)
TARGET_THROUGHPUT = 0.95
TARGET_CPU = 1.05


@dataclass(frozen=True)
class Case:
    name: str
    path: str
    concurrency: int
    requests: int
    stream: bool


CASES = (
    Case("GET 2 B, concurrency 8", "/small", 8, 1500, stream=False),
    Case(f"{SSE_CHUNKS} x 64 B chunks (SSE-like), concurrency 20", "/sse", 20, 200, stream=True),
    Case("1 MiB bodies, concurrency 10", "/large", 10, 300, stream=False),
)


# -- the server (child process) ------------------------------------------------------------


class _Http(asyncio.Protocol):
    """Minimal HTTP/1.1 keep-alive server: GET only, no request bodies."""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        self.buffer = b""
        self.busy: asyncio.Task[None] | None = None

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        self._next()

    def _next(self) -> None:
        if self.busy is not None and not self.busy.done():
            return
        end = self.buffer.find(b"\r\n\r\n")
        if end < 0:
            return
        head, self.buffer = self.buffer[:end], self.buffer[end + 4 :]
        path = head.split(b" ", 2)[1]
        if path == b"/sse":
            self.busy = asyncio.ensure_future(self._sse())
            self.busy.add_done_callback(lambda _: self._next())
            return
        body = LARGE if path == b"/large" else b"ok"
        self.transport.write(b"HTTP/1.1 200 OK\r\ncontent-length: %d\r\n\r\n" % len(body) + body)
        self._next()

    async def _sse(self) -> None:
        self.transport.write(
            b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ntransfer-encoding: chunked\r\n\r\n"
        )
        frame = b"%x\r\n" % len(SSE_CHUNK) + SSE_CHUNK + b"\r\n"
        for _ in range(SSE_CHUNKS):
            self.transport.write(frame)
            await asyncio.sleep(0)  # one event per write, as a generating model sends them
        self.transport.write(b"0\r\n\r\n")


async def _serve() -> None:
    server = await asyncio.get_running_loop().create_server(_Http, "127.0.0.1", 0)
    print(server.sockets[0].getsockname()[1], flush=True)
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)  # until the parent closes it


# -- the clients ---------------------------------------------------------------------------


def raw_client(config: EgressConfig) -> httpx.AsyncClient:
    """The transport `create_client` wraps, with nothing around it."""
    return httpx.AsyncClient(
        transport=httpx.AsyncHTTPTransport(
            limits=httpx.Limits(
                max_connections=config.pool_max_connections,
                max_keepalive_connections=config.pool_max_idle,
                keepalive_expiry=config.pool_idle_timeout,
            ),
            socket_options=socket_options_for(config),
        ),
        timeout=httpx.Timeout(config.timeout, connect=config.connect_timeout, pool=config.pool_timeout),
    )


CLIENTS: dict[str, Callable[[EgressConfig], httpx.AsyncClient]] = {
    "raw httpx": raw_client,
    "create_client()": create_client,
}


@dataclass(frozen=True)
class Sample:
    rps: float
    cpu_per_request: float


async def _one(client: httpx.AsyncClient, url: str, case: Case) -> None:
    if case.stream:
        chunks = 0
        async with client.stream("GET", url) as response:
            async for _ in response.aiter_bytes():
                chunks += 1
        if chunks < 2:
            raise RuntimeError(f"{case.name}: the body arrived in {chunks} chunk(s), not as a stream")
    else:
        response = await client.get(url)
        if response.status_code != 200:
            raise RuntimeError(f"{case.name}: status {response.status_code}")


async def _measure(make: Callable[[EgressConfig], httpx.AsyncClient], url: str, case: Case, requests: int) -> Sample:
    config = EgressConfig()
    async with make(config) as client:
        await asyncio.gather(*(_one(client, url, case) for _ in range(case.concurrency)))  # warm-up
        left = requests

        async def worker() -> None:
            nonlocal left
            while left > 0:
                left -= 1
                await _one(client, url, case)

        gc.collect()  # the previous run's garbage is collected now, not during this run's timing
        wall, cpu = time.perf_counter(), time.process_time()
        await asyncio.gather(*(worker() for _ in range(case.concurrency)))
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    return Sample(requests / wall, cpu / requests)


async def _bench(port: int, runs: int, scale: float, cases: tuple[Case, ...]) -> dict[str, dict[str, list[Sample]]]:
    results: dict[str, dict[str, list[Sample]]] = {}
    for case in cases:
        url = f"http://127.0.0.1:{port}{case.path}"
        requests = max(case.concurrency * 2, int(case.requests * scale))
        per_client: dict[str, list[Sample]] = {name: [] for name in CLIENTS}
        for run in range(runs):
            order = list(CLIENTS) if run % 2 == 0 else list(reversed(CLIENTS))
            for name in order:
                per_client[name].append(await _measure(CLIENTS[name], url, case, requests))
        results[case.name] = per_client
    return results


# -- the report ----------------------------------------------------------------------------


def _table(results: dict[str, dict[str, list[Sample]]], markdown: bool) -> tuple[str, bool]:
    raw_name, egress_name = list(CLIENTS)
    header = ["case", "raw httpx req/s", "create_client() req/s", "ratio",
              "raw CPU/req", "create_client() CPU/req", "CPU ratio"]  # fmt: skip
    rows = [header]
    met = True
    for case, per_client in results.items():
        raw_rps = statistics.median(s.rps for s in per_client[raw_name])
        egress_rps = statistics.median(s.rps for s in per_client[egress_name])
        raw_cpu = statistics.median(s.cpu_per_request for s in per_client[raw_name])
        egress_cpu = statistics.median(s.cpu_per_request for s in per_client[egress_name])
        # Ratios of each back-to-back pair, then their median: the machine's load drifts over
        # seconds, and a pair sees nearly the same load where two medians may not.
        pairs = list(zip(per_client[raw_name], per_client[egress_name]))
        ratio = statistics.median(e.rps / r.rps for r, e in pairs)
        cpu_ratio = statistics.median(e.cpu_per_request / r.cpu_per_request for r, e in pairs)
        met = met and ratio >= TARGET_THROUGHPUT and cpu_ratio <= TARGET_CPU
        rows.append([case, f"{raw_rps:,.0f}", f"{egress_rps:,.0f}", f"{ratio:.2f}",
                     f"{raw_cpu * 1e6:,.0f} µs", f"{egress_cpu * 1e6:,.0f} µs", f"{cpu_ratio:.2f}"])  # fmt: skip
    if markdown:
        lines = ["| " + " | ".join(row) + " |" for row in rows]
        lines.insert(1, "|" + "---|" * len(header))
        return "\n".join(lines), met
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    return "\n".join("  ".join(cell.ljust(w) for cell, w in zip(row, widths)) for row in rows), met


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=9, help="runs per client and case (default 9)")
    parser.add_argument("--scale", type=float, default=1.0, help="multiply the request counts")
    parser.add_argument("--markdown", action="store_true")
    parser.add_argument("--quick", action="store_true", help="1 run at a tenth of the requests")
    parser.add_argument("--case", choices=[case.path.strip("/") for case in CASES], action="append",
                        help="run only this case (repeatable; default: all)")  # fmt: skip
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.serve:
        asyncio.run(_serve())
        return 0
    if args.quick:
        args.runs, args.scale = 1, 0.1
    if args.runs < 1 or args.scale <= 0:
        parser.error("--runs must be at least 1 and --scale above 0")
    server = subprocess.Popen(
        [sys.executable, __file__, "--serve"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        assert server.stdout is not None
        port = int(server.stdout.readline())
        load = os.getloadavg()
        cases = tuple(case for case in CASES if not args.case or case.path.strip("/") in args.case)
        results = asyncio.run(_bench(port, args.runs, args.scale, cases))
    finally:
        if server.stdin is not None:
            server.stdin.close()
        server.wait(timeout=10)
    table, met = _table(results, args.markdown)
    print(f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
          f"httpx {httpx.__version__}; medians of {args.runs} alternating run(s); "
          f"load average {load[0]:.2f} -> {os.getloadavg()[0]:.2f}")  # fmt: skip
    print(table)
    verdict = "met" if met else "NOT met"
    print(f"target (throughput ratio >= {TARGET_THROUGHPUT}, CPU ratio <= {TARGET_CPU} in every case): {verdict}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
