"""The library layer: what a library entry declares, and helpers to turn values into settings."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import libcst as cst

from lunalint.spec import ClientSpec, Setting, State
from lunalint.values import Bool, Missing, NoneValue, Num, Obj, Str, Unknown, Value, describe

__all__ = [
    "AssignmentHandler", "ConstructorHandler", "Library", "MethodHandler", "default", "seconds_setting", "unknown",
]

# ``handler(call)`` for a construction or module-level call with a known qualified name.
ConstructorHandler = Callable[[Obj], "list[ClientSpec]"]
# ``handler(receiver, call, method)`` for a method called on an object the library built. ``method``
# is dotted when the call goes through attributes of the object (``chat.completions.create``).
MethodHandler = Callable[[Obj, Obj, str], "list[ClientSpec]"]
# ``handler(receiver, attribute, value, target)`` for ``receiver.attribute = value``.
AssignmentHandler = Callable[[Obj, str, Value, cst.CSTNode], "list[ClientSpec]"]


@dataclass(frozen=True)
class Library:
    """A library family: its modules, the calls that build clients, the methods on them."""

    name: str
    modules: tuple[str, ...]
    constructors: Mapping[str, ConstructorHandler] = field(default_factory=dict)
    # receiver qualname -> handler for calls on objects built by that qualname
    methods: Mapping[str, MethodHandler] = field(default_factory=dict)
    method_names: frozenset[str] = frozenset()  # the method names ``methods`` handlers handle
    # receiver qualname -> handler for attribute assignments on objects built by that qualname
    assignments: Mapping[str, AssignmentHandler] = field(default_factory=dict)
    attribute_names: frozenset[str] = frozenset()  # the attribute names ``assignments`` handle
    # ``overrides_timeout(call, method)``: does this call on a client replace the client's timeout?
    # (A client whose every call does never uses its default timeouts.)
    overrides_timeout: Callable[[Obj, str], bool] = field(default=lambda call, method: "timeout" in call.kwargs)


def default(seconds: float | None, node: cst.CSTNode, note: str) -> Setting:
    """A setting left to the library default (``None`` seconds: the default is "no limit")."""
    if seconds is None:
        return Setting(State.DISABLED, node, explicit=False, note=note)
    return Setting(State.SECONDS, node, seconds=seconds, explicit=False, note=note)


def unknown(node: cst.CSTNode, reason: str = "") -> Setting:
    return Setting(State.UNKNOWN, node, note=reason)


def unset_is_none(obj: Obj, names: Sequence[str], label: str,
                  convert: Callable[[Value, cst.CSTNode], Setting] | None = None) -> dict[str, Setting]:
    """The fields of a timeout object whose unset fields are ``None`` (no limit), not a default.

    ``names`` are in positional order; ``convert`` reads a given value (default: ``seconds_setting``).
    """
    read = convert or seconds_setting
    fields: dict[str, Setting] = {}
    for position, name in enumerate(names):
        given = obj.get(name, position)
        if given is not None:
            fields[name] = read(given, obj.site_of(name))
        elif not obj.complete:
            fields[name] = unknown(obj.site, f"{label} arguments not fully known")
        else:
            fields[name] = Setting(State.DISABLED, obj.site, raw="None",
                                   note=f"{label}() leaves {name} unset, which is no limit")
    return fields


def seconds_setting(value: Value, node: cst.CSTNode, *, note: str = "") -> Setting:
    """Judge a value written in code as a number of seconds.

    ``None`` disables the limit (unless the library gives it another meaning, which the caller
    handles before calling this). Strings, booleans, negative numbers and NaN make no sense as
    seconds and become INVALID; infinity is no limit at all.
    """
    env_note = f"environment default of {value.env}" if isinstance(value, Num) and value.env else ""
    full_note = ", ".join(part for part in (note, env_note) if part)
    if isinstance(value, NoneValue):
        return Setting(State.DISABLED, node, note=note, raw="None")
    if isinstance(value, Bool) or isinstance(value, Str):
        return Setting(State.INVALID, node, raw=describe(value), note=note)
    if isinstance(value, Num):
        if math.isnan(value.value) or value.value < 0:
            return Setting(State.INVALID, node, raw=describe(value), note=full_note)
        if math.isinf(value.value):
            return Setting(State.DISABLED, node, raw="inf", note=full_note or "infinite")
        return Setting(State.SECONDS, node, seconds=value.value, note=full_note)
    if isinstance(value, Unknown):
        return Setting(State.UNKNOWN, node, note=value.reason)
    if isinstance(value, Missing):
        return Setting(State.UNKNOWN, node, note="not passed")
    return Setting(State.UNKNOWN, node, note=f"{describe(value)} is not a number of seconds")
