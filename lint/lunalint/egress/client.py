"""create_client: the reference httpx.AsyncClient that passes every lunalint check."""

from __future__ import annotations

import socket
import ssl
import weakref
from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import Any, TypeVar

import httpx

from .config import EgressConfig
from .metrics import EgressMetrics
from .proxies import environment_proxy_mounts
from .transport import EgressTransport

__all__ = ["client_metrics", "client_timeout", "config_with_limits", "create_client", "egress_transports",
           "socket_options_for", "ssl_context"]

# macOS has no TCP_KEEPIDLE: its idle time is TCP_KEEPALIVE (0x10). Chosen on its own, not only
# when TCP_KEEPINTVL is missing (current macOS Pythons export TCP_KEEPINTVL; see the knowledge
# file, Traps #12). The interval and count fallbacks are macOS's <netinet/tcp.h> values, for
# Pythons built without the names; Linux, Windows and the BSDs export all three.
_TCP_KEEPALIVE_MACOS: int = getattr(socket, "TCP_KEEPALIVE", 0x10)
_TCP_KEEPINTVL_MACOS = 0x101
_TCP_KEEPCNT_MACOS = 0x102

_METRICS: weakref.WeakKeyDictionary[httpx.AsyncClient | httpx.Client, EgressMetrics] = (
    weakref.WeakKeyDictionary()
)

SocketOption = tuple[int, int, int]


def socket_options_for(config: EgressConfig) -> list[SocketOption]:
    """TCP keepalive (idle, interval, count) and, on Linux, ``TCP_USER_TIMEOUT``."""
    return [
        (socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1),
        (socket.IPPROTO_TCP, getattr(socket, "TCP_KEEPIDLE", _TCP_KEEPALIVE_MACOS), config.keepalive_idle_seconds),
        (socket.IPPROTO_TCP, getattr(socket, "TCP_KEEPINTVL", _TCP_KEEPINTVL_MACOS), config.keepalive_interval_seconds),
        (socket.IPPROTO_TCP, getattr(socket, "TCP_KEEPCNT", _TCP_KEEPCNT_MACOS), config.tcp_keepalive_count),
        *_user_timeout_option(config),
    ]  # fmt: skip


def _user_timeout_option(config: EgressConfig) -> list[SocketOption]:
    """``TCP_USER_TIMEOUT`` where the platform has it (Linux): the keepalive bound, in ms."""
    option = getattr(socket, "TCP_USER_TIMEOUT", None)
    return [] if option is None else [(socket.IPPROTO_TCP, option, config.tcp_user_timeout_ms)]


def create_client(
    config: EgressConfig | None = None,
    *,
    metrics: EgressMetrics | None = None,
    base_url: str = "",
    headers: Mapping[str, str] | None = None,
    verify: ssl.SSLContext | str | bool = True,
    cert: Any = None,
    proxy: str | httpx.Proxy | None = None,
    trust_env: bool = True,
    mounts: Mapping[str, httpx.AsyncBaseTransport | None] | None = None,
    http2: bool = False,
    follow_redirects: bool = False,
    auth: Any = None,
    event_hooks: Mapping[str, list[Any]] | None = None,
    limits: httpx.Limits | None = None,
    **client_options: Any,
) -> httpx.AsyncClient:
    """An ``httpx.AsyncClient`` with idle expiry, TCP keepalive, stream-safe timeouts, a
    whole-request deadline, safe retries and pool metrics (see `EgressConfig`).

    The usual ``httpx.AsyncClient`` options are accepted. Those that belong to the connection
    pool (``verify``, ``cert``, ``proxy``, ``http2``, ``limits``) are applied to this client's
    own transport, which httpx would otherwise ignore next to a custom transport; ``limits``
    replaces ``pool_max_connections``, ``pool_max_idle`` and ``pool_idle_timeout``. With
    ``trust_env`` (the default, as in httpx) ``HTTP_PROXY``, ``HTTPS_PROXY``, ``ALL_PROXY``
    and ``NO_PROXY`` are read and each proxy gets a transport with the same guarantees.
    ``mounts`` are added as given (a transport of your own keeps its own settings). Other
    keyword arguments (``params``, ``cookies``, ``max_redirects``, ...) go to httpx as they are.

    Pass one ``metrics`` object to several clients to sum them; otherwise each client gets its
    own, available from `client_metrics`.
    """
    config = EgressConfig() if config is None else config
    if limits is not None:
        config = config_with_limits(config, limits)
    metrics = EgressMetrics() if metrics is None else metrics
    transport, all_mounts = egress_transports(
        config, metrics, httpx.AsyncHTTPTransport, EgressTransport, verify=verify, cert=cert, trust_env=trust_env,
        http2=http2, proxy=proxy, mounts=mounts)
    client = httpx.AsyncClient(
        transport=transport,
        mounts=all_mounts,
        timeout=client_timeout(config),
        base_url=base_url,
        headers=headers,
        trust_env=trust_env,
        follow_redirects=follow_redirects,
        auth=auth,
        event_hooks=None if event_hooks is None else dict(event_hooks),
        **client_options,
    )
    register_metrics(client, metrics)
    return client


def ssl_context(verify: ssl.SSLContext | str | bool, cert: Any, trust_env: bool) -> ssl.SSLContext | str | bool:
    """``verify`` with the client certificate ``cert`` loaded into it, if one is given.

    httpx 0.28 deprecates its own ``cert=`` (a warning) in favour of an SSL context with the
    chain loaded; this does that for both the 0.27 and the 0.28 API. ``cert`` is a file, or
    ``(certfile, keyfile)`` or ``(certfile, keyfile, password)``. A context passed as
    ``verify`` gets the chain loaded into it, as httpx would do.
    """
    if cert is None:
        return verify
    if isinstance(verify, ssl.SSLContext):
        context = verify
    else:
        context = httpx.create_ssl_context(verify=verify, trust_env=trust_env)
    if isinstance(cert, str):
        context.load_cert_chain(cert)
    else:
        context.load_cert_chain(*cert)
    return context


def config_with_limits(config: EgressConfig, limits: httpx.Limits) -> EgressConfig:
    """``config`` with the pool sizes and idle expiry of an ``httpx.Limits`` (none may be None:
    an unbounded pool or connections that never expire is what this client exists to avoid)."""
    values = {
        "max_connections": limits.max_connections,
        "max_keepalive_connections": limits.max_keepalive_connections,
        "keepalive_expiry": limits.keepalive_expiry,
    }
    for name, value in values.items():
        if value is None:
            raise ValueError(f"limits.{name} must be set, got None")
    return replace(
        config,
        pool_max_connections=int(limits.max_connections or 0),
        pool_max_idle=int(limits.max_keepalive_connections or 0),
        pool_idle_timeout=float(limits.keepalive_expiry or 0.0),
    )


T = TypeVar("T")


def egress_transports(config: EgressConfig, metrics: EgressMetrics, inner: Callable[..., Any], wrap: Callable[..., T], *,
                      verify: ssl.SSLContext | str | bool, cert: Any, trust_env: bool, http2: bool,
                      proxy: str | httpx.Proxy | None, mounts: Mapping[str, T | None] | None,
                      ) -> tuple[T, dict[str, T | None]]:
    """A client's own transport and its mounts (the environment's proxies, then ``mounts``): each
    ``wrap`` (the egress transport, async or sync) around an ``inner`` httpx transport that holds
    the pool limits, the socket options and the TLS settings. A proxied transport also sets the
    socket options as each connection connects (httpcore does not apply them through a proxy)."""
    socket_options = socket_options_for(config)
    pool_limits = httpx.Limits(
        max_connections=config.pool_max_connections,
        max_keepalive_connections=config.pool_max_idle,
        keepalive_expiry=config.pool_idle_timeout,
    )
    tls: dict[str, Any] = {"verify": ssl_context(verify, cert, trust_env), "http2": http2, "trust_env": trust_env}

    def build(url: str | httpx.Proxy | None, connect_socket_options: list[SocketOption]) -> T:
        return wrap(inner(limits=pool_limits, socket_options=socket_options, proxy=url, **tls),
                    config=config, metrics=metrics, connect_socket_options=connect_socket_options)

    all_mounts: dict[str, T | None] = {}
    if trust_env and proxy is None:
        all_mounts.update(environment_proxy_mounts(lambda url: build(url, socket_options)))
    all_mounts.update(mounts or {})
    return build(proxy, socket_options if proxy is not None else []), all_mounts


def client_timeout(config: EgressConfig) -> httpx.Timeout:
    """The client's timeouts: per read, connect and pool wait (the deadline is the transport's)."""
    return httpx.Timeout(config.timeout, connect=config.connect_timeout, pool=config.pool_timeout)


def register_metrics(client: httpx.AsyncClient | httpx.Client, metrics: EgressMetrics) -> None:
    """Remember ``client``'s metrics for `client_metrics`."""
    _METRICS[client] = metrics


def client_metrics(client: httpx.AsyncClient | httpx.Client) -> EgressMetrics:
    """The metrics of a client made by `create_client` or `create_sync_client`."""
    try:
        return _METRICS[client]
    except KeyError:
        raise ValueError("this client was not made by lunalint.egress.create_client") from None
