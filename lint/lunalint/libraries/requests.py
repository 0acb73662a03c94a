"""requests and urllib3: per-call timeouts, sessions, adapters, pool managers.

Semantics from requests 2.34.2 and urllib3 2.8.0:

- requests has no default timeout: ``requests.get(url)`` and ``Session.get(url)`` wait forever.
  ``Session`` has no timeout setting at all (``session.timeout = 10`` is ignored). ``timeout=`` is a
  number (connect and read), a ``(connect, read)`` tuple (any other length raises ValueError) or a
  ``urllib3.Timeout``.
- urllib3 ``Timeout(total, connect, read)``: unset fields use ``socket.getdefaulttimeout()``, None
  unless the program changes it; ``total`` caps connect and each read but is not a deadline for
  the body. The read timeout is per read.
- urllib3 pools (and so requests sessions) never expire idle connections: the pool is LIFO and
  only FIN/RST is noticed before reuse. No argument can change that, so the pool idle expiry is
  UNSUPPORTED (no LL1xx finding) and TCP keepalive, through ``socket_options`` on an adapter or
  pool manager, is what LL2xx requires instead.
- ``urllib3.request()`` (the module-level function) defaults to ``timeout=3``.

The defaults are in ``DEFAULTS``.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from lunalint.libraries.base import (
    HTTP_VERBS, Defaults, Library, default, not_followed, not_fully_known, origin_noted, seconds_setting, timeout_spec, unknown,
    unknown_keepalive, unset_is_none,
)
from lunalint.libraries.sockopts import keepalive_from_options
from lunalint.spec import Anchor, ClientSpec, Keepalive, KeepaliveState, Setting, State
from lunalint.values import Missing, NoneValue, Num, Obj, Seq, Unknown, Value, describe

__all__ = ["DEFAULTS", "LIBRARY", "RequestsDefaults"]


@dataclass(frozen=True)
class RequestsDefaults(Defaults):
    urllib3_request_timeout: float  # ``urllib3.request()``: ``timeout=3``
    toolbelt_keepalive_idle: float  # ``TCPKeepAliveAdapter(idle=60, interval=20, count=5)``


DEFAULTS = RequestsDefaults(
    upstream="urllib3 2.8.0 (__init__.py), requests_toolbelt 1.0.0 (adapters/socket_options.py); "
             "requests 2.34.2 has no default timeout",
    urllib3_request_timeout=3.0, toolbelt_keepalive_idle=60.0)

SESSIONS = frozenset({"requests.Session", "requests.session", "requests.sessions.Session",
                      "requests.sessions.session"})
FUNCTIONS = frozenset({f"requests.{verb}" for verb in HTTP_VERBS} | {f"requests.api.{verb}" for verb in HTTP_VERBS})
TIMEOUTS = frozenset({"urllib3.Timeout", "urllib3.util.Timeout", "urllib3.util.timeout.Timeout",
                      "requests.packages.urllib3.util.Timeout", "requests.packages.urllib3.Timeout"})
ADAPTERS = frozenset({"requests.adapters.HTTPAdapter"})
TOOLBELT = "requests_toolbelt.adapters.socket_options"
KEEPALIVE_ADAPTERS = frozenset({f"{TOOLBELT}.TCPKeepAliveAdapter"})
OPTION_ADAPTERS = frozenset({f"{TOOLBELT}.SocketOptionsAdapter"})
POOL_MANAGERS = frozenset({"urllib3.PoolManager", "urllib3.poolmanager.PoolManager", "urllib3.ProxyManager",
                           "urllib3.poolmanager.ProxyManager"})
CONNECTION_POOLS = frozenset({"urllib3.HTTPConnectionPool", "urllib3.HTTPSConnectionPool",
                              "urllib3.connectionpool.HTTPConnectionPool",
                              "urllib3.connectionpool.HTTPSConnectionPool"})
URLLIB3_FUNCTIONS = frozenset({"urllib3.request"})
SESSION_REQUEST_TIMEOUT = 8
POOL_METHODS = ("request", "urlopen", "request_encode_url", "request_encode_body")

NO_IDLE_EXPIRY = ("urllib3 pools cannot expire idle connections; TCP keepalive is the only protection against "
                  "reusing one a NAT or load balancer has dropped")


def _no_idle_expiry(node: Anchor) -> Setting:
    return Setting(State.UNSUPPORTED, node, note=NO_IDLE_EXPIRY)


# Timeouts -----------------------------------------------------------------------------------------
def _urllib3_timeout(obj: Obj) -> tuple[Setting, Setting]:
    """``(connect, read)`` of a ``urllib3.Timeout(total, connect, read)``."""
    phases = unset_is_none(obj, ("total", "connect", "read"), "urllib3.Timeout")
    total = phases["total"]
    result = []
    for name in ("connect", "read"):
        setting = phases[name]
        if total.finite and total.seconds is not None and setting.state is not State.UNKNOWN and (
                not setting.finite or (setting.seconds is not None and total.seconds < setting.seconds)):
            note = f"total caps the {name} timeout"
            setting = Setting(State.SECONDS, total.anchor, seconds=total.seconds, note=note)
        result.append(setting)
    return result[0], result[1]


def _timeout(value: Value | None, site: Anchor, *, missing: Setting | None,
             missing_connect: Setting | None) -> tuple[Setting | None, Setting | None]:
    """``(connect, read)`` of a requests/urllib3 ``timeout=`` argument (``None``: not passed)."""
    if value is None or isinstance(value, Missing):
        return missing_connect, missing
    if isinstance(value, NoneValue):
        off = Setting(State.DISABLED, site, raw="None", note=origin_noted("timeout=None waits forever", value))
        return off, off
    if isinstance(value, Obj) and value.qualname in TIMEOUTS:
        return _urllib3_timeout(value)
    if isinstance(value, Seq) and value.is_tuple:
        if not value.complete:
            partial = unknown(value.site, "timeout tuple not fully known")
            return partial, partial
        if len(value.items) != 2:
            invalid = Setting(State.INVALID, value.site,
                              raw=f"a {len(value.items)}-tuple (requests needs (connect, read) and raises ValueError)")
            return invalid, invalid
        connect, read = value.items
        node = value.site if value.ref else None
        return (seconds_setting(connect, node or connect.site), seconds_setting(read, node or read.site))
    if isinstance(value, Num):
        note = "a single timeout value sets connect and read"
        return seconds_setting(value, value.site, note=note), seconds_setting(value, value.site)
    if isinstance(value, Unknown) or isinstance(value, Obj):
        setting = unknown(value.site, not_followed(value))
        return setting, setting
    invalid = seconds_setting(value, value.site)
    return invalid, invalid


def _call_spec(label: str, call: Obj, *, missing: Setting | None, missing_connect: Setting | None = None,
               library: str = "requests", position: int | None = None) -> list[ClientSpec]:
    timeout = call.get("timeout", position)
    if timeout is None and not call.complete:
        return []  # ``**kwargs`` may well carry the timeout
    connect, read = _timeout(timeout, call.site_of("timeout"), missing=missing, missing_connect=missing_connect)
    if connect is None and read is None:
        return []
    return [timeout_spec(library, label, call.node, {"read": read, "connect": connect}, pooled=False)]


def _forever(node: Anchor, what: str) -> Setting:
    return Setting(State.DISABLED, node, explicit=False, note=f"no timeout= argument: {what} waits forever")


# requests -----------------------------------------------------------------------------------------
def _request_function(call: Obj) -> list[ClientSpec]:
    name = call.qualname.rsplit(".", 1)[-1]
    forever = _forever(call.node, "requests")
    return _call_spec(f"requests.{name}()", call, missing=forever, missing_connect=forever)


def _session(call: Obj) -> list[ClientSpec]:
    """A session: no timeout of its own (judged at each call) and no idle expiry (keepalive needed)."""
    keepalive = Keepalive(KeepaliveState.OFF, call.node, explicit=False,
                          note="no adapter with socket_options is mounted; " + NO_IDLE_EXPIRY)
    return [ClientSpec(library="requests", label="requests.Session", anchor=call.node, pooled=True,
                       pool_idle=_no_idle_expiry(call.node), keepalive=keepalive)]


def _session_request(receiver: Obj, call: Obj, method: str) -> list[ClientSpec]:
    # ``Session.request(method, url, params, data, headers, cookies, files, auth, timeout, ...)``
    forever = _forever(call.node, "requests.Session has no timeout setting, so the call")
    return _call_spec(f"Session.{method}()", call, position=SESSION_REQUEST_TIMEOUT if method == "request" else None,
                      missing=forever, missing_connect=forever)


def _session_mount(receiver: Obj, call: Obj, method: str) -> list[ClientSpec]:
    adapter = call.get("adapter", 1)
    if adapter is None:
        return []
    # Reported on the ``Session()`` call: a session with several mounts is one finding (the same
    # message from each mount is one violation after placement).
    keepalive = _adapter_keepalive(adapter, receiver.node)
    return [ClientSpec(library="requests", label="requests.Session", anchor=call.node, pooled=True,
                       pool_idle=_no_idle_expiry(call.node), keepalive=keepalive,
                       absorbs=(receiver.node,))]


def _session_timeout(receiver: Obj, attribute: str, value: Value, target: Anchor) -> list[ClientSpec]:
    """``session.timeout = X`` does nothing: requests never reads it."""
    note = (f"session.timeout = {describe(value)} is ignored: requests.Session has no timeout setting; "
            "pass timeout= to each call")
    return [ClientSpec(library="requests", label="requests.Session", anchor=target, pooled=False,
                       read_timeout=Setting(State.DISABLED, target, note=note))]


def _adapter_keepalive(adapter: Value, site: Anchor) -> Keepalive:
    if isinstance(adapter, Obj) and adapter.qualname in ADAPTERS:
        return Keepalive(KeepaliveState.OFF, site, explicit=True,
                         note="HTTPAdapter passes no socket_options; " + NO_IDLE_EXPIRY)
    if isinstance(adapter, Obj) and adapter.qualname in KEEPALIVE_ADAPTERS:
        idle_value = adapter.get("idle")
        if idle_value is None:
            if not adapter.complete:
                return unknown_keepalive(site, not_fully_known("TCPKeepAliveAdapter"))
            idle = default(DEFAULTS.toolbelt_keepalive_idle, site, "TCPKeepAliveAdapter default")
        else:
            idle = seconds_setting(idle_value, site)
        return Keepalive(KeepaliveState.ON, site, idle=idle)
    if isinstance(adapter, Obj) and adapter.qualname in OPTION_ADAPTERS:
        options = adapter.get("socket_options")
        if options is None and not adapter.complete:
            return unknown_keepalive(site, not_fully_known("SocketOptionsAdapter"))
        return keepalive_from_options(options, site, absent_note="SocketOptionsAdapter default options").at(site)
    if isinstance(adapter, Obj) and adapter.cls is not None and adapter.cls.members is not None:
        cls = adapter.cls
        if cls.subclass_of(ADAPTERS) and cls.members is not None:
            return _subclass_keepalive(cls.name, cls.members.values_of("socket_options"),
                                       cls.members.mentions("socket_options") or cls.members.mentions("keepalive"),
                                       site)
    return unknown_keepalive(site, not_followed(adapter, "adapter"))


def _subclass_keepalive(name: str, values: tuple[Value, ...], mentioned: bool, site: Anchor) -> Keepalive:
    """An ``HTTPAdapter`` subclass: the ``socket_options`` it passes to its pool manager."""
    if not values:
        if mentioned:
            return unknown_keepalive(site, f"{name} socket options not statically known")
        return Keepalive(KeepaliveState.OFF, site,
                         note=f"{name} (an HTTPAdapter subclass) passes no socket_options; " + NO_IDLE_EXPIRY)
    results = [keepalive_from_options(value, site, absent_note="") for value in values]
    on = [k for k in results if k.state is KeepaliveState.ON]
    if on:
        return on[0].at(site)
    if all(k.state is KeepaliveState.OFF for k in results) and not _unresolved(values):
        return Keepalive(KeepaliveState.OFF, site, note=f"the socket options of {name} do not include SO_KEEPALIVE")
    return unknown_keepalive(site, f"{name} socket options not statically known")


def _unresolved(values: tuple[Value, ...]) -> bool:
    return any(isinstance(value, (Unknown, NoneValue)) for value in values)


# urllib3 ------------------------------------------------------------------------------------------
def _pool(call: Obj) -> list[ClientSpec]:
    """A PoolManager or connection pool: its own timeout (when given) and its socket options."""
    label = call.qualname.replace("urllib3.poolmanager.", "urllib3.").replace("urllib3.connectionpool.", "urllib3.")
    position = 2 if call.qualname in CONNECTION_POOLS else None
    timeout = call.get("timeout", position)
    connect: Setting | None = None
    read: Setting | None = None
    if timeout is not None:
        connect, read = _timeout(timeout, call.site_of("timeout"), missing=None, missing_connect=None)
    options = call.get("socket_options")
    if options is None and not call.complete:
        keepalive = unknown_keepalive(call.node, not_fully_known())
    else:
        keepalive = keepalive_from_options(options, call.site_of("socket_options"),
                                           absent_note=f"{label} without socket_options; {NO_IDLE_EXPIRY}")
    spec = timeout_spec("urllib3", label, call.node, {"read": read, "connect": connect}, pooled=True)
    return [replace(spec, pool_idle=_no_idle_expiry(call.node), keepalive=keepalive)]


def _pool_method(receiver: Obj, call: Obj, method: str) -> list[ClientSpec]:
    """A call without ``timeout=`` uses the pool's; on a pool without one it waits forever."""
    position = 2 if receiver.qualname in CONNECTION_POOLS else None
    pool_timeout = receiver.get("timeout", position)
    missing: Setting | None = None
    if pool_timeout is None and receiver.complete:
        name = receiver.qualname.rsplit(".", 1)[-1]
        missing = Setting(State.DISABLED, call.node, explicit=False,
                          note=f"neither the call nor the {name} sets a timeout, so it waits forever")
    label = f"{receiver.qualname.rsplit('.', 1)[-1]}.{method}()"
    return _call_spec(label, call, missing=missing, missing_connect=missing, library="urllib3")


def _urllib3_function(call: Obj) -> list[ClientSpec]:
    site = call.node
    missing = default(DEFAULTS.urllib3_request_timeout, site, "urllib3.request() default")
    return _call_spec("urllib3.request()", call, missing=missing, missing_connect=missing, library="urllib3")


LIBRARY = Library(
    defaults=DEFAULTS,
    constructors={
        **dict.fromkeys(FUNCTIONS, _request_function), **dict.fromkeys(SESSIONS, _session),
        **dict.fromkeys(POOL_MANAGERS | CONNECTION_POOLS, _pool), **dict.fromkeys(URLLIB3_FUNCTIONS, _urllib3_function),
    },
    methods={
        **dict.fromkeys(SESSIONS, {**dict.fromkeys(HTTP_VERBS, _session_request), "mount": _session_mount}),
        **dict.fromkeys(POOL_MANAGERS | CONNECTION_POOLS, dict.fromkeys(POOL_METHODS, _pool_method)),
    },
    assignments=dict.fromkeys(SESSIONS, {"timeout": _session_timeout}),
    request_methods=frozenset((*HTTP_VERBS, *POOL_METHODS)),
)
