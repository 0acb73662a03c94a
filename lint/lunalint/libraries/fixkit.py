"""The fix toolkit: what a library's fix planner returns, and the libcst edits planners share.

Each library family has a sibling module (``httpx_fix.py``, ``sdks_fix.py``, ...) with a
``plan(context) -> Plan | None`` function, registered in ``libraries/fixes.py`` by
``ClientSpec.library``. A plan is a list of ``Change``s: "rewrite this libcst node (found by
identity) with this function", each function building from the node as updated so far
(``updated_node``) and spelling every name it needs through a ``Namer``, which reuses the
file's imports and aliases (``import httpx as hx`` gives ``hx.Timeout``), schedules the imports
that are missing and inserts module-level helpers once. The Python frontend applies the changes
(``pyfix.py``); a planner never touches text.

The values follow the policy (``fix_values``): the streaming minimum for reads (at least the
seed 600 s), a connect timeout of 10 s, a pool idle expiry of 90 s and a keepalive idle time of
60 s, each lowered to the policy's maximum when that is smaller. ``hints.py`` uses the same.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

import libcst as cst

from lunalint.fix import Applicability, FixValues, fix_values, number

if TYPE_CHECKING:
    from lunalint.spec import Anchor, ClientSpec

__all__ = [
    "FAMILY", "KEEPALIVE_COUNT", "KEEPALIVE_INTERVAL", "carry", "positional", "with_arg", "Change", "FixContext", "FixValues", "Namer", "Plan", "append_arg", "dotted", "fix_values", "has_star",
    "inline_call", "keepalive_options", "kwarg", "number", "remove_arg", "set_kwarg",
]

KEEPALIVE_INTERVAL, KEEPALIVE_COUNT = 10, 5

# Rule code -> what its fix changes. LL901 is decided by which setting holds the invalid value.
FAMILY = {
    "LL101": "pool", "LL102": "pool", "LL103": "pool", "LL104": "limits",
    "LL201": "keepalive", "LL202": "keepalive", "LL203": "keepalive-idle", "LL204": "keepalive",
    "LL301": "timeout", "LL302": "timeout", "LL303": "timeout", "LL304": "timeout", "LL305": "timeout",
    "LL401": "timeout", "LL402": "timeout", "LL403": "timeout",
}


class Namer(Protocol):
    """How generated code names things in the file being fixed."""

    def ref(self, module: str, name: str) -> str:
        """``module.name`` as this file can write it (``hx.Timeout``, ``Timeout``), importing
        ``module`` when the file does not."""

    def helper(self, name: str, code: Callable[[Namer], str]) -> str:
        """The name of a module-level helper (a constant, function or class) ``code`` defines,
        inserted once after the imports unless the module already binds ``name``."""

    def expression(self, code: str) -> cst.BaseExpression:
        """``code`` parsed with the file's own parser configuration."""

    def statement(self, code: str) -> cst.BaseStatement:
        """One statement, parsed with the file's own parser configuration."""

    def code(self, node: cst.CSTNode) -> str:
        """The source code of ``node``."""


Rewrite = Callable[[cst.CSTNode, "Namer"], "cst.CSTNode | cst.FlattenSentinel[cst.BaseStatement]"]


@dataclass(frozen=True)
class Change:
    """Rewrite ``node`` (found by identity) with ``rewrite(updated_node, namer)``. Changes with
    the same node and ``key`` are applied once when several fixes are applied together; ``order``
    sorts the changes of one node (a transform that moves arguments comes last)."""

    node: cst.CSTNode = field(compare=False)
    key: str
    rewrite: Rewrite = field(compare=False)
    order: int = 0


@dataclass(frozen=True)
class Plan:
    """A library's fix for one finding."""

    applicability: Applicability
    message: str
    changes: tuple[Change, ...] = ()


@dataclass(frozen=True)
class FixContext:
    """What a planner knows about one finding."""

    code: str
    family: str  # "timeout", "pool", "limits", "keepalive", "keepalive-idle"
    anchor: Anchor  # where the finding is reported
    spec: ClientSpec
    values: FixValues
    parent: Callable[[object], object | None]  # a node's parent (None at the top of the module)
    module_of: Callable[[cst.BaseExpression], str | None]  # ``hx.Client`` -> "httpx" (the import it names)


def keepalive_options(namer: Namer, values: FixValues) -> str:
    """The name of the module-level list of the four TCP keepalive socket options."""
    def code(n: Namer) -> str:
        level, tcp = n.ref("socket", "SOL_SOCKET"), n.ref("socket", "IPPROTO_TCP")
        rows = [(level, n.ref("socket", "SO_KEEPALIVE"), "1"),
                (tcp, n.ref("socket", "TCP_KEEPIDLE"), number(values.keepidle)),
                (tcp, n.ref("socket", "TCP_KEEPINTVL"), str(KEEPALIVE_INTERVAL)),
                (tcp, n.ref("socket", "TCP_KEEPCNT"), str(KEEPALIVE_COUNT))]
        body = "".join(f"    ({a}, {b}, {c}),\n" for a, b, c in rows)
        return f"KEEPALIVE_SOCKET_OPTIONS = [\n{body}]\n"
    return namer.helper("KEEPALIVE_SOCKET_OPTIONS", code)


# Arguments ------------------------------------------------------------------------------------
def has_star(call: cst.Call) -> bool:
    """Whether ``*args``/``**kwargs`` may hold any argument (an added keyword could then clash)."""
    return any(arg.star for arg in call.args)


def kwarg(call: cst.Call, name: str) -> cst.Arg | None:
    for arg in call.args:
        if arg.keyword is not None and arg.keyword.value == name:
            return arg
    return None


def positional(call: cst.Call) -> list[cst.Arg]:
    return [arg for arg in call.args if arg.keyword is None and not arg.star]


def inline_call(arg: cst.Arg | None) -> cst.Call | None:
    """The call an argument's value is written as, if it is one (``limits=httpx.Limits(...)``)."""
    return arg.value if arg is not None and isinstance(arg.value, cst.Call) else None


def set_kwarg(call: cst.Call, name: str, value: cst.BaseExpression) -> cst.Call:
    """``call`` with ``name=value``: the existing argument's value replaced, else one appended."""
    args = list(call.args)
    for index, arg in enumerate(args):
        if arg.keyword is not None and arg.keyword.value == name:
            args[index] = arg.with_changes(value=value)
            return call.with_changes(args=args)
    new = cst.Arg(value=value, keyword=cst.Name(name),
                  equal=cst.AssignEqual(whitespace_before=cst.SimpleWhitespace(""),
                                        whitespace_after=cst.SimpleWhitespace("")))
    return append_arg(call, new)


def append_arg(call: cst.Call, new: cst.Arg) -> cst.Call:
    """``call`` with ``new`` as its last argument, in the call's own layout (one line, or one
    argument a line with or without a trailing comma)."""
    args = list(call.args)
    if not args:
        return call.with_changes(args=[new])
    last = args[-1]
    comma = last.comma
    multiline = isinstance(call.whitespace_before_args, cst.ParenthesizedWhitespace)
    if multiline:
        between = cst.Comma(whitespace_after=call.whitespace_before_args)
        if len(args) > 1 and isinstance(args[-2].comma, cst.Comma):
            between = args[-2].comma
        if isinstance(comma, cst.Comma):  # the trailing comma (and its line break) moves to the new last
            args[-1] = last.with_changes(comma=between)
            args.append(new.with_changes(comma=comma))
        else:
            args[-1] = last.with_changes(comma=between)
            args.append(new)
        return call.with_changes(args=args)
    spaced = cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))
    args[-1] = last.with_changes(comma=spaced)
    args.append(new.with_changes(comma=comma) if isinstance(comma, cst.Comma) else new)
    return call.with_changes(args=args)


def remove_arg(call: cst.Call, name: str) -> tuple[cst.Call, cst.Arg | None]:
    """``call`` without keyword argument ``name``, and that argument (None: not there)."""
    args = list(call.args)
    for index, arg in enumerate(args):
        if arg.keyword is not None and arg.keyword.value == name:
            removed = args.pop(index)
            if args and index == len(args):  # it was the last: its comma (trailing or none) moves up
                args[-1] = args[-1].with_changes(comma=removed.comma)
            return call.with_changes(args=args), removed
    return call, None


def with_arg(name: str, value: cst.BaseExpression) -> cst.Arg:
    return cst.Arg(value=value, keyword=cst.Name(name),
                   equal=cst.AssignEqual(whitespace_before=cst.SimpleWhitespace(""),
                                         whitespace_after=cst.SimpleWhitespace("")))


def carry(args: Sequence[cst.Arg]) -> list[cst.Arg]:
    """Arguments moved into a generated call, laid out on one line."""
    spaced = cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))
    return [arg.with_changes(comma=spaced if index < len(args) - 1 else cst.MaybeSentinel.DEFAULT)
            for index, arg in enumerate(args)]


def dotted(node: cst.CSTNode) -> str:
    """``a.b.c`` for a name or attribute chain; empty for anything else."""
    if isinstance(node, cst.Name):
        return node.value
    if isinstance(node, cst.Attribute):
        return f"{dotted(node.value)}.{node.attr.value}"
    return ""
