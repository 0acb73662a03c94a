"""Fixes for httpx and httpx2 clients (the planner of ``libraries/httpx.py``; see ``fixkit.py``).

- timeout: ``timeout=httpx.Timeout(600, connect=10)`` on the client or call; safe when the code
  wrote no timeout, unsafe when it replaces one (LL901: an invalid value is replaced safely).
- pool idle: ``keepalive_expiry`` in the ``Limits`` that applies: the transport's when a transport
  is passed (the client's ``limits=`` is ignored then), else the client's; a new ``Limits`` keeps
  httpx's default sizes (100 connections, 20 idle). A value the code wrote is replaced unsafely.
- keepalive: ``socket_options`` on the transport. A client without a transport gets one, with the
  client's transport arguments (``verify``, ``cert``, ``trust_env``, ``http1``, ``http2``,
  ``limits``) moved into it; since a transport turns off httpx's environment proxies, that fix is
  unsafe unless ``trust_env=False`` or ``proxy=`` already decides the proxy.
- LL104: the client's ignored ``limits=`` moved onto its transport (unsafe: the limits then apply).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import libcst as cst

from lunalint.fix import Applicability
from lunalint.values import BY_DEFAULT

if TYPE_CHECKING:
    from lunalint.spec import ClientSpec
from lunalint.libraries.fixkit import (
    carry, Change, dotted, FixContext, has_star, inline_call, keepalive_options, kwarg, Namer, number, Plan,
    positional, remove_arg, set_kwarg,
)

__all__ = ["DEFAULT_SIZES", "TRANSPORT_ARGUMENTS", "idle_plan", "keepalive_plan", "limits_plan", "plan",
           "pool_plan", "timeout_plan", "value_plan"]

DEFAULT_SIZES = (100, 20)  # ``DEFAULT_LIMITS``: max_connections, max_keepalive_connections
TRANSPORT_ARGUMENTS = ("verify", "cert", "trust_env", "http1", "http2", "limits")
LIMITS_POSITION, SOCKET_OPTIONS_POSITION = 5, 10
KEEPALIVE_NAMES = ("SO_KEEPALIVE", "TCP_KEEPIDLE", "TCP_KEEPINTVL", "TCP_KEEPCNT")
SETTING_ARGUMENTS = ("keepalive_expiry", "keepalive_timeout")


def _display(message: str) -> Plan:
    return Plan(Applicability.DISPLAY, message)


def plan(ctx: FixContext) -> Plan | None:
    call = ctx.spec.anchor
    if not isinstance(call, cst.Call):
        return None
    module = ctx.spec.library
    if ctx.family == "timeout":
        return timeout_plan(ctx, call, lambda n: n.ref(module, "Timeout"), shown_name=f"{module}.Timeout")
    if ctx.family == "pool":
        return pool_plan(ctx, call, module, DEFAULT_SIZES)
    if ctx.family == "keepalive":
        return keepalive_plan(ctx, call, module, DEFAULT_SIZES)
    if ctx.family == "keepalive-idle":
        return idle_plan(ctx)
    if ctx.family == "limits":
        return limits_plan(call)
    return None


def timeout_plan(ctx: FixContext, call: cst.Call, timeout: Callable[[Namer], str], *, shown_name: str,
                 arguments: str = "") -> Plan:
    """``timeout=<timeout>(read, connect=c)`` (or ``(arguments)`` when given) on ``call``;
    ``shown_name`` is how the message writes the timeout class."""
    v = ctx.values
    args = arguments if arguments else f"({number(v.read)}, connect={number(v.connect)})"
    shown = f"timeout={shown_name}{args}"
    if has_star(call):
        return _display(f"Set `{shown}` (the call's **kwargs may hold a timeout)")
    given = kwarg(call, "timeout")
    if given is not None and _reference(given.value) and _from_a_default(ctx.spec) and ctx.code != "LL901":
        # ``timeout=timeout`` whose value is a parameter's or field's default: callers may pass
        # their own, so the edit belongs at the default, not here.
        return _display(f"Set `{shown}` where `{cst.Module([]).code_for_node(given.value)}` gets its value")
    written = given is not None or any(
        s is not None and s.explicit for s in (ctx.spec.read_timeout, ctx.spec.total_timeout, ctx.spec.connect_timeout))
    safe = not written or ctx.code == "LL901"

    def rewrite(node: cst.CSTNode, n: Namer) -> cst.CSTNode:
        assert isinstance(node, cst.Call)
        return set_kwarg(node, "timeout", n.expression(f"{timeout(n)}{args}"))

    return Plan(Applicability.SAFE if safe else Applicability.UNSAFE, f"Set `{shown}`",
                (Change(call, "timeout", rewrite),))


def _from_a_default(spec: ClientSpec) -> bool:
    return any(s is not None and BY_DEFAULT in s.note for s in (spec.read_timeout, spec.total_timeout, spec.connect_timeout))


def _reference(value: cst.BaseExpression) -> bool:
    """Whether ``value`` names something defined elsewhere (a parameter, a constant, a setting)."""
    if isinstance(value, cst.Name):
        return value.value not in ("None", "True", "False")
    return isinstance(value, (cst.Attribute, cst.Subscript))


def value_plan(ctx: FixContext, value: str, what: str) -> Plan | None:
    """The finding is on a keyword argument (``keepalive_expiry=None``): replace its value."""
    arg = ctx.anchor
    if not (isinstance(arg, cst.Arg) and arg.keyword is not None and arg.keyword.value in SETTING_ARGUMENTS):
        return None

    def rewrite(node: cst.CSTNode, n: Namer) -> cst.CSTNode:
        assert isinstance(node, cst.Arg)
        return node.with_changes(value=n.expression(value))

    safe = Applicability.SAFE if ctx.code == "LL901" else Applicability.UNSAFE
    return Plan(safe, f"Set `{arg.keyword.value}={value}` ({what})", (Change(arg, "value", rewrite),))


def _transport_of(call: cst.Call) -> tuple[cst.Call | None, bool]:
    """The inline transport of a client call, and whether a transport is passed at all."""
    arg = kwarg(call, "transport")
    if arg is None:
        return None, False
    inner = inline_call(arg)
    if inner is not None and dotted(inner.func).endswith("HTTPTransport"):
        return inner, True
    return None, True


def pool_plan(ctx: FixContext, call: cst.Call, module: str, sizes: tuple[int, int]) -> Plan | None:
    idle = number(ctx.values.idle)
    replaced = value_plan(ctx, idle, "a pool idle expiry within the maximum")
    if replaced is not None:
        return replaced
    transport, passed = _transport_of(call)
    target = transport if passed else call
    message = f"Set `keepalive_expiry={idle}` in the pool's `Limits`"
    if target is None or has_star(target) or (passed and len(positional(target)) > LIMITS_POSITION):
        return _display(message)
    limits = kwarg(target, "limits")
    if limits is None:
        def add(node: cst.CSTNode, n: Namer) -> cst.CSTNode:
            assert isinstance(node, cst.Call)
            code = (f"{n.ref(module, 'Limits')}(max_connections={sizes[0]}, max_keepalive_connections={sizes[1]}, "
                    f"keepalive_expiry={idle})")
            return set_kwarg(node, "limits", n.expression(code))
        return Plan(Applicability.SAFE, message, (Change(target, "limits", add),))
    inner = inline_call(limits)
    if inner is None or has_star(inner) or len(positional(inner)) > 2:
        return _display(message)

    def expire(node: cst.CSTNode, n: Namer) -> cst.CSTNode:
        assert isinstance(node, cst.Call)
        return set_kwarg(node, "keepalive_expiry", n.expression(idle))
    return Plan(Applicability.SAFE, message, (Change(inner, "keepalive_expiry", expire),))


def keepalive_plan(ctx: FixContext, call: cst.Call, module: str, sizes: tuple[int, int]) -> Plan | None:
    """TCP keepalive through the transport's ``socket_options``."""
    transport, passed = _transport_of(call)
    message = "Pass `socket_options=KEEPALIVE_SOCKET_OPTIONS` (SO_KEEPALIVE, TCP_KEEPIDLE, TCP_KEEPINTVL, " \
              "TCP_KEEPCNT) to the transport"
    if passed:
        if transport is None or has_star(transport) or len(positional(transport)) > SOCKET_OPTIONS_POSITION:
            return _display(message)
        return options_plan(ctx, transport, message)
    if has_star(call) or kwarg(call, "mounts") is not None:
        return _display(message)
    is_async = "Async" in ctx.spec.label or dotted(call.func).endswith("AsyncClient")
    cls = "AsyncHTTPTransport" if is_async else "HTTPTransport"
    trust_env = kwarg(call, "trust_env")
    decided = kwarg(call, "proxy") is not None or (
        trust_env is not None and isinstance(trust_env.value, cst.Name) and trust_env.value.value == "False")

    def add(node: cst.CSTNode, n: Namer) -> cst.CSTNode:
        assert isinstance(node, cst.Call)
        moved: list[cst.Arg] = []
        for name in TRANSPORT_ARGUMENTS:
            node, arg = remove_arg(node, name)
            if arg is not None:
                moved.append(arg)
        options = keepalive_options(n, ctx.values)
        sized = ""
        if sizes != DEFAULT_SIZES and not any(arg.keyword is not None and arg.keyword.value == "limits" for arg in moved):
            sized = (f"limits={n.ref(module, 'Limits')}(max_connections={sizes[0]}, "
                     f"max_keepalive_connections={sizes[1]}), ")
        built = n.expression(f"{n.ref(module, cls)}({sized}socket_options={options})")
        assert isinstance(built, cst.Call)
        built = built.with_changes(args=[*carry([*moved, *built.args])])
        return set_kwarg(node, "transport", built)

    text = (f"{message}: a new `{cls}` (the client's transport arguments move into it); a transport turns off "
            "httpx's environment proxies (HTTP(S)_PROXY), so add `mounts=` if you rely on them")
    return Plan(Applicability.SAFE if decided else Applicability.UNSAFE, text,
                (Change(call, "keepalive", add, order=10),))


def options_plan(ctx: FixContext, target: cst.Call, message: str) -> Plan | None:
    """``socket_options=`` on ``target`` (a transport or pool): added, or completed when it is a
    list written inline that lacks some of the four options."""
    arg = kwarg(target, "socket_options")
    if arg is None:
        def add(node: cst.CSTNode, n: Namer) -> cst.CSTNode:
            assert isinstance(node, cst.Call)
            return set_kwarg(node, "socket_options", n.expression(keepalive_options(n, ctx.values)))
        return Plan(Applicability.SAFE, message, (Change(target, "socket_options", add),))
    listed = arg.value
    if not isinstance(listed, cst.List) or any(isinstance(e, cst.StarredElement) for e in listed.elements):
        return _display(message)
    present = {_option_name(element.value) for element in listed.elements}
    if "SO_KEEPALIVE" in present and ctx.code == "LL201":  # SO_KEEPALIVE written as 0: the code's choice
        return _display(message)
    missing = [name for name in KEEPALIVE_NAMES if name not in present]
    if not missing:
        return _display(message)
    values = {"SO_KEEPALIVE": "1", "TCP_KEEPIDLE": number(ctx.values.keepidle), "TCP_KEEPINTVL": "10",
              "TCP_KEEPCNT": "5"}

    def complete(node: cst.CSTNode, n: Namer) -> cst.CSTNode:
        assert isinstance(node, cst.List)
        rows = []
        for name in missing:
            level = n.ref("socket", "SOL_SOCKET" if name == "SO_KEEPALIVE" else "IPPROTO_TCP")
            rows.append(f"({level}, {n.ref('socket', name)}, {values[name]})")
        extra = n.expression(f"[{', '.join(rows)}]")
        assert isinstance(extra, cst.List)
        elements = list(node.elements)
        spaced = cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))
        if elements and not isinstance(elements[-1].comma, cst.Comma):
            elements[-1] = elements[-1].with_changes(comma=spaced)
        return node.with_changes(elements=[*elements, *extra.elements])

    return Plan(Applicability.SAFE, f"Add {', '.join(missing)} to the socket options",
                (Change(listed, "socket_options", complete),))


def idle_plan(ctx: FixContext) -> Plan | None:
    """LL203 (and an invalid idle time): the idle time in an inline ``(level, option, seconds)``."""
    row = ctx.anchor
    idle = number(ctx.values.keepidle)
    message = f"Set the TCP keepalive idle time to {idle} s"
    if not isinstance(row, cst.Tuple) or len(row.elements) != 3:
        return _display(message)

    def rewrite(node: cst.CSTNode, n: Namer) -> cst.CSTNode:
        assert isinstance(node, cst.Tuple)
        elements = list(node.elements)
        elements[2] = elements[2].with_changes(value=n.expression(idle))
        return node.with_changes(elements=elements)

    safe = Applicability.SAFE if ctx.code == "LL901" else Applicability.UNSAFE
    return Plan(safe, message, (Change(row, "idle", rewrite),))


def limits_plan(call: cst.Call) -> Plan | None:
    """LL104: move the client's ignored ``limits=`` onto its inline transport."""
    transport, passed = _transport_of(call)
    message = "Move `limits=` onto the transport (the client's is ignored when `transport=` is given)"
    if transport is None or has_star(transport) or kwarg(transport, "limits") is not None \
            or len(positional(transport)) > LIMITS_POSITION or kwarg(call, "limits") is None:
        return _display(message)

    def move(node: cst.CSTNode, n: Namer) -> cst.CSTNode:
        assert isinstance(node, cst.Call)
        node, limits = remove_arg(node, "limits")
        arg = kwarg(node, "transport")
        if limits is None or arg is None or not isinstance(arg.value, cst.Call):
            return node
        moved = set_kwarg(arg.value, "limits", limits.value)
        return set_kwarg(node, "transport", moved)

    return Plan(Applicability.UNSAFE, message, (Change(call, "limits", move, order=5),))


def _option_name(value: cst.BaseExpression) -> str | None:
    if isinstance(value, cst.Tuple) and len(value.elements) == 3:
        option = value.elements[1].value
        return dotted(option).rsplit(".", 1)[-1] or None
    return None
