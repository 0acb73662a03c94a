"""The value model: what an expression evaluates to, as far as a static reader can know.

A ``Value`` is a number, ``None``, a string, a sequence, a dict, an object built by a call to a
known qualified name, a symbol (``socket.SO_KEEPALIVE``), a local ``def``/``class``, or ``Unknown``
with the reason. Nothing is guessed: what cannot be known is ``Unknown``. ``resolve.Resolver``
turns expressions into values; libraries read them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Union

import libcst as cst

if TYPE_CHECKING:
    from lunalint.resolve import Members

__all__ = [
    "BUILT_REQUEST", "BY_DEFAULT", "Bool", "Defined", "Dict", "Missing", "NoneValue", "Num", "Obj", "Seq", "Str",
    "Symbol", "Unknown", "Value", "describe",
]


# How an ``origin`` that is a default (a parameter's, a field's, a ``.pop`` default) begins.
BY_DEFAULT = "by default: "

# The qualified name of the ``Obj`` a ``<client>.build_request(...)`` call gives when its client is not
# followed there (``request = self._client.build_request(...)``): sending it sends the timeout it
# was built with, and the ``build_request`` call itself is judged as a call on the client.
BUILT_REQUEST = "<built request>"


@dataclass(frozen=True)
class _Base:
    node: cst.CSTNode = field(compare=False, repr=False)
    # The outermost name or attribute through which the value was reached, if any: reports on a
    # value defined elsewhere point at the place where the client uses it.
    ref: cst.CSTNode | None = field(default=None, compare=False, repr=False, kw_only=True)
    # How the value was chosen when that is not the code at the use: "by default: parameter
    # `timeout` defaults to None", "with OPENAI_TIMEOUT unset". Messages quote it.
    origin: str = field(default="", compare=False, repr=False, kw_only=True)

    @property
    def site(self) -> cst.CSTNode:
        return self.ref if self.ref is not None else self.node


@dataclass(frozen=True)
class Num(_Base):
    value: float = 0.0
    env: str | None = field(default=None, kw_only=True)  # the value is this variable's default
    # A name bound to different numbers on different paths: ``value`` is the largest, ``lowest``
    # the smallest (a judgement that holds for both holds on every path).
    lowest: float | None = field(default=None, kw_only=True)


@dataclass(frozen=True)
class NoneValue(_Base):
    pass


@dataclass(frozen=True)
class Bool(_Base):
    value: bool = False


@dataclass(frozen=True)
class Str(_Base):
    value: str = ""


@dataclass(frozen=True)
class Symbol(_Base):
    """A module-level name known only by its qualified name, e.g. ``socket.TCP_KEEPIDLE``."""

    qualname: str = ""


@dataclass(frozen=True)
class Seq(_Base):
    items: tuple[Value, ...] = ()
    complete: bool = True  # False when part of the sequence could not be resolved
    is_tuple: bool = False


@dataclass(frozen=True)
class Dict(_Base):
    """A dict with string keys (``{...}``, ``dict(...)``)."""

    items: dict[str, Value] = field(default_factory=dict)
    complete: bool = True


@dataclass(frozen=True)
class Obj(_Base):
    """The result of calling ``qualname`` with resolved arguments."""

    qualname: str = ""
    args: tuple[Value, ...] = ()
    kwargs: dict[str, Value] = field(default_factory=dict)
    complete: bool = True  # False when ``*args``/``**kwargs`` could not be resolved
    # The keyword argument nodes, for reporting on the argument rather than its value.
    arg_nodes: dict[str, cst.CSTNode] = field(default_factory=dict, compare=False, repr=False)
    # An instance of a class defined in this file (``qualname`` is then ``<local>.Name``).
    cls: Defined | None = field(default=None, compare=False, repr=False)

    def get(self, name: str, position: int | None = None) -> Value | None:
        """The argument passed as ``name=`` or at ``position``; ``None`` when not passed."""
        if name in self.kwargs:
            return self.kwargs[name]
        if position is not None and position < len(self.args):
            return self.args[position]
        return None

    def site_of(self, name: str) -> cst.CSTNode:
        """Where to report about argument ``name``: its keyword node, else the call."""
        if self.ref is not None:
            return self.ref
        return self.arg_nodes.get(name, self.node)


@dataclass(frozen=True)
class Defined(_Base):
    """A function or class defined in this file (``def``/``class``), with access to its body."""

    name: str = ""
    kind: str = "function"  # "function" or "class"
    bases: tuple[str, ...] = ()  # classes: the qualified names of the bases that resolve
    members: Members | None = field(default=None, compare=False, repr=False)

    def subclass_of(self, qualnames: tuple[str, ...] | frozenset[str]) -> bool:
        return any(base in qualnames for base in self.bases)


@dataclass(frozen=True)
class Unknown(_Base):
    reason: str = "not statically known"


@dataclass(frozen=True)
class Missing(_Base):
    """An argument that was not passed: the library default applies."""


Value = Union[Num, NoneValue, Bool, Str, Symbol, Seq, Dict, Obj, Defined, Unknown, Missing]


def describe(value: Value) -> str:
    """A short human rendering of a value for messages."""
    if isinstance(value, Num):
        return f"{value.value:g}"
    if isinstance(value, NoneValue):
        return "None"
    if isinstance(value, Bool):
        return str(value.value)
    if isinstance(value, Str):
        return repr(value.value)
    if isinstance(value, Symbol):
        return value.qualname
    if isinstance(value, Obj):
        return f"{value.qualname.rsplit('.', 1)[-1]}(...)"
    if isinstance(value, Defined):
        return value.name
    if isinstance(value, Seq):
        return "(...)" if value.is_tuple else "[...]"
    return "an unknown value"
