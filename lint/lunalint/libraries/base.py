"""The library toolkit: what a library module declares, and the helpers its handlers share.

A library module defines ``LIBRARY = Library(...)``, and one line in ``ENTRIES``
(``libraries/__init__.py``) maps that module to the top-level import names it covers. The
registry checks that every qualified name a library declares starts with one of those names.

Handlers are declared as tables keyed by qualified name (``import httpx as hx`` and aliases are
resolved before lookup, so a table never lists spellings):

- ``constructors``: ``qualname -> handler(call)`` for a call that builds a client or sends a
  request (``httpx.Client``, ``requests.get``).
- ``methods``: ``receiver qualname -> {method name -> handler(receiver, call, method)}`` for a
  method called on an object one of the constructors built. A key ``"*.create"`` matches ``create``
  called through attributes of the object (``client.chat.completions.create``); ``method`` is then
  dotted (``"chat.completions.create"``).
- ``assignments``: ``receiver qualname -> {attribute -> handler(receiver, attribute, value,
  target)}`` for ``receiver.attribute = value``.

The handler contract: a handler receives resolved values (``Obj`` with its ``args`` and
``kwargs``; ``complete`` is False when ``*args``/``**kwargs`` could not be resolved and may hold
any argument) and returns ClientSpecs: usually one, none when the call configures nothing of its
own (a request made without ``timeout=`` uses its client's timeout, judged at the client). It
never guesses: what it cannot know is ``State.UNKNOWN`` with a reason (``not_followed``,
``not_fully_known``), which is never a finding. A setting the code leaves out is the library's
default (``default()``, ``explicit=False``, with a note naming it), and those values come from
the module's one frozen ``Defaults`` object, which names the upstream release they were read
from. Handlers keep no state: the same call may be handled twice (an SDK reads its inner
``http_client`` through that client's own handler).

Where to report: on the most specific place the code wrote the setting. An argument written in
the call is reported on its keyword (``call.site_of("timeout")``); a value built elsewhere and
reached through a name is reported on that name where this call uses it (``value.site``, and
``setting.at(value.ref)`` for settings read out of it, such as a transport's limits); a setting
left to the default is reported on the call that left it out. A spec another spec stands for (an
SDK's inner client, a connector passed to a session) is listed in ``ClientSpec.absorbs`` so that
it is not judged twice.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from lunalint.spec import Anchor, ClientSpec, Keepalive, KeepaliveState, Setting, State
from lunalint.values import Bool, Missing, NoneValue, Num, Obj, Str, Unknown, Value, describe

__all__ = [
    "HTTP_VERBS", "AssignmentHandler", "AssignmentTable", "ConstructorHandler", "Defaults", "Library",
    "MethodHandler", "MethodTable", "argument", "default", "not_followed", "not_fully_known", "origin_noted",
    "seconds_setting", "streams_response",
    "timeout_spec", "unknown", "unknown_keepalive", "unset_is_none",
]

# The methods that send one request, on every library's clients (``request(method, url)`` included).
HTTP_VERBS = ("get", "post", "put", "patch", "delete", "head", "options", "request")

# ``handler(call)`` for a construction or module-level call with a known qualified name.
ConstructorHandler = Callable[[Obj], "list[ClientSpec]"]
# ``handler(receiver, call, method)`` for a method called on an object the library built.
MethodHandler = Callable[[Obj, Obj, str], "list[ClientSpec]"]
# ``handler(receiver, attribute, value, target)`` for ``receiver.attribute = value``.
AssignmentHandler = Callable[[Obj, str, Value, Anchor], "list[ClientSpec]"]
# method name (``"*.name"``: called through attributes of the receiver) -> handler
MethodTable = Mapping[str, MethodHandler]
# attribute name -> handler
AssignmentTable = Mapping[str, AssignmentHandler]


@dataclass(frozen=True)
class Defaults:
    """What a library does with a setting the code leaves out, and where that was read.

    Each library module subclasses it (frozen too) with one field per default its handlers use,
    and makes one instance. ``upstream`` names the release(s) and source file(s) the values were
    read from, so that a new release can be checked against them.
    """

    upstream: str


def passes_timeout(call: Obj, method: str) -> bool:
    """The usual rule: a request that passes ``timeout=`` replaces the client's timeout."""
    return "timeout" in call.kwargs


def streams_response(call: Obj, method: str) -> str:
    """The usual rule for a request that streams its response: a method named ``stream``
    (``client.stream(...)``, ``httpx.stream(...)``) or ``stream=True``; the argument that says so
    (``"stream=True"``), ``"stream"`` for the method, else ``""``."""
    if method.rsplit(".", 1)[-1] == "stream":
        return "stream"
    flag = call.kwargs.get("stream")
    return "stream=True" if isinstance(flag, Bool) and flag.value else ""


@dataclass(frozen=True)
class Library:
    """A library family: its defaults and its handler tables (see the module docstring)."""

    defaults: Defaults
    constructors: Mapping[str, ConstructorHandler] = field(default_factory=dict)
    methods: Mapping[str, MethodTable] = field(default_factory=dict)  # receiver qualname -> its methods
    assignments: Mapping[str, AssignmentTable] = field(default_factory=dict)  # receiver qualname -> attributes
    # ``overrides_timeout(call, method)``: does this call on a client replace the client's timeout?
    # (A client whose every call does never uses its default timeouts.)
    overrides_timeout: Callable[[Obj, str], bool] = passes_timeout
    # ``streams(call, method)``: does this request stream its response? (``streams_response``)
    streams: Callable[[Obj, str], str] = streams_response
    # True when a request returns before its body is read, so that reading it incrementally
    # (``async for line in resp.content``) streams it (aiohttp); False when every request but a
    # streaming one has read the whole body before it returns (httpx, requests).
    lazy_body: bool = False
    # The methods (keys of ``methods`` tables) that send a request, as opposed to configuring the
    # client (``mount``, ``with_options``): a client whose only use is one of them is one-shot.
    request_methods: frozenset[str] = frozenset(HTTP_VERBS)
    # Constructors (LLM SDK clients) that set their own timeout on every request they send through an
    # ``http_client=`` handed to them, unless that client's timeout was written in code.
    replaces_default_timeout: frozenset[str] = frozenset()
    # Transports that never touch the network (``httpx.MockTransport``); a client on one is in-process.
    in_process_transports: frozenset[str] = frozenset()


# Settings -----------------------------------------------------------------------------------------
def default(seconds: float | None, anchor: Anchor, note: str) -> Setting:
    """A setting left to the library default (``None`` seconds: the default is "no limit")."""
    if seconds is None:
        return Setting(State.DISABLED, anchor, explicit=False, note=note)
    return Setting(State.SECONDS, anchor, seconds=seconds, explicit=False, note=note)


def unknown(anchor: Anchor, reason: str = "") -> Setting:
    return Setting(State.UNKNOWN, anchor, note=reason)


def unknown_keepalive(anchor: Anchor, reason: str = "") -> Keepalive:
    return Keepalive(KeepaliveState.UNKNOWN, anchor, note=reason)


def not_followed(value: Value, role: str = "") -> str:
    """Why ``value`` says nothing lunalint can judge: an ``Unknown``'s own reason, else
    ``"<role> <value> is not followed"`` (an object of a type no library entry reads)."""
    if isinstance(value, Unknown):
        return value.reason
    return f"{role} {describe(value)} is not followed" if role else f"{describe(value)} is not followed"


def not_fully_known(what: str = "") -> str:
    """The reason for a setting that ``*args``/``**kwargs`` of ``what`` (a call) may hold."""
    return f"{what} arguments not fully known" if what else "arguments not fully known"


def argument(obj: Obj, name: str, position: int | None = None, *, what: str = "") -> Value | None:
    """Argument ``name`` (or the one at ``position``) of ``obj``: ``None`` when surely not passed,
    ``Unknown`` (at ``obj.node``) when not written but unresolved ``*args``/``**kwargs`` may hold it."""
    value = obj.get(name, position)
    if value is None and not obj.complete:
        return Unknown(obj.node, reason=not_fully_known(what))
    return value


def unset_is_none(obj: Obj, names: Sequence[str], label: str,
                  convert: Callable[[Value, Anchor], Setting] | None = None) -> dict[str, Setting]:
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
            fields[name] = unknown(obj.site, not_fully_known(label))
        else:
            fields[name] = Setting(State.DISABLED, obj.site, raw="None",
                                   note=f"{label}() leaves {name} unset, which is no limit")
    return fields


def origin_noted(note: str, value: Value | None) -> str:
    """``note`` followed by how ``value`` was chosen ("by default: parameter `timeout` defaults to
    None"), when it was not written at the use."""
    if value is None or not value.origin:
        return note
    return f"{note}, {value.origin}" if note else value.origin


def seconds_setting(value: Value, anchor: Anchor, *, note: str = "") -> Setting:
    """Judge a value written in code as a number of seconds.

    ``None`` disables the limit (unless the library gives it another meaning, which the caller
    handles before calling this). Strings, booleans, negative numbers and NaN make no sense as
    seconds and become INVALID; infinity is no limit at all.
    """
    env_note = f"environment default of {value.env}" if isinstance(value, Num) and value.env else ""
    full_note = ", ".join(part for part in (note, env_note, value.origin) if part)
    note = origin_noted(note, value)
    if isinstance(value, NoneValue):
        return Setting(State.DISABLED, anchor, note=note, raw="None")
    if isinstance(value, Bool) or isinstance(value, Str):
        return Setting(State.INVALID, anchor, raw=describe(value), note=note)
    if isinstance(value, Num):
        if math.isnan(value.value) or value.value < 0:
            return Setting(State.INVALID, anchor, raw=describe(value), note=full_note)
        if math.isinf(value.value):
            return Setting(State.DISABLED, anchor, raw="inf", note=full_note or "infinite")
        return Setting(State.SECONDS, anchor, seconds=value.value, note=full_note, lowest=value.lowest)
    if isinstance(value, Unknown):
        return Setting(State.UNKNOWN, anchor, note=value.reason)
    if isinstance(value, Missing):
        return Setting(State.UNKNOWN, anchor, note="not passed")
    return Setting(State.UNKNOWN, anchor, note=f"{describe(value)} is not a number of seconds")


# Specs --------------------------------------------------------------------------------------------
_OWN_FIELDS = frozenset({"read", "total", "connect"})


def timeout_spec(library: str, label: str, anchor: Anchor, phases: Mapping[str, Setting | None], *,
                 pooled: bool) -> ClientSpec:
    """A ClientSpec of timeouts by phase: ``read``, ``total`` and ``connect`` go to their own fields,
    every other phase (``write``, ``pool``) to ``other_timeouts`` in the order given.

    Add the pool settings with ``dataclasses.replace``.
    """
    others = tuple((phase, setting) for phase, setting in phases.items()
                   if phase not in _OWN_FIELDS and setting is not None)
    return ClientSpec(library=library, label=label, anchor=anchor, pooled=pooled,
                      read_timeout=phases.get("read"), total_timeout=phases.get("total"),
                      connect_timeout=phases.get("connect"), other_timeouts=others)
