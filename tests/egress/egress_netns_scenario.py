"""TCP keepalive against a packet-level black-hole; run as ``unshare -rn python THIS`` (prints JSON).

Inside its own network namespace it brings up ``lo``, starts the upstream, and drops every packet
of chosen client flows with nftables, exactly like a NAT that forgot them: new connections still
work. Two scenarios run side by side, each with a reference client (keepalive 1 s idle, 1 s
interval, 2 probes) and a plain httpx client without keepalive, both with read timeout READ:

- ``idle``: the pooled connection is black-holed while idle, then reused;
- ``waiting``: the connection is black-holed while the client waits for a slow response.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import time
from typing import Any

import httpx
from egress_upstream import Upstream

from lunalint.egress import EgressConfig, client_metrics, create_client

READ = 10.0
IDLE_WAIT = 4.5  # keepalive gives up after 1 + 2 x 1 = 3 s of silence


def sh(*argv: str) -> None:
    subprocess.run(argv, check=True, capture_output=True, timeout=10)


def black_hole(port: int) -> None:
    sh("nft", "add", "rule", "inet", "bh", "c", "tcp", "sport", str(port), "drop")
    sh("nft", "add", "rule", "inet", "bh", "c", "tcp", "dport", str(port), "drop")


async def outcome(call: Any) -> dict[str, Any]:
    start = time.monotonic()
    try:
        response = await call
    except httpx.HTTPError as exc:
        return {"error": type(exc).__name__, "message": str(exc), "elapsed": time.monotonic() - start}
    return {"status": response.status_code, "elapsed": time.monotonic() - start}


async def idle_case(server: Upstream, client: httpx.AsyncClient, name: str) -> dict[str, Any]:
    await client.get(server.url(f"/first-{name}"))
    (record,) = [r for r in server.received if r.path == f"/first-{name}"]
    black_hole(server.connections[record.connection].peer_port)
    await asyncio.sleep(IDLE_WAIT)
    return await outcome(client.get(server.url(f"/second-{name}")))


async def waiting_case(server: Upstream, client: httpx.AsyncClient, name: str) -> dict[str, Any]:
    task = asyncio.ensure_future(outcome(client.get(server.url(f"/slow-{name}?delay=30"))))
    end = time.monotonic() + 5
    while not [r for r in server.received if r.path == f"/slow-{name}"] and time.monotonic() < end:
        await asyncio.sleep(0.01)
    (record,) = [r for r in server.received if r.path == f"/slow-{name}"]
    black_hole(server.connections[record.connection].peer_port)
    return await task


async def main() -> dict[str, Any]:
    sh("ip", "link", "set", "lo", "up")
    sh("nft", "add", "table", "inet", "bh")
    sh("nft", "add", "chain", "inet", "bh", "c", "{ type filter hook input priority 0; }")
    config = EgressConfig(
        tcp_keepalive=1, tcp_keepalive_interval=1, tcp_keepalive_count=2,
        pool_idle_timeout=60.0, timeout=READ, deadline=60.0, max_retries=0,
    )  # fmt: skip
    async with Upstream(lifetime=60.0) as server:
        clients = {
            "reference-idle": create_client(config),
            "reference-waiting": create_client(config),
            "plain-idle": _plain(),
            "plain-waiting": _plain(),
        }
        try:
            names = list(clients)
            results = await asyncio.gather(
                *(
                    (idle_case if name.endswith("idle") else waiting_case)(server, clients[name], name)
                    for name in names
                )
            )
            report: dict[str, Any] = dict(zip(names, results))
            for name in ("reference-idle", "reference-waiting"):
                snap = client_metrics(clients[name]).snapshot()
                report[name]["metrics"] = {
                    "created": snap.connections_created,
                    "reused": snap.connections_reused,
                    "timeouts": snap.requests_timeout,
                }
            report["server_connections"] = {
                name: sum(1 for r in server.received if r.path.endswith(name) and not r.reused)
                for name in names
            }
        finally:
            for client in clients.values():
                await client.aclose()
    return report


def _plain() -> httpx.AsyncClient:
    """A client without TCP keepalive; its idle expiry (60 s) is no help within the test."""
    return httpx.AsyncClient(
        transport=httpx.AsyncHTTPTransport(limits=httpx.Limits(keepalive_expiry=60.0)),
        timeout=httpx.Timeout(READ, connect=5.0),
    )


if __name__ == "__main__":
    json.dump(asyncio.run(main()), sys.stdout)
