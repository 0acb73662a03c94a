"""The shipped Prometheus rules: promtool validates them and runs their unit tests; names and thresholds agree with the code."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
import yaml
from ops_support import RULES, require_tool
from prometheus_client import CollectorRegistry, generate_latest

from lunalint.cli import main
from lunalint.egress import EgressMetrics
from lunalint.egress.prometheus import register_prometheus
from lunalint.ops import health
from lunalint.ops.rules import ALERTS, rules_text

HERE = Path(__file__).resolve().parent
UNIT_TESTS = HERE / "egress_rules_test.yml"


def _rules() -> list[dict[str, object]]:
    data = yaml.safe_load(rules_text())
    return [rule for group in data["groups"] for rule in group["rules"]]


def _alert(name: str) -> dict[str, object]:
    (rule,) = [rule for rule in _rules() if rule.get("alert") == name]
    return rule


def test_promtool_check_rules_accepts_the_shipped_file() -> None:
    promtool = require_tool("promtool", "prometheus")
    run = subprocess.run([promtool, "check", "rules", str(RULES)], capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stdout + run.stderr
    assert f"SUCCESS: {len(_rules())} rules found" in run.stdout


def test_promtool_unit_tests_pass() -> None:
    promtool = require_tool("promtool", "prometheus")
    run = subprocess.run([promtool, "test", "rules", str(UNIT_TESTS)], capture_output=True, text=True,
                         timeout=60, cwd=HERE)  # fmt: skip
    assert run.returncode == 0, run.stdout + run.stderr
    assert "SUCCESS" in run.stdout


def test_every_alert_has_a_firing_and_a_silent_unit_test() -> None:
    cases = yaml.safe_load(UNIT_TESTS.read_text(encoding="utf-8"))
    fired: dict[str, set[str]] = {name: set() for name in ALERTS}
    silent: dict[str, int] = {name: 0 for name in ALERTS}
    for case in cases["tests"]:
        jobs = {re.search(r'job="(\w+)"', series["series"]).group(1)  # type: ignore[union-attr]
                for series in case["input_series"]}
        for check in case.get("alert_rule_test", []):
            got = {alert["exp_labels"]["job"] for alert in check.get("exp_alerts") or []}
            fired[check["alertname"]] |= got
            # every job of the case that the check does not expect is a silent (healthy) case
            silent[check["alertname"]] += len(jobs - got) if got else 0
    assert all(fired[name] for name in ALERTS), fired
    assert all(silent[name] for name in ALERTS), silent
    assert {rule["alert"] for rule in _rules() if "alert" in rule} == set(ALERTS)


def test_the_command_prints_the_packaged_rules(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["egress", "rules"]) == 0
    assert capsys.readouterr().out == RULES.read_text(encoding="utf-8")


def test_rules_use_only_metrics_the_egress_client_exports() -> None:
    registry = CollectorRegistry()
    register_prometheus(EgressMetrics(), registry)
    exported = set(re.findall(r"^(http_\w+?)(?:\{| )", generate_latest(registry).decode(), flags=re.MULTILINE))
    used = {name for rule in _rules() for name in re.findall(r"(?<![\w:])http_\w+", str(rule["expr"]))}
    assert used <= exported, used - exported
    assert set(health.METRIC_NAMES.values()) <= exported
    assert {"http_connections_reused_total", "http_connections_created_total", "http_requests_timeout_total",
            "http_requests_total", "http_request_duration_seconds_bucket", "http_connection_pool_idle",
            "http_connection_pool_active", "http_connection_pool_max"} <= used


@pytest.mark.parametrize(("alert", "threshold"), [
    ("EgressConnectionReuseLow", f"< {health.REUSE.unhealthy:g}"),
    ("EgressTimeoutRateHigh", f"> {health.TIMEOUTS.unhealthy:g}"),
    ("EgressRequestDurationP99High", f"> {health.P99.unhealthy:g}"),
    ("EgressConnectionPoolAtMax", ">= job:http_connection_pool_max:sum"),
])  # fmt: skip
def test_alert_thresholds_are_the_ones_doctor_uses(alert: str, threshold: str) -> None:
    rule = _alert(alert)
    assert threshold in str(rule["expr"]).splitlines()[0]
    labels = rule["labels"]
    annotations = rule["annotations"]
    assert isinstance(labels, dict) and labels["severity"] in ("warning", "critical")
    assert isinstance(annotations, dict) and {"summary", "description", "runbook"} <= set(annotations)
    assert "lunalint explain LL" in annotations["runbook"] and "docs/operations.md" in annotations["runbook"]


def test_the_reuse_rate_is_a_fraction_of_all_attempts() -> None:
    (rule,) = [rule for rule in _rules() if rule.get("record") == "job:http_connection_reuse:ratio_rate5m"]
    expr = " ".join(str(rule["expr"]).split())
    numerator, denominator = expr.split(" / ", 1)
    assert "http_connections_reused_total" in numerator
    assert "http_connections_reused_total" in denominator and "http_connections_created_total" in denominator


def test_the_egress_client_exports_its_pool_maximum() -> None:
    from lunalint.egress import EgressConfig, create_client

    metrics = EgressMetrics()
    registry = CollectorRegistry()
    register_prometheus(metrics, registry)
    clients = [create_client(EgressConfig(pool_max_connections=7), metrics=metrics),
               create_client(EgressConfig(pool_max_connections=5), metrics=metrics)]
    assert registry.get_sample_value("http_connection_pool_max") == 12.0
    assert metrics.snapshot().pool_max == 12
    del clients
