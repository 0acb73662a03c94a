"""TCP keepalive against a packet-level black-hole; run as ``unshare -rn python THIS`` (prints JSON).

Inside its own network namespace it brings up ``lo``, starts the upstream, and drops every packet
of chosen client flows with nftables, exactly like a NAT that forgot them: new connections still
work. Two scenarios run side by side, each with a reference client (keepalive 1 s idle, 1 s
interval, 2 probes) and a plain httpx client without keepalive, both with read timeout READ:

- ``idle``: the pooled connection is black-holed while idle, then reused;
- ``waiting``: the connection is black-holed while the client waits for a slow response.

Three more run alongside, for ``TCP_USER_TIMEOUT``: a pooled connection is black-holed just
before it is reused, so the request is written into the dead path and stays unacknowledged,
and Linux sends no keepalive probe while sent data is unacknowledged. ``reuse-get`` and
``reuse-post`` use the reference client (its user timeout is keepalive idle + interval x
count = 3 s); ``keepalive-only-reuse`` is a client with the same keepalive but no user
timeout. Last, ``dns``: a name that cannot resolve (the namespace has no route to any
resolver, so nothing leaves the machine).
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import subprocess
import sys
import time
from typing import Any

import httpx
from egress_upstream import Upstream

from lunalint.egress import EgressConfig, client_metrics, create_client
from lunalint.egress.client import socket_options_for

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


async def reuse_case(server: Upstream, client: httpx.AsyncClient, name: str) -> dict[str, Any]:
    method = "POST" if name.endswith("post") else "GET"
    await client.request(method, server.url(f"/first-{name}"), content=b"first")
    (record,) = [r for r in server.received if r.path == f"/first-{name}"]
    black_hole(server.connections[record.connection].peer_port)
    return await outcome(client.request(method, server.url(f"/second-{name}"), content=b"second"))


def metrics_of(client: httpx.AsyncClient) -> dict[str, Any]:
    snap = client_metrics(client).snapshot()
    return {
        "created": snap.connections_created,
        "reused": snap.connections_reused,
        "retried": snap.requests_retried,
        "timeouts": snap.requests_timeout,
        "failures": dict(snap.failures),
    }


async def main() -> dict[str, Any]:
    sh("ip", "link", "set", "lo", "up")
    sh("nft", "add", "table", "inet", "bh")
    sh("nft", "add", "chain", "inet", "bh", "c", "{ type filter hook input priority 0; }")
    config = EgressConfig(
        tcp_keepalive=1, tcp_keepalive_interval=1, tcp_keepalive_count=2,
        pool_idle_timeout=60.0, timeout=READ, deadline=60.0, max_retries=0,
    )  # fmt: skip
    retrying = dataclasses.replace(config, max_retries=2, retry_backoff=0.05)
    async with Upstream(lifetime=60.0) as server:
        clients = {
            "reference-idle": create_client(config),
            "reference-waiting": create_client(config),
            "plain-idle": _plain(),
            "plain-waiting": _plain(),
            "reuse-get": create_client(retrying),
            "reuse-post": create_client(retrying),
            "keepalive-only-reuse": _plain(socket_options=socket_options_for(config)[:4]),
            "dns": create_client(retrying),
        }
        cases = {"idle": idle_case, "waiting": waiting_case, "reuse": reuse_case}
        try:
            names = [name for name in clients if name != "dns"]
            results = await asyncio.gather(
                *(cases[next(k for k in cases if k in name)](server, clients[name], name) for name in names),
                outcome(clients["dns"].get("http://no-such-host.invalid/")),
            )
            report: dict[str, Any] = dict(zip([*names, "dns"], results))
            report["user_timeout_ms"] = config.tcp_user_timeout_ms
            for name in ("reference-idle", "reference-waiting", "reuse-get", "reuse-post", "dns"):
                report[name]["metrics"] = metrics_of(clients[name])
            report["server_connections"] = {
                name: sum(1 for r in server.received if r.path.endswith(name) and not r.reused)
                for name in names
            }
        finally:
            for client in clients.values():
                await client.aclose()
    return report


def _plain(socket_options: list[tuple[int, int, int]] | None = None) -> httpx.AsyncClient:
    """A client without TCP keepalive (or with only the ``socket_options`` given); its idle
    expiry (60 s) is no help within the test."""
    return httpx.AsyncClient(
        transport=httpx.AsyncHTTPTransport(
            limits=httpx.Limits(keepalive_expiry=60.0), socket_options=socket_options
        ),
        timeout=httpx.Timeout(READ, connect=5.0),
    )


if __name__ == "__main__":
    json.dump(asyncio.run(main()), sys.stdout)
