"""reqwest: what a built client ends up with, from the builder calls the extractor found.

Defaults from seanmonstar/reqwest ``src/async_impl/client.rs`` (``ClientBuilder::new``) at
v0.12.28, unchanged at v0.13.4 and, but for keepalive, since v0.11: ``pool_idle_timeout``
``Some(90 s)`` (``None``: never expire); ``timeout`` (a total deadline that includes the response
body), ``read_timeout`` (per read, but it also bounds the wait for the response head; v0.12.4+)
and ``connect_timeout`` all ``None``. Both request timers start before connecting, so a total or
read timeout also bounds the connect phase. ``tcp_keepalive`` is ``Some(15 s)`` (with interval
15 s and 3 retries) from v0.12.23 on (commit 6358cefd), ``None`` before; on v0.12.23+
``tcp_keepalive(None)`` clears only the idle time, and hyper-util still sets ``SO_KEEPALIVE``
because the interval and retries remain, so the OS idle default (7200 s on Linux) applies.

``reqwest::blocking`` (``src/blocking/client.rs``): ``timeout`` defaults to 30 s (``None``
disables it) and bounds the wait for the response head (connecting included) and then each read
of the body, so it acts as a per-read timeout; the blocking builder has no ``read_timeout``.
``Client::new()`` and ``Client::default()`` are ``ClientBuilder::new().build()``. A per-request
``RequestBuilder::timeout`` replaces the client's timeout for that request.
"""

from __future__ import annotations

import math

from lunalint.rust.lock import Locked
from lunalint.rust.values import Builder, Call, Dur, NoneValue, Unknown, Value
from lunalint.spec import ClientSpec, Keepalive, KeepaliveState, Setting, Span, State, fmt_seconds

__all__ = ["KEEPALIVE_DEFAULT_SINCE", "SETTING_METHODS", "client_spec", "request_spec"]

POOL_IDLE_DEFAULT = 90.0
BLOCKING_TIMEOUT_DEFAULT = 30.0
KEEPALIVE_DEFAULT = 15.0
KEEPALIVE_DEFAULT_SINCE = (0, 12, 23)
SETTING_METHODS = frozenset({
    "timeout", "read_timeout", "connect_timeout", "pool_idle_timeout",
    "tcp_keepalive", "tcp_keepalive_interval", "tcp_keepalive_retries",
})
DEFAULT_NOTE = "reqwest default"
BLOCKING_NOTE = "reqwest::blocking default"


def _version_text(version: tuple[int, int, int]) -> str:
    return ".".join(str(part) for part in version)


def _seconds(call: Call | Unknown, *, option: bool, note: str = "") -> Setting:
    """A setting written in code: a ``Duration`` (or ``None`` where the method takes an Option)."""
    if isinstance(call, Unknown):
        return Setting(State.UNKNOWN, None, note=call.reason)
    value = call.value
    span = call.span
    if isinstance(value, Dur):
        full = ", ".join(part for part in (note, value.note) if part)
        if math.isnan(value.seconds) or value.seconds < 0:  # Duration::from_secs_f64 panics on these
            return Setting(State.INVALID, span, raw=value.raw or f"{value.seconds:g}", note=full)
        if math.isinf(value.seconds):
            return Setting(State.DISABLED, span, raw=value.raw or "Duration::MAX", note=full or "Duration::MAX")
        return Setting(State.SECONDS, span, seconds=value.seconds, note=full)
    if isinstance(value, NoneValue) and option:
        return Setting(State.DISABLED, span, raw="None", note=note)
    if isinstance(value, Unknown):
        return Setting(State.UNKNOWN, span, note=value.reason)
    return Setting(State.UNKNOWN, span, note="not a Duration")


def _default(seconds: float | None, anchor: Span, note: str) -> Setting:
    if seconds is None:
        return Setting(State.DISABLED, anchor, explicit=False, note=note)
    return Setting(State.SECONDS, anchor, seconds=seconds, explicit=False, note=note)


def _setting(builder: Builder, method: str, anchor: Span, default: float | None, note: str,
             *, option: bool) -> Setting:
    call = builder.get(method)
    if call is None:
        if not builder.base_known:
            return Setting(State.UNKNOWN, anchor, note="the builder comes from elsewhere")
        return _default(default, anchor, note)
    setting = _seconds(call, option=option)
    if setting.anchor is None:
        return Setting(setting.state, anchor, note=setting.note)
    return setting


def client_spec(builder: Builder, locked: Locked) -> ClientSpec:
    anchor = builder.root
    if builder.blocking:
        label = "reqwest::blocking::Client"
        read = _setting(builder, "timeout", anchor, BLOCKING_TIMEOUT_DEFAULT, BLOCKING_NOTE, option=True)
        total = None
        bounds = [(read, "the blocking timeout also bounds connecting")]
    else:
        label = "reqwest::Client"
        read = _setting(builder, "read_timeout", anchor, None, DEFAULT_NOTE, option=False)
        total = _setting(builder, "timeout", anchor, None, DEFAULT_NOTE, option=False)
        bounds = [(total, "the total timeout also bounds connecting"),
                  (read, "the read timeout also bounds connecting")]
    connect = _connect(builder, anchor, bounds)
    pool = _setting(builder, "pool_idle_timeout", anchor, POOL_IDLE_DEFAULT, DEFAULT_NOTE, option=True)
    return ClientSpec(library="reqwest", evidence_read=False, label=label, anchor=anchor, pooled=True, pool_idle=pool,
                      keepalive=_keepalive(builder, anchor, locked), read_timeout=read, total_timeout=total,
                      connect_timeout=connect)


def _connect(builder: Builder, anchor: Span, bounds: list[tuple[Setting, str]]) -> Setting:
    connect = _setting(builder, "connect_timeout", anchor, None, DEFAULT_NOTE, option=builder.blocking)
    if connect.explicit or connect.state is State.UNKNOWN:
        return connect
    limits = [(setting, note) for setting, note in bounds if setting.state is not State.DISABLED]
    if any(setting.state is State.UNKNOWN for setting, _ in limits):
        return Setting(State.UNKNOWN, anchor, note="bounded by a timeout that is not known")
    finite = [(setting, note) for setting, note in limits if setting.finite and setting.seconds is not None]
    if not finite:
        return connect
    setting, note = min(finite, key=lambda item: item[0].seconds or 0.0)
    return Setting(State.SECONDS, setting.anchor, seconds=setting.seconds, explicit=setting.explicit,
                   note=note if setting.explicit else f"{note}; {setting.note}")


def _keepalive(builder: Builder, anchor: Span, locked: Locked) -> Keepalive:
    call = builder.get("tcp_keepalive")
    version = locked.version
    has_default = version is not None and version >= KEEPALIVE_DEFAULT_SINCE
    if call is None and not builder.base_known:
        return Keepalive(KeepaliveState.UNKNOWN, anchor, note="the builder comes from elsewhere")
    if isinstance(call, Unknown):
        return Keepalive(KeepaliveState.UNKNOWN, anchor, note=call.reason)
    if call is None:
        if has_default:
            assert version is not None
            note = f"reqwest {_version_text(version)} in Cargo.lock: default idle {fmt_seconds(KEEPALIVE_DEFAULT)}"
            idle = _default(KEEPALIVE_DEFAULT, anchor, note)
            return Keepalive(KeepaliveState.ON, anchor, idle=idle, explicit=False, note=note)
        return Keepalive(KeepaliveState.OFF, anchor, explicit=False, note=_no_default_note(locked))
    value = call.value
    if isinstance(value, NoneValue):
        if has_default and not _all_cleared(builder):
            # idle cleared, interval and retries still set: SO_KEEPALIVE at the OS idle time
            return Keepalive(KeepaliveState.ON, call.span, idle=None,
                             note="tcp_keepalive(None) clears only the idle time")
        return Keepalive(KeepaliveState.OFF, call.span, note="tcp_keepalive(None)")
    idle = _seconds(call, option=True)
    if idle.state is State.UNKNOWN:
        return Keepalive(KeepaliveState.UNKNOWN, call.span, note=idle.note)
    return Keepalive(KeepaliveState.ON, call.span, idle=idle)


def _all_cleared(builder: Builder) -> bool:
    cleared = [builder.get(method) for method in ("tcp_keepalive_interval", "tcp_keepalive_retries")]
    return all(isinstance(call, Call) and isinstance(call.value, NoneValue) for call in cleared)


def _no_default_note(locked: Locked) -> str:
    since = _version_text(KEEPALIVE_DEFAULT_SINCE)
    if locked.version is not None:
        return (f"reqwest {_version_text(locked.version)} in Cargo.lock sets none by default; "
                f"{since} and later default to {fmt_seconds(KEEPALIVE_DEFAULT)}")
    where = "no reqwest in the nearest Cargo.lock" if locked.lock else "no Cargo.lock found"
    return f"{where}: reqwest before {since} sets none by default, {since} and later {fmt_seconds(KEEPALIVE_DEFAULT)}"


def request_spec(value: Value, span: Span, blocking: bool | None) -> ClientSpec:
    """A request whose ``.timeout(...)`` replaces the client's timeout."""
    call = Call(value, span)
    note = "a per-request timeout replaces the client's"
    if blocking:
        read = _seconds(call, option=False, note=note)
        return ClientSpec(library="reqwest", evidence_read=False, label="reqwest::blocking::RequestBuilder", anchor=span, pooled=False,
                          read_timeout=read)
    total = _seconds(call, option=False, note=note)
    return ClientSpec(library="reqwest", evidence_read=False, label="reqwest::RequestBuilder", anchor=span, pooled=False,
                      total_timeout=total)
