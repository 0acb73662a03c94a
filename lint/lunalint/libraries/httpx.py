"""httpx and httpx2 (pydantic/httpx2, the fork the openai and anthropic SDKs use): one API.

Defaults from httpx 0.28.1 ``_config.py`` and httpx2 2.16.2: ``DEFAULT_TIMEOUT_CONFIG =
Timeout(5.0)`` (every phase 5 s), ``DEFAULT_LIMITS = Limits(max_connections=100,
max_keepalive_connections=20, keepalive_expiry=5.0)``. There is no whole-request deadline: ``read``
limits each socket read. ``limits=`` on a client is ignored when ``transport=`` is passed, and TCP
keepalive is only possible through a transport's ``socket_options``.
"""

from __future__ import annotations

from dataclasses import replace

import libcst as cst

from lunalint.libraries.base import ConstructorHandler, Library, MethodHandler, default, seconds_setting, unknown
from lunalint.libraries.sockopts import keepalive_from_options
from lunalint.spec import ClientSpec, IgnoredSetting, Keepalive, KeepaliveState, Setting, State
from lunalint.values import Missing, NoneValue, Num, Obj, Seq, Unknown, Value, describe

__all__ = ["LIBRARY", "TimeoutPhases", "httpx_timeout", "httpx_pool", "MODULES"]

MODULES = ("httpx", "httpx2")
DEFAULT_TIMEOUT = 5.0
DEFAULT_KEEPALIVE_EXPIRY = 5.0
PHASES = ("connect", "read", "write", "pool")
REQUEST_FUNCTIONS = ("get", "post", "put", "patch", "delete", "head", "options", "request", "stream")
CLIENT_METHODS = (*REQUEST_FUNCTIONS, "send", "build_request")
TRANSPORT_LIMITS_POSITION = 5
TRANSPORT_SOCKET_OPTIONS_POSITION = 10

TimeoutPhases = dict[str, Setting]


def _is(value: Value | None, name: str) -> bool:
    return isinstance(value, Obj) and value.qualname in {f"{module}.{name}" for module in MODULES}


def _module_of(qualname: str) -> str:
    return qualname.split(".", 1)[0]


def httpx_timeout(value: Value | None, site: cst.CSTNode, *, default_note: str,
                  default_seconds: float = DEFAULT_TIMEOUT,
                  default_connect: float | None = None) -> TimeoutPhases:
    """The four phases a ``timeout=`` value sets (``None``: not passed, the default applies)."""
    if value is None or isinstance(value, Missing):
        connect_default = default_seconds if default_connect is None else default_connect
        return {phase: default(connect_default if phase == "connect" else default_seconds, site, default_note)
                for phase in PHASES}
    if isinstance(value, Obj) and _is(value, "Timeout"):
        return _timeout_object(value)
    if isinstance(value, Seq) and value.is_tuple:
        return _timeout_tuple(value)
    if isinstance(value, Unknown) or (isinstance(value, Obj) and not _is(value, "Timeout")):
        reason = value.reason if isinstance(value, Unknown) else f"{describe(value)} is not followed"
        return {phase: unknown(value.site, reason) for phase in PHASES}
    node = value.ref or site  # an inline value is reported on its ``timeout=`` argument
    every = seconds_setting(value, node)
    connect_note = "a single timeout value sets every phase, connect included"
    if isinstance(value, Num):
        connect = seconds_setting(value, node, note=connect_note)
        return {"connect": connect, "read": every, "write": every, "pool": every}
    return {phase: every for phase in PHASES}


def _timeout_object(obj: Obj) -> TimeoutPhases:
    base = obj.get("timeout", 0)
    if isinstance(base, Obj) and _is(base, "Timeout"):
        phases = _timeout_object(base)
    elif isinstance(base, Seq) and base.is_tuple:
        phases = _timeout_tuple(base)
    elif base is None:
        phases = {phase: unknown(obj.site, "Timeout() needs a default or all four phases")
                  for phase in PHASES}
    else:
        note = "set by the Timeout default, which applies to every phase"
        phases = {phase: seconds_setting(base, obj.site if obj.ref else base.site,
                                         note=note if phase == "connect" else "")
                  for phase in PHASES}
    for phase in PHASES:
        given = obj.kwargs.get(phase)
        if given is not None:
            phases[phase] = seconds_setting(given, obj.site_of(phase))
        elif not obj.complete and base is None:
            phases[phase] = unknown(obj.site, "timeout arguments not fully known")
    return phases


def _timeout_tuple(value: Seq) -> TimeoutPhases:
    phases: TimeoutPhases = {}
    for index, phase in enumerate(PHASES):
        if index < len(value.items):
            item = value.items[index]
            phases[phase] = seconds_setting(item, value.site if value.ref else item.site)
        elif value.complete:
            phases[phase] = Setting(State.DISABLED, value.site, raw="None",
                                    note=f"a {len(value.items)}-tuple leaves {phase} unset")
        else:
            phases[phase] = unknown(value.site, "timeout tuple not fully known")
    return phases


def httpx_pool(limits: Value | None, site: cst.CSTNode, *, default_expiry: float,
               default_note: str) -> Setting:
    """The pool idle expiry (``keepalive_expiry``) a ``limits=`` value sets."""
    if limits is None or isinstance(limits, Missing):
        return default(default_expiry, site, default_note)
    if isinstance(limits, Obj) and _is(limits, "Limits"):
        expiry = limits.get("keepalive_expiry", 2)
        if expiry is None:
            if not limits.complete:
                return unknown(limits.site, "Limits arguments not fully known")
            return default(DEFAULT_KEEPALIVE_EXPIRY, limits.site, "Limits() default")
        return seconds_setting(expiry, limits.site_of("keepalive_expiry"))
    reason = limits.reason if isinstance(limits, Unknown) else f"{describe(limits)} is not followed"
    return unknown(limits.site, reason)


def _client(call: Obj) -> list[ClientSpec]:
    module = _module_of(call.qualname)
    label = call.qualname
    timeout = call.get("timeout")
    if timeout is None and not call.complete:
        timeout = Unknown(call.node, reason="arguments not fully known")
    phases = httpx_timeout(timeout, call.site_of("timeout"), default_note=f"{module} default")
    pool, keepalive, ignored = _client_pool(call, module)
    return [ClientSpec(
        library=module, label=label, anchor=call.node, pooled=True,
        pool_idle=pool, keepalive=keepalive,
        read_timeout=phases["read"], connect_timeout=phases["connect"],
        other_timeouts=(("write", phases["write"]), ("pool", phases["pool"])),
        ignored=ignored,
    )]


def _client_pool(call: Obj, module: str) -> tuple[Setting, Keepalive, tuple[IgnoredSetting, ...]]:
    transport = call.get("transport")
    limits = call.get("limits")
    if transport is None and not call.complete:
        reason = "arguments not fully known"
        return unknown(call.node, reason), Keepalive(KeepaliveState.UNKNOWN, call.node, note=reason), ()
    if transport is None or isinstance(transport, NoneValue):
        pool = httpx_pool(limits, call.site_of("limits"), default_expiry=DEFAULT_KEEPALIVE_EXPIRY,
                          default_note=f"{module} default")
        if call.get("mounts") is not None:
            keepalive = Keepalive(KeepaliveState.UNKNOWN, call.node, note="mounts= not followed")
        else:
            keepalive = Keepalive(KeepaliveState.OFF, call.node, explicit=False,
                                  note=f"{call.qualname} without transport= sets no socket options")
        return pool, keepalive, ()
    ignored: tuple[IgnoredSetting, ...] = ()
    if limits is not None:
        ignored = (IgnoredSetting(call.site_of("limits"), "limits",
                                  "transport= is also passed, so the transport's own limits apply"),)
    transport = _unwrap_transport(transport)
    if isinstance(transport, Obj) and _is_transport(transport):
        return (*_transport_pool(transport, module, call.site_of("transport")), ignored)
    reason = transport.reason if isinstance(transport, Unknown) else f"{describe(transport)} is not followed"
    return (unknown(transport.site, reason),
            Keepalive(KeepaliveState.UNKNOWN, transport.site, note=reason), ignored)


def _is_transport(value: Value) -> bool:
    return _is(value, "HTTPTransport") or _is(value, "AsyncHTTPTransport")


def _unwrap_transport(transport: Value) -> Value:
    """``transport=Wrapper(httpx.HTTPTransport(...))``: a wrapper (retries, metrics, deadlines)
    built around exactly one httpx transport sends its connections through that transport."""
    if not isinstance(transport, Obj) or _is_transport(transport):
        return transport
    inner = [value for value in (*transport.args, *transport.kwargs.values()) if _is_transport(value)]
    if len(inner) != 1:
        return transport
    (found,) = inner
    assert isinstance(found, Obj)
    return found if transport.ref is None else replace(found, ref=transport.ref)


def _transport_pool(transport: Obj, module: str, site: cst.CSTNode) -> tuple[Setting, Keepalive]:
    anchor = transport.ref
    limits = transport.get("limits", TRANSPORT_LIMITS_POSITION)
    options = transport.get("socket_options", TRANSPORT_SOCKET_OPTIONS_POSITION)
    if not transport.complete:
        limits = limits or Unknown(transport.node, reason="transport arguments not fully known")
        options = options or Unknown(transport.node, reason="transport arguments not fully known")
    pool = httpx_pool(limits, anchor or transport.site_of("limits"), default_expiry=DEFAULT_KEEPALIVE_EXPIRY,
                      default_note=f"{module} default")
    if anchor is not None and pool.state is not State.UNKNOWN:
        pool = _at(pool, anchor)
    keepalive = keepalive_from_options(
        options, anchor or transport.site_of("socket_options"),
        absent_note=f"{transport.qualname} without socket_options sets no TCP keepalive")
    if anchor is not None:
        keepalive = Keepalive(keepalive.state, anchor, keepalive.idle and _at(keepalive.idle, anchor),
                              keepalive.explicit, keepalive.note)
    return pool, keepalive


def _at(setting: Setting, node: cst.CSTNode) -> Setting:
    return Setting(setting.state, node, setting.seconds, setting.explicit, setting.note, setting.raw)


def _request_function(call: Obj) -> list[ClientSpec]:
    module = _module_of(call.qualname)
    timeout = call.get("timeout")
    if timeout is None and not call.complete:
        timeout = Unknown(call.node, reason="arguments not fully known")
    phases = httpx_timeout(timeout, call.site_of("timeout"), default_note=f"{module} default")
    return [ClientSpec(
        library=module, label=f"{call.qualname}()", anchor=call.node, pooled=False,
        read_timeout=phases["read"], connect_timeout=phases["connect"],
        other_timeouts=(("write", phases["write"]), ("pool", phases["pool"])),
    )]


def _client_method(receiver: Obj, call: Obj, method: str) -> list[ClientSpec]:
    """A per-request ``timeout=`` replaces the client's timeout as a whole (no per-field merge)."""
    timeout = call.get("timeout")
    if method not in CLIENT_METHODS or timeout is None:
        return []  # the client's own timeout applies, judged at the client
    module = _module_of(receiver.qualname)
    phases = httpx_timeout(timeout, call.site_of("timeout"), default_note=f"{module} default")
    label = f"{receiver.qualname.rsplit('.', 1)[-1]}.{method}()"
    return [ClientSpec(
        library=module, label=label, anchor=call.node, pooled=False,
        read_timeout=phases["read"], connect_timeout=phases["connect"],
        other_timeouts=(("write", phases["write"]), ("pool", phases["pool"])),
    )]


def _build() -> Library:
    constructors: dict[str, ConstructorHandler] = {}
    methods: dict[str, MethodHandler] = {}
    for module in MODULES:
        for cls in ("Client", "AsyncClient"):
            constructors[f"{module}.{cls}"] = _client
            methods[f"{module}.{cls}"] = _client_method
        for function in REQUEST_FUNCTIONS:
            constructors[f"{module}.{function}"] = _request_function
    return Library(name="httpx", modules=MODULES, constructors=constructors, methods=methods,
                   method_names=frozenset(CLIENT_METHODS))


LIBRARY = _build()
