"""Reference egress client: pool expiry, TCP keepalive, stream-safe deadline, retry, metrics."""

from __future__ import annotations

from .client import client_metrics, create_client
from .config import EgressConfig
from .deadline import DEADLINE_EXTENSION, RequestDeadlineExceeded
from .metrics import EgressMetrics, MetricsSnapshot
from .retry import IDEMPOTENT_METHODS, RETRYABLE_EXTENSION
from .transport import EgressTransport

__all__ = [
    "DEADLINE_EXTENSION",
    "IDEMPOTENT_METHODS",
    "RETRYABLE_EXTENSION",
    "EgressConfig",
    "EgressMetrics",
    "EgressTransport",
    "MetricsSnapshot",
    "RequestDeadlineExceeded",
    "client_metrics",
    "create_client",
]
