"""Value resolution: the ``Value`` an expression of one module has, as far as a static reader can know.

``Resolver`` follows names through the bindings ``scope.scan_module`` found (imports, single
assignments, aliases), literals and arithmetic on them, calls to known qualified names (their
arguments resolved, ``**kwargs`` dicts merged), environment defaults (``os.getenv("X", "600")``)
and local ``def``/``class`` bodies (``Members``). What cannot be known is ``Unknown``.
"""

from __future__ import annotations

import math
from dataclasses import replace

import libcst as cst

from lunalint.scope import ImportOf, ModuleScan, Opaque, Scope, ValueOf
from lunalint.values import (
    Bool, Defined, Dict, Missing, NoneValue, Num, Obj, Seq, Str, Symbol, Unknown, Value,
)

__all__ = ["Members", "Resolver"]

_MAX_DEPTH = 40


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
            if target.attr.value == name and scope.inside(self._scope):
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

    def _dict(self, node: cst.Dict, scope: Scope, depth: int) -> Dict:
        items: dict[str, Value] = {}
        complete = True
        for element in node.elements:
            if isinstance(element, cst.StarredDictElement):
                inner = self.resolve(element.value, scope, depth)
                if isinstance(inner, Dict):
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
        return Dict(node, items=items, complete=complete)

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
            return Dict(node, items=kwargs, complete=complete)
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
                if isinstance(inner, Dict):
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
