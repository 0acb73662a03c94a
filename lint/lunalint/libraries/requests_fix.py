"""Fixes for requests and urllib3 (the planner of ``libraries/requests.py``).

- timeout: ``timeout=(10, 600)`` (connect, read) on each requests call; urllib3 gets
  ``timeout=urllib3.Timeout(connect=10, read=600)``. ``session.timeout = X`` has no edit: requests
  never reads it, every call needs its own ``timeout=``.
- keepalive: urllib3 pools get ``socket_options=HTTPConnection.default_socket_options +
  KEEPALIVE_SOCKET_OPTIONS`` (keeping the defaults keeps TCP_NODELAY). A requests session
  assigned to a name gets a ``KeepAliveAdapter`` (an ``HTTPAdapter`` subclass inserted once per
  module that passes those options to its pool manager) mounted for ``https://`` and ``http://``
  right after the assignment; a mounted ``HTTPAdapter(...)`` becomes a ``KeepAliveAdapter(...)``
  with the same arguments.
"""

from __future__ import annotations

import libcst as cst

from lunalint.fix import Applicability
from lunalint.libraries import httpx_fix
from lunalint.libraries.fixkit import (
    Change, dotted, FixContext, has_star, keepalive_options, kwarg, Namer, number, Plan, positional,
    set_kwarg,
)

__all__ = ["plan"]

SESSION_REQUEST_TIMEOUT = 8
POOL_TIMEOUT_POSITION = 2


def plan(ctx: FixContext) -> Plan | None:
    call = ctx.spec.anchor
    v = ctx.values
    if ctx.family == "timeout":
        if not isinstance(call, cst.Call):
            return Plan(Applicability.DISPLAY, "Pass `timeout=(connect, read)` to every call: a Session has no "
                                               "timeout of its own")
        name = dotted(call.func).rsplit(".", 1)[-1]
        if (name == "request" and len(positional(call)) > SESSION_REQUEST_TIMEOUT) or (
                name.endswith("ConnectionPool") and len(positional(call)) > POOL_TIMEOUT_POSITION):
            return Plan(Applicability.DISPLAY, "Set the timeout")
        if ctx.spec.library == "urllib3":
            arguments = f"(connect={number(v.connect)}, read={number(v.read)})"
            return httpx_fix.timeout_plan(ctx, call, lambda n: n.ref("urllib3", "Timeout"),
                                          shown_name="urllib3.Timeout", arguments=arguments)
        return httpx_fix.timeout_plan(ctx, call, lambda n: "", shown_name="",
                                      arguments=f"({number(v.connect)}, {number(v.read)})")
    if ctx.family == "keepalive-idle":
        return httpx_fix.idle_plan(ctx)
    if ctx.family != "keepalive" or not isinstance(call, cst.Call):
        return None
    if ctx.spec.library == "urllib3":
        return _pool_options(ctx, call)
    return _session(ctx, call)


def _options(n: Namer, ctx: FixContext) -> str:
    return f"{n.ref('urllib3.connection', 'HTTPConnection')}.default_socket_options + {keepalive_options(n, ctx.values)}"


def _pool_options(ctx: FixContext, call: cst.Call) -> Plan:
    message = "Pass `socket_options=HTTPConnection.default_socket_options + KEEPALIVE_SOCKET_OPTIONS`"
    if has_star(call) or kwarg(call, "socket_options") is not None:
        return Plan(Applicability.DISPLAY, message)

    def add(node: cst.CSTNode, n: Namer) -> cst.CSTNode:
        assert isinstance(node, cst.Call)
        return set_kwarg(node, "socket_options", n.expression(_options(n, ctx)))

    return Plan(Applicability.SAFE, message, (Change(call, "socket_options", add),))


def _adapter(n: Namer, ctx: FixContext) -> str:
    def code(m: Namer) -> str:
        return (f"class KeepAliveAdapter({m.ref('requests.adapters', 'HTTPAdapter')}):\n"
                '    """An HTTPAdapter whose connections use TCP keepalive (and keep urllib3\'s TCP_NODELAY)."""\n'
                "\n"
                "    def init_poolmanager(self, *args, **kwargs):\n"
                f'        kwargs["socket_options"] = {_options(m, ctx)}\n'
                "        super().init_poolmanager(*args, **kwargs)\n")
    return n.helper("KeepAliveAdapter", code)


def _session(ctx: FixContext, call: cst.Call) -> Plan:
    message = "Mount a `KeepAliveAdapter` (an HTTPAdapter that sets TCP keepalive) for https:// and http://"
    anchor = ctx.anchor
    func = dotted(call.func)
    if func.endswith("mount"):  # ``session.mount(prefix, HTTPAdapter(...))``: the adapter, kept as written
        adapter = anchor if isinstance(anchor, cst.Call) else None
        if adapter is None or not dotted(adapter.func).endswith("HTTPAdapter"):
            return Plan(Applicability.DISPLAY, message)

        def swap(node: cst.CSTNode, n: Namer) -> cst.CSTNode:
            assert isinstance(node, cst.Call)
            return node.with_changes(func=n.expression(_adapter(n, ctx)))
        return Plan(Applicability.SAFE, "Mount a `KeepAliveAdapter` (an HTTPAdapter that sets TCP keepalive)",
                    (Change(adapter, "adapter", swap),))
    assign = ctx.parent(call)
    line = ctx.parent(assign) if assign is not None else None
    if not (isinstance(assign, cst.Assign) and len(assign.targets) == 1 and isinstance(line, cst.SimpleStatementLine)
            and len(line.body) == 1):
        return Plan(Applicability.DISPLAY, message)
    target = assign.targets[0].target
    if not isinstance(target, (cst.Name, cst.Attribute)):
        return Plan(Applicability.DISPLAY, message)

    def mount(node: cst.CSTNode, n: Namer) -> cst.FlattenSentinel[cst.BaseStatement]:
        assert isinstance(node, cst.SimpleStatementLine)
        name = n.code(target)
        adapter = _adapter(n, ctx)
        mounts = [n.statement(f'{name}.mount("{prefix}", {adapter}())\n') for prefix in ("https://", "http://")]
        return cst.FlattenSentinel([node, *mounts])

    return Plan(Applicability.SAFE, message, (Change(line, "mount", mount),))
