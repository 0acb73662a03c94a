"""Helpers for the operations tests: required tools (a failure in CI, a skip elsewhere), free ports."""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
RULES = ROOT / "lint" / "lunalint" / "ops" / "prometheus_rules.yml"


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("true", "1")


def unavailable(reason: str) -> None:
    """Skip, except in CI, where a missing tool must fail the run instead of hiding the test."""
    if in_ci():
        pytest.fail(f"{reason} (CI must have it: .ci/run installs it)")
    pytest.skip(reason)


def env() -> dict[str, str]:
    """The environment with the sbin directories on PATH; lint/ and the test servers on PYTHONPATH."""
    result = dict(os.environ)
    result["PATH"] = os.pathsep.join((result.get("PATH", ""), "/usr/sbin", "/sbin"))
    paths = (str(ROOT / "lint"), str(ROOT / "tests" / "egress"), str(ROOT / "tests" / "ops"))
    result["PYTHONPATH"] = os.pathsep.join(p for p in (*paths, result.get("PYTHONPATH", "")) if p)
    return result


def require_tool(tool: str, package: str) -> str:
    path = shutil.which(tool, path=env()["PATH"])
    if path is None:
        unavailable(f"`{tool}` not found: install the Debian package {package}")
    assert path is not None
    return path


@cache
def _netns_problem() -> str | None:
    if not sys.platform.startswith("linux"):
        return "network namespaces need Linux"
    for tool, package in (("unshare", "util-linux"), ("ip", "iproute2"), ("nft", "nftables")):
        if shutil.which(tool, path=env()["PATH"]) is None:
            return f"`{tool}` not found: install the Debian package {package}"
    probe = subprocess.run(
        ["unshare", "-rn", "sh", "-c", "ip link set lo up && nft add table inet probe"],
        capture_output=True, text=True, timeout=30, env=env(),
    )  # fmt: skip
    if probe.returncode != 0:
        return f"`unshare -rn` + nftables refused here: {probe.stderr.strip() or probe.returncode}"
    return None


def require_netns() -> None:
    problem = _netns_problem()
    if problem is not None:
        unavailable(problem)


def free_port() -> int:
    """A port nothing listens on right now (for programs that cannot be told to pick one)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def scaled_rules(text: str, scale: float) -> str:
    """A test-only copy of the rules with time scaled by ``scale``: ``for:`` durations, rate
    windows, the p99 threshold (seconds) and the reuse alert's traffic floor (per second)."""

    def ms(minutes: str) -> str:
        return f"{round(int(minutes) * 60_000 * scale)}ms"

    text, fors = re.subn(r"for: (\d+)m\b", lambda m: f"for: {ms(m.group(1))}", text)
    text, windows = re.subn(r"\[(\d+)m\]", lambda m: f"[{ms(m.group(1))}]", text)
    text, p99 = re.subn(r"p99_rate5m > 30\b", f"p99_rate5m > {30 * scale:g}", text)
    text, floor = re.subn(r"> 1 / 60\b", f"> 1 / {60 * scale:g}", text)
    assert (fors, p99, floor) == (4, 1, 1) and windows >= 6, (fors, windows, p99, floor)
    return text
