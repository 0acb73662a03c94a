"""End to end: a real Prometheus on loopback evaluates the shipped rules against egress clients under faults.

The rules are scaled a hundredfold (``for: 15m`` becomes 9 s, ``rate(...[5m])`` a 3 s window,
the p99 threshold 0.3 s) and so is the load (``ops_load.py``): Prometheus scrapes every 0.5 s and
evaluates every 0.5 s. Each condition is its own scrape job, so each alert carries the job it
fired for; the alerts are read through Prometheus's HTTP API.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from ops_support import env, free_port, require_tool, scaled_rules

from lunalint.ops.rules import rules_text

HERE = Path(__file__).resolve().parent
SCALE = 0.01
LOAD_SECONDS = 60.0  # upper bound; the test stops the load as soon as it has seen enough
WAIT = 45.0  # longest wait for the expected alerts (they fire after about 13 s)

EXPECTED = {
    "healthy": set(),
    "stale": {"EgressConnectionReuseLow"},
    "blackhole": {"EgressTimeoutRateHigh", "EgressRequestDurationP99High"},
    "stuck": {"EgressRequestDurationP99High", "EgressConnectionPoolAtMax", "EgressTimeoutRateHigh",
              "EgressConnectionReuseLow"},
}


def _get(base: str, path: str, **params: str) -> Any:
    url = f"{base}{path}" + (f"?{urllib.parse.urlencode(params)}" if params else "")
    with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 - loopback
        return json.load(response)


def _query(base: str, expr: str) -> list[dict[str, Any]]:
    result: list[dict[str, Any]] = _get(base, "/api/v1/query", query=expr)["data"]["result"]
    return result


def _terminate(process: subprocess.Popen[Any]) -> None:
    process.terminate()
    try:
        process.wait(10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(10)


@pytest.fixture
def load(tmp_path: Path) -> Iterator[dict[str, int]]:
    errors = tmp_path / "load.log"
    with errors.open("w") as stderr:
        process = subprocess.Popen([sys.executable, str(HERE / "ops_load.py"), str(LOAD_SECONDS)],
                                   stdout=subprocess.PIPE, stderr=stderr, text=True, env=env(), cwd=HERE)
    assert process.stdout is not None
    try:
        line = process.stdout.readline()
        assert line, errors.read_text()
        yield json.loads(line)
    finally:
        _terminate(process)
        process.stdout.close()


@pytest.fixture
def prometheus(load: dict[str, int], tmp_path: Path) -> Iterator[str]:
    binary = require_tool("prometheus", "prometheus")
    (tmp_path / "rules.yml").write_text(scaled_rules(rules_text(), SCALE), encoding="utf-8")
    jobs = "".join(f"  - job_name: {job}\n    static_configs:\n      - targets: ['127.0.0.1:{port}']\n"
                   for job, port in load.items())  # fmt: skip
    (tmp_path / "prometheus.yml").write_text(
        "global:\n  scrape_interval: 500ms\n  scrape_timeout: 400ms\n  evaluation_interval: 500ms\n"
        f"rule_files:\n  - rules.yml\nscrape_configs:\n{jobs}", encoding="utf-8")  # fmt: skip
    port = free_port()
    log = (tmp_path / "prometheus.log").open("w")
    process = subprocess.Popen(
        [binary, f"--config.file={tmp_path / 'prometheus.yml'}", f"--storage.tsdb.path={tmp_path / 'data'}",
         f"--web.listen-address=127.0.0.1:{port}"],
        stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                with urllib.request.urlopen(f"{base}/-/ready", timeout=2):  # noqa: S310 - loopback
                    break
            except OSError:
                assert process.poll() is None, (tmp_path / "prometheus.log").read_text()
                assert time.monotonic() < deadline, "Prometheus did not become ready"
                time.sleep(0.2)
        yield base
    finally:
        _terminate(process)
        log.close()


def _firing(base: str) -> dict[str, set[str]]:
    alerts = _get(base, "/api/v1/alerts")["data"]["alerts"]
    firing: dict[str, set[str]] = {job: set() for job in EXPECTED}
    for alert in alerts:
        if alert["state"] == "firing":
            firing[alert["labels"]["job"]].add(alert["labels"]["alertname"])
    return firing


def test_each_fault_fires_its_alerts_and_a_healthy_client_none(prometheus: str) -> None:
    start = time.monotonic()
    firing = _firing(prometheus)
    while firing != EXPECTED and time.monotonic() - start < WAIT:
        time.sleep(0.5)
        firing = _firing(prometheus)
    elapsed = time.monotonic() - start
    # Everything that was ever pending or firing during the run, per job (ALERTS keeps history).
    ever = {(s["metric"]["job"], s["metric"]["alertname"], s["metric"]["alertstate"])
            for s in _query(prometheus, "max_over_time(ALERTS[5m])")}
    records = {(s["metric"]["__name__"], s["metric"]["job"]): float(s["value"][1])
               for s in _query(prometheus, '{__name__=~"job:.+"}')}

    assert firing == EXPECTED, (firing, elapsed, ever, records)
    assert not {entry for entry in ever if entry[0] == "healthy"}, ever
    # The healthy job is measured, not merely absent: its recording rules have healthy values.
    assert records[("job:http_connection_reuse:ratio_rate5m", "healthy")] > 0.9
    assert records[("job:http_requests_timeout:ratio_rate5m", "healthy")] == 0.0
    assert records[("job:http_request_duration_seconds:p99_rate5m", "healthy")] < 30 * SCALE
    assert records[("job:http_connection_pool_size:sum", "healthy")] <= 2
    assert records[("job:http_connection_pool_max:sum", "stuck")] == 2.0
    assert records[("job:http_connection_reuse:ratio_rate5m", "stale")] < 0.5
    assert records[("job:http_connection_reuse:ratio_rate5m", "blackhole")] > 0.5
