"""The Prometheus recording and alerting rules shipped as package data."""

from __future__ import annotations

from importlib import resources

__all__ = ["ALERTS", "RULES_FILE", "rules_text"]

RULES_FILE = "prometheus_rules.yml"

#: Alert names, one per unhealthy level of the four health metrics.
ALERTS = (
    "EgressConnectionReuseLow",
    "EgressTimeoutRateHigh",
    "EgressRequestDurationP99High",
    "EgressConnectionPoolAtMax",
)


def rules_text() -> str:
    """The rules file, as ``promtool check rules`` and Prometheus's ``rule_files`` take it."""
    return resources.files(__package__).joinpath(RULES_FILE).read_text(encoding="utf-8")
