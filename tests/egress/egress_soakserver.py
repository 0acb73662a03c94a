"""Server side of the egress soak, run as a child process so that the client's process holds
only the client: its sockets, tasks and memory are then the client's alone.

The upstream (`Upstream`, with a 1.5 s server-side idle close) sits behind the fault proxy, which
gives every accepted connection a fault drawn from a seeded mix (`fault_plan`). Commands come
as JSON lines on stdin and are answered as JSON lines on stdout:

- ``{"cmd": "restart", "pause": S}``: graceful upstream restart on the same port, ``S`` s down;
- ``{"cmd": "stats"}``: open connections, fault counts and the request ids the upstream saw;
- ``{"cmd": "stop"}``, or stdin closing: stop everything and exit.

The first line written is ``{"proxy_port": ..., "upstream_port": ...}``. ``--lifetime`` bounds
the whole process.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import json
import random
import sys
from collections.abc import Callable
from typing import Any

from egress_faultproxy import FaultProxy, LinkPlan
from egress_upstream import Upstream

__all__ = ["SERVER_IDLE_CLOSE", "fault_plan", "main"]

#: The upstream closes a connection idle this long (servers and load balancers do); the
#: client's pool idle expiry must stay below it.
SERVER_IDLE_CLOSE = 1.5


def fault_plan(rng: random.Random) -> Callable[[], LinkPlan]:
    """One fault per connection: 35 % none, 20 % FIN and 15 % RST once idle 0.2-0.4 s (before
    the client's 0.45 s pool expiry, so the pool holds dead connections), 15 % a silent
    black-hole once idle 0.8-1.2 s (after it: only idle expiry keeps the client out), 5 % the
    request on a connection reused after 0.2 s is dropped and the connection closed (the stale
    race). Independently, 15 % of connections deliver each response chunk 10-30 ms late.

    The proxy cannot tell a pooled connection from one waiting inside a response, so every idle
    threshold is above the longest pause the soak's responses make (an 80 ms chunk interval
    plus 30 ms): these are faults of idle connections, not of slow streams.
    """

    def plan() -> LinkPlan:
        roll = rng.random()
        if roll < 0.35:
            mode, idle = "pass", 0.0
        elif roll < 0.55:
            mode, idle = "fin", rng.uniform(0.2, 0.4)
        elif roll < 0.70:
            mode, idle = "rst", rng.uniform(0.2, 0.4)
        elif roll < 0.85:
            mode, idle = "blackhole", rng.uniform(0.8, 1.2)
        elif roll < 0.90:
            mode, idle = "close-on-reuse", 0.2
        else:
            mode, idle = "pass", 0.0
        delay = rng.uniform(0.01, 0.03) if rng.random() < 0.15 else 0.0
        return LinkPlan(mode, idle, delay)

    return plan


def _stats(upstream: Upstream, proxy: FaultProxy) -> dict[str, Any]:
    ids: collections.Counter[str] = collections.Counter()
    answered: collections.Counter[str] = collections.Counter()
    for record in upstream.received:
        if record.request_id is not None:
            ids[record.request_id] += 1
            answered[record.request_id] += record.answered
    faults = collections.Counter(link.fault for link in proxy.links if link.fault)
    return {
        "upstream_open": upstream.open_connections,
        "upstream_connections": len(upstream.connections),
        "upstream_peak_open": upstream.peak_open_connections,
        "upstream_restarts": upstream.restarts,
        "proxy_open": proxy.open_links,
        "proxy_links": len(proxy.links),
        "slow_links": sum(1 for link in proxy.links if link.plan.chunk_delay),
        "faults": dict(faults),
        "received": dict(ids),
        "answered": dict(answered),
    }


async def main(seed: int, lifetime: float) -> None:
    loop = asyncio.get_running_loop()
    stdin = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(stdin), sys.stdin)

    def reply(message: dict[str, Any]) -> None:
        sys.stdout.write(json.dumps(message) + "\n")
        sys.stdout.flush()

    async with Upstream(idle_close_after=SERVER_IDLE_CLOSE, lifetime=lifetime) as upstream:
        plan = fault_plan(random.Random(seed))
        async with FaultProxy(upstream.port, plan=plan, lifetime=lifetime) as proxy:
            reply({"proxy_port": proxy.port, "upstream_port": upstream.port})
            while True:  # ends at stdin EOF, "stop", or the lifetime
                try:
                    line = await asyncio.wait_for(stdin.readline(), timeout=lifetime)
                except asyncio.TimeoutError:
                    break
                if not line:
                    break
                command = json.loads(line)
                if command["cmd"] == "restart":
                    await upstream.restart(float(command["pause"]))
                    reply({"restarted": upstream.restarts})
                elif command["cmd"] == "stats":
                    reply(_stats(upstream, proxy))
                elif command["cmd"] == "stop":
                    reply({"stopped": True})
                    break
                else:
                    reply({"error": f"unknown command {command['cmd']!r}"})


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seed", type=int, required=True)
    parser.add_argument("--lifetime", type=float, default=600.0)
    args = parser.parse_args()
    asyncio.run(main(args.seed, args.lifetime))
