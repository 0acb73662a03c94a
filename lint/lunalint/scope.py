"""One cheap pass over a module: imports, bindings per scope, calls and statements.

This is lunalint's name resolution. It replaces libcst's ``QualifiedNameProvider`` (about 7x the
parse cost) with a single visitor that records only what value resolution needs: which names are
imports (and of what), which are bound exactly once (and to what), and which calls and statements
exist, each with the scope it appears in.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Callable, Union

import libcst as cst

__all__ = [
    "DECLARED_ELSEWHERE", "Binding", "Branch", "DictOp", "ImportOf", "ModuleScan", "Opaque", "Param", "Scope", "Unpacked",
    "ValueOf", "scan_module",
]


@dataclass(frozen=True)
class ImportOf:
    """The name is an imported module or object with this qualified name."""

    qualname: str


# One arm of a statement that runs conditionally, from the binding's scope down to the binding:
# ``(statement, arm)``. ``arm`` is "body"/"orelse" for ``if`` (the statement gives the test), "try",
# "except", "else" for ``try``, and "loop" for loop bodies.
Branch = tuple[cst.CSTNode, str]


@dataclass(frozen=True)
class ValueOf:
    """The name is bound to this expression, evaluated in ``scope``."""

    node: cst.BaseExpression = field(repr=False)
    scope: Scope = field(repr=False)
    # The conditional arms the binding sits in, outermost first (empty: it always runs).
    path: tuple[Branch, ...] = field(default=(), repr=False, compare=False)


@dataclass(frozen=True)
class Opaque:
    """The name is bound in a way lunalint does not follow (parameter, loop target, def, ...)."""

    reason: str
    # For ``def`` and ``class`` statements: the scope of the body, so that a library can look inside
    # a local socket factory or adapter subclass.
    definition: Scope | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class Param(Opaque):
    """A function parameter: its default (evaluated in ``default_scope``, the scope enclosing the
    ``def``), and the body's scope (``function``), where calls bind arguments to it."""

    name: str = ""
    default: cst.BaseExpression | None = field(default=None, repr=False, compare=False)
    default_scope: Scope | None = field(default=None, repr=False, compare=False)
    function: Scope | None = field(default=None, repr=False, compare=False)
    star: str = ""  # "*" or "**" for ``*args`` / ``**kwargs``
    position: int | None = None  # index among the positional parameters (``self`` included)
    annotation: cst.BaseExpression | None = field(default=None, repr=False, compare=False)


@dataclass(frozen=True)
class Unpacked(Opaque):
    """A name bound by unpacking (``url, body = self._request(...)``): the ``index``-th item of
    ``value``, evaluated in ``scope``; value resolution treats it as opaque, evidence may read it."""

    value: cst.BaseExpression | None = field(default=None, repr=False, compare=False)
    scope: Scope | None = field(default=None, repr=False, compare=False)
    index: int = 0


# A dict built in steps: ``d["k"] = v`` ("set"), ``d.update(...)`` ("update", key None),
# ``d.setdefault("k", v)`` ("setdefault"), ``d.pop("k", ...)`` / ``del d["k"]`` ("pop").
DictOp = tuple[str, "str | None", "cst.BaseExpression | None", "tuple[Branch, ...]"]

Binding = Union[ImportOf, ValueOf, Opaque]

# The reason of the ``Opaque`` binding a ``global``/``nonlocal`` statement makes: the name's other
# bindings are in another scope, out of sight of this one.
DECLARED_ELSEWHERE = "global or nonlocal name"


@dataclass(eq=False)
class Scope:
    """A module, class, function or comprehension scope and the names bound in it."""

    kind: str
    parent: Scope | None
    node: cst.CSTNode | None = field(default=None, compare=False, repr=False)  # the def/class/lambda
    names: dict[str, list[Binding]] = field(default_factory=dict)
    # ``name.append(x)`` / ``name.extend(xs)`` / ``name += xs`` calls, in source order.
    mutations: dict[str, list[tuple[str, cst.BaseExpression]]] = field(default_factory=dict)
    # Dicts built in steps (see ``DictOp``), per name, in source order.
    dict_ops: dict[str, list[DictOp]] = field(default_factory=dict)
    # Class scopes: ``self.attr = value`` assignments made in its methods.
    self_attrs: dict[str, list[Binding]] = field(default_factory=dict)
    # Function scopes directly inside a class: the name of the first parameter (``self``).
    self_name: str | None = None
    # Function scopes: the value of each ``return`` in the body (``None`` for a bare ``return``),
    # and whether the body yields (calling it then makes a generator, whatever it returns).
    returns: list[cst.BaseExpression | None] = field(default_factory=list)
    generator: bool = False
    star_imports: list[str] = field(default_factory=list)

    def bind(self, name: str, binding: Binding) -> None:
        self.names.setdefault(name, []).append(binding)

    def lookup(self, name: str) -> list[Binding] | None:
        """Python's lookup rule: own scope, then enclosing functions and module, skipping classes."""
        scope: Scope | None = self
        first = True
        while scope is not None:
            if first or scope.kind != "class":
                found = scope.names.get(name)
                if found is not None:
                    return found
                for module in scope.star_imports:
                    return [ImportOf(f"{module}.{name}")]
            first = False
            scope = scope.parent
        return None

    def inside(self, outer: Scope) -> bool:
        """Whether this scope is ``outer`` or nested in it."""
        return _inside(self, outer)

    def enclosing_class(self) -> Scope | None:
        """For a method scope (or a comprehension in one), the class scope that owns ``self``."""
        method = self._method()
        if method.self_name is not None and method.parent is not None and method.parent.kind == "class":
            return method.parent
        return None

    def _method(self) -> Scope:
        method: Scope = self
        while method.kind == "comprehension" and method.parent is not None:
            method = method.parent
        return method


@dataclass
class ModuleScan:
    """What one pass over a module found."""

    module_scope: Scope
    calls: list[tuple[cst.Call, Scope]] = field(default_factory=list)
    statements: list[cst.CSTNode] = field(default_factory=list)
    # id(call) -> index in ``module.body`` of the top-level statement that contains it.
    call_statement: dict[int, int] = field(default_factory=dict)
    # ``obj.attr = value`` for any ``obj`` (``session.timeout = 10``), in source order.
    attribute_assignments: list[tuple[cst.Attribute, cst.BaseExpression, Scope]] = field(default_factory=list)
    # ``obj["key"] = value`` with a string key (``kwargs["socket_options"] = [...]``).
    item_assignments: list[tuple[str, cst.BaseExpression, Scope]] = field(default_factory=list)
    # ``with``/``async with`` statements, in source order (one-shot clients: ``with Client() as c: ...``).
    withs: list[tuple[cst.With, Scope]] = field(default_factory=list)

    def calls_within(self, scope: Scope) -> list[tuple[cst.Call, Scope]]:
        """The calls made in ``scope`` or in any scope nested inside it."""
        return [(call, where) for call, where in self.calls if _inside(where, scope)]

    def items_within(self, scope: Scope) -> list[tuple[str, cst.BaseExpression, Scope]]:
        return [item for item in self.item_assignments if _inside(item[2], scope)]


def _inside(scope: Scope | None, outer: Scope) -> bool:
    while scope is not None:
        if scope is outer:
            return True
        scope = scope.parent
    return False


_MUTATORS = frozenset({"append", "extend", "insert"})


def _dotted(node: cst.BaseExpression) -> str | None:
    if isinstance(node, cst.Name):
        return node.value
    if isinstance(node, cst.Attribute):
        base = _dotted(node.value)
        return None if base is None else f"{base}.{node.attr.value}"
    return None


# Fields that never hold a statement, call, import or binding: whitespace, brackets, punctuation.
_SKIPPED_FIELD_PREFIXES = (
    "whitespace", "lpar", "rpar", "lbracket", "rbracket", "lbrace", "rbrace", "comma", "dot", "equal",
    "colon", "semicolon", "leading_lines", "lines_after_decorators", "trailing_whitespace", "newline",
    "header", "footer", "operator", "star", "asynchronous", "prefix", "quote", "first_line", "empty_lines",
    "indent", "keyword", "evaluated",
)
_CHILD_FIELDS: dict[type[cst.CSTNode], tuple[str, ...]] = {}


def _child_fields(kind: type[cst.CSTNode]) -> tuple[str, ...]:
    names = _CHILD_FIELDS.get(kind)
    if names is None:
        names = tuple(f.name for f in dataclasses.fields(kind)
                      if not f.name.startswith(_SKIPPED_FIELD_PREFIXES))
        _CHILD_FIELDS[kind] = names
    return names


class _Arm:
    """Stack marker: the walk enters one arm of a conditional statement."""

    __slots__ = ("branch",)

    def __init__(self, statement: cst.CSTNode, arm: str) -> None:
        self.branch: Branch = (statement, arm)


_LEAVE_ARM = object()  # stack marker: the walk leaves the arm it entered last


def _arms(node: cst.CSTNode) -> list[object] | None:
    """The children of a conditional statement with arm markers around each arm (None: not one)."""
    if isinstance(node, cst.If):
        out: list[object] = [node.test, _Arm(node, "body"), node.body, _LEAVE_ARM]
        if node.orelse is not None:
            out += [_Arm(node, "orelse"), node.orelse, _LEAVE_ARM]
        return out
    if isinstance(node, (cst.Try, cst.TryStar)):
        out = [_Arm(node, "try"), node.body, _LEAVE_ARM]
        for handler in node.handlers:
            out += [_Arm(node, "except"), handler, _LEAVE_ARM]
        if node.orelse is not None:
            out += [_Arm(node, "else"), node.orelse, _LEAVE_ARM]
        if node.finalbody is not None:
            out.append(node.finalbody)
        return out
    if isinstance(node, (cst.For, cst.While)):
        head: list[object] = [node.target, node.iter] if isinstance(node, cst.For) else [node.test]
        out = [*head, _Arm(node, "loop"), node.body, _LEAVE_ARM]
        if node.orelse is not None:
            out += [_Arm(node, "loop"), node.orelse, _LEAVE_ARM]
        return out
    if isinstance(node, cst.Match):
        out = [node.subject]
        for case in node.cases:
            out += [_Arm(node, "case"), case, _LEAVE_ARM]
        return out
    return None


_DICT_METHODS = frozenset({"update", "setdefault", "pop"})
_ARM_TYPES = frozenset({cst.If, cst.Try, cst.TryStar, cst.For, cst.While, cst.Match})


class _Scanner:
    """Walks the tree with an explicit stack (libcst's visitor rebuilds every node it visits)."""

    def __init__(self) -> None:
        self.scope = Scope("module", None)
        self.result = ModuleScan(self.scope)
        self.top = 0
        self.branches: list[Branch] = []  # the arms the walk is in, within the current scope
        self._saved_branches: list[list[Branch]] = []
        self._visit: dict[type[cst.CSTNode], Callable[[cst.CSTNode], None]] = {
            cst.Import: self._import,  # type: ignore[dict-item]
            cst.ImportFrom: self._import_from,  # type: ignore[dict-item]
            cst.Assign: self._assign,  # type: ignore[dict-item]
            cst.AnnAssign: self._ann_assign,  # type: ignore[dict-item]
            cst.AugAssign: self._aug_assign,  # type: ignore[dict-item]
            cst.Call: self._call,  # type: ignore[dict-item]
            cst.FunctionDef: self._function,  # type: ignore[dict-item]
            cst.Lambda: self._lambda,  # type: ignore[dict-item]
            cst.ClassDef: self._class,  # type: ignore[dict-item]
            cst.For: self._for,  # type: ignore[dict-item]
            cst.With: self._with,  # type: ignore[dict-item]
            cst.ExceptHandler: self._except,  # type: ignore[dict-item]
            cst.NamedExpr: self._walrus,  # type: ignore[dict-item]
            cst.Global: self._global,  # type: ignore[dict-item]
            cst.Nonlocal: self._global,  # type: ignore[dict-item]
            cst.Del: self._del,  # type: ignore[dict-item]
            cst.Return: self._return,  # type: ignore[dict-item]
            cst.Yield: self._yield,  # type: ignore[dict-item]
            cst.ListComp: self._comprehension,  # type: ignore[dict-item]
            cst.SetComp: self._comprehension,  # type: ignore[dict-item]
            cst.DictComp: self._comprehension,  # type: ignore[dict-item]
            cst.GeneratorExp: self._comprehension,  # type: ignore[dict-item]
        }
        self._scoped = (cst.FunctionDef, cst.Lambda, cst.ClassDef, cst.ListComp, cst.SetComp,
                        cst.DictComp, cst.GeneratorExp)
        self._statement_types = (cst.SimpleStatementLine, cst.BaseCompoundStatement)

    def walk(self, module: cst.Module) -> None:
        for index, statement in enumerate(module.body):
            self.top = index
            self._walk(statement)

    def _walk(self, root: cst.CSTNode) -> None:
        leave = object()  # marker: the next stack item is a scope to leave
        stack: list[object] = [root]
        handlers = self._visit
        statements = self.result.statements
        while stack:
            node = stack.pop()
            if node is leave:
                assert self.scope.parent is not None
                self.scope = self.scope.parent
                self.branches = self._saved_branches.pop()
                continue
            if node is _LEAVE_ARM:
                self.branches.pop()
                continue
            if isinstance(node, _Arm):
                self.branches.append(node.branch)
                continue
            assert isinstance(node, cst.CSTNode)
            kind = type(node)
            handler = handlers.get(kind)
            if handler is not None:
                handler(node)
            if isinstance(node, self._statement_types):
                statements.append(node)
            if isinstance(node, self._scoped):
                stack.append(leave)
            arms = _arms(node) if kind in _ARM_TYPES else None
            if arms is not None:
                stack.extend(reversed(arms))
                continue
            children: list[cst.CSTNode] = []
            for name in _child_fields(kind):
                value = getattr(node, name)
                if isinstance(value, cst.CSTNode):
                    children.append(value)
                elif isinstance(value, (list, tuple)):
                    children.extend(item for item in value if isinstance(item, cst.CSTNode))
            stack.extend(reversed(children))

    # Helpers ------------------------------------------------------------------------------------
    def _push(self, kind: str, node: cst.CSTNode | None = None) -> Scope:
        self.scope = Scope(kind, self.scope, node)
        self._saved_branches.append(self.branches)
        self.branches = []
        return self.scope

    def _bind_target(self, target: cst.BaseExpression, value: cst.BaseExpression | None,
                     reason: str, scope: Scope | None = None) -> None:
        scope = scope or self.scope
        if isinstance(target, cst.Name):
            path = tuple(self.branches) if scope is self.scope else ()
            scope.bind(target.value, ValueOf(value, scope, path) if value is not None else Opaque(reason))
        elif isinstance(target, (cst.Tuple, cst.List)):
            items = None
            if isinstance(value, (cst.Tuple, cst.List)) and len(value.elements) == len(target.elements):
                items = [e.value for e in value.elements]
                if any(isinstance(e, cst.StarredElement) for e in value.elements):
                    items = None
            for index, element in enumerate(target.elements):
                item = items[index] if items is not None else None
                if item is None and value is not None and isinstance(element.value, cst.Name) and not any(
                        isinstance(e, cst.StarredElement) for e in target.elements):
                    scope.bind(element.value.value, Unpacked(reason or "unpacked", value=value, scope=scope,
                                                             index=index))
                    continue
                self._bind_target(element.value, item, reason or "unpacked", scope)
        elif isinstance(target, cst.StarredElement):
            self._bind_target(target.value, None, "starred target", scope)
        elif isinstance(target, cst.Attribute):
            if value is not None:
                self.result.attribute_assignments.append((target, value, self.scope))
            owner = self.scope.enclosing_class()
            if (owner is not None and isinstance(target.value, cst.Name)
                    and target.value.value == self.scope.self_name):
                binding: Binding = (ValueOf(value, self.scope, tuple(self.branches)) if value is not None
                                    else Opaque(reason))
                owner.self_attrs.setdefault(target.attr.value, []).append(binding)
        elif isinstance(target, cst.Subscript) and value is not None and len(target.slice) == 1:
            subscript = target.slice[0].slice
            if isinstance(subscript, cst.Index) and isinstance(subscript.value, cst.SimpleString):
                key = subscript.value.evaluated_value
                if isinstance(key, str):
                    self.result.item_assignments.append((key, value, self.scope))
                    if isinstance(target.value, cst.Name):
                        self.scope.dict_ops.setdefault(target.value.value, []).append(
                            ("set", key, value, tuple(self.branches)))

    # Handlers -----------------------------------------------------------------------------------
    def _import(self, node: cst.Import) -> None:
        for alias in node.names:
            full = _dotted(alias.name)
            if full is None:
                continue
            if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
                self.scope.bind(alias.asname.name.value, ImportOf(full))
            else:
                top = full.split(".", 1)[0]
                self.scope.bind(top, ImportOf(top))

    def _import_from(self, node: cst.ImportFrom) -> None:
        module = _dotted(node.module) if node.module is not None else ""
        if module is None:
            return
        module = "." * len(node.relative) + module
        if isinstance(node.names, cst.ImportStar):
            self.scope.star_imports.append(module)
            return
        for alias in node.names:
            name = _dotted(alias.name)
            if name is None:
                continue
            local = name
            if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
                local = alias.asname.name.value
            qualname = f"{module}{name}" if module.endswith(".") else f"{module}.{name}" if module else name
            self.scope.bind(local, ImportOf(qualname))

    def _assign(self, node: cst.Assign) -> None:
        for target in node.targets:
            self._bind_target(target.target, node.value, "assignment")

    def _ann_assign(self, node: cst.AnnAssign) -> None:
        if node.value is not None:
            self._bind_target(node.target, node.value, "assignment")

    def _aug_assign(self, node: cst.AugAssign) -> None:
        target = node.target
        if isinstance(target, cst.Name) and isinstance(node.operator, cst.AddAssign):
            self.scope.mutations.setdefault(target.value, []).append(("extend", node.value))
        else:
            self._bind_target(target, None, "augmented assignment")

    def _call(self, node: cst.Call) -> None:
        self.result.calls.append((node, self.scope))
        self.result.call_statement[id(node)] = self.top
        func = node.func
        if (isinstance(func, cst.Attribute) and isinstance(func.value, cst.Name)
                and func.attr.value in _MUTATORS and node.args):
            arg = node.args[-1].value
            kind = "append" if func.attr.value in ("append", "insert") else "extend"
            self.scope.mutations.setdefault(func.value.value, []).append((kind, arg))
        if isinstance(func, cst.Attribute) and isinstance(func.value, cst.Name) and func.attr.value in _DICT_METHODS:
            self._dict_method(func.value.value, func.attr.value, node)

    def _dict_method(self, name: str, method: str, node: cst.Call) -> None:
        path = tuple(self.branches)
        ops = self.scope.dict_ops.setdefault(name, [])
        if method == "update":
            if len(node.args) == 1 and node.args[0].keyword is None and not node.args[0].star:
                ops.append(("update", None, node.args[0].value, path))
            elif all(arg.keyword is not None for arg in node.args):
                for arg in node.args:
                    assert arg.keyword is not None
                    ops.append(("set", arg.keyword.value, arg.value, path))
            else:
                ops.append(("update", None, None, path))  # not followed: any key may change
            return
        first = node.args[0].value if node.args else None
        key = first.evaluated_value if isinstance(first, cst.SimpleString) else None
        if not isinstance(key, str):
            ops.append(("update", None, None, path))
            return
        value = node.args[1].value if len(node.args) > 1 else None
        ops.append(("setdefault" if method == "setdefault" else "pop", key, value, path))

    def _function(self, node: cst.FunctionDef) -> None:
        outer = self.scope
        in_class = outer.kind == "class"
        scope = self._push("function", node)
        outer.bind(node.name.value, Opaque("function definition", scope))
        self._bind_params(node.params, scope)
        if in_class:
            params = node.params.posonly_params or node.params.params
            if params:
                scope.self_name = params[0].name.value

    def _lambda(self, node: cst.Lambda) -> None:
        self._bind_params(node.params, self._push("function", node))

    @staticmethod
    def _bind_params(params: cst.Parameters, scope: Scope) -> None:
        positional = [*params.posonly_params, *params.params]
        for index, param in enumerate(positional):
            scope.bind(param.name.value, Param("function parameter", name=param.name.value, default=param.default,
                                               default_scope=scope.parent, function=scope, position=index,
                                               annotation=_annotation(param)))
        for param in params.kwonly_params:
            scope.bind(param.name.value, Param("function parameter", name=param.name.value, default=param.default,
                                               default_scope=scope.parent, function=scope,
                                               annotation=_annotation(param)))
        for star, kind in ((params.star_arg, "*"), (params.star_kwarg, "**")):
            if isinstance(star, cst.Param):
                scope.bind(star.name.value, Param("function parameter", name=star.name.value, function=scope,
                                                  star=kind))

    def _class(self, node: cst.ClassDef) -> None:
        outer = self.scope
        scope = self._push("class", node)
        outer.bind(node.name.value, Opaque("class definition", scope))

    def _for(self, node: cst.For) -> None:
        self._bind_target(node.target, None, "loop variable")

    def _with(self, node: cst.With) -> None:
        self.result.withs.append((node, self.scope))
        for item in node.items:
            if item.asname is not None:
                self._bind_target(item.asname.name, item.item, "with target")

    def _except(self, node: cst.ExceptHandler) -> None:
        if node.name is not None:
            self._bind_target(node.name.name, None, "exception name")

    def _walrus(self, node: cst.NamedExpr) -> None:
        self._bind_target(node.target, node.value, "assignment expression")

    def _global(self, node: cst.Global | cst.Nonlocal) -> None:
        for item in node.names:
            self.scope.bind(item.name.value, Opaque(DECLARED_ELSEWHERE))

    def _del(self, node: cst.Del) -> None:
        target = node.target
        if (isinstance(target, cst.Subscript) and isinstance(target.value, cst.Name) and len(target.slice) == 1
                and isinstance(target.slice[0].slice, cst.Index)
                and isinstance(target.slice[0].slice.value, cst.SimpleString)):
            key = target.slice[0].slice.value.evaluated_value
            if isinstance(key, str):
                self.scope.dict_ops.setdefault(target.value.value, []).append(("pop", key, None, tuple(self.branches)))
                return
        self._bind_target(target, None, "deleted")

    def _return(self, node: cst.Return) -> None:
        self.scope.returns.append(node.value)

    def _yield(self, node: cst.Yield) -> None:
        self.scope.generator = True

    def _comprehension(self, node: cst.BaseComp) -> None:
        scope = self._push("comprehension")
        clause: cst.CompFor | None = node.for_in
        while clause is not None:
            self._bind_target(clause.target, None, "comprehension variable", scope)
            clause = clause.inner_for_in
        outer = scope.parent
        if outer is not None and outer.self_name is not None and outer.self_name not in scope.names:
            scope.self_name = outer.self_name  # ``[self.send(x) for x in xs]`` in a method


def _annotation(param: cst.Param) -> cst.BaseExpression | None:
    return param.annotation.annotation if param.annotation is not None else None


def scan_module(module: cst.Module) -> ModuleScan:
    """Record imports, bindings, calls and statements of ``module`` in one traversal."""
    scanner = _Scanner()
    scanner.walk(module)
    return scanner.result
