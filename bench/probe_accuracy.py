"""How close ``lunalint probe`` gets to known idle closes: FIN, RST (http and https) and, in a netns, a silent drop.

Run from the repository root: ``python bench/probe_accuracy.py [--runs 5]``. Each run probes each
local server (the same servers as tests/ops) with 16 connections from 0.3x to 2x the close and
prints the reported close, its error and the kind; the netns row needs ``unshare`` and ``nft``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import ssl
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
for sub in ("tests/ops", "tests/egress", "lint"):
    sys.path.insert(0, str(ROOT / sub))

import trustme  # noqa: E402
from egress_faultproxy import FaultProxy  # noqa: E402
from egress_upstream import Upstream  # noqa: E402
from ops_servers import IdleServer  # noqa: E402
from ops_support import env  # noqa: E402

from lunalint.ops.advice import judge  # noqa: E402
from lunalint.ops.probe import ProbeSettings, idle_ladder, measure, parse_target  # noqa: E402

IDLE = 2.0


async def one(kind: str, ca: trustme.CA, cafile: str) -> tuple[str, float, float]:
    settings = ProbeSettings(idles=idle_ladder(IDLE * 0.3, IDLE * 2, 16), answer_timeout=1.5, cafile=cafile)
    if kind == "http FIN (upstream)":
        async with Upstream(idle_close_after=IDLE, lifetime=60) as server:
            m = await measure(parse_target(server.url("/ok")), settings)
    elif kind == "http RST (fault proxy)":
        async with Upstream(lifetime=60) as up, FaultProxy(up.port, mode="rst", idle=IDLE, lifetime=60) as proxy:
            m = await measure(parse_target(proxy.url("/ok")), settings)
    else:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ca.issue_cert("127.0.0.1").configure_cert(context)
        mode = "fin" if "FIN" in kind else "rst"
        async with IdleServer(idle_close=IDLE, mode=mode, tls=context, lifetime=60) as server:
            m = await measure(parse_target(server.url()), settings)
    verdict = judge(m)
    assert verdict.close_after is not None
    return verdict.kind, verdict.close_after, m.elapsed


def netns() -> tuple[str, float, float]:
    run = subprocess.run(["unshare", "-rn", sys.executable, str(ROOT / "tests/ops/ops_netns_probe.py"), str(IDLE)],
                         capture_output=True, text=True, timeout=60, env=env(), cwd=ROOT / "tests/ops")
    if run.returncode:
        raise SystemExit(f"netns run failed: {run.stderr.strip()}")
    report = json.loads(run.stdout)
    close = report["close"]
    return f"{close['kind']} (between {close['usable_until']:g} and {close['gone_after']:g})", close["after"], report["elapsed"]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    runs = parser.parse_args().runs
    ca = trustme.CA()
    with tempfile.TemporaryDirectory() as directory:
        cafile = str(Path(directory) / "ca.pem")
        ca.cert_pem.write_to_path(cafile)
        kinds = ["http FIN (upstream)", "http RST (fault proxy)", "https FIN", "https RST", "netns silent drop"]
        print(f"known close {IDLE:g} s, 16 connections from {IDLE * 0.3:g} to {IDLE * 2:g} s, {runs} runs each")
        print("| server | kinds reported | close reported (s) | worst error | probe time (s) |")
        print("|---|---|---|---|---|")
        for kind in kinds:
            results = [netns() if kind.startswith("netns") else asyncio.run(one(kind, ca, cafile))
                       for _ in range(runs)]
            closes = [close for _, close, _ in results]
            worst = max(abs(close - IDLE) / IDLE for close in closes)
            print(f"| {kind} | {', '.join(sorted({k for k, _, _ in results}))} | "
                  f"{min(closes):.3f}-{max(closes):.3f} | {worst:.1%} | "
                  f"{statistics.median(e for _, _, e in results):.2f} |")


if __name__ == "__main__":
    main()
