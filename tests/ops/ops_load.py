"""Egress clients under four conditions, each exporting its metrics for Prometheus to scrape.

Run as ``python THIS SECONDS``: prints one JSON line ``{"scenario": metrics_port, ...}``, then
drives traffic for SECONDS. Timings are scaled down about a hundredfold (see the Prometheus
end-to-end test, which scales the rules the same way):

- ``healthy``: short requests every 50 ms to a keep-alive upstream;
- ``stale``: the upstream closes connections idle 0.2 s with a FIN and requests come every
  0.4 s, so no connection is reused (the pool idle expiry is 60 s);
- ``blackhole``: the fault proxy black-holes connections idle 0.3 s; bursts of four requests
  0.6 s apart, so the first of each burst goes out on a dead connection and times out (read
  timeout 0.5 s, no retry) and the other three reuse the new connection;
- ``stuck``: the upstream never answers; two workers hold the pool's two connections and each
  request ends at its 0.6 s deadline, so every attempt opens a new connection (three a second).
  Two, not more: with requests cancelled while they wait for a pool slot, httpcore 1.0.9 leaks
  the slots (encode/httpcore#1093) and the pool stops opening connections at all.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import sys
from collections.abc import Awaitable, Callable

import httpx
from egress_faultproxy import FaultProxy
from egress_upstream import Upstream
from prometheus_client import CollectorRegistry, start_http_server

from lunalint.egress import EgressConfig, EgressMetrics, create_client
from lunalint.egress.prometheus import register_prometheus


def _exported(metrics: EgressMetrics) -> int:
    registry = CollectorRegistry()
    register_prometheus(metrics, registry)
    server, _thread = start_http_server(0, addr="127.0.0.1", registry=registry)
    return int(server.server_port)


async def _request(client: httpx.AsyncClient, url: str) -> None:
    with contextlib.suppress(httpx.HTTPError):
        response = await client.get(url)
        await response.aread()


async def _every(pause: float, step: Callable[[], Awaitable[None]]) -> None:
    while True:
        await step()
        await asyncio.sleep(pause)


async def main(seconds: float) -> None:
    ports: dict[str, int] = {}
    async with Upstream(lifetime=seconds + 30) as upstream, \
            Upstream(idle_close_after=0.2, lifetime=seconds + 30) as closing, \
            FaultProxy(upstream.port, mode="blackhole", idle=0.3, lifetime=seconds + 30) as proxy:  # fmt: skip
        configs = {
            "healthy": EgressConfig(pool_idle_timeout=60, timeout=5, max_retries=0),
            "stale": EgressConfig(pool_idle_timeout=60, timeout=5, max_retries=0),
            "blackhole": EgressConfig(pool_idle_timeout=60, timeout=0.5, max_retries=0),
            "stuck": EgressConfig(pool_idle_timeout=60, timeout=30, deadline=0.6, pool_max_connections=2,
                                  max_retries=0),
        }  # fmt: skip
        metrics = {name: EgressMetrics() for name in configs}
        clients = {name: create_client(config, metrics=metrics[name]) for name, config in configs.items()}
        ports = {name: _exported(metrics[name]) for name in configs}
        print(json.dumps(ports), flush=True)

        async def burst() -> None:
            for _ in range(4):
                await _request(clients["blackhole"], proxy.url("/ok"))
                await asyncio.sleep(0.05)

        tasks = [
            _every(0.05, lambda: _request(clients["healthy"], upstream.url("/ok"))),
            _every(0.4, lambda: _request(clients["stale"], closing.url("/ok"))),
            _every(0.6, burst),
            *(_every(0.0, lambda: _request(clients["stuck"], upstream.url("/silent"))) for _ in range(2)),
        ]
        runners = [asyncio.ensure_future(task) for task in tasks]
        try:
            await asyncio.sleep(seconds)
        finally:
            for runner in runners:
                runner.cancel()
            await asyncio.gather(*runners, return_exceptions=True)
            for client in clients.values():
                await client.aclose()


if __name__ == "__main__":
    asyncio.run(main(float(sys.argv[1])))
