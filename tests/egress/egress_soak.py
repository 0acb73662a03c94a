"""Fault soak of the reference egress client (`run_soak`); `soak.py` is its command line.

Thousands of requests, ``concurrency`` at a time, go through the fault proxy to the upstream,
both in a child process (`egress_soakserver`), so that the sockets, tasks and memory measured
here are the client's alone. Each connection gets a seeded fault (FIN or RST once idle, a
silent black-hole once idle, a dropped request on reuse, slow chunks); the upstream is
restarted on the same port mid-run; quiet periods let idle connections reach the black-holes.
Every request carries an ``x-request-id`` so the server side can say how often it saw each.

Checked: no idempotent request fails; a POST fails only with a connection that died after it
was sent (retrying could send it twice) and the server never saw any POST twice; no request
takes longer than its deadline plus a margin; after ``aclose()`` the client's open file
descriptors, its asyncio tasks, the pool gauges and the server's open connections are back to
their baseline; traced memory after warm-up stays within a bound. Timings are scaled down
through `EgressConfig` (`soak_config`).
"""

from __future__ import annotations

import array
import asyncio
import collections
import contextlib
import gc
import json
import os
import random
import statistics
import sys
import time
import tracemalloc
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from egress_soakserver import SERVER_IDLE_CLOSE

from lunalint.egress import IDEMPOTENT_METHODS, EgressConfig, client_metrics, create_client

__all__ = ["SoakReport", "SoakSettings", "run_soak", "soak_config", "traced_growth"]

HERE = Path(__file__).resolve().parent

# Memory is sampled with no request in flight, after gc.collect(), so what is measured is what
# the client keeps between requests.
#
#: Fixed allowance for traced-memory growth after warm-up. The pool may hold 0 to
#: ``pool_max_idle`` (10) idle connections at a sample, about 29 KiB each (measured),
#: so up to ~300 KiB; the rest covers caches that fill once and stay bounded (urllib's
#: urlsplit cache, first-seen exception types).
MEMORY_FIXED = 512 * 1024
#: Per-request allowance: the one thing the client keeps per request by design is its
#: duration in `EgressMetrics`'s last-10,000 window, a float and a deque slot (~32 B; a
#: tracemalloc diff of a 2,500-request soak shows exactly these, ~31 B per request over 5,000).
#: A leaked response, connection or task per request (KiBs) exceeds the bound after a few
#: hundred requests; a single leaked 100-byte object per request after about 5,000.
MEMORY_PER_REQUEST = 64
#: Resident memory is coarser (allocator arenas, socket buffers, C libraries): net of
#: tracemalloc's own tables it may grow by this much after warm-up (a full run: under 1 MiB).
#: A leak outside Python's allocator of ~2 KiB per request would exceed it over 5,000.
RSS_BOUND_KIB = 8 * 1024

_OK_BODY = b"ok"


def traced_growth(traced: list[int]) -> tuple[int, int]:
    """``(growth, step)`` of traced memory samples: the growth from the first sample (the
    warm-up) to the last, and the largest rise between two consecutive samples.

    The check excuses that one rise. A cache that fills once (a module's source lines read
    to format a traceback, a first-seen error path, the state of an extra worker thread that
    a loaded machine's slower connects call for) may fill after the warm-up sample, at any
    point of the run, and then shows as one rise that says nothing about a leak: the short
    soak once measured 1.9 MiB of growth against its 530 KiB bound on a heavily loaded
    machine while passing alone. A leak rises at every sample, and one that leaks at each
    restart or quiet period (at least two per run) rises at least twice: without its largest
    interval it is still over the bound. (0, 0) with fewer than two samples.
    """
    if len(traced) < 2:
        return (0, 0)
    rises = [after - before for before, after in zip(traced, traced[1:])]
    return (traced[-1] - traced[0], max(0, *rises))


@dataclass(frozen=True)
class SoakSettings:
    requests: int = 5000
    concurrency: int = 20
    seed: int = 1
    sample_every: int = 500
    #: Graceful upstream restarts (default: one per 1,000 requests, at least 2).
    restarts: int | None = None
    #: Pauses with no request in flight, long enough for idle links to be black-holed
    #: (default: one per 500 requests, at least 3).
    quiet_periods: int | None = None
    #: Slack over the configured deadline for a request's wall time: scheduling on a loaded
    #: 2-core machine, closing the connection after the deadline fires.
    deadline_margin: float = 1.0

    @property
    def restart_count(self) -> int:
        return self.restarts if self.restarts is not None else max(2, self.requests // 1000)

    @property
    def quiet_count(self) -> int:
        return self.quiet_periods if self.quiet_periods is not None else max(3, self.requests // 500)


def soak_config(concurrency: int) -> EgressConfig:
    """Production settings scaled down about 200x: pool idle expiry 0.45 s (the proxy
    black-holes idle flows after 0.8 s, the server closes them after 1.5 s), per-read timeout
    1.5 s, whole-request deadline 4 s (the slowest request planned takes about 0.7 s), up to 4
    retries with 25-400 ms backoff, which outlasts a restart pause of up to 0.2 s."""
    return EgressConfig(
        pool_idle_timeout=0.45,
        tcp_keepalive=1.0,
        tcp_keepalive_interval=1.0,
        tcp_keepalive_count=2,
        timeout=1.5,
        connect_timeout=1.0,
        deadline=4.0,
        pool_max_connections=concurrency,
        pool_max_idle=max(1, concurrency // 2),
        max_retries=4,
        retry_backoff=0.05,
        retry_backoff_max=0.4,
    )


@dataclass(frozen=True)
class _Planned:
    kind: str  # get, get-delay, stream, put, delete, post, post-dropped
    method: str
    path: str
    body: bytes | None
    expected: bytes
    think: float  # pause after this request, before the worker's next one


def _plan(seed: int, index: int) -> _Planned:
    rng = random.Random(seed * 1_000_003 + index)
    roll = rng.random()
    body = b"soak %d" % index
    planned: tuple[str, str, str, bytes | None, bytes]
    if roll < 0.45:
        planned = ("get", "GET", "/ok", None, _OK_BODY)
    elif roll < 0.55:
        planned = ("get-delay", "GET", f"/ok?delay={rng.uniform(0.005, 0.05):.3f}", None, _OK_BODY)
    elif roll < 0.70:
        chunks = rng.randint(3, 6)
        path = f"/stream?chunks={chunks}&interval={rng.uniform(0.02, 0.08):.3f}"
        planned = ("stream", "GET", path, None, b"".join(b"chunk %d\n" % i for i in range(chunks)))
    elif roll < 0.75:
        planned = ("put", "PUT", "/ok", body, _OK_BODY)
    elif roll < 0.80:
        planned = ("delete", "DELETE", "/ok", None, _OK_BODY)
    elif roll < 0.96:
        planned = ("post", "POST", "/ok", body, _OK_BODY)
    else:  # the server reads it, then closes without answering if the connection was reused
        planned = ("post-dropped", "POST", "/drop-if-reused", body, _OK_BODY)
    think_roll = rng.random()
    if think_roll < 0.7:
        think = rng.uniform(0.0, 0.05)
    elif think_roll < 0.9:
        think = rng.uniform(0.1, 0.4)
    else:
        think = rng.uniform(0.4, 0.9)
    kind, method, path, content, expected = planned
    return _Planned(kind, method, path, content, expected, think)


# Outcomes, one byte per request.
_PENDING, _OK, _POST_UNSAFE, _FAILED = 0, 1, 2, 3
_UNSAFE_TO_RETRY = (httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError)


@dataclass
class SoakReport:
    settings: SoakSettings
    config: EgressConfig
    problems: list[str] = field(default_factory=list)
    figures: list[tuple[str, str]] = field(default_factory=list)

    def check(self, ok: bool, message: str) -> None:
        if not ok:
            self.problems.append(message)

    def table(self) -> str:
        width = max(len(name) for name, _ in self.figures)
        lines = [f"{name.ljust(width)}  {value}" for name, value in self.figures]
        if self.problems:
            lines.append("FAILED:")
            lines.extend(f"  - {problem}" for problem in self.problems)
        else:
            lines.append("all checks passed")
        return "\n".join(lines)


def _open_fds() -> int | None:
    for directory in ("/proc/self/fd", "/dev/fd"):
        with contextlib.suppress(OSError):
            return len(os.listdir(directory)) - 1  # listdir's own descriptor
    return None


def _rss_kib() -> int | None:
    with contextlib.suppress(OSError, ValueError):
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    return None


class _Gate:
    """Workers wait here while anyone holds it (a quiet period, a memory sample)."""

    def __init__(self) -> None:
        self._holds = 0
        self._open = asyncio.Event()
        self._open.set()

    def hold(self) -> None:
        self._holds += 1
        self._open.clear()

    def release(self) -> None:
        self._holds -= 1
        if not self._holds:
            self._open.set()

    async def wait(self) -> None:
        await self._open.wait()


class _ServerSide:
    """The child process running the proxy and the upstream."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process

    @classmethod
    async def start(cls, seed: int, lifetime: float) -> tuple[_ServerSide, int]:
        process = await asyncio.create_subprocess_exec(
            sys.executable, str(HERE / "egress_soakserver.py"), "--seed", str(seed),
            "--lifetime", str(lifetime),
            stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
            limit=64 * 1024 * 1024, cwd=str(HERE),
        )  # fmt: skip
        server = cls(process)
        hello = await server._read()
        return server, int(hello["proxy_port"])

    async def _read(self) -> dict[str, Any]:
        assert self.process.stdout is not None
        line = await asyncio.wait_for(self.process.stdout.readline(), timeout=30.0)
        if not line:
            raise RuntimeError(f"soak server exited ({await self.process.wait()})")
        message: dict[str, Any] = json.loads(line)
        return message

    async def ask(self, command: dict[str, Any]) -> dict[str, Any]:
        assert self.process.stdin is not None
        self.process.stdin.write(json.dumps(command).encode() + b"\n")
        await self.process.stdin.drain()
        return await self._read()

    async def close(self) -> None:
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self.ask({"cmd": "stop"}), timeout=5.0)
        if self.process.stdin is not None:
            self.process.stdin.close()
        try:
            await asyncio.wait_for(self.process.wait(), timeout=10.0)
        except asyncio.TimeoutError:
            self.process.kill()
            await self.process.wait()


async def run_soak(settings: SoakSettings) -> SoakReport:
    """Run the soak; the report's ``problems`` lists every failed check (empty when all pass)."""
    max_runtime = 120.0 + settings.requests * 0.1
    started_tracing = not tracemalloc.is_tracing()
    if started_tracing:
        tracemalloc.start()
    server, proxy_port = await _ServerSide.start(settings.seed, lifetime=max_runtime + 60.0)
    try:
        return await asyncio.wait_for(_soak(settings, server, proxy_port), timeout=max_runtime)
    finally:
        await server.close()
        if started_tracing:
            tracemalloc.stop()


async def _soak(settings: SoakSettings, server: _ServerSide, proxy_port: int) -> SoakReport:
    n, seed = settings.requests, settings.seed
    config = soak_config(settings.concurrency)
    report = SoakReport(settings, config)
    plans = [_plan(seed, i) for i in range(n)]
    outcome = bytearray(n)
    wall = array.array("d", bytes(8 * n))
    errors: collections.Counter[str] = collections.Counter()
    failures: list[str] = []
    # (requests done, traced bytes, RSS KiB, tracemalloc's own KiB)
    memory: list[tuple[int, int, int | None, int]] = []

    base_url = f"http://127.0.0.1:{proxy_port}"
    await asyncio.sleep(0)
    fds_before, tasks_before = _open_fds(), len(asyncio.all_tasks())
    client = create_client(config, base_url=base_url)
    metrics = client_metrics(client)
    gate = _Gate()
    progress = {"next": 0, "done": 0, "in_flight": 0}
    started = time.monotonic()

    async def drained() -> None:
        while progress["in_flight"]:
            await asyncio.sleep(0.005)

    async def sample() -> None:
        """Memory with no request in flight, after a collection: what the client keeps."""
        gate.hold()
        try:
            await drained()
            gc.collect()
            memory.append(
                (
                    progress["done"],
                    tracemalloc.get_traced_memory()[0],
                    _rss_kib(),
                    tracemalloc.get_tracemalloc_memory() // 1024,
                )
            )
        finally:
            gate.release()

    async def one(index: int) -> None:
        planned = plans[index]
        headers = {"x-request-id": str(index)}
        events: list[str] = []  # C connected, S request head sent, H response head received

        async def trace(name: str, info: dict[str, Any]) -> None:
            if name == "connection.connect_tcp.complete":
                events.append("C")
            elif name.endswith(".send_request_headers.started"):
                events.append("S")
            elif name.endswith(".receive_response_headers.complete"):
                events.append("H")

        extensions = {"trace": trace}
        begin = time.monotonic()
        error: BaseException | None = None
        body = b""
        status = 0
        try:
            if planned.kind == "stream":
                async with client.stream(
                    planned.method, planned.path, headers=headers, extensions=extensions
                ) as response:
                    status = response.status_code
                    body = b"".join([chunk async for chunk in response.aiter_bytes()])
            else:
                response = await client.request(
                    planned.method, planned.path, content=planned.body, headers=headers, extensions=extensions
                )
                status, body = response.status_code, response.content
        except Exception as exc:  # every failure is classified below
            error = exc
        wall[index] = time.monotonic() - begin
        if error is None and status == 200 and body == planned.expected:
            outcome[index] = _OK
            return
        what = f"{type(error).__name__}: {error}" if error is not None else f"{status} {body[:40]!r}"
        errors[type(error).__name__ if error is not None else "wrong response"] += 1
        if planned.method not in IDEMPOTENT_METHODS and isinstance(error, _UNSAFE_TO_RETRY):
            outcome[index] = _POST_UNSAFE
            return
        outcome[index] = _FAILED
        failures.append(
            f"#{index} {planned.method} {planned.path}: {what} after {wall[index]:.3f} s"
            f" (trace {''.join(events)})"
        )

    async def worker() -> None:
        while progress["next"] < n:
            await gate.wait()
            if progress["next"] >= n:
                return
            index = progress["next"]
            progress["next"] += 1
            progress["in_flight"] += 1
            try:
                await one(index)
            finally:
                progress["in_flight"] -= 1
                progress["done"] += 1
            if progress["done"] % settings.sample_every == 0 and progress["done"] < n:
                await sample()
            await asyncio.sleep(plans[index].think)

    events_rng = random.Random(seed ^ 0x5EED)
    events: list[tuple[int, str, float]] = []
    for count, kind in ((settings.restart_count, "restart"), (settings.quiet_count, "quiet")):
        for k in range(count):
            at = int(n * (k + events_rng.uniform(0.2, 0.8)) / count)
            pause = events_rng.uniform(0.05, 0.2) if kind == "restart" else events_rng.uniform(1.3, 1.6)
            events.append((at, kind, pause))
    events.sort()
    restarts_done = 0

    async def controller() -> None:
        nonlocal restarts_done
        for at, kind, pause in events:
            while progress["done"] < at and progress["next"] < n:
                await asyncio.sleep(0.01)
            if kind == "restart":
                await server.ask({"cmd": "restart", "pause": pause})
                restarts_done += 1
            else:
                gate.hold()
                await drained()
                await asyncio.sleep(pause)
                gate.release()

    try:
        await asyncio.gather(controller(), *(worker() for _ in range(settings.concurrency)))
        elapsed = time.monotonic() - started
        await sample()
        before_close = metrics.snapshot()
    finally:
        await client.aclose()
    after_close = metrics.snapshot()

    # -- after aclose: everything back to baseline (bounded waits) ------------------------
    deadline_settle = time.monotonic() + 3.0
    while _open_fds() != fds_before and time.monotonic() < deadline_settle:
        await asyncio.sleep(0.02)
    fds_after = _open_fds()
    tasks_after = len(asyncio.all_tasks())
    stats = await server.ask({"cmd": "stats"})
    settle_end = time.monotonic() + SERVER_IDLE_CLOSE + 3.0
    while (stats["upstream_open"] or stats["proxy_open"]) and time.monotonic() < settle_end:
        await asyncio.sleep(0.1)
        stats = await server.ask({"cmd": "stats"})

    # -- checks ------------------------------------------------------------------------------
    kinds = collections.Counter(p.kind for p in plans)
    idempotent = [i for i in range(n) if plans[i].method in IDEMPOTENT_METHODS]
    posts = [i for i in range(n) if plans[i].method not in IDEMPOTENT_METHODS]
    received: dict[str, int] = stats["received"]
    answered: dict[str, int] = stats["answered"]
    unsafe = [i for i in posts if outcome[i] == _POST_UNSAFE]
    seen_unsafe = sum(1 for i in unsafe if received.get(str(i), 0))
    assert config.deadline is not None
    limit = config.deadline + settings.deadline_margin
    over = [i for i in range(n) if wall[i] > limit]
    ordered = sorted(wall)

    report.check(all(o != _PENDING for o in outcome), "some requests never ran")
    idem_failed = [i for i in idempotent if outcome[i] != _OK]
    report.check(not idem_failed, f"{len(idem_failed)} idempotent requests failed: {failures[:5]}")
    other_post = [i for i in posts if outcome[i] == _FAILED]
    report.check(not other_post, f"{len(other_post)} POSTs failed other than unsafe-to-retry: {failures[:5]}")
    twice = [i for i in posts if received.get(str(i), 0) > 1]
    report.check(not twice, f"POSTs the server received more than once: {twice[:10]}")
    unanswered = [i for i in range(n) if outcome[i] == _OK and not answered.get(str(i), 0)]
    report.check(not unanswered, f"successful requests the server never answered: {unanswered[:10]}")
    report.check(not over, f"{len(over)} requests over deadline + margin ({limit:.1f} s): {over[:10]}")
    report.check(metrics.snapshot().requests_timeout == 0, "requests ended in a timeout")
    report.check(before_close.pool_active == 0, f"{before_close.pool_active} connections active after the run")
    report.check(
        (after_close.pool_idle, after_close.pool_active) == (0, 0),
        f"pool gauges after aclose: idle {after_close.pool_idle}, active {after_close.pool_active}",
    )
    report.check(fds_after == fds_before, f"open fds {fds_before} before, {fds_after} after aclose")
    report.check(tasks_after == tasks_before, f"asyncio tasks {tasks_before} before, {tasks_after} after")
    report.check(
        stats["upstream_open"] == 0 and stats["proxy_open"] == 0,
        f"server side still open: upstream {stats['upstream_open']}, proxy {stats['proxy_open']}",
    )
    report.check(restarts_done == settings.restart_count, f"{restarts_done} restarts done")
    report.check(stats["upstream_restarts"] == settings.restart_count, "upstream restarts not all done")
    faults: dict[str, int] = stats["faults"]
    # The faults the soak is about must have happened (close-on-reuse, 5 % of links and
    # only on a reuse after 0.2 s idle, is reported but may not fire in a short run).
    for kind in ("fin", "rst", "blackhole", "refused"):
        report.check(faults.get(kind, 0) > 0, f"no {kind} fault fired: the soak did not exercise it")
    report.check(stats["slow_links"] > 0, "no slow link: the soak did not exercise slow chunks")
    report.check(before_close.requests_retried > 0, "no retry happened: the faults did not reach the client")
    warm = memory[0] if len(memory) > 1 else None
    traced = [m[1] for m in memory]
    growth, step = traced_growth(traced)
    memory_bound = MEMORY_FIXED + MEMORY_PER_REQUEST * (n - warm[0]) if warm else 0
    report.check(
        growth - step <= memory_bound,
        f"traced memory grew {growth / 1024:.0f} KiB after warm-up, {(growth - step) / 1024:.0f} KiB "
        f"without its largest single step (bound {memory_bound / 1024:.0f} KiB)",
    )
    rss_growth: int | None = None
    if warm and warm[2] is not None and memory[-1][2] is not None:
        rss_growth = (memory[-1][2] - memory[-1][3]) - (warm[2] - warm[3])
        report.check(
            rss_growth <= RSS_BOUND_KIB,
            f"RSS grew {rss_growth} KiB after warm-up, net of tracemalloc (bound {RSS_BOUND_KIB} KiB)",
        )

    # -- figures -----------------------------------------------------------------------------
    def ms(seconds: float) -> str:
        return f"{seconds * 1000:.0f} ms"

    fig = report.figures.append
    fig(("requests", f"{n} at concurrency {settings.concurrency}, seed {seed}, {elapsed:.1f} s"))
    fig(("mix", ", ".join(f"{k} {v}" for k, v in sorted(kinds.items()))))
    fig(("idempotent failed", f"{len(idem_failed)} of {len(idempotent)}"))
    fig(("POST failed, unsafe", f"{len(unsafe)} of {len(posts)} (server saw {seen_unsafe}; none twice)"
         if not twice else f"{len(unsafe)} of {len(posts)}; {len(twice)} POSTs seen twice"))  # fmt: skip
    fig(("errors seen", ", ".join(f"{k} {v}" for k, v in errors.most_common()) or "none"))
    fig(("wall time", f"p50 {ms(statistics.median(ordered))}, p99 {ms(ordered[int(0.99 * (n - 1))])}, "
         f"max {ms(ordered[-1])}; limit {limit:.1f} s (deadline {config.deadline} s), over: {len(over)}"))  # fmt: skip
    fig(("retries / timeouts", f"{before_close.requests_retried} / {before_close.requests_timeout}"))
    fig(("connections", f"created {before_close.connections_created}, reused "
         f"{before_close.connections_reused} (reuse {before_close.reuse_rate:.0%})"))  # fmt: skip
    fig(("faults fired", ", ".join(f"{k} {v}" for k, v in sorted(faults.items()))
         + f"; {stats['slow_links']} slow links of {stats['proxy_links']}"))  # fmt: skip
    fig(("upstream restarts", f"{stats['upstream_restarts']}, quiet periods {settings.quiet_count}"))
    fig(("open fds", f"{fds_before} before, {fds_after} after aclose"))
    fig(("asyncio tasks", f"{tasks_before} before, {tasks_after} after"))
    fig(("pool idle/active", f"{before_close.pool_idle}/{before_close.pool_active} at the end, "
         f"{after_close.pool_idle}/{after_close.pool_active} after aclose"))  # fmt: skip
    fig(("server open conns", f"upstream {stats['upstream_open']}, proxy {stats['proxy_open']} after aclose "
         f"(upstream peak {stats['upstream_peak_open']}, {stats['upstream_connections']} accepted)"))  # fmt: skip
    fig(("traced memory KiB", " ".join(f"{m[0]}:{m[1] // 1024}" for m in memory)))
    fig(("RSS KiB", " ".join(f"{m[0]}:{m[2]}" for m in memory)))
    fig(("memory growth", f"traced {growth / 1024:+.0f} KiB after request {warm[0] if warm else 0}, "
         f"{(growth - step) / 1024:+.0f} KiB without its largest step "
         f"(bound {memory_bound / 1024:.0f} KiB); RSS net of tracemalloc "
         f"{'n/a' if rss_growth is None else f'{rss_growth:+d} KiB'} (bound {RSS_BOUND_KIB} KiB)"))  # fmt: skip
    return report
