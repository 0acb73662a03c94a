"""TCP keepalive: options on the real socket, and a packet-level black-hole in a network namespace."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

import httpx
import pytest
from egress_upstream import Upstream

HERE = Path(__file__).resolve().parent
SCENARIO = HERE / "egress_netns_scenario.py"
READ = 10.0  # egress_netns_scenario.READ


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PATH"] = env.get("PATH", "") + os.pathsep + "/usr/sbin" + os.pathsep + "/sbin"
    lint = str(HERE.parents[1] / "lint")
    env["PYTHONPATH"] = os.pathsep.join(p for p in (lint, env.get("PYTHONPATH", "")) if p)
    return env


@cache
def _netns_unavailable() -> str | None:
    """Why an unprivileged network namespace with nftables cannot be made here, if it cannot."""
    if not sys.platform.startswith("linux"):
        return "network namespaces need Linux"
    path = _env()["PATH"]
    for tool, package in (("unshare", "util-linux"), ("ip", "iproute2"), ("nft", "nftables")):
        if shutil.which(tool, path=path) is None:
            return f"`{tool}` not found: install {package} (.ci/run does)"
    probe = subprocess.run(
        ["unshare", "-rn", "sh", "-c", "ip link set lo up && nft add table inet probe"],
        capture_output=True, text=True, timeout=30, env=_env(),
    )  # fmt: skip
    if probe.returncode != 0:
        return f"`unshare -rn` + nftables refused here: {probe.stderr.strip() or probe.returncode}"
    return None


@pytest.mark.anyio
async def test_keepalive_options_are_set_on_the_real_socket(
    upstream: Upstream, make_client: Callable[..., httpx.AsyncClient]
) -> None:
    client = make_client()  # the defaults: 60 s idle, then 6 probes 15 s apart
    response = await client.get(upstream.url())
    sock = response.extensions["network_stream"].get_extra_info("socket")

    assert sock.getsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE) == 1
    if sys.platform.startswith("linux"):
        assert sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPIDLE) == 60
        assert sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPINTVL) == 15
        assert sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPCNT) == 6
        # Sent data unacknowledged for 60 + 15 x 6 s fails the connection (no probes then).
        assert sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_USER_TIMEOUT) == 150_000
    elif sys.platform == "darwin":
        assert sock.getsockopt(socket.IPPROTO_TCP, getattr(socket, "TCP_KEEPALIVE", 0x10)) == 60


@pytest.fixture(scope="module")
def netns_report() -> dict[str, Any]:
    """The scenario's report (one run, about 15 s, shared by the tests below)."""
    reason = _netns_unavailable()
    if reason is not None:
        pytest.skip(reason)
    run = subprocess.run(
        ["unshare", "-rn", sys.executable, str(SCENARIO)],
        capture_output=True, text=True, timeout=120, env=_env(), cwd=HERE,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    report: dict[str, Any] = json.loads(run.stdout)
    return report


@pytest.mark.netns
def test_keepalive_fails_a_black_holed_connection_fast_where_a_plain_client_hangs(
    netns_report: dict[str, Any],
) -> None:
    report = netns_report

    # Idle pooled connection black-holed: the kernel's probes failed the socket, httpcore's
    # readability check dropped it, and the next request went out on a new connection at once.
    idle = report["reference-idle"]
    assert idle.get("status") == 200, idle
    assert idle["elapsed"] < READ / 10
    assert idle["metrics"] == {"created": 2, "reused": 0, "retried": 0, "timeouts": 0, "failures": {}}
    assert report["server_connections"]["reference-idle"] == 2
    plain = report["plain-idle"]
    assert plain.get("error") == "ReadTimeout" and plain["elapsed"] >= READ * 0.95, plain

    # Black-holed while waiting for a slow response: keepalive ends it after 1 + 2 x 1 s.
    # On the async path the kernel's ETIMEDOUT reaches httpx as ReadError (anyio reports a
    # BrokenResourceError), not as the ReadTimeout the sync client raises.
    waiting = report["reference-waiting"]
    assert waiting.get("error") == "ReadError", waiting
    assert 2.0 <= waiting["elapsed"] < READ / 2
    plain = report["plain-waiting"]
    assert plain.get("error") == "ReadTimeout" and plain["elapsed"] >= READ * 0.95, plain
    assert waiting["metrics"]["failures"] == {"black_hole": 1}


@pytest.mark.netns
def test_user_timeout_fails_a_request_written_into_a_black_hole_then_retries_when_safe(
    netns_report: dict[str, Any],
) -> None:
    """Black-holed just before reuse: the request sits unacknowledged, so keepalive never probes.

    TCP_USER_TIMEOUT (keepalive 1 + 1 x 2 = 3 s here) fails the connection; the GET is then
    retried on a new connection, the POST is not (the server may have it). Without the user
    timeout the same request waits for the whole read timeout.
    """
    report = netns_report
    bound = report["user_timeout_ms"] / 1000
    assert bound == 3.0

    get = report["reuse-get"]
    assert get.get("status") == 200, get
    assert bound * 0.9 <= get["elapsed"] < bound + 1.5
    assert get["metrics"] == {"created": 2, "reused": 1, "retried": 1, "timeouts": 0, "failures": {}}
    assert report["server_connections"]["reuse-get"] == 2

    post = report["reuse-post"]
    assert post.get("error") in ("ReadError", "WriteError"), post
    assert bound * 0.9 <= post["elapsed"] < bound + 1.5
    assert post["metrics"]["retried"] == 0
    assert post["metrics"]["failures"] == {"black_hole": 1}

    keepalive_only = report["keepalive-only-reuse"]
    assert keepalive_only.get("error") == "ReadTimeout" and keepalive_only["elapsed"] >= READ * 0.95


@pytest.mark.netns
def test_a_name_that_does_not_resolve_is_counted_and_not_retried(netns_report: dict[str, Any]) -> None:
    dns = netns_report["dns"]
    assert dns.get("error") == "ConnectError", dns
    assert dns["metrics"]["failures"] == {"dns": 1}
    assert dns["metrics"]["retried"] == 0
