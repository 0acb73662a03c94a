"""``lunalint doctor``: the four health metrics judged from real egress expositions (URL or file)."""

from __future__ import annotations

import functools
import http.server
import json
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from egress_upstream import Upstream
from ops_support import env, free_port
from prometheus_client import CollectorRegistry, generate_latest, start_http_server

from lunalint.cli import main
from lunalint.egress import EgressConfig, EgressMetrics, create_client
from lunalint.egress.prometheus import register_prometheus
from lunalint.ops.doctor import diagnose
from lunalint.ops.health import histogram_quantile


def _registry(metrics: EgressMetrics) -> CollectorRegistry:
    registry = CollectorRegistry()
    register_prometheus(metrics, registry)
    return registry


@pytest.fixture
def served() -> Iterator[Any]:
    """``served(registry)``: a /metrics URL for the registry, on 127.0.0.1 port 0."""
    servers: list[Any] = []

    def serve(registry: CollectorRegistry) -> str:
        server, thread = start_http_server(0, addr="127.0.0.1", registry=registry)
        servers.append((server, thread))
        return f"http://127.0.0.1:{server.server_port}/metrics"

    yield serve
    for server, thread in servers:
        server.shutdown()
        server.server_close()
        thread.join(5)


def _doctor(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, dict[str, Any]]:
    code = main(["doctor", *args, "--format", "json"])
    report = json.loads(capsys.readouterr().out)
    return code, {check["metric"]: check for check in report["checks"]}


@pytest.mark.anyio
async def test_a_healthy_client_read_from_a_file(tmp_path: Path) -> None:
    metrics = EgressMetrics()
    async with Upstream(lifetime=60) as upstream:
        client = create_client(EgressConfig(), metrics=metrics)
        for _ in range(20):
            assert (await client.get(upstream.url())).status_code == 200
        path = tmp_path / "metrics.txt"
        path.write_bytes(generate_latest(_registry(metrics)))
        await client.aclose()

    report = diagnose(str(path))
    checks = {check.metric: check for check in report.checks}
    assert report.exit_code == 0
    assert checks["connection_reuse"].value == pytest.approx(19 / 20)
    assert {metric: check.status for metric, check in checks.items()} == {
        "connection_reuse": "healthy", "timeout_rate": "healthy",
        "request_duration_p99": "healthy", "pool_size": "healthy",
    }  # fmt: skip
    assert checks["pool_size"].summary == "1 pooled connections of at most 100"


@pytest.mark.anyio
async def test_stale_connections_and_timeouts_read_from_a_url(served: Any) -> None:
    metrics = EgressMetrics()
    config = EgressConfig(timeout=0.3, max_retries=0, pool_max_connections=1)
    async with Upstream(idle_close_after=0.05, lifetime=60) as upstream:
        client = create_client(config, metrics=metrics)
        for index in range(8):
            path = "/silent" if index % 2 else "/ok"  # every other request hangs until the read timeout
            try:
                await client.get(upstream.url(path))
            except httpx.ReadTimeout:
                pass
            await _sleep(0.1)  # longer than the upstream's idle close: nothing is reused
        url = served(_registry(metrics))
        report = diagnose(url)
        await client.aclose()

    checks = {check.metric: check for check in report.checks}
    assert report.exit_code == 1
    assert (checks["connection_reuse"].status, checks["connection_reuse"].value) == ("unhealthy", 0.0)
    assert "lunalint probe URL" in checks["connection_reuse"].look_at
    assert (checks["timeout_rate"].status, checks["timeout_rate"].value) == ("unhealthy", 0.5)
    assert "stuck requests" in checks["timeout_rate"].look_at
    assert checks["request_duration_p99"].status == "healthy"


async def _sleep(seconds: float) -> None:
    import asyncio

    await asyncio.sleep(seconds)


EXPOSITION = """\
# TYPE http_connections_created counter
http_connections_created_total {created}
# TYPE http_connections_reused counter
http_connections_reused_total {reused}
# TYPE http_requests counter
http_requests_total {requests}
# TYPE http_requests_timeout counter
http_requests_timeout_total {timeouts}
# TYPE http_request_duration_seconds histogram
http_request_duration_seconds_bucket{{le="5.0"}} {fast}
http_request_duration_seconds_bucket{{le="30.0"}} {fast}
http_request_duration_seconds_bucket{{le="60.0"}} {requests}
http_request_duration_seconds_bucket{{le="+Inf"}} {requests}
http_request_duration_seconds_count {requests}
http_request_duration_seconds_sum 1.0
# TYPE http_connection_pool_idle gauge
http_connection_pool_idle {idle}
# TYPE http_connection_pool_active gauge
http_connection_pool_active {active}
# TYPE http_connection_pool_max gauge
http_connection_pool_max 100
"""
HEALTHY = {"created": 10, "reused": 990, "requests": 1000, "timeouts": 0, "fast": 1000, "idle": 5, "active": 3}


@pytest.mark.parametrize(("change", "metric", "status", "look_at"), [
    ({"reused": 30}, "connection_reuse", "watch", "stale pool"),
    ({"reused": 5}, "connection_reuse", "unhealthy", "stale pool"),
    ({"timeouts": 5}, "timeout_rate", "watch", "stuck requests"),
    ({"timeouts": 20}, "timeout_rate", "unhealthy", "stuck requests"),
    ({"fast": 980}, "request_duration_p99", "unhealthy", "stuck requests"),
    ({"idle": 0, "active": 100}, "pool_size", "unhealthy", "pool exhaustion"),
])  # fmt: skip
def test_each_metric_against_the_seed_thresholds(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                                 change: dict[str, int], metric: str, status: str,
                                                 look_at: str) -> None:
    path = tmp_path / "metrics.txt"
    path.write_text(EXPOSITION.format(**HEALTHY), encoding="utf-8")
    code, checks = _doctor(capsys, str(path))
    assert code == 0 and {check["status"] for check in checks.values()} == {"healthy"}, checks

    path.write_text(EXPOSITION.format(**{**HEALTHY, **change}), encoding="utf-8")
    code, checks = _doctor(capsys, str(path))
    assert code == (1 if status == "unhealthy" else 0)
    assert checks[metric]["status"] == status
    assert look_at in checks[metric]["look_at"]
    assert {check["status"] for name, check in checks.items() if name != metric} == {"healthy"}


def test_text_output_names_what_to_look_at(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = tmp_path / "metrics.txt"
    path.write_text(EXPOSITION.format(**{**HEALTHY, "idle": 0, "active": 100}), encoding="utf-8")
    assert main(["doctor", str(path)]) == 1
    out = capsys.readouterr().out
    assert "UNHEALTHY  pool_size: 100 pooled connections, at the maximum of 100 in the read" in out
    assert "look at: pool exhaustion" in out and out.endswith("1 unhealthy\n")


def test_an_interval_judges_the_change_not_the_totals_since_start(served: Any) -> None:
    metrics = EgressMetrics()
    for _ in range(1000):  # a long healthy history...
        metrics.request_started()
        metrics.connection_reused()
        metrics.request_finished(0.01, timed_out=False)
    url = served(_registry(metrics))
    assert diagnose(url).exit_code == 0

    def meanwhile(seconds: float) -> None:  # ...then, during the interval, no reuse at all
        for _ in range(10):
            metrics.request_started()
            metrics.connection_created()
            metrics.request_finished(0.01, timed_out=False)

    report = diagnose(url, interval=2.0, every=1.0, sleep=meanwhile)
    checks = {check.metric: check for check in report.checks}
    assert report.reads == 3
    assert (checks["connection_reuse"].status, checks["connection_reuse"].value) == ("unhealthy", 0.0)
    assert "of 20 request attempts" in checks["connection_reuse"].summary


def test_quantile_matches_prometheus() -> None:
    """The same buckets as the promtool unit tests, where Prometheus computes 4.95 and 59.7."""
    inf = float("inf")
    assert histogram_quantile(0.99, ((5.0, 10), (30.0, 10), (60.0, 10), (inf, 10))) == pytest.approx(4.95)
    assert histogram_quantile(0.99, ((5.0, 0), (30.0, 0), (60.0, 10), (inf, 10))) == pytest.approx(59.7)
    assert histogram_quantile(0.99, ((5.0, 0), (inf, 10))) == 5.0
    assert histogram_quantile(0.99, ((5.0, 0), (inf, 0))) is None


@pytest.mark.parametrize(("source", "message"), [
    ("missing.txt", "missing.txt: no such file"),
    ("garbage.txt", "not a Prometheus text exposition"),
    ("other.txt", "no lunalint egress metrics"),
    ("http://127.0.0.1:PORT/metrics", "cannot fetch"),
])  # fmt: skip
def test_bad_input_is_one_line_and_exit_2(capsys: pytest.CaptureFixture[str], tmp_path: Path, source: str,
                                          message: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "garbage.txt").write_text("this is {not metrics\n", encoding="utf-8")
    (tmp_path / "other.txt").write_text("# TYPE up gauge\nup 1\n", encoding="utf-8")
    assert main(["doctor", source.replace("PORT", str(free_port()))]) == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1, err


def test_http_error_status_is_exit_2(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

    handler = functools.partial(Quiet, directory=str(tmp_path))
    with http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler) as server:
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            assert main(["doctor", f"http://127.0.0.1:{server.server_port}/metrics"]) == 2
        finally:
            server.shutdown()
            thread.join(5)
    err = capsys.readouterr().err
    assert "/metrics: HTTP 404 File not found" in err and len(err.strip().splitlines()) == 1


def test_without_the_metrics_extra_it_names_the_extra(tmp_path: Path) -> None:
    path = tmp_path / "metrics.txt"
    path.write_text(EXPOSITION.format(**HEALTHY), encoding="utf-8")
    code = ("import sys; sys.modules['prometheus_client'] = None\n"  # as if it were not installed
            "from lunalint.cli import main\nraise SystemExit(main(['doctor', sys.argv[1]]))")
    run = subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True, text=True, env=env(),
                         timeout=60)  # fmt: skip
    assert run.returncode == 2
    assert run.stderr.strip() == ("lunalint: error: lunalint doctor needs prometheus_client: "
                                  "pip install 'lunalint[metrics]'")
