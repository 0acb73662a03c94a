"""httpx and httpx2 (pydantic/httpx2, the fork the openai and anthropic SDKs use): one API.

There is no whole-request deadline: ``read`` limits each socket read. A per-request ``timeout=``
replaces the client's as a whole. ``limits=`` on a client is ignored when ``transport=`` is
passed, and TCP keepalive is only possible through a transport's ``socket_options``.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from lunalint.libraries import ENTRIES
from lunalint.libraries.base import (
    HTTP_VERBS, Defaults, Library, argument, default, not_followed, not_fully_known, passes_timeout, seconds_setting,
    timeout_spec, unknown, unknown_keepalive,
)
from lunalint.libraries.sockopts import keepalive_from_options
from lunalint.spec import Anchor, ClientSpec, IgnoredSetting, Keepalive, KeepaliveState, Setting, State
from lunalint.values import BUILT_REQUEST, Dict, Missing, NoneValue, Num, Obj, Seq, Unknown, Value

__all__ = ["CLIENTS", "DEFAULTS", "IN_PROCESS_TRANSPORTS", "LIBRARY", "MODULES", "HttpxDefaults", "TimeoutPhases",
           "httpx_pool", "httpx_timeout"]


@dataclass(frozen=True)
class HttpxDefaults(Defaults):
    timeout: float  # ``DEFAULT_TIMEOUT_CONFIG = Timeout(5.0)``: every phase
    keepalive_expiry: float  # ``DEFAULT_LIMITS``, and a bare ``Limits()``


DEFAULTS = HttpxDefaults(upstream="httpx 0.28.1 and httpx2 2.16.2, _config.py", timeout=5.0, keepalive_expiry=5.0)

MODULES = ENTRIES[__name__]
PHASES = ("connect", "read", "write", "pool")
REQUEST_FUNCTIONS = (*HTTP_VERBS, "stream")
CLIENT_METHODS = (*REQUEST_FUNCTIONS, "send", "build_request")
CLIENTS = tuple(f"{module}.{cls}" for module in MODULES for cls in ("Client", "AsyncClient"))
# Transports that call an app in the same process (``ASGITransport``, ``WSGITransport``) or a handler
# (``MockTransport``): no socket, so no pool, keepalive or network timeout to judge.
IN_PROCESS_TRANSPORTS = frozenset(f"{module}.{cls}" for module in MODULES
                                  for cls in ("ASGITransport", "WSGITransport", "MockTransport"))
TRANSPORT_LIMITS_POSITION = 5
TRANSPORT_SOCKET_OPTIONS_POSITION = 10

TimeoutPhases = dict[str, Setting]


def _is(value: Value | None, name: str) -> bool:
    return isinstance(value, Obj) and value.qualname in {f"{module}.{name}" for module in MODULES}


def _module_of(qualname: str) -> str:
    return qualname.split(".", 1)[0]


def httpx_timeout(value: Value | None, site: Anchor, *, default_note: str,
                  default_seconds: float = DEFAULTS.timeout,
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
        return {phase: unknown(value.site, not_followed(value)) for phase in PHASES}
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
            phases[phase] = unknown(obj.site, not_fully_known("timeout"))
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


def httpx_pool(limits: Value | None, site: Anchor, *, default_expiry: float, default_note: str) -> Setting:
    """The pool idle expiry (``keepalive_expiry``) a ``limits=`` value sets."""
    if limits is None or isinstance(limits, Missing):
        return default(default_expiry, site, default_note)
    if isinstance(limits, Obj) and _is(limits, "Limits"):
        expiry = limits.get("keepalive_expiry", 2)
        if expiry is None:
            if not limits.complete:
                return unknown(limits.site, not_fully_known("Limits"))
            return default(DEFAULTS.keepalive_expiry, limits.site, "Limits() default")
        return seconds_setting(expiry, limits.site_of("keepalive_expiry"))
    return unknown(limits.site, not_followed(limits))


def _client(call: Obj) -> list[ClientSpec]:
    module = _module_of(call.qualname)
    phases = httpx_timeout(argument(call, "timeout"), call.site_of("timeout"), default_note=f"{module} default")
    pool, keepalive, ignored = _client_pool(call, module)
    spec = timeout_spec(module, call.qualname, call.node, phases, pooled=True)
    return [replace(spec, pool_idle=pool, keepalive=keepalive, ignored=ignored, in_process=_in_process(call))]


def _in_process(call: Obj) -> str:
    """The in-process transport ``call`` sends through (directly or inside one wrapper), or ``""``."""
    transport = call.get("transport")
    if not isinstance(transport, Obj):
        return ""
    for value in (transport, *transport.args, *transport.kwargs.values()):
        if isinstance(value, Obj) and value.qualname in IN_PROCESS_TRANSPORTS:
            return value.qualname
    return ""


def _client_pool(call: Obj, module: str) -> tuple[Setting, Keepalive, tuple[IgnoredSetting, ...]]:
    transport = call.get("transport")
    limits = call.get("limits")
    if transport is None and not call.complete:
        return unknown(call.node, not_fully_known()), unknown_keepalive(call.node, not_fully_known()), ()
    if transport is None or isinstance(transport, NoneValue):
        pool = httpx_pool(limits, call.site_of("limits"), default_expiry=DEFAULTS.keepalive_expiry,
                          default_note=f"{module} default")
        mounts = call.get("mounts")
        if mounts is not None and not isinstance(mounts, NoneValue):
            mounted = _mounted_pool(mounts, module, call.site_of("mounts"))
            if mounted is not None:
                return mounted[0], mounted[1], ()
            keepalive = unknown_keepalive(call.node, "mounts= not followed")
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
    reason = not_followed(transport)
    return unknown(transport.site, reason), unknown_keepalive(transport.site, reason), ignored


def _mounted_pool(mounts: Value, module: str, site: Anchor) -> tuple[Setting, Keepalive] | None:
    """``mounts={"all://": transport, ...}`` read like ``transport=``: the transports' pool and
    keepalive, when every mounted value is a followed transport and they agree (else None)."""
    if not isinstance(mounts, Dict) or not mounts.complete or not mounts.items:
        return None
    found: list[tuple[Setting, Keepalive]] = []
    for value in mounts.items.values():
        if isinstance(value, NoneValue):
            continue  # a pattern mounted to None sends those requests nowhere special
        transport = _unwrap_transport(value)
        if not (isinstance(transport, Obj) and _is_transport(transport)):
            return None
        found.append(_transport_pool(transport, module, site))
    if not found:
        return None
    first = found[0]
    same = all((pool.state, pool.seconds, keepalive.state, keepalive.idle and keepalive.idle.seconds)
               == (first[0].state, first[0].seconds, first[1].state, first[1].idle and first[1].idle.seconds)
               for pool, keepalive in found)
    return first if same else None


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


def _transport_pool(transport: Obj, module: str, site: Anchor) -> tuple[Setting, Keepalive]:
    anchor = transport.ref
    limits = argument(transport, "limits", TRANSPORT_LIMITS_POSITION, what="transport")
    options = argument(transport, "socket_options", TRANSPORT_SOCKET_OPTIONS_POSITION, what="transport")
    pool = httpx_pool(limits, anchor or transport.site_of("limits"), default_expiry=DEFAULTS.keepalive_expiry,
                      default_note=f"{module} default")
    if anchor is not None and pool.state is not State.UNKNOWN:
        pool = pool.at(anchor)
    keepalive = keepalive_from_options(
        options, anchor or transport.site_of("socket_options"),
        absent_note=f"{transport.qualname} without socket_options sets no TCP keepalive")
    return pool, keepalive if anchor is None else keepalive.at(anchor)


def _request_function(call: Obj) -> list[ClientSpec]:
    module = _module_of(call.qualname)
    phases = httpx_timeout(argument(call, "timeout"), call.site_of("timeout"), default_note=f"{module} default")
    return [timeout_spec(module, f"{call.qualname}()", call.node, phases, pooled=False)]


def _client_method(receiver: Obj, call: Obj, method: str) -> list[ClientSpec]:
    """A per-request ``timeout=`` replaces the client's timeout as a whole (no per-field merge)."""
    timeout = call.get("timeout")
    if timeout is None:
        return []  # the client's own timeout applies, judged at the client
    module = _module_of(receiver.qualname)
    phases = httpx_timeout(timeout, call.site_of("timeout"), default_note=f"{module} default")
    label = f"{receiver.qualname.rsplit('.', 1)[-1]}.{method}()"
    return [timeout_spec(module, label, call.node, phases, pooled=False)]


def _overrides_timeout(call: Obj, method: str) -> bool:
    """``send(request)`` sends the timeout the request was built with: a ``build_request`` call,
    judged as a call of its own (an ``httpx.Request(...)`` built by hand carries none)."""
    if method == "send":
        request = call.get("request", 0)
        return isinstance(request, Obj) and request.qualname == BUILT_REQUEST
    return passes_timeout(call, method)


LIBRARY = Library(
    defaults=DEFAULTS,
    overrides_timeout=_overrides_timeout,
    constructors={
        **dict.fromkeys(CLIENTS, _client),
        **{f"{module}.{function}": _request_function for module in MODULES for function in REQUEST_FUNCTIONS},
    },
    methods=dict.fromkeys(CLIENTS, dict.fromkeys(CLIENT_METHODS, _client_method)),
    request_methods=frozenset((*REQUEST_FUNCTIONS, "send")),
    in_process_transports=IN_PROCESS_TRANSPORTS,
)
