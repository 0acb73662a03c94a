"""``lunalint probe`` against local servers that end idle connections after known times: FIN, RST, TLS, netns black-hole."""

from __future__ import annotations

import asyncio
import json
import ssl
import subprocess
import sys
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager, contextmanager
from pathlib import Path
from typing import Any

import pytest
import trustme
from egress_faultproxy import FaultProxy
from egress_upstream import Upstream
from ops_servers import IdleServer
from ops_support import env, free_port, require_netns

from lunalint.cli import main
from lunalint.config import Policy
from lunalint.ops.advice import advise
from lunalint.ops.probe import ProbeError, ProbeSettings, idle_ladder, measure, parse_target

HERE = Path(__file__).resolve().parent
TOLERANCE = 0.10  # the probe must report the known idle close within 10 %


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture(scope="module")
def ca_file(ca: trustme.CA, tmp_path_factory: pytest.TempPathFactory) -> str:
    path = tmp_path_factory.mktemp("ca") / "ca.pem"
    ca.cert_pem.write_to_path(str(path))
    return str(path)


def _server_tls(ca: trustme.CA) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(context)
    return context


@asynccontextmanager
async def _fin_upstream(idle: float) -> AsyncIterator[str]:
    """The egress tests' upstream, closing connections idle ``idle`` s with a FIN."""
    async with Upstream(idle_close_after=idle, lifetime=60) as upstream:
        yield upstream.url("/ok")


@asynccontextmanager
async def _rst_proxy(idle: float) -> AsyncIterator[str]:
    """The egress tests' fault proxy, resetting connections idle ``idle`` s, in front of the upstream."""
    async with Upstream(lifetime=60) as upstream, FaultProxy(upstream.port, mode="rst", idle=idle,
                                                             lifetime=60) as proxy:  # fmt: skip
        yield proxy.url("/ok")


def _tls_server(mode: str, ca: trustme.CA) -> Callable[[float], AbstractAsyncContextManager[str]]:
    @asynccontextmanager
    async def serve(idle: float) -> AsyncIterator[str]:
        async with IdleServer(idle_close=idle, mode=mode, tls=_server_tls(ca), lifetime=60) as server:
            yield server.url("/v1/models")

    return serve


def _outcomes_by_side(connections: Any, idle: float) -> set[tuple[str, str]]:
    """Outcomes of the connections that idled clearly less or more than the close (a probe
    reusing its connection just as the server closes it may see either)."""
    sides = set()
    for c in connections:
        c = c if isinstance(c, dict) else {"outcome": c.outcome, "idle": c.idle}
        if abs(c["idle"] - idle) > 0.05 * idle:
            sides.add((c["outcome"], "before" if c["idle"] < idle else "after"))
    return sides


@pytest.mark.anyio
@pytest.mark.parametrize(("server", "idle", "kind"), [
    ("http-fin-upstream", 2.0, "fin"),
    ("http-rst-faultproxy", 1.5, "rst"),
    ("https-fin", 1.2, "fin"),
    ("https-rst", 1.0, "rst"),
])  # fmt: skip
async def test_probe_reports_the_known_idle_close_and_how_it_ends(
    server: str, idle: float, kind: str, ca: trustme.CA, ca_file: str
) -> None:
    serve = {
        "http-fin-upstream": _fin_upstream,
        "http-rst-faultproxy": _rst_proxy,
        "https-fin": _tls_server("fin", ca),
        "https-rst": _tls_server("rst", ca),
    }[server]
    settings = ProbeSettings(idles=idle_ladder(idle * 0.3, idle * 2, 12), answer_timeout=1.5, cafile=ca_file)
    async with serve(idle) as url:
        measurement = await measure(parse_target(url), settings)
    advice = advise(measurement, Policy(), None)
    verdict = advice.verdict

    assert measurement.status == 200 and measurement.keep_alive
    assert verdict.kind == kind, measurement.connections
    assert verdict.close_after is not None
    assert abs(verdict.close_after - idle) <= TOLERANCE * idle, verdict
    assert _outcomes_by_side(measurement.connections, idle) == {("alive", "before"), (kind, "after")}
    # Every connection ended by the close, so the probe did not wait for the longest idle time.
    assert measurement.elapsed < idle * 2
    assert advice.pool_idle_timeout is not None and advice.pool_idle_timeout < idle
    assert advice.pool_idle_safe is False  # the default policy's 90 s is far above the close
    assert advice.exit_code == 1


@pytest.mark.netns
def test_probe_identifies_a_silent_black_hole_in_a_network_namespace() -> None:
    require_netns()
    idle = 2.0
    run = subprocess.run(
        ["unshare", "-rn", sys.executable, str(HERE / "ops_netns_probe.py"), str(idle)],
        capture_output=True, text=True, timeout=60, env=env(), cwd=HERE,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    report = json.loads(run.stdout)
    close = report["close"]

    assert close["kind"] == "silent", report
    assert abs(close["after"] - idle) <= TOLERANCE * idle, close
    assert close["usable_until"] < idle <= close["gone_after"]
    assert _outcomes_by_side(report["connections"], idle) == {("alive", "before"), ("silent", "after")}
    # Bounded: the longest idle time (2 x idle) plus one answer timeout (1.5 s), not more.
    assert report["elapsed"] < idle * 2 + 1.5 + 1.0
    assert report["server_dropped_at_idle"] and min(report["server_dropped_at_idle"]) >= idle
    assert report["recommended"]["pool_idle_timeout"] < close["usable_until"]
    assert report["policy"]["pool_idle_safe"] is False and report["policy"]["keepalive_safe"] is False


# --- the command ---------------------------------------------------------------------------------

@contextmanager
def _serving(make: Callable[[], Any]) -> Iterator[Any]:
    """Run the async server ``make()`` in a thread with its own event loop while the CLI runs."""
    ready = threading.Event()
    holder: dict[str, Any] = {}

    async def run() -> None:
        async with make() as server:
            holder["server"], holder["stop"] = server, asyncio.Event()
            ready.set()
            await holder["stop"].wait()

    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_until_complete, args=(run(),), daemon=True)
    thread.start()
    assert ready.wait(10)
    try:
        yield holder["server"]
    finally:
        loop.call_soon_threadsafe(holder["stop"].set)
        thread.join(10)
        loop.close()


def _probe_json(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, dict[str, Any]]:
    code = main(["probe", *args, "--format", "json"])
    out = capsys.readouterr().out
    return code, json.loads(out)


def test_cli_json_and_the_configured_policy(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                            ca_file: str, ca: trustme.CA) -> None:
    config = tmp_path / "pyproject.toml"
    config.write_text("[tool.lunalint]\nmax-pool-idle-timeout = 0.5\nmax-keepalive-idle = 0.5\n",
                      encoding="utf-8")
    with _serving(lambda: IdleServer(idle_close=1.0, mode="fin", tls=_server_tls(ca), lifetime=60)) as server:
        args = (server.url("/v1/models"), "--min-idle", "0.3", "--max-idle", "2", "-n", "8",
                "--answer-timeout", "1", "--cafile", ca_file)
        code, safe = _probe_json(capsys, *args, "--config", str(config))
        unsafe_code, unsafe = _probe_json(capsys, *args, "--isolated")
    assert (code, safe["close"]["kind"], safe["policy"]["pool_idle_safe"]) == (0, "fin", True), safe
    assert safe["policy"]["source"] == str(config) and safe["policy"]["max_pool_idle_timeout"] == 0.5
    assert abs(safe["close"]["after"] - 1.0) <= TOLERANCE
    assert (unsafe_code, unsafe["policy"]["pool_idle_safe"], unsafe["policy"]["source"]) == (1, False, None)
    assert unsafe["policy"]["max_pool_idle_timeout"] == 90.0
    assert server.requests == 2 * 16 - sum(1 for c in safe["connections"] + unsafe["connections"]
                                           if c["outcome"] == "fin")


def test_cli_text_output(capsys: pytest.CaptureFixture[str]) -> None:
    with _serving(lambda: IdleServer(idle_close=0.8, mode="rst", lifetime=60)) as server:
        code = main(["probe", server.url(), "--min-idle", "0.3", "--max-idle", "1.5", "-n", "6",
                     "--isolated"])  # fmt: skip
    out = capsys.readouterr().out
    assert code == 1
    assert "closed by the upstream with a RST" in out
    assert "max-pool-idle-timeout 90 s is NOT safe for this upstream" in out


def test_an_upstream_without_keep_alive(capsys: pytest.CaptureFixture[str]) -> None:
    with _serving(lambda: IdleServer(idle_close=5, keep_alive=False, lifetime=60)) as server:
        code, report = _probe_json(capsys, server.url(), "--min-idle", "1", "--max-idle", "2", "-n", "3",
                                   "--isolated")  # fmt: skip
    assert code == 0
    assert report["close"]["kind"] == "no-keep-alive" and report["connections"] == []


def test_self_signed_certificate_is_refused_without_its_ca(capsys: pytest.CaptureFixture[str],
                                                           ca: trustme.CA) -> None:
    with _serving(lambda: IdleServer(idle_close=5, tls=_server_tls(ca), lifetime=60)) as server:
        code = main(["probe", server.url(), "--min-idle", "1", "--max-idle", "2", "-n", "2", "--isolated"])
    err = capsys.readouterr().err
    assert code == 2
    assert "TLS handshake failed" in err and "CERTIFICATE_VERIFY_FAILED" in err and len(err.splitlines()) == 1


@pytest.mark.parametrize(("args", "message"), [
    (["ftp://example.invalid/"], "must start with http:// or https://"),
    (["http:///path"], "has no host"),
    (["http://127.0.0.1:PORT/", "-H", "no colon"], "expected 'Name: value'"),
    (["http://127.0.0.1:PORT/", "--min-idle", "5", "--max-idle", "1"], "0 < min (5.0) <= max (1.0)"),
    (["http://127.0.0.1:PORT/"], "cannot connect"),
    (["http://127.0.0.1:PORT/", "--config", "missing.toml"], "missing.toml: configuration file not found"),
])  # fmt: skip
def test_bad_input_is_one_line_and_exit_2(capsys: pytest.CaptureFixture[str], args: list[str], message: str) -> None:
    port = str(free_port())  # nothing listens there
    code = main(["probe", *(arg.replace("PORT", port) for arg in args), "--isolated"])
    err = capsys.readouterr().err
    assert code == 2
    assert message in err and len(err.strip().splitlines()) == 1, err


def test_idle_ladder_spacing() -> None:
    ladder = idle_ladder(5, 150, 24)
    assert ladder[0] == 5 and ladder[-1] == 150 and len(ladder) == 24
    ratios = [b / a for a, b in zip(ladder, ladder[1:])]
    assert max(ratios) < 1.16 and min(ratios) > 1.15
    with pytest.raises(ProbeError):
        idle_ladder(0, 1, 3)
