"""TCP keepalive from a list of ``(level, option, value)`` socket options."""

from __future__ import annotations

from lunalint.libraries.base import seconds_setting, unknown_keepalive
from lunalint.spec import Anchor, Keepalive, KeepaliveState, Setting, State
from lunalint.values import Bool, Missing, NoneValue, Num, Seq, Symbol, Unknown, Value

__all__ = ["keepalive_from_options"]

# Option names by qualified name, and (level, option) numbers as Linux defines them.
_KEEPALIVE = "SO_KEEPALIVE"
_IDLE = ("TCP_KEEPIDLE", "TCP_KEEPALIVE")  # TCP_KEEPALIVE is macOS's idle time
_BY_NUMBER = {(1, 9): "SO_KEEPALIVE", (6, 4): "TCP_KEEPIDLE", (6, 16): "TCP_KEEPALIVE",
              (0xFFFF, 8): "SO_KEEPALIVE"}


def _option_name(level: Value, option: Value) -> str | None:
    if isinstance(option, Symbol):
        return option.qualname.rsplit(".", 1)[-1]
    if isinstance(level, Num) and isinstance(option, Num):
        return _BY_NUMBER.get((int(level.value), int(option.value)))
    return None


def keepalive_from_options(value: Value | None, site: Anchor, *, absent_note: str) -> Keepalive:
    """Whether ``socket_options`` turn TCP keepalive on, and with which idle time.

    ``value`` is the resolved option list (``None``/``Missing``: no options were passed).
    """
    if value is None or isinstance(value, (Missing, NoneValue)):
        return Keepalive(KeepaliveState.OFF, site, explicit=False, note=absent_note)
    if not isinstance(value, Seq):
        reason = value.reason if isinstance(value, Unknown) else "socket options not statically known"
        return unknown_keepalive(site, reason)
    enabled: bool | None = None
    idle: Setting | None = None
    for item in value.items:
        if not isinstance(item, Seq) or len(item.items) != 3:
            continue
        level, option, setting = item.items
        name = _option_name(level, option)
        node = item.site if value.ref is None else value.site
        if name == _KEEPALIVE:
            if isinstance(setting, (Num, Bool)):
                enabled = bool(setting.value)
            else:
                return unknown_keepalive(site, "SO_KEEPALIVE value not known")
        elif name in _IDLE:
            idle = seconds_setting(setting, node, note=f"{name}")
    complete = value.complete and all(isinstance(item, Seq) and len(item.items) == 3
                                      for item in value.items)
    if enabled is None:
        if not complete:
            return unknown_keepalive(site, "socket options not fully known")
        return Keepalive(KeepaliveState.OFF, value.site,
                         note="the socket options do not include SO_KEEPALIVE")
    if not enabled:
        return Keepalive(KeepaliveState.OFF, value.site, note="SO_KEEPALIVE is set to 0")
    if idle is None and not complete:
        idle = Setting(State.UNKNOWN, value.site, note="socket options not fully known")
    return Keepalive(KeepaliveState.ON, value.site, idle=idle)
