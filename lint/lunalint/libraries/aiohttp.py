"""aiohttp: ``ClientSession``, ``ClientTimeout``, ``TCPConnector`` and per-request timeouts.

Semantics from aiohttp 3.14.5 (``client.py``, ``connector.py``):

- ``DEFAULT_TIMEOUT = ClientTimeout(total=5 * 60, sock_connect=30)``; ``ClientSession(timeout=None)``
  means that default. ``total`` is a whole-request deadline that includes reading the body.
- A ``ClientTimeout(...)`` built in code has every unset field ``None``: nothing is merged with the
  default, so ``ClientTimeout(sock_read=600)`` also loses ``sock_connect=30``.
- Per request, ``timeout=None`` is ``ClientTimeout(total=None)``: no timeout at all; a number is
  ``ClientTimeout(total=number)``; a ``ClientTimeout`` replaces the session's as a whole.
- Any value <= 0 disables that timeout (``ceil_timeout``/``TimeoutHandle`` check ``> 0``).
- ``TCPConnector(keepalive_timeout=15.0)`` by default, ``None`` never expires idle connections,
  ``force_close=True`` never reuses one. Client sockets get TCP keepalive only through
  ``TCPConnector(socket_factory=...)`` (aiohttp >= 3.12.0).
- ``aiohttp.request()`` builds a session with the given ``timeout=`` (so ``None`` is the 300 s
  default there) on a ``TCPConnector(force_close=True)``.

The defaults are in ``DEFAULTS``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

from lunalint.libraries.base import (
    HTTP_VERBS, Defaults, Library, argument, default, not_followed, not_fully_known, seconds_setting, timeout_spec,
    origin_noted, unknown, unknown_keepalive, unset_is_none,
)
from lunalint.libraries.sockopts import keepalive_from_options
from lunalint.spec import Anchor, ClientSpec, Keepalive, KeepaliveState, Setting, State
from lunalint.values import Bool, Defined, Missing, NoneValue, Num, Obj, Seq, Unknown, Value, describe

__all__ = ["DEFAULTS", "LIBRARY", "AiohttpDefaults"]


@dataclass(frozen=True)
class AiohttpDefaults(Defaults):
    total: float  # ``DEFAULT_TIMEOUT = ClientTimeout(total=5 * 60, sock_connect=30)``
    sock_connect: float
    keepalive_timeout: float  # ``TCPConnector(keepalive_timeout=15.0)``


DEFAULTS = AiohttpDefaults(upstream="aiohttp 3.14.5, client.py and connector.py", total=300.0, sock_connect=30.0,
                           keepalive_timeout=15.0)

MODULE = "aiohttp"
DEFAULT_NOTE = "aiohttp default"
FIELDS = ("total", "connect", "sock_read", "sock_connect")
SESSIONS = frozenset({"aiohttp.ClientSession", "aiohttp.client.ClientSession"})
TIMEOUTS = frozenset({"aiohttp.ClientTimeout", "aiohttp.client.ClientTimeout"})
CONNECTORS = frozenset({"aiohttp.TCPConnector", "aiohttp.connector.TCPConnector"})
REQUEST_FUNCTIONS = frozenset({"aiohttp.request", "aiohttp.client.request"})

Fields = dict[str, Setting]


def _seconds(value: Value, node: Anchor, *, note: str = "") -> Setting:
    """A number of seconds as aiohttp reads it: ``None`` and values <= 0 mean no timeout."""
    if isinstance(value, Num) and not math.isnan(value.value) and value.value <= 0:
        return Setting(State.DISABLED, node, raw=describe(value),
                       note=f"aiohttp treats {describe(value)} as no timeout")
    return seconds_setting(value, node, note=note)


def _default_fields(site: Anchor, note: str) -> Fields:
    return {"total": default(DEFAULTS.total, site, note), "connect": default(None, site, note),
            "sock_read": default(None, site, note), "sock_connect": default(DEFAULTS.sock_connect, site, note)}


def _client_timeout(obj: Obj) -> Fields:
    """The four fields of a ``ClientTimeout(...)``: unset fields are ``None``, not the defaults."""
    return unset_is_none(obj, FIELDS, "ClientTimeout", _seconds)


def _unknown_fields(value: Value, site: Anchor) -> Fields:
    return {name: unknown(site, not_followed(value)) for name in FIELDS}


def _session_timeout(call: Obj) -> Fields:
    """What ``ClientSession(timeout=...)`` (or the deprecated ``read_timeout=``) configures."""
    timeout = argument(call, "timeout")
    site = call.site_of("timeout")
    if timeout is None or isinstance(timeout, (Missing, NoneValue)):
        note = DEFAULT_NOTE if timeout is None else origin_noted("aiohttp default (timeout=None selects it)", timeout)
        fields = _default_fields(site if timeout is not None else call.node, note)
        read_timeout = call.get("read_timeout")  # deprecated: replaces the default's total
        if read_timeout is not None:
            fields["total"] = _seconds(read_timeout, call.site_of("read_timeout"))
        conn_timeout = call.get("conn_timeout")
        if conn_timeout is not None and not isinstance(conn_timeout, NoneValue):
            fields["connect"] = _seconds(conn_timeout, call.site_of("conn_timeout"))
        return fields
    if isinstance(timeout, Obj) and timeout.qualname in TIMEOUTS:
        return _client_timeout(timeout)
    if isinstance(timeout, (Num, Bool, Seq)):
        invalid = Setting(State.INVALID, timeout.site,
                          raw=f"{describe(timeout)} (ClientSession raises ValueError unless it is a ClientTimeout)")
        return {name: invalid for name in FIELDS}
    return _unknown_fields(timeout, timeout.site)


def _request_timeout(value: Value, site: Anchor) -> Fields:
    """A per-request ``timeout=``: ``None`` disables everything, a number is ``total`` only."""
    if isinstance(value, NoneValue):
        note = origin_noted("timeout=None on an aiohttp request disables every timeout, the session's included", value)
        off = Setting(State.DISABLED, site, raw="None", note=note)
        return {name: off for name in FIELDS}
    if isinstance(value, Obj) and value.qualname in TIMEOUTS:
        return _client_timeout(value)
    if isinstance(value, Num):
        unset = "a number on an aiohttp request sets only total, so there is no {} limit"
        return {"total": _seconds(value, site), "connect": Setting(State.DISABLED, site, note=unset.format("connect")),
                "sock_read": Setting(State.DISABLED, site, note=unset.format("per-read")),
                "sock_connect": Setting(State.DISABLED, site, note=unset.format("socket connect"))}
    if isinstance(value, (Unknown, Missing, Obj, Defined)):
        return _unknown_fields(value, site)
    invalid = seconds_setting(value, site)
    return {name: invalid for name in FIELDS}


def _connect_bound(fields: Fields) -> Setting:
    """The tightest finite limit on connecting: ``sock_connect``, ``connect`` or, failing both, ``total``."""
    candidates = [fields["sock_connect"], fields["connect"], fields["total"]]
    for setting in candidates:
        if setting.state in (State.UNKNOWN, State.INVALID):
            return setting
    finite = [s for s in candidates if s.finite and s.seconds is not None]
    if not finite:
        return replace(fields["sock_connect"], state=State.DISABLED, seconds=None,
                       note="neither sock_connect, connect nor total is set")
    best = min(finite, key=lambda s: s.seconds if s.seconds is not None else math.inf)
    if best is fields["total"] and not fields["sock_connect"].finite and not fields["connect"].finite:
        return best.noted("only the total deadline bounds connecting")
    return best


def _timeouts(fields: Fields, *, default_session: bool) -> dict[str, Setting | None]:
    invalid = fields["total"].state is State.INVALID and fields["sock_read"] is fields["total"]
    return {
        # The default session timeout has no per-read limit; judging "total" says all there is.
        "read": None if default_session or invalid else fields["sock_read"],
        "total": fields["total"],
        "connect": _connect_bound(fields),
    }


def _socket_factory_keepalive(factory: Value, site: Anchor) -> Keepalive:
    """TCP keepalive set by a local ``socket_factory`` function through ``sock.setsockopt(...)``."""
    if isinstance(factory, (Missing, NoneValue)):
        return Keepalive(KeepaliveState.OFF, site, explicit=False,
                         note="aiohttp client sockets get TCP keepalive only through TCPConnector(socket_factory=...)")
    if not isinstance(factory, Defined) or factory.kind != "function" or factory.members is None:
        return unknown_keepalive(site, not_followed(factory, "socket_factory"))
    calls = factory.members.method_calls("setsockopt")
    options = Seq(factory.node, items=tuple(Seq(factory.node, items=args, is_tuple=True) for args in calls),
                  complete=all(len(args) == 3 for args in calls))
    keepalive = keepalive_from_options(options, site, absent_note="")
    if keepalive.state is KeepaliveState.OFF:
        if factory.members.mentions("keepalive"):  # set some way lunalint does not follow
            return unknown_keepalive(site, "socket_factory options not statically known")
        return Keepalive(KeepaliveState.OFF, site, note=f"socket_factory {factory.name}() does not set SO_KEEPALIVE")
    return keepalive.at(site)


def _connector(connector: Value | None, site: Anchor, *, owner: str
               ) -> tuple[bool, Setting, Keepalive, tuple[Anchor, ...]]:
    """``(pooled, idle expiry, keepalive, absorbed connector nodes)`` of a ``connector=`` value."""
    if connector is None or isinstance(connector, (Missing, NoneValue)):
        keepalive = Keepalive(KeepaliveState.OFF, site, explicit=False,
                              note=f"{owner} without TCPConnector(socket_factory=...) sets no TCP keepalive")
        return True, default(DEFAULTS.keepalive_timeout, site, DEFAULT_NOTE), keepalive, ()
    if not (isinstance(connector, Obj) and connector.qualname in CONNECTORS):
        reason = not_followed(connector, "connector")
        return True, unknown(site, reason), unknown_keepalive(site, reason), ()
    pooled, pool, keepalive = _connector_settings(connector)
    if connector.ref is not None:  # built elsewhere: report where this session uses it
        pool, keepalive = pool.at(connector.ref), keepalive.at(connector.ref)
    return pooled, pool, keepalive, (connector.node,)


def _connector_settings(connector: Obj) -> tuple[bool, Setting, Keepalive]:
    force_close = connector.get("force_close")
    if isinstance(force_close, Bool) and force_close.value:
        off = unknown_keepalive(connector.node, "force_close=True")
        return False, Setting(State.SECONDS, connector.node, seconds=0.0, note="force_close=True"), off
    expiry = connector.get("keepalive_timeout")
    if expiry is None:
        if connector.complete:
            pool = default(DEFAULTS.keepalive_timeout, connector.node, DEFAULT_NOTE)
        else:
            pool = unknown(connector.node, not_fully_known("TCPConnector"))
    elif isinstance(expiry, NoneValue):
        pool = Setting(State.DISABLED, connector.site_of("keepalive_timeout"), raw="None",
                       note="keepalive_timeout=None")
    else:
        pool = seconds_setting(expiry, connector.site_of("keepalive_timeout"))
    factory = connector.get("socket_factory")
    if factory is None and not connector.complete:
        keepalive = unknown_keepalive(connector.node, not_fully_known("TCPConnector"))
    else:
        keepalive = _socket_factory_keepalive(factory or Missing(connector.node),
                                              connector.site_of("socket_factory") if factory else connector.node)
    if force_close is not None and not isinstance(force_close, Bool):
        pool = unknown(connector.node, "force_close not statically known")
    return True, pool, keepalive


def _session(call: Obj) -> list[ClientSpec]:
    timeout = call.get("timeout")
    fields = _session_timeout(call)
    default_session = (timeout is None and call.complete and call.get("read_timeout") is None) \
        or isinstance(timeout, NoneValue)
    timeouts = _timeouts(fields, default_session=default_session)
    connector = argument(call, "connector")
    pooled, pool, keepalive, absorbs = _connector(connector, call.site_of("connector") if connector else call.node,
                                                  owner="aiohttp.ClientSession")
    spec = timeout_spec(MODULE, "aiohttp.ClientSession", call.node, timeouts, pooled=pooled)
    return [replace(spec, pool_idle=pool, keepalive=keepalive, absorbs=absorbs)]


def _connector_alone(call: Obj) -> list[ClientSpec]:
    """A ``TCPConnector`` no session in this file is seen to use: judge its pool settings."""
    pooled, pool, keepalive = _connector_settings(call)
    return [ClientSpec(library=MODULE, label="aiohttp.TCPConnector", anchor=call.node, pooled=pooled,
                       pool_idle=pool, keepalive=keepalive)]


def _request_function(call: Obj) -> list[ClientSpec]:
    """``aiohttp.request(method, url, ...)``: a one-shot session, whose ``timeout=`` is a session timeout."""
    fields = _session_timeout(call)
    timeout = call.get("timeout")
    timeouts = _timeouts(fields, default_session=timeout is None or isinstance(timeout, NoneValue))
    return [timeout_spec(MODULE, "aiohttp.request()", call.node, timeouts, pooled=False)]


def _session_method(receiver: Obj, call: Obj, method: str) -> list[ClientSpec]:
    """A per-request ``timeout=`` replaces the session's timeout for that request."""
    timeout = call.get("timeout")
    if timeout is None:
        return []  # the session's timeout applies, judged at the session
    fields = _request_timeout(timeout, call.site_of("timeout"))
    timeouts = _timeouts(fields, default_session=False)
    return [timeout_spec(MODULE, f"ClientSession.{method}()", call.node, timeouts, pooled=False)]


LIBRARY = Library(
    defaults=DEFAULTS,
    constructors={**dict.fromkeys(SESSIONS, _session), **dict.fromkeys(CONNECTORS, _connector_alone),
                  **dict.fromkeys(REQUEST_FUNCTIONS, _request_function)},
    methods=dict.fromkeys(SESSIONS, dict.fromkeys(HTTP_VERBS, _session_method)),
    lazy_body=True,  # the response's content is read as the code reads it
)
