"""Reference egress client: pool expiry, TCP keepalive, stream-safe deadline, retry, metrics.

Names are imported on first use, so that ``lunalint.egress.presets`` (plain numbers) can be
read without httpx installed.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .client import client_metrics, create_client
    from .config import EgressConfig
    from .deadline import DEADLINE_EXTENSION, RequestDeadlineExceeded
    from .failures import FAILURE_REASONS
    from .metrics import EgressMetrics, MetricsSnapshot
    from .presets import PRESETS
    from .retry import IDEMPOTENT_METHODS, RETRYABLE_EXTENSION
    from .sync import EgressSyncTransport, create_sync_client
    from .transport import EgressTransport

_WHERE = {
    "DEADLINE_EXTENSION": "deadline",
    "FAILURE_REASONS": "failures",
    "IDEMPOTENT_METHODS": "retry",
    "PRESETS": "presets",
    "RETRYABLE_EXTENSION": "retry",
    "EgressConfig": "config",
    "EgressMetrics": "metrics",
    "EgressSyncTransport": "sync",
    "EgressTransport": "transport",
    "MetricsSnapshot": "metrics",
    "RequestDeadlineExceeded": "deadline",
    "client_metrics": "client",
    "create_client": "client",
    "create_sync_client": "sync",
}

__all__ = sorted(_WHERE)


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_WHERE))
