"""The Rust value model: what an expression that configures a reqwest client evaluates to.

Values are immutable, so branches of an ``if`` or ``match`` can be evaluated on copies of the
local bindings and joined. Nothing is guessed: what cannot be known is ``Unknown`` with the reason.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from lunalint.spec import Span

__all__ = [
    "Builder", "Built", "Call", "Closure", "Dur", "Num", "NoneValue", "Request", "StructValue", "Typed", "Unknown",
    "Value", "join",
]


@dataclass(frozen=True)
class Num:
    """A plain number (``30``, ``5 * 60``, a ``const``)."""

    value: float
    note: str = ""
    integer: bool = False  # Rust integer arithmetic truncates


@dataclass(frozen=True)
class Dur:
    """A ``std::time::Duration`` of ``seconds`` (infinite for ``Duration::MAX``)."""

    seconds: float
    note: str = ""
    raw: str = ""


@dataclass(frozen=True)
class NoneValue:
    """``None``."""


@dataclass(frozen=True)
class Unknown:
    reason: str = ""


@dataclass(frozen=True)
class Call:
    """One builder method call: its argument's value and where the call is written."""

    value: Value
    span: Span = field(compare=False)


# A builder setting that two branches set differently: not statically known.
CONDITIONAL = Unknown("set differently on different paths")


@dataclass(frozen=True)
class Builder:
    """A ``reqwest::ClientBuilder`` (``blocking``: ``reqwest::blocking::ClientBuilder``): the last
    call of each setting method, or ``CONDITIONAL``. ``base_known`` is False for a builder passed in
    from elsewhere, whose other settings are unknown."""

    blocking: bool
    root: Span = field(compare=False)
    calls: tuple[tuple[str, Call | Unknown], ...] = ()
    base_known: bool = True
    local: bool = field(default=True, compare=False)  # started in the checked file (not in another module)

    def with_call(self, method: str, call: Call) -> Builder:
        calls = tuple(item for item in self.calls if item[0] != method) + ((method, call),)
        return Builder(self.blocking, self.root, calls, self.base_known, self.local)

    def get(self, method: str) -> Call | Unknown | None:
        for name, call in self.calls:
            if name == method:
                return call
        return None


@dataclass(frozen=True)
class Built:
    """A client built at ``key`` (the span of its ``build()`` or ``Client::new()`` call)."""

    blocking: bool
    key: Span


@dataclass(frozen=True)
class Request:
    """A ``RequestBuilder`` (``client.post(url)...``), on a blocking client or not (None: unknown)."""

    blocking: bool | None


@dataclass(frozen=True)
class StructValue:
    """A struct literal of a local type (``Self { a: 1, ... }``) or its ``Default``."""

    type_name: str
    fields: tuple[tuple[str, Value], ...]
    note: str = ""
    home: str = ""  # the file that defines the type ("": the checked file)

    def get(self, name: str) -> Value | None:
        for key, value in self.fields:
            if key == name:
                return value
        return None


@dataclass(frozen=True)
class Typed:
    """A value of a local struct type whose contents are not known (a parameter ``&Config``)."""

    type_name: str
    home: str = ""  # the file that defines the type ("": the checked file)


@dataclass(frozen=True)
class Closure:
    """A closure written in the code (``|b| b.timeout(..)``), applied where it is called; ``key``
    is the extractor's handle for its node and the bindings it captured."""

    key: int


Value = Num | Dur | NoneValue | Unknown | Builder | Built | Request | StructValue | Typed | Closure


def join(values: list[Value]) -> Value:
    """The value of an expression that is one of ``values`` depending on the path taken."""
    first = values[0]
    if all(value == first for value in values[1:]):
        return first
    if all(isinstance(value, Builder) for value in values):
        builders = [value for value in values if isinstance(value, Builder)]
        return _join_builders(builders)
    if all(isinstance(value, Built) for value in values):
        return first  # the same kind of thing: a built client (specs are recorded where built)
    return Unknown("differs between branches")


def _join_builders(builders: list[Builder]) -> Value:
    first = builders[0]
    if any(builder.blocking != first.blocking for builder in builders):
        return Unknown("async or blocking builder depending on the branch")
    methods = dict.fromkeys(name for builder in builders for name, _ in builder.calls)
    calls: list[tuple[str, Call | Unknown]] = []
    for method in methods:
        found = [builder.get(method) for builder in builders]
        same = found[0]
        if all(item is not None and item == same and _same_place(item, same) for item in found):
            assert same is not None
            calls.append((method, same))
        else:
            calls.append((method, CONDITIONAL))
    return Builder(first.blocking, first.root, tuple(calls), all(builder.base_known for builder in builders),
                   any(builder.local for builder in builders))


def _same_place(a: Call | Unknown | None, b: Call | Unknown | None) -> bool:
    if isinstance(a, Call) and isinstance(b, Call):
        return a.span == b.span
    return True
