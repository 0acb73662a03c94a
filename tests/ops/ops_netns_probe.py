"""``lunalint probe`` against a packet-level black-hole; run as ``unshare -rn python THIS IDLE`` (prints JSON).

Inside its own network namespace it brings up ``lo`` and starts a keep-alive server that, once a
connection has been idle IDLE seconds, has nftables drop every packet of that flow, exactly like
a NAT that forgot it (no FIN, no RST, no answer). Then it probes the server and prints the
probe's JSON report plus the idle times at which the server dropped flows.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from typing import Any

from ops_servers import IdleServer

from lunalint.config import Policy
from lunalint.ops.advice import advise, render_json
from lunalint.ops.probe import ProbeSettings, idle_ladder, measure, parse_target


def sh(*argv: str) -> None:
    subprocess.run(argv, check=True, capture_output=True, timeout=10)


def black_hole(port: int) -> None:
    sh("nft", "add", "rule", "inet", "bh", "c", "tcp", "sport", str(port), "drop")
    sh("nft", "add", "rule", "inet", "bh", "c", "tcp", "dport", str(port), "drop")


async def main(idle: float) -> dict[str, Any]:
    sh("ip", "link", "set", "lo", "up")
    sh("nft", "add", "table", "inet", "bh")
    sh("nft", "add", "chain", "inet", "bh", "c", "{ type filter hook input priority 0; }")
    async with IdleServer(idle_close=idle, mode="blackhole", on_blackhole=black_hole, lifetime=60) as server:
        settings = ProbeSettings(idles=idle_ladder(idle * 0.3, idle * 2, 16), answer_timeout=1.5)
        measurement = await measure(parse_target(server.url("/models")), settings)
        report = render_json(advise(measurement, Policy(), None))
        report["server_dropped_at_idle"] = server.closed_at_idle
    return report


if __name__ == "__main__":
    json.dump(asyncio.run(main(float(sys.argv[1]))), sys.stdout)
