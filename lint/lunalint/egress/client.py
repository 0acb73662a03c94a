"""create_client: the reference httpx.AsyncClient that passes every lunalint check."""

from __future__ import annotations

import socket
import weakref
from collections.abc import Mapping

import httpx

from .config import EgressConfig
from .metrics import EgressMetrics
from .transport import EgressTransport

__all__ = ["client_metrics", "create_client"]

# macOS has no TCP_KEEPIDLE: its idle time is TCP_KEEPALIVE (0x10). Chosen on its own, not only
# when TCP_KEEPINTVL is missing (current macOS Pythons export TCP_KEEPINTVL; see the knowledge
# file, Traps #12). The interval and count fallbacks are macOS's <netinet/tcp.h> values, for
# Pythons built without the names; Linux, Windows and the BSDs export all three.
_TCP_KEEPALIVE_MACOS: int = getattr(socket, "TCP_KEEPALIVE", 0x10)
_TCP_KEEPINTVL_MACOS = 0x101
_TCP_KEEPCNT_MACOS = 0x102

_METRICS: weakref.WeakKeyDictionary[httpx.AsyncClient, EgressMetrics] = weakref.WeakKeyDictionary()


def create_client(
    config: EgressConfig | None = None,
    *,
    metrics: EgressMetrics | None = None,
    base_url: str = "",
    headers: Mapping[str, str] | None = None,
) -> httpx.AsyncClient:
    """An ``httpx.AsyncClient`` with idle expiry, TCP keepalive, stream-safe timeouts, a
    whole-request deadline, safe retries and pool metrics (see `EgressConfig`).

    Pass one ``metrics`` object to several clients to sum them; otherwise each client gets its
    own, available from `client_metrics`. The custom transport means ``HTTP(S)_PROXY`` from the
    environment is not used.
    """
    config = EgressConfig() if config is None else config
    metrics = EgressMetrics() if metrics is None else metrics
    socket_options = [
        (socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1),
        (socket.IPPROTO_TCP, getattr(socket, "TCP_KEEPIDLE", _TCP_KEEPALIVE_MACOS), config.keepalive_idle_seconds),
        (socket.IPPROTO_TCP, getattr(socket, "TCP_KEEPINTVL", _TCP_KEEPINTVL_MACOS), config.keepalive_interval_seconds),
        (socket.IPPROTO_TCP, getattr(socket, "TCP_KEEPCNT", _TCP_KEEPCNT_MACOS), config.tcp_keepalive_count),
    ]  # fmt: skip
    client = httpx.AsyncClient(
        transport=EgressTransport(
            httpx.AsyncHTTPTransport(
                limits=httpx.Limits(
                    max_connections=config.pool_max_connections,
                    max_keepalive_connections=config.pool_max_idle_per_host,
                    keepalive_expiry=config.pool_idle_timeout,
                ),
                socket_options=socket_options,
            ),
            config=config,
            metrics=metrics,
        ),
        timeout=httpx.Timeout(config.timeout, connect=config.connect_timeout),
        base_url=base_url,
        headers=headers,
    )
    _METRICS[client] = metrics
    return client


def client_metrics(client: httpx.AsyncClient) -> EgressMetrics:
    """The metrics of a client made by `create_client`."""
    try:
        return _METRICS[client]
    except KeyError:
        raise ValueError("this client was not made by lunalint.egress.create_client") from None
