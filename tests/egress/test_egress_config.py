"""EgressConfig validation, logging phrases, Prometheus exposition, and what the linter sees."""

from __future__ import annotations

import logging
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from egress_upstream import Upstream
from prometheus_client import CollectorRegistry, generate_latest

from lunalint.egress import (
    DEADLINE_EXTENSION,
    EgressConfig,
    EgressMetrics,
    RequestDeadlineExceeded,
    client_metrics,
    create_client,
)
from lunalint.egress.prometheus import register_prometheus

MakeClient = Callable[..., httpx.AsyncClient]
CLIENT_SOURCE = Path(__file__).resolve().parents[2] / "lint" / "lunalint" / "egress" / "client.py"


def test_defaults_are_what_the_policy_asks_for() -> None:
    config = EgressConfig()
    assert (config.pool_idle_timeout, config.tcp_keepalive, config.timeout) == (90.0, 60.0, 600.0)
    assert (config.connect_timeout, config.pool_timeout) == (10.0, 10.0)
    # httpcore compares the idle limit with the total connection count: equal, or bursts churn.
    assert config.pool_max_idle == config.pool_max_connections == 100
    # A dead peer is found within 90 s after the first probe: 6 probes, 15 s apart.
    assert config.dead_peer_detection_seconds - config.keepalive_idle_seconds == 90
    assert config.deadline is not None and config.deadline >= config.timeout


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"pool_idle_timeout": 0}, "pool_idle_timeout must be greater than 0"),
        ({"pool_idle_timeout": float("inf")}, "pool_idle_timeout must be finite"),
        ({"timeout": -1}, "timeout must be greater than 0"),
        ({"timeout": "600"}, "timeout must be a number of seconds"),
        ({"connect_timeout": True}, "connect_timeout must be a number of seconds"),
        ({"deadline": 0}, "deadline must be greater than 0"),
        ({"tcp_keepalive": float("nan")}, "tcp_keepalive must be finite"),
        ({"tcp_keepalive": 40000}, "tcp_keepalive must be at most 32767"),
        ({"tcp_keepalive_interval": 0}, "tcp_keepalive_interval must be greater than 0"),
        ({"tcp_keepalive_count": 0}, "tcp_keepalive_count must be between 1 and 127"),
        ({"tcp_keepalive_count": 2.0}, "tcp_keepalive_count must be an integer"),
        ({"pool_max_idle": -1}, "pool_max_idle must be at least 0"),
        ({"pool_timeout": 0}, "pool_timeout must be greater than 0"),
        ({"retry_statuses": [429]}, "retry_statuses must be a tuple"),
        ({"retry_statuses": (42,)}, "retry_statuses must be between 100 and 599"),
        ({"pool_max_connections": 0}, "pool_max_connections must be at least 1"),
        ({"max_retries": -1}, "max_retries must be at least 0"),
        ({"retry_backoff": -0.1}, "retry_backoff must not be negative"),
        ({"retry_backoff": 2.0, "retry_backoff_max": 1.0}, "retry_backoff_max (1.0) must not be below"),
    ],
    ids=lambda value: "-".join(value) if isinstance(value, dict) else None,
)
def test_invalid_settings_are_rejected_with_a_clear_message(settings: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        EgressConfig(**settings)


# The tuning section of LunaRoute's connection-pool documents, as this client's settings (see
# lunalint/egress/presets.py for the translation and where the two documents disagree).
PRESET_EXPECTED = {
    "default": {"pool_idle_timeout": 90.0, "tcp_keepalive": 60.0, "timeout": 600.0, "connect_timeout": 10.0,
                "deadline": 3600.0, "pool_max_idle": 100, "pool_max_connections": 100},
    "high-traffic": {"pool_idle_timeout": 60.0, "tcp_keepalive": 30.0, "pool_max_idle": 128,
                     "pool_max_connections": 128, "timeout": 600.0},
    "low-latency": {"pool_idle_timeout": 30.0, "tcp_keepalive": 30.0, "pool_max_idle": 16,
                    "pool_max_connections": 100, "timeout": 600.0},
    "long-running": {"timeout": 1200.0, "tcp_keepalive": 30.0, "pool_idle_timeout": 60.0,
                     "deadline": 3600.0, "pool_max_idle": 100},
}  # fmt: skip


@pytest.mark.parametrize("name", list(PRESET_EXPECTED))
def test_each_preset_has_the_seed_documents_numbers_and_passes_lunalints_policy(name: str) -> None:
    from lunalint.config import Policy

    config = EgressConfig.preset(name)
    for field, value in PRESET_EXPECTED[name].items():
        assert getattr(config, field) == value, field
    policy = Policy()
    assert config.pool_idle_timeout <= policy.max_pool_idle_timeout
    assert config.tcp_keepalive <= policy.max_keepalive_idle
    assert config.timeout >= policy.streaming_min_timeout
    assert config.connect_timeout <= policy.max_connect_timeout
    assert config.deadline is not None and config.deadline >= config.timeout


def test_the_default_preset_is_the_default_config_and_overrides_win() -> None:
    assert EgressConfig.preset("default") == EgressConfig()
    config = EgressConfig.preset("long-running", connect_timeout=5)
    assert (config.connect_timeout, config.timeout) == (5, 1200.0)
    assert EgressConfig.preset("high-traffic", pool_max_idle=64).pool_max_idle == 64
    with pytest.raises(ValueError, match="unknown egress preset 'bulk' \\(known: default, high-traffic"):
        EgressConfig.preset("bulk")
    with pytest.raises(ValueError, match="timeout must be greater than 0"):
        EgressConfig.preset("low-latency", timeout=0)


def test_the_preset_numbers_import_without_httpx() -> None:
    """The linter's policy profiles read them; the linter does not depend on httpx."""
    code = (
        "import sys; from lunalint.egress.presets import PRESETS; "
        "assert 'httpx' not in sys.modules and 'anyio' not in sys.modules, sorted(sys.modules); "
        "print(sorted(PRESETS))"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == "['default', 'high-traffic', 'long-running', 'low-latency']"


def test_keepalive_seconds_round_up_to_whole_seconds() -> None:
    config = EgressConfig(tcp_keepalive=0.5, tcp_keepalive_interval=1.2)
    assert (config.keepalive_idle_seconds, config.keepalive_interval_seconds) == (1, 2)


def test_client_metrics_refuses_a_foreign_client() -> None:
    with pytest.raises(ValueError, match="not made by lunalint.egress.create_client"):
        client_metrics(httpx.AsyncClient())


@pytest.mark.anyio
async def test_pool_events_are_logged_with_greppable_phrases(
    upstream: Upstream, make_client: MakeClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="lunalint.egress")
    client = make_client(retry_backoff=0.01)
    await client.get(upstream.url("/drop-if-reused"))
    await client.get(upstream.url("/drop-if-reused"))  # reused, dropped, retried
    with pytest.raises(RequestDeadlineExceeded):
        await client.get(upstream.url("/silent"), extensions={DEADLINE_EXTENSION: 0.3})

    messages = [r.getMessage() for r in caplog.records if r.name == "lunalint.egress"]
    for phrase in (
        "Connection pool: creating new connection",
        "Connection pool: reusing connection",
        "Connection pool: connection reset before response",
        "retrying GET",
        "Request timed out",
    ):
        assert any(phrase in m for m in messages), (phrase, messages)
    assert sum("Connection pool: creating new connection" in m for m in messages) == 2


@pytest.mark.anyio
async def test_per_request_deadline_extension_overrides_the_config(
    upstream: Upstream, make_client: MakeClient
) -> None:
    client = make_client(timeout=10.0, deadline=30.0)
    with pytest.raises(RequestDeadlineExceeded, match="deadline of 0.5 s"):
        await client.get(upstream.url("/silent"), extensions={DEADLINE_EXTENSION: 0.5})
    with pytest.raises(ValueError, match="lunalint.deadline must be a number"):
        await client.get(upstream.url(), extensions={DEADLINE_EXTENSION: "soon"})


@pytest.mark.anyio
async def test_prometheus_metrics_for_two_clients_sharing_one_metrics_object(upstream: Upstream) -> None:
    metrics = EgressMetrics()
    registry = CollectorRegistry()
    register_prometheus(metrics, registry)
    clients = [create_client(metrics=metrics) for _ in range(2)]
    try:
        for client in clients:
            for _ in range(3):
                assert (await client.get(upstream.url())).status_code == 200
        assert registry.get_sample_value("http_connection_pool_idle") == 2.0
    finally:
        for client in clients:
            await client.aclose()

    text = generate_latest(registry).decode()
    for name in (
        "http_connections_created_total", "http_connections_reused_total", "http_requests_total",
        "http_requests_timeout_total", "http_request_duration_seconds_bucket",
        "http_connection_pool_idle", "http_connection_pool_active",
    ):  # fmt: skip
        assert f"\n{name}" in text, name
    value = registry.get_sample_value
    assert value("http_connections_created_total") == 2.0
    assert value("http_connections_reused_total") == 4.0
    assert value("http_requests_total") == 6.0
    assert value("http_requests_timeout_total") == 0.0
    assert value("http_request_duration_seconds_count") == 6.0
    assert value("http_request_duration_seconds_bucket", {"le": "+Inf"}) == 6.0
    assert len(upstream.connections) == 2
    # Both clients are closed: their pools hold nothing now.
    assert (value("http_connection_pool_idle"), value("http_connection_pool_active")) == (0.0, 0.0)


def test_the_linter_sees_the_reference_client_with_every_setting_explicit() -> None:
    """Zero findings (tests/test_self.py) must come from a client the linter analysed, not skipped."""
    from lunalint.python import FRONTEND

    for source, label in ((CLIENT_SOURCE, "httpx.AsyncClient"), (CLIENT_SOURCE.with_name("sync.py"), "httpx.Client")):
        analysis = FRONTEND.analyse(source.read_bytes(), str(source))
        assert analysis is not None
        specs = analysis.specs
        assert [spec.label for spec in specs] == [label]
        (spec,) = specs
        for setting in (spec.pool_idle, spec.keepalive, spec.read_timeout, spec.connect_timeout):
            assert setting is not None and setting.explicit, spec
