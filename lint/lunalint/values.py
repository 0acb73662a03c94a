"""Value resolution: what an expression evaluates to, as far as a static reader can know.

Every expression that configures a client goes through ``Resolver.resolve`` and comes back as a
``Value``: a number, ``None``, a string, a sequence, a mapping, an object built by a call to a known
qualified name, a symbol (``socket.SO_KEEPALIVE``), or ``Unknown`` with the reason. Nothing is
guessed: what cannot be known is ``Unknown``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import Union

import libcst as cst

from lunalint.scope import ImportOf, ModuleScan, Opaque, Scope, ValueOf, _inside

__all__ = [
    "Bool", "Defined", "Mapping", "Members", "Missing", "NoneValue", "Num", "Obj", "Resolver", "Seq", "Str",
    "Symbol", "Unknown", "Value", "describe",
]

_MAX_DEPTH = 40


@dataclass(frozen=True)
class _Base:
    node: cst.CSTNode = field(compare=False, repr=False)
    # The outermost name or attribute through which the value was reached, if any: reports on a
    # value defined elsewhere point at the place where the client uses it.
    ref: cst.CSTNode | None = field(default=None, compare=False, repr=False, kw_only=True)

    @property
    def site(self) -> cst.CSTNode:
        return self.ref if self.ref is not None else self.node


@dataclass(frozen=True)
class Num(_Base):
    value: float = 0.0
    env: str | None = field(default=None, kw_only=True)  # the value is this variable's default


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
class Mapping(_Base):
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


class Members:
    """What the body of a local ``def`` or ``class`` does with a name, resolved on demand."""

    def __init__(self, resolver: Resolver, scope: Scope) -> None:
        self._resolver = resolver
        self._scope = scope

    def values_of(self, name: str) -> tuple[Value, ...]:
        """Every value the body gives to ``name``: ``name=`` keyword arguments, ``x["name"] = v``,
        ``x.setdefault("name", v)``, ``self.name = v`` and plain ``name = v`` assignments."""
        resolver = self._resolver
        found: list[Value] = []
        for call, scope in resolver.scan.calls_within(self._scope):
            for arg in call.args:
                if arg.keyword is not None and arg.keyword.value == name:
                    found.append(resolver.resolve(arg.value, scope))
            func = call.func
            if (isinstance(func, cst.Attribute) and func.attr.value == "setdefault" and len(call.args) == 2
                    and isinstance(call.args[0].value, cst.SimpleString)
                    and call.args[0].value.evaluated_value == name):
                found.append(resolver.resolve(call.args[1].value, scope))
        for key, node, scope in resolver.scan.items_within(self._scope):
            if key == name:
                found.append(resolver.resolve(node, scope))
        for target, node, scope in resolver.scan.attribute_assignments:
            if target.attr.value == name and _inside(scope, self._scope):
                found.append(resolver.resolve(node, scope))
        return tuple(found)

    def method_calls(self, method: str) -> tuple[tuple[Value, ...], ...]:
        """The positional arguments of every ``<something>.method(...)`` call in the body."""
        resolver = self._resolver
        found: list[tuple[Value, ...]] = []
        for call, scope in resolver.scan.calls_within(self._scope):
            func = call.func
            if isinstance(func, cst.Attribute) and func.attr.value == method:
                found.append(tuple(resolver.resolve(arg.value, scope) if not arg.star
                                   else Unknown(arg.value, reason="starred argument") for arg in call.args))
        return tuple(found)

    def mentions(self, text: str) -> bool:
        """Whether the source of the body contains ``text``, ignoring case (a guard before concluding
        that something is absent)."""
        node = self._scope.node
        return node is not None and text.lower() in cst.Module([]).code_for_node(node).lower()


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


Value = Union[Num, NoneValue, Bool, Str, Symbol, Seq, Mapping, Obj, Defined, Unknown, Missing]


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


_ENV_GETTERS = frozenset({"os.getenv", "os.environ.get", "os.environ.setdefault"})
_NUMBER_CASTS = frozenset({"float", "int"})


class Resolver:
    """Resolves expressions of one module, using the bindings found by ``scan_module``."""

    def __init__(self, scan: ModuleScan) -> None:
        self.scan = scan

    # Names --------------------------------------------------------------------------------------
    def qualname(self, node: cst.BaseExpression, scope: Scope) -> str | None:
        """The qualified name an expression refers to, when it is an import (or attribute of one)."""
        if isinstance(node, cst.Name):
            bindings = scope.lookup(node.value)
            if bindings is None:
                return node.value if node.value in _BUILTINS else None
            if len(bindings) == 1 and isinstance(bindings[0], ImportOf):
                return bindings[0].qualname
            if len(bindings) == 1 and isinstance(bindings[0], ValueOf):
                # ``Client = httpx.Client`` style aliases.
                target = bindings[0].node
                if isinstance(target, (cst.Name, cst.Attribute)) and target is not node:
                    return self.qualname(target, bindings[0].scope)
            return None
        if isinstance(node, cst.Attribute):
            base = self.qualname(node.value, scope)
            return None if base is None else f"{base}.{node.attr.value}"
        return None

    # Values -------------------------------------------------------------------------------------
    def resolve(self, node: cst.BaseExpression, scope: Scope, depth: int = 0) -> Value:
        if depth > _MAX_DEPTH:
            return Unknown(node, reason="expression too deeply nested")
        try:
            return self._resolve(node, scope, depth + 1)
        except RecursionError:
            return Unknown(node, reason="expression too deeply nested")

    def _resolve(self, node: cst.BaseExpression, scope: Scope, depth: int) -> Value:
        if isinstance(node, (cst.Integer, cst.Float)):
            return Num(node, value=float(node.evaluated_value))
        if isinstance(node, cst.Name):
            return self._name(node, scope, depth)
        if isinstance(node, cst.Attribute):
            return self._attribute(node, scope, depth)
        if isinstance(node, cst.Call):
            return self.call(node, scope, depth)
        if isinstance(node, cst.SimpleString):
            if "b" in node.prefix.lower():
                return Unknown(node, reason="bytes literal")
            evaluated = node.evaluated_value
            return Str(node, value=evaluated) if isinstance(evaluated, str) else Unknown(node)
        if isinstance(node, cst.UnaryOperation):
            return self._unary(node, scope, depth)
        if isinstance(node, cst.BinaryOperation):
            return self._binary(node, scope, depth)
        if isinstance(node, (cst.Tuple, cst.List)):
            return self._sequence(node, node.elements, scope, depth, isinstance(node, cst.Tuple))
        if isinstance(node, cst.Dict):
            return self._dict(node, scope, depth)
        if isinstance(node, cst.Subscript):
            return self._subscript(node, scope)
        return Unknown(node, reason=f"{type(node).__name__} expression")

    def _name(self, node: cst.Name, scope: Scope, depth: int) -> Value:
        if node.value == "None":
            return NoneValue(node)
        if node.value in ("True", "False"):
            return Bool(node, value=node.value == "True")
        bindings = scope.lookup(node.value)
        if bindings is None:
            if node.value in ("inf", "nan"):
                return Unknown(node, reason=f"undefined name {node.value!r}")
            return Unknown(node, reason=f"name {node.value!r} is not defined in this file")
        return self._from_bindings(node, node.value, bindings, scope, depth)

    def _from_bindings(self, node: cst.BaseExpression, label: str, bindings: list[ImportOf | ValueOf | Opaque],
                       scope: Scope, depth: int) -> Value:
        if len(bindings) != 1:
            return Unknown(node, reason=f"{label!r} is bound more than once")
        binding = bindings[0]
        if isinstance(binding, ImportOf):
            return Symbol(node, qualname=binding.qualname)
        if isinstance(binding, Opaque):
            if binding.definition is not None and isinstance(node, cst.Name):
                return self._definition(node, binding.definition)
            return Unknown(node, reason=f"{label!r} is a {binding.reason}")
        value = self.resolve(binding.node, binding.scope, depth)
        if isinstance(value, Seq) and isinstance(node, cst.Name):
            value = self._with_mutations(value, node.value, binding.scope, depth)
        return replace(value, ref=node)

    def _with_mutations(self, value: Seq, name: str, scope: Scope, depth: int) -> Seq:
        """Fold ``name.append(x)``, ``name.extend(xs)`` and ``name += xs`` into a list value."""
        mutations = scope.mutations.get(name)
        if not mutations:
            return value
        items = list(value.items)
        complete = value.complete
        for kind, arg in mutations:
            added = self.resolve(arg, scope, depth)
            if kind == "append":
                items.append(added)
            elif isinstance(added, Seq):
                items.extend(added.items)
                complete = complete and added.complete
            else:
                complete = False
        return replace(value, items=tuple(items), complete=complete)

    def _attribute(self, node: cst.Attribute, scope: Scope, depth: int) -> Value:
        base = node.value
        if isinstance(base, cst.Name):
            owner = scope.enclosing_class() if base.value == scope.self_name else None
            if owner is not None:
                attrs = owner.self_attrs.get(node.attr.value)
                if attrs is not None:
                    return self._from_bindings(node, f"self.{node.attr.value}", attrs, scope, depth)
                class_level = owner.names.get(node.attr.value)
                if class_level is not None:
                    return self._from_bindings(node, f"self.{node.attr.value}", class_level, owner, depth)
                return Unknown(node, reason=f"self.{node.attr.value} is not assigned in this class")
        qualname = self.qualname(node, scope)
        if qualname is not None:
            if qualname in _MATH_CONSTANTS:
                return Num(node, value=_MATH_CONSTANTS[qualname])
            return Symbol(node, qualname=qualname)
        return Unknown(node, reason="attribute of a value that is not statically known")

    def _unary(self, node: cst.UnaryOperation, scope: Scope, depth: int) -> Value:
        operand = self.resolve(node.expression, scope, depth)
        if isinstance(operand, Num):
            if isinstance(node.operator, cst.Minus):
                return Num(node, value=-operand.value, env=operand.env)
            if isinstance(node.operator, cst.Plus):
                return Num(node, value=operand.value, env=operand.env)
        return Unknown(node, reason="unary operation on a value that is not a known number")

    def _binary(self, node: cst.BinaryOperation, scope: Scope, depth: int) -> Value:
        left = self.resolve(node.left, scope, depth)
        right = self.resolve(node.right, scope, depth)
        op = node.operator
        if isinstance(left, Num) and isinstance(right, Num):
            result = _arithmetic(op, left.value, right.value)
            if result is not None:
                return Num(node, value=result, env=left.env or right.env)
        if isinstance(op, cst.Add) and (isinstance(left, Seq) or isinstance(right, Seq)):
            items: list[Value] = []
            complete = True
            for part in (left, right):
                if isinstance(part, Seq):
                    items.extend(part.items)
                    complete = complete and part.complete
                else:
                    complete = False
            return Seq(node, items=tuple(items), complete=complete,
                       is_tuple=isinstance(left, Seq) and left.is_tuple)
        return Unknown(node, reason="arithmetic on values that are not known numbers")

    def _sequence(self, node: cst.BaseExpression, elements: object, scope: Scope, depth: int,
                  is_tuple: bool) -> Seq:
        items: list[Value] = []
        complete = True
        assert isinstance(elements, (list, tuple))
        for element in elements:
            if isinstance(element, cst.StarredElement):
                inner = self.resolve(element.value, scope, depth)
                if isinstance(inner, Seq):
                    items.extend(inner.items)
                    complete = complete and inner.complete
                else:
                    complete = False
            else:
                items.append(self.resolve(element.value, scope, depth))
        return Seq(node, items=tuple(items), complete=complete, is_tuple=is_tuple)

    def _dict(self, node: cst.Dict, scope: Scope, depth: int) -> Mapping:
        items: dict[str, Value] = {}
        complete = True
        for element in node.elements:
            if isinstance(element, cst.StarredDictElement):
                inner = self.resolve(element.value, scope, depth)
                if isinstance(inner, Mapping):
                    items.update(inner.items)
                    complete = complete and inner.complete
                else:
                    complete = False
                continue
            assert isinstance(element, cst.DictElement)
            key = self.resolve(element.key, scope, depth)
            if isinstance(key, Str):
                items[key.value] = self.resolve(element.value, scope, depth)
            else:
                complete = False
        return Mapping(node, items=items, complete=complete)

    def _subscript(self, node: cst.Subscript, scope: Scope) -> Value:
        if self.qualname(node.value, scope) == "os.environ":
            return Unknown(node, reason="environment variable without a default")
        return Unknown(node, reason="subscript expression")

    def _definition(self, node: cst.Name, scope: Scope) -> Defined:
        definition = scope.node
        kind = "class" if isinstance(definition, cst.ClassDef) else "function"
        bases: list[str] = []
        if isinstance(definition, cst.ClassDef) and scope.parent is not None:
            for base in definition.bases:
                if base.keyword is None and not base.star:
                    name = self.qualname(base.value, scope.parent)
                    if name is not None:
                        bases.append(name)
        return Defined(node, name=node.value, kind=kind, bases=tuple(bases), members=Members(self, scope))

    # Calls --------------------------------------------------------------------------------------
    def call(self, node: cst.Call, scope: Scope, depth: int = 0, *, qualname: str | None = None) -> Value:
        """The value of a call; ``qualname`` names the callee when the caller already knows it."""
        qualname = qualname or self.qualname(node.func, scope)
        if qualname is None:
            if isinstance(node.func, cst.Name):
                callee = self.resolve(node.func, scope, depth)
                if isinstance(callee, Defined) and callee.kind == "class":
                    args, kwargs, arg_nodes, complete = self._arguments(node, scope, depth)
                    return Obj(node, qualname=f"<local>.{callee.name}", args=tuple(args), kwargs=kwargs,
                               complete=complete, arg_nodes=arg_nodes, cls=callee)
            return Unknown(node, reason="result of a call lunalint does not follow")
        args, kwargs, arg_nodes, complete = self._arguments(node, scope, depth)
        if qualname in _NUMBER_CASTS and len(args) == 1 and not kwargs:
            return _cast_number(node, args[0])
        if qualname in _ENV_GETTERS:
            return _env_default(node, args, kwargs)
        if qualname == "getattr" and len(args) >= 2:
            owner, attr = args[0], args[1]
            if isinstance(owner, Symbol) and isinstance(attr, Str):
                return Symbol(node, qualname=f"{owner.qualname}.{attr.value}")
            return Unknown(node, reason="getattr on a value that is not statically known")
        if qualname == "dict" and not args:
            return Mapping(node, items=kwargs, complete=complete)
        if qualname in ("list", "tuple") and len(args) == 1 and not kwargs and isinstance(args[0], Seq):
            return replace(args[0], node=node, is_tuple=qualname == "tuple")
        return Obj(node, qualname=qualname, args=tuple(args), kwargs=kwargs, complete=complete,
                   arg_nodes=arg_nodes)

    def _arguments(self, node: cst.Call, scope: Scope, depth: int
                   ) -> tuple[list[Value], dict[str, Value], dict[str, cst.CSTNode], bool]:
        args: list[Value] = []
        kwargs: dict[str, Value] = {}
        arg_nodes: dict[str, cst.CSTNode] = {}
        complete = True
        for arg in node.args:
            if arg.keyword is not None:
                kwargs[arg.keyword.value] = self.resolve(arg.value, scope, depth)
                arg_nodes[arg.keyword.value] = arg
            elif arg.star == "**":
                inner = self.resolve(arg.value, scope, depth)
                if isinstance(inner, Mapping):
                    kwargs.update(inner.items)
                    for key in inner.items:
                        arg_nodes.setdefault(key, arg)
                    complete = complete and inner.complete
                else:
                    complete = False
            elif arg.star == "*":
                inner = self.resolve(arg.value, scope, depth)
                if isinstance(inner, Seq) and inner.complete:
                    args.extend(inner.items)
                else:
                    complete = False
            else:
                args.append(self.resolve(arg.value, scope, depth))
        return args, kwargs, arg_nodes, complete


def _arithmetic(op: cst.BaseBinaryOp, a: float, b: float) -> float | None:
    try:
        if isinstance(op, cst.Add):
            return a + b
        if isinstance(op, cst.Subtract):
            return a - b
        if isinstance(op, cst.Multiply):
            return a * b
        if isinstance(op, cst.Divide):
            return a / b
        if isinstance(op, cst.FloorDivide):
            return float(a // b)
        if isinstance(op, cst.Modulo):
            return a % b
        if isinstance(op, cst.Power) and abs(b) <= 64:
            return float(a ** b)
    except (ZeroDivisionError, OverflowError, ValueError):
        return None
    return None


def _cast_number(node: cst.Call, arg: Value) -> Value:
    if isinstance(arg, Num):
        return replace(arg, node=node, ref=None)
    if isinstance(arg, Str):
        try:
            return Num(node, value=float(arg.value))
        except ValueError:
            return Unknown(node, reason=f"float({arg.value!r}) raises ValueError")
    if isinstance(arg, Missing):
        return Unknown(node)
    return Unknown(node, reason=getattr(arg, "reason", "number of unknown value"))


def _env_default(node: cst.Call, args: list[Value], kwargs: dict[str, Value]) -> Value:
    name = args[0] if args else kwargs.get("key")
    default = args[1] if len(args) > 1 else kwargs.get("default")
    label = name.value if isinstance(name, Str) else None
    if default is None:
        return Unknown(node, reason=f"environment variable {label or ''} without a default".replace("  ", " "))
    if isinstance(default, Str):
        try:
            return Num(node, value=float(default.value), env=label or "an environment variable")
        except ValueError:
            return Unknown(node, reason="environment variable with a non-numeric default")
    if isinstance(default, Num):
        return replace(default, node=node, ref=None, env=label or "an environment variable")
    if isinstance(default, NoneValue):
        return Unknown(node, reason="environment variable with no default value")
    return Unknown(node, reason="environment variable with an unknown default")


_BUILTINS = frozenset({"float", "int", "getattr", "dict", "list", "tuple"})
_MATH_CONSTANTS = {"math.inf": math.inf, "math.nan": math.nan}
