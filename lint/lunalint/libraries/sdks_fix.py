"""Fixes for the openai and anthropic SDK clients (the planner of ``libraries/sdks.py``).

- timeout: ``timeout=httpx2.Timeout(600, connect=10)``: the httpx generation both SDKs use
  (anthropic rejects objects of the ``httpx`` package).
- keepalive: an ``http_client=`` that keeps the SDK's defaults: ``{sdk}.DefaultHttpxClient``
  (the SDK's timeout, limits and redirects) with an ``httpx2.HTTPTransport`` carrying the SDK's
  pool sizes and the keepalive socket options. A transport turns off the environment proxies
  (and, for anthropic, the proxy mounts its default client builds), so the fix is unsafe. An
  inline ``http_client=httpx2.Client(...)`` is fixed as an httpx client.
- pool idle, LL104 and the idle time of inline options: as for httpx, on the inline ``http_client``.
"""

from __future__ import annotations

import libcst as cst

from lunalint.fix import Applicability
from lunalint.libraries import httpx_fix
from lunalint.libraries.fixkit import (
    Change, dotted, FixContext, has_star, inline_call, keepalive_options, kwarg, Namer, number, Plan,
    set_kwarg,
)

__all__ = ["SDK_SIZES", "plan"]

SDK_SIZES = (1000, 100)  # ``DEFAULT_CONNECTION_LIMITS``: max_connections, max_keepalive_connections
DEFAULT_CLIENTS = ("DefaultHttpxClient", "DefaultAsyncHttpxClient", "DefaultHttpx2Client", "DefaultAsyncHttpx2Client")


def plan(ctx: FixContext) -> Plan | None:
    call = ctx.spec.anchor
    if not isinstance(call, cst.Call):
        return None
    sdk = ctx.spec.library
    if ctx.family == "timeout":
        return httpx_fix.timeout_plan(ctx, call, lambda n: n.ref("httpx2", "Timeout"), shown_name="httpx2.Timeout")
    if ctx.family == "keepalive-idle":
        return httpx_fix.idle_plan(ctx)
    name = dotted(call.func).rsplit(".", 1)[-1]
    is_default = name in DEFAULT_CLIENTS
    inner = call if is_default else inline_call(kwarg(call, "http_client"))
    if ctx.family == "pool":
        replaced = httpx_fix.value_plan(ctx, number(ctx.values.idle), "a pool idle expiry within the maximum")
        if replaced is not None or inner is None:
            return replaced
        sizes = SDK_SIZES if _dotted_name(inner) in DEFAULT_CLIENTS else httpx_fix.DEFAULT_SIZES
        return httpx_fix.pool_plan(ctx, inner, ctx.module_of(inner.func) or "httpx2", sizes)
    if ctx.family == "limits":
        return httpx_fix.limits_plan(inner) if inner is not None else None
    if ctx.family != "keepalive":
        return None
    if inner is not None:
        module = "httpx2" if _dotted_name(inner) in DEFAULT_CLIENTS else (ctx.module_of(inner.func) or "httpx2")
        sizes = SDK_SIZES if _dotted_name(inner) in DEFAULT_CLIENTS else httpx_fix.DEFAULT_SIZES
        return httpx_fix.keepalive_plan(ctx, inner, module, sizes)
    message = f"Pass `http_client={sdk}.DefaultHttpxClient(transport=...)` with TCP keepalive socket options"
    if kwarg(call, "http_client") is not None or has_star(call):
        return Plan(Applicability.DISPLAY, message)
    is_async = "Async" in ctx.spec.label
    client = "DefaultAsyncHttpxClient" if is_async else "DefaultHttpxClient"
    transport = "AsyncHTTPTransport" if is_async else "HTTPTransport"

    def add(node: cst.CSTNode, n: Namer) -> cst.CSTNode:
        assert isinstance(node, cst.Call)
        limits = f"{n.ref('httpx2', 'Limits')}(max_connections={SDK_SIZES[0]}, max_keepalive_connections={SDK_SIZES[1]})"
        code = (f"{n.ref(sdk, client)}(transport={n.ref('httpx2', transport)}(limits={limits}, "
                f"socket_options={keepalive_options(n, ctx.values)}))")
        return set_kwarg(node, "http_client", n.expression(code))

    text = (f"{message}; it keeps the SDK's timeout, pool sizes and redirects, but a transport turns off the "
            "environment proxies (HTTP(S)_PROXY)")
    return Plan(Applicability.UNSAFE, text, (Change(call, "keepalive", add, order=10),))


def _dotted_name(call: cst.Call) -> str:
    return dotted(call.func).rsplit(".", 1)[-1]
