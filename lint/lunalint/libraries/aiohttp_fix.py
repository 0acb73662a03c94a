"""Fixes for aiohttp sessions and connectors (the planner of ``libraries/aiohttp.py``).

- timeout: ``timeout=aiohttp.ClientTimeout(total=None, sock_read=600, sock_connect=10)``: no
  whole-request deadline (it would end long streams), a per-read limit and a connect limit.
- pool idle: ``keepalive_timeout=`` on the ``TCPConnector`` (one is added when the session has
  none: the same connector a session builds by default).
- keepalive: ``TCPConnector(socket_factory=keepalive_socket)``, with ``keepalive_socket`` (it
  builds the socket as aiohttp does and sets the four keepalive options) inserted once per module.
  ``socket_factory`` needs aiohttp 3.12 or later.
"""

from __future__ import annotations

import libcst as cst

from lunalint.fix import Applicability
from lunalint.libraries import httpx_fix
from lunalint.libraries.fixkit import (
    KEEPALIVE_COUNT, KEEPALIVE_INTERVAL, Change, dotted, FixContext, has_star, inline_call, kwarg, Namer,
    number, Plan, set_kwarg,
)

__all__ = ["plan"]


def plan(ctx: FixContext) -> Plan | None:
    call = ctx.spec.anchor
    if not isinstance(call, cst.Call):
        return None
    v = ctx.values
    if ctx.family == "timeout":
        if kwarg(call, "read_timeout") is not None or kwarg(call, "conn_timeout") is not None:
            return Plan(Applicability.DISPLAY, "Replace the deprecated read_timeout=/conn_timeout= with timeout=")
        arguments = f"(total=None, sock_read={number(v.read)}, sock_connect={number(v.connect)})"
        return httpx_fix.timeout_plan(ctx, call, lambda n: n.ref("aiohttp", "ClientTimeout"),
                                      shown_name="aiohttp.ClientTimeout", arguments=arguments)
    if ctx.family not in ("pool", "keepalive"):
        return None
    if ctx.family == "pool":
        replaced = httpx_fix.value_plan(ctx, number(v.idle), "a pool idle expiry within the maximum")
        if replaced is not None:
            return replaced
    is_connector = dotted(call.func).endswith("TCPConnector")
    connector_arg = None if is_connector else kwarg(call, "connector")
    connector = call if is_connector else inline_call(connector_arg)
    name, value = ("keepalive_timeout", number(v.idle)) if ctx.family == "pool" else ("socket_factory", "")
    message = (f"Set `keepalive_timeout={value}` on the TCPConnector" if ctx.family == "pool"
               else "Pass `socket_factory=keepalive_socket` to the TCPConnector (a helper that sets TCP keepalive; "
                    "aiohttp 3.12 or later)")
    if ctx.family == "keepalive" and connector is not None and kwarg(connector, "socket_factory") is not None:
        return Plan(Applicability.DISPLAY, message)
    if (connector is None and connector_arg is not None) or has_star(call) or (
            connector is not None and has_star(connector)):
        return Plan(Applicability.DISPLAY, message)

    def setting(n: Namer) -> cst.BaseExpression:
        return n.expression(value if ctx.family == "pool" else _factory(n, ctx))

    if connector is not None:
        def edit(node: cst.CSTNode, n: Namer) -> cst.CSTNode:
            assert isinstance(node, cst.Call)
            return set_kwarg(node, name, setting(n))
        return Plan(Applicability.SAFE, message, (Change(connector, name, edit),))

    def add(node: cst.CSTNode, n: Namer) -> cst.CSTNode:
        assert isinstance(node, cst.Call)
        built = n.expression(f"{n.ref('aiohttp', 'TCPConnector')}()")
        assert isinstance(built, cst.Call)
        existing = kwarg(node, "connector")
        target = existing.value if existing is not None and isinstance(existing.value, cst.Call) else built
        return set_kwarg(node, "connector", set_kwarg(target, name, setting(n)))

    return Plan(Applicability.SAFE, message, (Change(call, f"connector {name}", add, order=10 if ctx.family == "keepalive" else 0),))


def _factory(namer: Namer, ctx: FixContext) -> str:
    def code(n: Namer) -> str:
        level, tcp = n.ref("socket", "SOL_SOCKET"), n.ref("socket", "IPPROTO_TCP")
        rows = [(level, "SO_KEEPALIVE", "1"), (tcp, "TCP_KEEPIDLE", number(ctx.values.keepidle)),
                (tcp, "TCP_KEEPINTVL", str(KEEPALIVE_INTERVAL)), (tcp, "TCP_KEEPCNT", str(KEEPALIVE_COUNT))]
        sets = "".join(f"    sock.setsockopt({a}, {n.ref('socket', b)}, {c})\n" for a, b, c in rows)
        return ("def keepalive_socket(addr_info):\n"
                '    """A socket as aiohttp makes one, with TCP keepalive (TCPConnector(socket_factory=...))."""\n'
                "    family, type_, proto, _, _ = addr_info\n"
                f"    sock = {n.ref('socket', 'socket')}(family=family, type=type_, proto=proto)\n"
                "    sock.setblocking(False)\n"
                f"{sets}"
                "    return sock\n")
    return namer.helper("keepalive_socket", code)
