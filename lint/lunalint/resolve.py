"""Value resolution: the ``Value`` an expression of one module has, as far as a static reader can know.

``Resolver`` follows names through the bindings ``scope.scan_module`` found (imports, single
assignments, aliases), literals and arithmetic on them, calls to known qualified names (their
arguments resolved, ``**kwargs`` dicts merged), environment defaults (``os.getenv("X", "600")``)
and local ``def``/``class`` bodies (``Members``). What cannot be known is ``Unknown``.
"""

from __future__ import annotations

import math
from dataclasses import replace
from typing import Protocol

import libcst as cst

from lunalint.libraries import canonical
from lunalint.scope import DECLARED_ELSEWHERE, Branch, ImportOf, ModuleScan, Opaque, Param, Scope, ValueOf
from lunalint.values import (
    BUILT_REQUEST, BY_DEFAULT, Bool, Defined, Dict, Missing, NoneValue, Num, Obj, Seq, Str, Symbol, Unknown, Value,
    describe,
)

__all__ = ["Members", "Resolver"]

_MAX_DEPTH = 40


class Members:
    """What the body of a local ``def`` or ``class`` does with a name, resolved on demand."""

    def __init__(self, resolver: Resolver, scope: Scope) -> None:
        self._resolver = resolver
        self._scope = scope

    @property
    def scope(self) -> Scope:
        return self._scope

    @property
    def resolver(self) -> Resolver:
        return self._resolver

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

    def __init__(self, scan: ModuleScan, project: ProjectLookup | None = None, module_name: str = "") -> None:
        self.scan = scan
        self.project = project  # other modules of the checked tree, when known
        self.module_name = module_name  # this module's dotted name, for relative imports
        self.client_modules: frozenset[str] = frozenset()
        if project is not None:
            from lunalint.libraries import client_modules

            self.client_modules = frozenset(client_modules())
        # id(function scope) -> its parameters' values in the call being followed
        self._frames: dict[int, dict[str, Value]] = {}
        self._call_scopes: dict[int, Scope] | None = None
        self._known: dict[object, Value] = {}  # id(bindings of a name) -> its value, outside any call
        self._calls: dict[tuple[object, ...], Value] = {}  # run_function's results
        self._context: object = ()  # the calls being followed and their arguments (``_frames_key``)
        self._known_in: dict[object, Value] = {}  # (id(bindings), context) -> a name's value in that context
        self._in_progress: set[object] = set()  # keys of those two being worked out
        # (id(function scope), name) -> a ``global`` name's bindings there and in the module
        self._merged: dict[tuple[int, str], list[ImportOf | ValueOf | Opaque]] = {}
        self._selecting = False
        # id(class scope) -> the resolver of the module that defines it (a base class imported
        # from another module of the project is read with that module's names)
        self._owners: dict[int, Resolver] = {}
        self.constructors: frozenset[str] = frozenset()  # client classes a local class may derive from

    # Names --------------------------------------------------------------------------------------
    def qualname(self, node: cst.BaseExpression, scope: Scope) -> str | None:
        """The qualified name an expression refers to, when it is an import (or attribute of one)."""
        if isinstance(node, cst.Name):
            bindings = scope.lookup(node.value)
            if bindings is None:
                return node.value if node.value in _BUILTINS else None
            bindings = self._chosen(_module_bindings(bindings))
            if len(bindings) == 1 and isinstance(bindings[0], Param) and bindings[0].default is not None:
                # ``def make(client_cls=httpx.AsyncClient)``: the class a caller who passes nothing gets
                param = bindings[0]
                frame = self._frames.get(id(param.function)) if param.function is not None else None
                if frame is None and param.default_scope is not None and param.default is not None:
                    return self.qualname(param.default, param.default_scope)
                return None
            if len(bindings) == 1 and isinstance(bindings[0], ImportOf):
                return canonical(bindings[0].qualname)
            if len(bindings) == 1 and isinstance(bindings[0], ValueOf):
                # ``Client = httpx.Client`` style aliases.
                target = bindings[0].node
                if isinstance(target, (cst.Name, cst.Attribute)) and target is not node:
                    return self.qualname(target, bindings[0].scope)
                if isinstance(target, cst.Call):  # ``importlib.import_module("openai")``
                    return self._imported_module(target, bindings[0].scope) \
                        or self._returned_module(target, bindings[0].scope)
            return None
        if isinstance(node, cst.Attribute):
            base = self.qualname(node.value, scope)
            return None if base is None else canonical(f"{base}.{node.attr.value}")
        return None

    def _chosen(self, bindings: list[ImportOf | ValueOf | Opaque]) -> list[ImportOf | ValueOf | Opaque]:
        """``if TYPE_CHECKING: Base = X / else: Base = Y``: the one binding made when the program
        runs, when the conditions decide it; else all of them."""
        if len(bindings) < 2 or self._selecting or not all(isinstance(b, ValueOf) and b.path for b in bindings):
            return bindings
        self._selecting = True  # the tests' own names are not selected again (no cycle)
        try:
            chosen: list[ImportOf | ValueOf | Opaque] = [
                b for b in bindings if isinstance(b, ValueOf) and self._path_taken(b.path, [], 0, [], b.scope)
                is not False]
        finally:
            self._selecting = False
        return chosen if len(chosen) == 1 else bindings

    def class_of(self, node: cst.BaseExpression, scope: Scope, hops: int = 0) -> Defined | None:
        """The class ``node`` names when lunalint can read its body: a class of this module, through
        aliases (``Base = _Base``, also chosen under ``if TYPE_CHECKING``), or a class another module
        of the checked tree defines (``from .base import BaseClient``)."""
        if hops > _MAX_BASES:
            return None
        if isinstance(node, cst.Attribute):
            qualname = self.qualname(node, scope)
            return self._project_class(qualname, node) if qualname is not None else None
        if not isinstance(node, cst.Name):
            return None
        bindings = scope.lookup(node.value)
        if not bindings:
            return None
        bindings = self._chosen(_module_bindings(bindings))
        if len(bindings) != 1:
            return None
        binding = bindings[0]
        if isinstance(binding, ImportOf):
            return self._project_class(binding.qualname, node)
        if isinstance(binding, ValueOf):
            target = binding.node
            return self.class_of(target, binding.scope, hops + 1) if isinstance(target, (cst.Name, cst.Attribute)) \
                else None
        if isinstance(binding, Param) or binding.definition is None or binding.definition.kind != "class":
            return None
        return self._definition(node, binding.definition)

    def _project_class(self, qualname: str, node: cst.BaseExpression) -> Defined | None:
        found = self._from_project(qualname, node, 0)
        if isinstance(found, Defined) and found.kind == "class" and found.members is not None:
            return found
        return None

    def _returned_module(self, call: cst.Call, scope: Scope) -> str | None:
        """``aiohttp = _import_aiohttp()``: a local function without arguments that returns a module
        it imports (a lazy import helper)."""
        if call.args or self._selecting:
            return None
        body = self._function_scope(call.func, scope)
        if body is None or len(body.returns) != 1 or not isinstance(body.returns[0], cst.Name):
            return None
        bindings = body.names.get(body.returns[0].value)
        if not bindings or not all(isinstance(b, ImportOf) for b in bindings):
            return None
        return self.qualname(body.returns[0], body)

    def _imported_module(self, call: cst.Call, scope: Scope) -> str | None:
        if (len(call.args) == 1 and isinstance(call.args[0].value, cst.SimpleString)
                and self.qualname(call.func, scope) in _IMPORTERS):
            name = call.args[0].value.evaluated_value
            return name if isinstance(name, str) and name and not name.startswith(".") else None
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
        if isinstance(node, cst.BooleanOperation):
            return self._boolean(node, scope, depth)
        if isinstance(node, cst.IfExp):
            return self._if_expression(node, scope, depth)
        if isinstance(node, cst.Await) and isinstance(node.expression, cst.Call):
            return self.call(node.expression, scope, depth, awaited=True)
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
        if any(isinstance(b, Opaque) and b.reason == DECLARED_ELSEWHERE for b in bindings):
            bindings = self._declared_elsewhere(node.value, scope, bindings)
        return self._from_bindings(node, node.value, bindings, scope, depth)

    def _declared_elsewhere(self, name: str, scope: Scope, bindings: list[ImportOf | ValueOf | Opaque]
                            ) -> list[ImportOf | ValueOf | Opaque]:
        """``global name`` (or ``nonlocal``) in a function: the name's bindings in the scope that
        owns it, with this function's own assignments to it."""
        key = (id(scope), name)
        merged = self._merged.get(key)
        if merged is None:
            owner = scope.parent
            while owner is not None and (owner.kind == "class" or name not in owner.names):
                owner = owner.parent
            own = [b for b in bindings if not (isinstance(b, Opaque) and b.reason == DECLARED_ELSEWHERE)]
            merged = self._merged[key] = [*(owner.names[name] if owner is not None else []), *own]
        return merged

    def _from_bindings(self, node: cst.BaseExpression, label: str, bindings: list[ImportOf | ValueOf | Opaque],
                       scope: Scope, depth: int) -> Value:
        """The value of a name through its bindings; the same at every use while no call's
        arguments are bound (then remembered, so that following stays linear in the file)."""
        key: object = (id(bindings), self._context) if self._frames else id(bindings)
        cache = self._known_in if self._frames else self._known
        known = cache.get(key)
        if known is None:
            cache[key] = Unknown(node, reason=f"{label!r} depends on itself")  # a cycle stops here
            self._in_progress.add(key)
            try:
                known = cache[key] = self._bindings_value(node, label, bindings, depth)
            finally:
                self._in_progress.discard(key)
        elif key in self._in_progress:
            # Read while its own binding is evaluated (``client_kwargs = client_kwargs or {}``): a
            # parameter's name there is the parameter.
            params = [b for b in bindings if isinstance(b, Param)]
            if len(params) == 1 and not params[0].star:
                return self._parameter(node, params[0], depth)
        return replace(known, ref=node) if not isinstance(known, Defined) else known

    def _push(self, body: int, frame: dict[str, Value]) -> None:
        """Follow a call of the function ``body`` with its parameters bound as ``frame`` says."""
        self._frames[body] = frame
        self._context = _frames_key(self._frames)

    def _pop(self, body: int) -> None:
        del self._frames[body]
        self._context = _frames_key(self._frames)

    def _bindings_value(self, node: cst.BaseExpression, label: str, bindings: list[ImportOf | ValueOf | Opaque],
                        depth: int) -> Value:
        bindings = _module_bindings(bindings)
        if len(bindings) != 1:
            return self._several(node, label, bindings, depth)
        binding = bindings[0]
        if isinstance(binding, ImportOf):
            return self._imported(node, binding.qualname, depth)
        if isinstance(binding, Param):
            return self._parameter(node, binding, depth)
        if isinstance(binding, Opaque):
            if binding.definition is not None and isinstance(node, cst.Name):
                return self._definition(node, binding.definition)
            return Unknown(node, reason=f"{label!r} is a {binding.reason}")
        value = self.resolve(binding.node, binding.scope, depth)
        if isinstance(value, Seq) and isinstance(node, cst.Name):
            value = self._with_mutations(value, node.value, binding.scope, depth)
        if isinstance(value, Dict) and isinstance(node, cst.Name):
            value = self._with_dict_ops(value, binding.scope.dict_ops.get(node.value, ()), binding.scope, depth,
                                        binding.path)
        return replace(value, ref=node)

    def _imported(self, node: cst.BaseExpression, qualname: str, depth: int) -> Value:
        """An imported name: a module-level binding of another module of the project, when the
        project index can read it, else a ``Symbol``."""
        found = self._from_project(qualname, node, depth)
        return found if found is not None else Symbol(node, qualname=qualname)

    def _from_project(self, qualname: str, node: cst.BaseExpression, depth: int) -> Value | None:
        if self.project is None or qualname.split(".", 1)[0] in self.client_modules:
            return None
        found = self.project.lookup(qualname, self.module_name, depth)
        if found is None:
            return None
        from lunalint.project import reanchor

        return found if isinstance(found, Defined) else reanchor(found, node)

    def module_attribute(self, attributes: list[str], depth: int) -> Value | None:
        """The value of ``name.attr...`` bound at this module's top level (None: not bound here)."""
        scope = self.scan.module_scope
        if attributes[0] not in scope.names:
            return None
        value = self.resolve(cst.Name(attributes[0]), scope, depth)
        for attribute in attributes[1:]:
            value = self._member(value, attribute, value.node, depth)
        return None if isinstance(value, Unknown) and not attributes[1:] and "is not defined" in value.reason \
            else value

    def _member(self, value: Value, name: str, node: cst.CSTNode, depth: int) -> Value:
        """``value.name`` for an instance of a class defined in a module lunalint reads (a keyword
        given to the constructor, else the class's field or attribute) or for such a class."""
        if isinstance(value, Obj) and value.cls is not None and value.cls.members is not None:
            if name in value.kwargs and value.cls.kind == "class":
                return value.kwargs[name]
            members = value.cls.members
            return members.resolver._named_attribute(name, node, members.scope, depth)
        if isinstance(value, Defined) and value.kind == "class" and value.members is not None:
            return value.members.resolver._named_attribute(name, node, value.members.scope, depth)
        return Unknown(node, reason="attribute of a value that is not statically known")

    # Parameters and several bindings ------------------------------------------------------------
    def _parameter(self, node: cst.BaseExpression, param: Param, depth: int) -> Value:
        """A parameter: the argument of the call being followed, else its default."""
        frame = self._frames.get(id(param.function)) if param.function is not None else None
        if frame is not None and param.name in frame:
            given = frame[param.name]
            if not isinstance(given, Missing):
                return replace(given, ref=node)
        if param.star == "**":
            given_kwargs = frame.get("**") if frame is not None else None
            base = given_kwargs if isinstance(given_kwargs, Dict) else Dict(node, items={}, complete=False)
            ops = param.function.dict_ops.get(param.name, ()) if param.function is not None else ()
            if not ops and given_kwargs is None:
                return Unknown(node, reason=f"'{param.name}' is a **kwargs parameter")
            folded = self._with_dict_ops(base, ops, param.function or _NO_SCOPE, depth,
                                         callers_keys=given_kwargs is None)
            return replace(folded, ref=node)
        if param.default is None or param.default_scope is None:
            if frame is not None and param.name in frame:
                return Unknown(node, reason=f"parameter {param.name!r} is not passed")
            return Unknown(node, reason=f"{param.name!r} is a function parameter")
        value = self.resolve(param.default, param.default_scope, depth)
        if frame is not None:  # the call leaves it out: the default is what it gets
            return replace(value, ref=node)
        origin = f"{BY_DEFAULT}parameter `{param.name}` defaults to {_short(param.default, value)}"
        return _originated(replace(value, ref=node), value.origin or origin)

    def _several(self, node: cst.BaseExpression, label: str, bindings: list[ImportOf | ValueOf | Opaque],
                 depth: int) -> Value:
        """A name bound on several paths: the value on the path taken with the environment unset
        and parameters left to their defaults, when the conditions decide it; else the one value
        every path gives; else ``Unknown``."""
        for binding in bindings:
            if isinstance(binding, (ImportOf, Opaque)) and not isinstance(binding, Param):
                return Unknown(node, reason=f"{label!r} is bound more than once")
        if len(bindings) > _MAX_PATHS:
            return Unknown(node, reason=f"{label!r} is bound more than once")
        if any(isinstance(b, ValueOf) and _lazy(b.path, label) for b in bindings):
            # ``if _client is None: _client = Client()``: made once, on first use; the None it
            # starts as is never what the name gives after that test. For a parameter (``def
            # get(http_client=None)``, or one callers pass None to), what it gets when it is None.
            rest = [b for b in bindings if not (isinstance(b, ValueOf) and isinstance(b.node, cst.Name)
                                                and b.node.value == "None")]
            given = [b for b in rest if isinstance(b, Param) and not b.star and (
                b.default is None or (isinstance(b.default, cst.Name) and b.default.value == "None"))]
            frame = self._frames.get(id(given[0].function)) if given and given[0].function is not None else None
            passed = frame is not None and not isinstance(frame.get(given[0].name, Missing(node)), (Missing, Unknown))
            if len(given) == 1 and len(rest) == 2 and not passed:
                built = self._bindings_value(node, label, [b for b in rest if b is not given[0]], depth)
                if isinstance(built, Obj):
                    return _originated(built, built.origin or f"when `{label}` is None")
            if len(rest) == 1:
                return self._bindings_value(node, label, rest, depth)
            bindings = rest
        taken: list[ImportOf | ValueOf | Opaque] = []
        decided = True
        reasons: list[str] = []
        for binding in bindings:
            path = binding.path if isinstance(binding, ValueOf) else ()
            truth = self._path_taken(path, bindings, depth, reasons, binding.scope if isinstance(binding, ValueOf)
                                     else None)
            if truth is None:
                decided = False
            if truth is not False:
                taken.append(binding)
        if not taken:
            return Unknown(node, reason=f"{label!r} is bound more than once")
        scopes = {id(b.scope) if isinstance(b, ValueOf) else id(b.function) if isinstance(b, Param) else 0
                  for b in bindings}
        branching = any(isinstance(b, Param) or (isinstance(b, ValueOf) and b.path) for b in bindings)
        # In one body, with conditions that decide: the last binding on the path taken is the value
        # (plain rebinding in sequence stays unknown: a use between the bindings sees another one).
        if decided and branching and len(scopes) == 1:
            value = self._bindings_value(node, label, [taken[-1]], depth)
            if reasons and not isinstance(value, Unknown):
                origin = ", ".join(dict.fromkeys(reasons))
                return _originated(value, f"{origin}, {value.origin}" if value.origin else origin)
            return value
        values = [self._bindings_value(node, label, [binding], depth) for binding in taken]
        return _agreed(node, label, values)

    def _path_taken(self, path: tuple[Branch, ...], bindings: list[ImportOf | ValueOf | Opaque], depth: int,
                    reasons: list[str], scope: Scope | None = None) -> bool | None:
        """Whether every arm of ``path`` runs with the environment unset and parameters at their
        defaults (None: not known)."""
        result: bool | None = True
        for statement, arm in path:
            if isinstance(statement, cst.If) and arm in ("body", "orelse"):
                truth = self._truth(statement.test, bindings, depth, reasons, scope)
                if truth is None:
                    result = None
                elif truth != (arm == "body"):
                    return False
            elif isinstance(statement, (cst.Try, cst.TryStar)) and arm in ("try", "else"):
                continue  # the usual path: nothing raised
            elif isinstance(statement, (cst.Try, cst.TryStar)) and arm == "except":
                return False
            else:
                result = None
        return result

    def _truth(self, test: cst.BaseExpression, bindings: list[ImportOf | ValueOf | Opaque], depth: int,
               reasons: list[str], scope: Scope | None = None) -> bool | None:
        """The truth of an ``if`` test with the environment unset and parameters at their defaults."""
        if isinstance(test, cst.UnaryOperation) and isinstance(test.operator, cst.Not):
            inner = self._truth(test.expression, bindings, depth, reasons, scope)
            return None if inner is None else not inner
        if isinstance(test, cst.BooleanOperation):
            left = self._truth(test.left, bindings, depth, reasons, scope)
            right = self._truth(test.right, bindings, depth, reasons, scope)
            if isinstance(test.operator, cst.And):
                return False if False in (left, right) else (None if None in (left, right) else True)
            return True if True in (left, right) else (None if None in (left, right) else False)
        if isinstance(test, cst.Comparison) and len(test.comparisons) == 1:
            target = test.comparisons[0]
            operator = target.operator
            if isinstance(operator, (cst.Is, cst.IsNot)) and isinstance(target.comparator, cst.Name) \
                    and target.comparator.value == "None":
                value = self._test_value(test.left, bindings, depth, reasons, scope)
                if value is None:
                    return None
                is_none = isinstance(value, NoneValue)
                return is_none if isinstance(operator, cst.Is) else not is_none
            if isinstance(operator, (cst.In, cst.NotIn)) and self._environ(target.comparator):
                env = test.left.evaluated_value if isinstance(test.left, cst.SimpleString) else None
                reasons.append(f"with {env} unset" if isinstance(env, str) else "with the environment unset")
                return isinstance(operator, cst.NotIn)
            return None
        if isinstance(test, cst.Call) and scope is not None and depth < _MAX_DEPTH // 2 \
                and self._env_name(test) is None:
            return self._call_truth(test, bindings, depth, reasons, scope)
        value = self._test_value(test, bindings, depth, reasons, scope)
        return None if value is None else _truthy(value)

    def _call_truth(self, test: cst.Call, bindings: list[ImportOf | ValueOf | Opaque], depth: int,
                    reasons: list[str], scope: Scope) -> bool | None:
        """``isinstance(x, C)``, or a predicate function (of this module or the project) whose body is
        one ``return`` of a test (``is_given(timeout)``: ``not isinstance(obj, NotGiven)``)."""
        if any(arg.keyword is not None or arg.star for arg in test.args):
            return None
        values: list[Value] = []
        for arg in test.args[:1] if isinstance(test.func, cst.Name) and test.func.value == "isinstance" \
                else test.args:
            value = self._test_value(arg.value, bindings, depth, reasons, scope)
            if value is None:
                return None
            values.append(value)
        if isinstance(test.func, cst.Name) and test.func.value == "isinstance" and scope.lookup("isinstance") is None:
            return self._isinstance(values[0], test.args[1].value, scope) if len(test.args) == 2 else None
        owner: Resolver = self
        body = self._function_scope(test.func, scope)
        if body is None:
            qualname = self.qualname(test.func, scope)
            found = self._from_project(qualname, test, depth) if qualname is not None else None
            if not isinstance(found, Defined) or found.kind != "function" or found.members is None:
                return None
            owner, body = found.members.resolver, found.members.scope
        if not isinstance(body.node, cst.FunctionDef) or body.generator or len(body.returns) != 1 \
                or body.returns[0] is None or id(body) in owner._frames or body.node.asynchronous is not None:
            return None
        params = sorted((b for names in body.names.values() for b in names
                         if isinstance(b, Param) and b.function is body and b.position is not None and not b.star),
                        key=lambda b: b.position or 0)
        if len(params) < len(values):
            return None
        frame: dict[str, Value] = {param.name: Missing(test) for param in params}
        frame.update((param.name, value) for param, value in zip(params, values))
        owner._push(id(body), frame)
        try:
            return owner._truth(body.returns[0], [], depth + 1, reasons, body)
        finally:
            owner._pop(id(body))

    def _isinstance(self, value: Value, classes: cst.BaseExpression, scope: Scope) -> bool | None:
        """``isinstance(value, C)`` for a class ``C`` lunalint reads: True when ``value`` is an
        instance of that very class, False when it is None or a literal (None: not known)."""
        cls = self.class_of(classes, scope)
        if cls is None:
            return None
        if isinstance(value, (NoneValue, Num, Str, Bool)):
            return False
        if isinstance(value, Obj) and value.cls is not None and value.cls.kind == "class" \
                and _class_name(value.cls) == _class_name(cls):
            return True
        return None

    def _test_value(self, node: cst.BaseExpression, bindings: list[ImportOf | ValueOf | Opaque], depth: int,
                    reasons: list[str], scope: Scope | None = None) -> Value | None:
        env = self._env_name(node)
        if env is not None:
            reasons.append(f"with {env} unset" if env else "with the environment unset")
            return NoneValue(node)
        if isinstance(node, cst.Name):  # the name being resolved: its parameter default, if any
            params = [b for b in bindings if isinstance(b, Param)]
            if params and params[0].name == node.value:
                frame = self._frames.get(id(params[0].function))
                if frame is not None and not isinstance(frame.get(node.value, Missing(node)), Missing):
                    value: Value = frame[node.value]
                elif params[0].default is None or params[0].default_scope is None:
                    return None
                else:
                    value = self.resolve(params[0].default, params[0].default_scope, depth)
                    reasons.append(f"when `{node.value}` is not passed")
                return None if isinstance(value, Unknown) else value
        if self._type_checking(node, scope):
            return Bool(node, value=False)
        if scope is not None and isinstance(node, (cst.Name, cst.Attribute)) and depth < _MAX_DEPTH // 2:
            value = self.resolve(node, scope, depth + 1)
            if not isinstance(value, Unknown) and value.origin:
                reasons.append(value.origin)
            return None if isinstance(value, (Unknown, Symbol, Defined)) else value
        return None

    def _type_checking(self, node: cst.BaseExpression, scope: Scope | None) -> bool:
        """``typing.TYPE_CHECKING``: False when the program runs."""
        if isinstance(node, cst.Name) and node.value == "TYPE_CHECKING":
            return True
        return isinstance(node, cst.Attribute) and node.attr.value == "TYPE_CHECKING"

    def _env_name(self, node: cst.BaseExpression) -> str | None:
        """For ``os.getenv("X")`` / ``os.environ.get("X")`` without a default: "X" ("" when not a
        literal); else None."""
        if not isinstance(node, cst.Call) or not node.args or len(node.args) > 1 or node.args[0].keyword is not None:
            return None
        scope = self._scope_of_call(node)
        if scope is None or self.qualname(node.func, scope) not in _ENV_GETTERS:
            return None
        name = node.args[0].value
        evaluated = name.evaluated_value if isinstance(name, cst.SimpleString) else None
        return evaluated if isinstance(evaluated, str) else ""

    def _environ(self, node: cst.BaseExpression) -> bool:
        if isinstance(node, cst.Attribute) and node.attr.value == "environ":
            return isinstance(node.value, cst.Name) and node.value.value == "os"
        return isinstance(node, cst.Name) and node.value == "environ"

    def _scope_of_call(self, node: cst.Call) -> Scope | None:
        if self._call_scopes is None:
            self._call_scopes = {id(call): where for call, where in self.scan.calls}
        return self._call_scopes.get(id(node))

    def _boolean(self, node: cst.BooleanOperation, scope: Scope, depth: int) -> Value:
        """``a or b`` / ``a and b``: decided by the truth of ``a`` (an environment variable without
        a default is unset)."""
        env = self._env_name(node.left)
        left = NoneValue(node.left) if env is not None else self.resolve(node.left, scope, depth)
        truth = _truthy(left)
        if truth is None:
            return Unknown(node, reason="boolean operation on a value that is not statically known")
        is_or = isinstance(node.operator, cst.Or)
        if truth == is_or:
            return left
        right = self.resolve(node.right, scope, depth)
        if env is not None and not isinstance(right, Unknown):
            note = f"with {env} unset" if env else "with the environment unset"
            return _originated(right, f"{note}, {right.origin}" if right.origin else note)
        return right if not left.origin or right.origin else _originated(right, left.origin)

    def _if_expression(self, node: cst.IfExp, scope: Scope, depth: int) -> Value:
        reasons: list[str] = []
        truth = self._truth(node.test, [], depth, reasons)
        if truth is None:
            value = self.resolve(node.test, scope, depth)
            truth = _truthy(value) if not isinstance(value, Unknown) else None
        if truth is not None:
            value = self.resolve(node.body if truth else node.orelse, scope, depth)
            if reasons and not isinstance(value, Unknown):
                origin = ", ".join(dict.fromkeys(reasons))
                return _originated(value, f"{origin}, {value.origin}" if value.origin else origin)
            return value
        return _agreed(node, "the conditional expression",
                       [self.resolve(node.body, scope, depth), self.resolve(node.orelse, scope, depth)])

    def _with_dict_ops(self, value: Dict, ops: object, scope: Scope, depth: int,
                       base: tuple[Branch, ...] = (), *, callers_keys: bool = False) -> Dict:
        """Fold ``d["k"] = v``, ``d.update(...)``, ``d.setdefault("k", v)`` and ``d.pop("k")`` into a
        dict value (``base``: the arms the dict itself is bound in). A key set in both arms of an
        ``if`` has the value both give; one set on some paths only is unknown; ``update`` with
        something not followed makes the dict incomplete. ``callers_keys``: ``value`` is a
        ``**kwargs`` parameter no call is followed into, so its only unknown keys are the caller's,
        and ``setdefault`` gives what a caller who passes nothing gets (judged "by default")."""
        assert isinstance(ops, (list, tuple))
        if not ops:
            return value
        items = dict(value.items)
        complete = value.complete
        pending: dict[str, tuple[list[Value], set[tuple[int, str]]]] = {}
        for kind, key, expr, full_path in ops:
            path = full_path[len(base):] if full_path[:len(base)] == base else full_path
            if path:
                taken = self._path_taken(path, [], depth, [], scope)
                if taken is False:
                    continue
                if taken:
                    path = ()
            if kind == "update":
                added = self.resolve(expr, scope, depth) if expr is not None else None
                if not isinstance(added, Dict):
                    complete = callers_keys = False
                    continue
                complete = complete and added.complete
                for name, item in added.items.items():
                    items[name] = item if not path else Unknown(item.node, reason=f"{name!r} is set on some paths only")
                    pending.pop(name, None)
                continue
            assert key is not None
            if kind == "pop":
                if path:
                    items[key] = Unknown(value.node, reason=f"{key!r} is removed on some paths only")
                else:
                    items.pop(key, None)
                pending.pop(key, None)
                continue
            if kind == "setdefault" and key in items and not path:
                continue
            assert expr is not None
            new = self.resolve(expr, scope, depth)
            if kind == "setdefault" and key not in items and not complete:
                if callers_keys and not path and not isinstance(new, Unknown):
                    new = _originated(new, new.origin or f"{BY_DEFAULT}`{key}` not passed, so `setdefault` "
                                                         f"gives {describe(new)}")
                else:
                    new = Unknown(new.node, reason=f"{key!r} may be given by the caller")
            if not path:
                items[key] = new
                pending.pop(key, None)
            else:
                values, arms = pending.setdefault(key, ([], set()))
                values.append(new)
                arms.add((id(path[0][0]), path[0][1]))
        for key, (values, arms) in pending.items():
            previous = items.get(key)
            if _both_arms(arms):
                items[key] = _agreed(values[-1].node, key, values)
            elif previous is None or not all(_same(previous, other) for other in values):
                items[key] = Unknown(values[-1].node, reason=f"{key!r} is set on some paths only")
        return replace(value, items=items, complete=complete)

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
                return self._self_attribute(node, owner, depth)
        qualname = self.qualname(node, scope)
        if qualname is not None:
            if qualname in _MATH_CONSTANTS:
                return Num(node, value=_MATH_CONSTANTS[qualname])
            found = self._from_project(qualname, node, depth)
            return found if found is not None else Symbol(node, qualname=qualname)
        instance = self.resolve(base, scope, depth)
        if isinstance(instance, Defined) or (isinstance(instance, Obj) and instance.cls is not None):
            return replace(self._member(instance, node.attr.value, node, depth), ref=node)
        declared = self._declared_class(base, scope) if isinstance(instance, Unknown) else None
        if declared is not None and declared.members is not None:
            # ``client.timeout`` for ``client: TogetherClient``: the field's default, what every
            # caller gets who leaves it alone
            value = declared.members.resolver._named_attribute(node.attr.value, node, declared.members.scope, depth)
            if not isinstance(value, (Unknown, Defined)):
                return replace(value, ref=node)
        return Unknown(node, reason="attribute of a value that is not statically known")

    def _declared_class(self, node: cst.BaseExpression, scope: Scope, hops: int = 0) -> Defined | None:
        """The class a parameter is annotated with (``cfg: Settings``, ``cfg: Settings | None``), also
        through ``self.cfg = cfg``, when lunalint reads that class; else None."""
        if hops > 2:
            return None
        if isinstance(node, cst.Attribute) and isinstance(node.value, cst.Name) \
                and node.value.value == scope.self_name:
            owner = scope.enclosing_class()
            attrs = owner.self_attrs.get(node.attr.value) if owner is not None else None
            if attrs and len(attrs) == 1 and isinstance(attrs[0], ValueOf) and isinstance(attrs[0].node, cst.Name):
                return self._declared_class(attrs[0].node, attrs[0].scope, hops + 1)
            return None
        if not isinstance(node, cst.Name):
            return None
        bindings = scope.lookup(node.value)
        if not bindings or len(bindings) != 1 or not isinstance(bindings[0], Param):
            return None
        param = bindings[0]
        annotation = param.annotation
        if isinstance(annotation, cst.BinaryOperation) and isinstance(annotation.operator, cst.BitOr):
            sides = [annotation.left, annotation.right]
            sides = [side for side in sides if not (isinstance(side, cst.Name) and side.value == "None")]
            annotation = sides[0] if len(sides) == 1 else None
        if annotation is None or param.star or param.default_scope is None:
            return None
        found = self.class_of(annotation, param.default_scope)
        return found if found is not None and found.kind == "class" else None

    def _self_attribute(self, node: cst.Attribute, owner: Scope, depth: int) -> Value:
        return self._named_attribute(node.attr.value, node, owner, depth)

    def _named_attribute(self, name: str, node: cst.CSTNode, owner: Scope, depth: int) -> Value:
        """``self.<attr>``: assigned in the class's methods, else its class-level field or attribute
        (its default, for fields), else the same in a base class defined in this file."""
        assert isinstance(node, cst.BaseExpression)
        chain = self._class_chain(owner)
        for index, cls in enumerate(chain):
            attrs = cls.self_attrs.get(name)
            if attrs is not None:
                if index:
                    return self._base_attribute(node, name, attrs, chain[:index + 1], depth)
                return self._from_bindings(node, f"self.{name}", attrs, cls, depth)
            class_level = cls.names.get(name)
            if class_level is not None:
                value = self._from_bindings(node, f"self.{name}", class_level, cls, depth)
                field_default = len(class_level) == 1 and isinstance(class_level[0], ValueOf)
                if field_default and not isinstance(value, (Unknown, Defined)) and not value.origin:
                    assert isinstance(class_level[0], ValueOf)
                    shown = _short(class_level[0].node, value)
                    value = _originated(value, f"{BY_DEFAULT}field `{name}` defaults to {shown}")
                return value
        return Unknown(node, reason=f"self.{name}{_NOT_ASSIGNED}")

    def _base_attribute(self, node: cst.BaseExpression, name: str, attrs: list[ImportOf | ValueOf | Opaque],
                        chain: list[Scope], depth: int) -> Value:
        """``self.<name>`` set by a base class (``chain[-1]``): when the base's ``__init__`` sets it
        and a subclass's ``__init__`` calls ``super().__init__(timeout=timeout, ...)``, the base's
        parameters are bound to that call's arguments (the subclass's own defaults, say)."""
        base = chain[-1]
        base_owner = self._owners.get(id(base), self)
        init = base.names.get("__init__")
        body = init[0].definition if init and len(init) == 1 and isinstance(init[0], Opaque) else None
        if body is None or not any(isinstance(b, ValueOf) and b.scope is body for b in attrs):
            return base_owner._from_bindings(node, f"self.{name}", attrs, base, depth)
        for sub in reversed(chain[:-1]):  # the nearest subclass with its own ``__init__``
            sub_init = sub.names.get("__init__")
            if not sub_init:
                continue
            sub_body = sub_init[0].definition if len(sub_init) == 1 and isinstance(sub_init[0], Opaque) else None
            sub_owner = self._owners.get(id(sub), self)
            if sub_body is None or id(body) in base_owner._frames:
                return Unknown(node, reason=f"self.{name} is set by a base class from what a subclass passes")
            for call, where in sub_owner.scan.calls_within(sub_body):
                func = call.func
                if where is sub_body and isinstance(func, cst.Attribute) and func.attr.value == "__init__" \
                        and isinstance(func.value, cst.Call) and isinstance(func.value.func, cst.Name) \
                        and func.value.func.value == "super":
                    frame = sub_owner._bind(body, call, where, depth, bound=True)
                    base_owner._push(id(body), frame)
                    try:
                        return base_owner._from_bindings(node, f"self.{name}", attrs, base, depth)
                    finally:
                        base_owner._pop(id(body))
            return Unknown(node, reason=f"self.{name} is set by a base class from what a subclass passes")
        return base_owner._from_bindings(node, f"self.{name}", attrs, base, depth)

    def _bases_read(self, cls: Scope) -> bool:
        """Whether every base class of ``cls`` (transitively) is one lunalint reads, or one known to
        set no attributes of its own (``object``, ``ABC``, ``Generic[T]``, ``BaseModel``)."""
        for current in self._class_chain(cls):
            if not isinstance(current.node, cst.ClassDef) or current.parent is None:
                continue
            owner = self._owners.get(id(current), self)
            for base in current.node.bases:
                if base.keyword is not None:
                    continue
                target = base.value.value if isinstance(base.value, cst.Subscript) else base.value
                plain = isinstance(target, cst.Name) and target.value == "object" \
                    or owner.qualname(target, current.parent) in _PLAIN_BASES
                if not plain and owner.class_of(target, current.parent) is None:
                    return False
        return True

    def _class_chain(self, cls: Scope) -> list[Scope]:
        """The class and its bases defined in this file, nearest first."""
        chain = [cls]
        index = 0
        while index < len(chain) and len(chain) < _MAX_BASES:
            current = chain[index]
            index += 1
            if not isinstance(current.node, cst.ClassDef) or current.parent is None:
                continue
            owner = self._owners.get(id(current), self)
            for base in current.node.bases:
                if base.keyword is not None or base.star:
                    continue
                found = owner.class_of(base.value, current.parent)
                if found is not None and found.members is not None and found.members.scope not in chain:
                    chain.append(found.members.scope)
                    self._owners[id(found.members.scope)] = found.members.resolver
        return chain

    # Subclasses of client classes ------------------------------------------------------------------
    def client_class(self, func: cst.BaseExpression, scope: Scope) -> str | None:
        """The client class a class named by ``func`` derives from (directly or through other classes
        lunalint reads), when it is one of ``self.constructors``."""
        if not self.constructors:
            return None
        found = self.class_of(func, scope)
        if found is None or found.members is None:
            return None
        self._owners.setdefault(id(found.members.scope), found.members.resolver)
        return self._client_base(found.members.scope)[0]

    def client_chain(self, cls: Scope) -> list[Scope]:
        """The classes from ``cls`` up to the client class it derives from, nearest first."""
        return self._client_base(cls)[1]

    def _client_base(self, cls: Scope) -> tuple[str | None, list[Scope]]:
        """(the client class ``cls`` derives from, the classes from ``cls`` up to it)."""
        chain = self._class_chain(cls)
        for current in chain:
            if isinstance(current.node, cst.ClassDef) and current.parent is not None:
                owner = self._owners.get(id(current), self)
                for base in current.node.bases:
                    if base.keyword is None:
                        name = owner.qualname(base.value, current.parent)
                        if name is not None and name in self.constructors:
                            return name, chain[:chain.index(current) + 1]
        return None, chain

    def _client_subclass(self, callee: Defined, node: cst.Call, scope: Scope, depth: int) -> Obj | None:
        """``Api(...)`` for ``class Api(httpx.AsyncClient)``: the client built with the arguments the
        nearest ``__init__`` passes to ``super().__init__`` (its defaults and ``setdefault``s). The
        class and its bases may be defined in another module of the project: their bodies are read
        with that module's names, and what they give is anchored at this call."""
        members = callee.members
        cls = members.scope if members is not None else None
        if cls is None or members is None:
            return None
        self._owners.setdefault(id(cls), members.resolver)
        base, chain = self._client_base(cls)
        if base is None:
            return None
        for current in chain:
            init = current.names.get("__init__")
            if not init:
                continue
            body = init[0].definition if len(init) == 1 and isinstance(init[0], Opaque) else None
            owner = self._owners.get(id(current), self)
            if body is None or id(body) in owner._frames:
                return Obj(node, qualname=base, complete=False, cls=callee)
            frame = self._bind(body, node, scope, depth, bound=True)
            owner._push(id(body), frame)
            try:
                for call, where in owner.scan.calls_within(body):
                    func = call.func
                    if isinstance(func, cst.Attribute) and func.attr.value == "__init__" and where is body:
                        args, kwargs, arg_nodes, complete = owner._arguments(call, where, depth)
                        if isinstance(func.value, cst.Attribute | cst.Name) and args:  # ``Base.__init__(self, ...)``
                            args = args[1:]
                        if owner is not self:
                            from lunalint.project import reanchor

                            args = [reanchor(arg, node) for arg in args]
                            kwargs = {key: reanchor(value, node) for key, value in kwargs.items()}
                            arg_nodes = {}
                        return Obj(node, qualname=base, args=tuple(args), kwargs=kwargs, complete=complete,
                                   arg_nodes=arg_nodes, cls=callee)
            finally:
                owner._pop(id(body))
            return Obj(node, qualname=base, complete=False, cls=callee)
        args, kwargs, arg_nodes, complete = self._arguments(node, scope, depth)
        return Obj(node, qualname=base, args=tuple(args), kwargs=kwargs, complete=complete, arg_nodes=arg_nodes,
                   cls=callee)

    # Calls to functions defined in this file ------------------------------------------------------
    def _function_scope(self, func: cst.BaseExpression, scope: Scope) -> Scope | None:
        """The body of the local function (or method, through ``self.``) a call calls."""
        bindings: list[ImportOf | ValueOf | Opaque] | None = None
        if isinstance(func, cst.Name):
            bindings = scope.lookup(func.value)
        elif (isinstance(func, cst.Attribute) and isinstance(func.value, cst.Name)
              and func.value.value == scope.self_name):
            owner = scope.enclosing_class()
            if owner is not None:
                for cls in self._class_chain(owner):
                    if func.attr.value in cls.self_attrs:
                        return None  # an instance attribute shadows the method
                    bindings = cls.names.get(func.attr.value)
                    if bindings:
                        break
        if not bindings or len(bindings) != 1 or not isinstance(bindings[0], Opaque):
            return None
        body = bindings[0].definition
        if body is None or not isinstance(body.node, cst.FunctionDef) or body.generator:
            return None
        for decorator in body.node.decorators:
            target = decorator.decorator.func if isinstance(decorator.decorator, cst.Call) else decorator.decorator
            name = cst.Module([]).code_for_node(target)
            if name not in _TRANSPARENT_DECORATORS:
                return None
        return body

    def call_function(self, body: Scope, node: cst.Call, scope: Scope, depth: int, *, bound: bool) -> Value:
        """What a call of the local function ``body`` returns, its parameters bound to the call's
        arguments (``bound``: called as a method, so the first parameter is ``self``)."""
        if id(body) in self._frames or len(self._frames) >= _MAX_FRAMES:
            return Unknown(node, reason="recursive call")
        return self.run_function(body, self._bind(body, node, scope, depth, bound=bound), node, depth)

    def run_function(self, body: Scope, frame: dict[str, Value], node: cst.Call, depth: int) -> Value:
        """What the function ``body`` of this module returns, its parameters bound as ``frame`` says
        (a call from another module: the caller anchors the result). Each function is followed once
        per set of argument values, and a run follows a bounded number of such calls, so that
        helpers calling helpers stay linear in the code read."""
        # The result depends on the arguments and on the calls being followed around it (a nested
        # function reads its outer function's parameters), nothing else.
        key = (id(body), _frame_key(frame), self._context)
        known = self._calls.get(key)
        if known is not None:
            return known
        if id(body) in self._frames or len(self._frames) >= _MAX_FRAMES:
            return Unknown(node, reason="recursive call")
        runs = _FUNCTION_RUNS.get(id(self.project), 0)
        if runs >= _MAX_FUNCTION_RUNS:
            return Unknown(node, reason="too many function calls followed in this file")
        _FUNCTION_RUNS[id(self.project)] = runs + 1
        self._calls[key] = Unknown(node, reason="recursive call")
        result = self._calls[key] = self._run(body, frame, node, depth)
        return result

    def _run(self, body: Scope, frame: dict[str, Value], node: cst.Call, depth: int) -> Value:
        self._push(id(body), frame)
        try:
            values = [self.resolve(value, body, depth) if value is not None else NoneValue(node)
                      for value in (body.returns or [None])]
        finally:
            self._pop(id(body))
        if len(values) > 1:
            values = [v for v in values if not isinstance(v, NoneValue)] or values[:1]
            if len({id(v.node) for v in values if isinstance(v, Obj)}) > 1:
                return Unknown(node, reason="the function may return one of several objects")
        return _agreed(node, "the function's result", values)

    def _bind(self, body: Scope, node: cst.Call, scope: Scope, depth: int, *, bound: bool) -> dict[str, Value]:
        params = [b for bindings in body.names.values() for b in bindings
                  if isinstance(b, Param) and b.function is body]
        args, kwargs, _, complete = self._arguments(node, scope, depth)
        positional = sorted((p for p in params if p.position is not None), key=lambda p: p.position or 0)
        if bound and positional:
            positional = positional[1:]
        frame: dict[str, Value] = {}
        for index, param in enumerate(positional):
            if index < len(args):
                frame[param.name] = args[index]
        named = {p.name for p in params if not p.star}
        extra: dict[str, Value] = {}
        for key, value in kwargs.items():
            if key in named:
                frame[key] = value
            else:
                extra[key] = value
        for param in params:
            if param.star == "**":
                frame["**"] = Dict(node, items=extra, complete=complete)
            elif not param.star and param.name not in frame:
                frame[param.name] = Missing(node) if complete else Unknown(node, reason=not_fully_known_text)
        return frame

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
    def call(self, node: cst.Call, scope: Scope, depth: int = 0, *, qualname: str | None = None,
             awaited: bool = False) -> Value:
        """The value of a call; ``qualname`` names the callee when the caller already knows it."""
        qualname = qualname or self.qualname(node.func, scope)
        if qualname is not None and self.project is not None and qualname not in self.constructors \
                and qualname.split(".", 1)[0] not in self.client_modules:
            imported = self._project_class(qualname, node)  # ``from .api import Api``: a client subclass?
            if imported is not None:
                client = self._client_subclass(imported, node, scope, depth)
                if client is not None:
                    return client
        if qualname is None:
            if isinstance(node.func, cst.Name):
                callee = self.resolve(node.func, scope, depth)
                if not (isinstance(callee, Defined) and callee.kind == "class"):
                    callee = self.class_of(node.func, scope) or callee  # ``Wrapper = _Wrapper`` aliases
                if isinstance(callee, Defined) and callee.kind == "class":
                    client = self._client_subclass(callee, node, scope, depth)
                    if client is not None:
                        return client
                    args, kwargs, arg_nodes, complete = self._arguments(node, scope, depth)
                    return Obj(node, qualname=f"<local>.{callee.name}", args=tuple(args), kwargs=kwargs,
                               complete=complete, arg_nodes=arg_nodes, cls=callee)
            body = self._function_scope(node.func, scope)
            if body is not None and isinstance(body.node, cst.FunctionDef) and (
                    body.node.asynchronous is not None) == awaited:
                return self.call_function(body, node, scope, depth, bound=isinstance(node.func, cst.Attribute))
            if isinstance(node.func, cst.Attribute) and node.func.attr.value in ("pop", "get"):
                return self._dict_read(node, scope, depth)
            if isinstance(node.func, cst.Attribute) and node.func.attr.value == "build_request":
                args, kwargs, arg_nodes, complete = self._arguments(node, scope, depth)
                return Obj(node, qualname=BUILT_REQUEST, args=tuple(args), kwargs=kwargs, complete=complete,
                           arg_nodes=arg_nodes)
            return Unknown(node, reason="result of a call lunalint does not follow")
        if self.project is not None and qualname not in self.constructors:
            helper = self._from_project(qualname, node, depth)
            body = helper.members.scope if isinstance(helper, Defined) and helper.members is not None else None
            if isinstance(helper, Defined) and helper.members is not None and body is not None \
                    and isinstance(body.node, cst.FunctionDef) and not body.generator \
                    and body.node.asynchronous is None:
                # A helper function of another module, its parameters bound to this call's arguments.
                frame = self._bind(body, node, scope, depth, bound=False)
                result = helper.members.resolver.run_function(body, frame, node, depth)
                from lunalint.project import reanchor

                return reanchor(result, node)
        if qualname in _CASTS and len(node.args) == 2 and not any(arg.keyword or arg.star for arg in node.args):
            return self.resolve(node.args[1].value, scope, depth)  # ``cast(Timeout, timeout)`` is ``timeout``
        if qualname == "getattr" and len(node.args) == 3 and not any(arg.keyword or arg.star for arg in node.args):
            found = self._getattr_default(node, scope, depth)
            if found is not None:
                return found
        args, kwargs, arg_nodes, complete = self._arguments(node, scope, depth)
        if qualname in _FIELDS:
            return _field_default(node, qualname, args, kwargs)
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

    def _getattr_default(self, node: cst.Call, scope: Scope, depth: int) -> Value | None:
        """``getattr(self, "timeout", 30)`` (or on an instance of a class lunalint reads): the
        attribute where the class (or a base) sets it, else the default (None: not such a call)."""
        target, attr, fallback = (arg.value for arg in node.args)
        name = attr.evaluated_value if isinstance(attr, cst.SimpleString) else None
        if not isinstance(name, str):
            return None
        owner = scope.enclosing_class() if isinstance(target, cst.Name) and target.value == scope.self_name else None
        if owner is not None:
            if not self._bases_read(owner):
                return None  # a base lunalint cannot read may set it
            value = self._named_attribute(name, node, owner, depth)
        else:
            instance = self.resolve(target, scope, depth)
            if not (isinstance(instance, Defined) or (isinstance(instance, Obj) and instance.cls is not None)):
                return None
            value = self._member(instance, name, node, depth)
        if not (isinstance(value, Unknown) and value.reason.endswith(_NOT_ASSIGNED)):
            return value
        default = self.resolve(fallback, scope, depth)
        if isinstance(default, Unknown):
            return default
        origin = f"{BY_DEFAULT}`{name}` is not set, so getattr gives {_short(fallback, default)}"
        return _originated(replace(default, ref=node), default.origin or origin)

    def _dict_read(self, node: cst.Call, scope: Scope, depth: int) -> Value:
        """``d.get("k", default)`` / ``d.pop("k", default)`` on a dict value, or on ``**kwargs``
        (whose keys a caller gives: the default is what a caller who passes nothing gets)."""
        assert isinstance(node.func, cst.Attribute)
        if not node.args or node.args[0].keyword is not None or len(node.args) > 2:
            return Unknown(node, reason="result of a call lunalint does not follow")
        key = self.resolve(node.args[0].value, scope, depth)
        default: Value = (self.resolve(node.args[1].value, scope, depth) if len(node.args) > 1
                          else NoneValue(node))
        if not isinstance(key, Str):
            return Unknown(node, reason="result of a call lunalint does not follow")
        base = node.func.value
        if isinstance(base, cst.Name):
            bindings = scope.lookup(base.value)
            if bindings and len(bindings) == 1 and isinstance(bindings[0], Param) and bindings[0].star == "**":
                param = bindings[0]
                frame = self._frames.get(id(param.function)) if param.function is not None else None
                given = frame.get("**") if frame is not None else None
                if isinstance(given, Dict) and key.value in given.items:
                    return given.items[key.value]
                if isinstance(default, Unknown) or (given is not None and not (isinstance(given, Dict)
                                                                               and given.complete)):
                    return default if isinstance(default, Unknown) else Unknown(node, reason="**kwargs not known")
                if given is not None:
                    return default
                origin = f"{BY_DEFAULT}`{key.value}` not passed, so `{node.func.attr.value}` gives {describe(default)}"
                return _originated(default, default.origin or origin)
        owner = self.resolve(base, scope, depth)
        if isinstance(owner, Dict):
            if key.value in owner.items:
                return owner.items[key.value]
            return default if owner.complete else Unknown(node, reason=f"{key.value!r} may be in the dict")
        return Unknown(node, reason="result of a call lunalint does not follow")

    def _arguments(self, node: cst.Call, scope: Scope, depth: int
                   ) -> tuple[list[Value], dict[str, Value], dict[str, cst.CSTNode], bool]:
        args: list[Value] = []
        kwargs: dict[str, Value] = {}
        arg_nodes: dict[str, cst.CSTNode] = {}
        complete = True
        # A keyword written in the call is what the callee gets: a ``**`` dict holding it too would
        # raise TypeError (``timeout=kwargs.pop("timeout", 60), **kwargs`` removes it first).
        written = {arg.keyword.value for arg in node.args if arg.keyword is not None}
        for arg in node.args:
            if arg.keyword is not None:
                kwargs[arg.keyword.value] = self.resolve(arg.value, scope, depth)
                arg_nodes[arg.keyword.value] = arg
            elif arg.star == "**":
                inner = self.resolve(arg.value, scope, depth)
                if isinstance(inner, Dict):
                    for key, item in inner.items.items():
                        if key not in written:
                            kwargs[key] = item
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


# Function calls followed (each once per set of argument values) while one file is checked, keyed
# by its project: a bound on the work one file can cause, whatever the code.
_FUNCTION_RUNS: dict[int, int] = {}
_MAX_FUNCTION_RUNS = 1000


def reset_helper_calls() -> None:
    """A new file is checked: its budget of function calls followed starts again."""
    _FUNCTION_RUNS.clear()


def _frame_key(frame: dict[str, Value]) -> tuple[tuple[str, object], ...]:
    return tuple(sorted((name, _key(value)) for name, value in frame.items()))


def _frames_key(frames: dict[int, dict[str, Value]]) -> object:
    return tuple(sorted((body, _frame_key(frame)) for body, frame in frames.items()))


def _key(value: Value, depth: int = 0) -> object:
    """What of an argument value a helper's result can depend on (to follow it once per value)."""
    if isinstance(value, Num):
        return ("num", value.value, value.env, value.lowest, value.origin)
    if isinstance(value, (Str, Bool)):
        return (type(value).__name__, value.value, value.origin)
    if isinstance(value, (NoneValue, Missing)):
        return (type(value).__name__, value.origin)
    if isinstance(value, Symbol):
        return ("symbol", value.qualname)
    if isinstance(value, Unknown):
        return ("unknown", value.reason)
    if depth < 3 and isinstance(value, Obj):
        return ("obj", value.qualname, id(value.node), value.complete, tuple(_key(a, depth + 1) for a in value.args),
                tuple(sorted((k, _key(v, depth + 1)) for k, v in value.kwargs.items())), value.origin)
    if depth < 3 and isinstance(value, Dict):
        return ("dict", value.complete, tuple(sorted((k, _key(v, depth + 1)) for k, v in value.items.items())))
    if depth < 3 and isinstance(value, Seq):
        return ("seq", value.complete, tuple(_key(v, depth + 1) for v in value.items))
    return ("other", id(value))


def _class_name(cls: Defined) -> str:
    """The name a class is defined with (not the alias it was reached through)."""
    node = cls.members.scope.node if cls.members is not None else None
    return node.name.value if isinstance(node, cst.ClassDef) else cls.name


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


_NOT_ASSIGNED = " is not assigned in this class"
_CASTS = frozenset({"typing.cast", "typing_extensions.cast"})
_PLAIN_BASES = frozenset({"object", "abc.ABC", "typing.Generic", "typing.Protocol", "typing_extensions.Protocol",
                          "pydantic.BaseModel", "enum.Enum"})
_BUILTINS = frozenset({"float", "int", "getattr", "dict", "list", "tuple", "__import__"})
_IMPORTERS = frozenset({"importlib.import_module", "__import__"})
_MAX_PATHS = 8  # bindings of one name weighed against each other
_MAX_BASES = 8  # classes of one chain of local base classes
_MAX_FRAMES = 3  # nested calls of local functions followed
not_fully_known_text = "arguments not fully known"
# Decorators that leave what a call returns unchanged.
_TRANSPARENT_DECORATORS = frozenset({"staticmethod", "classmethod", "functools.cache", "functools.lru_cache",
                                     "lru_cache", "cache", "cached_property", "functools.cached_property",
                                     "property"})
# Field declarations of dataclasses, pydantic and attrs models: their default is the field's value.
_FIELDS = frozenset({"dataclasses.field", "pydantic.Field", "pydantic.fields.Field", "attrs.field", "attr.ib",
                     "attr.attrib", "attr.field", "attrs.attrib", "sqlmodel.Field"})


def _field_default(node: cst.Call, qualname: str, args: list[Value], kwargs: dict[str, Value]) -> Value:
    """``Field(default=60.0)`` / ``Field(60.0)`` (pydantic) / ``field(default=...)``: the default."""
    default = kwargs.get("default")
    if default is None and args and qualname.startswith(("pydantic", "sqlmodel", "attr")):
        default = args[0]
    if default is None or "default_factory" in kwargs or "factory" in kwargs:
        return Unknown(node, reason="field without a default")
    return replace(default, node=node, ref=None)
_NO_SCOPE = Scope("module", None)


class ProjectLookup(Protocol):
    """Module-level bindings of the other modules of the checked tree (``project.py``)."""

    def lookup(self, qualname: str, importer: str, depth: int) -> Value | None:
        """The value of ``qualname`` (``pkg.config.TIMEOUT``, or ``.config.TIMEOUT`` relative to the
        module ``importer``), or None when it is not a binding lunalint can read."""


def _module_bindings(bindings: list[ImportOf | ValueOf | Opaque]) -> list[ImportOf | ValueOf | Opaque]:
    """Optional imports read as the import: ``except ImportError: httpx2 = None`` and a second
    ``import httpx`` in the same body add nothing; of two modules imported under one name
    (``import requests_unixsocket as requests`` / ``import requests``), the client library."""
    if len(bindings) < 2 or not any(isinstance(b, ImportOf) for b in bindings):
        return bindings
    kept: list[ImportOf | ValueOf | Opaque] = []
    seen: set[str] = set()
    for binding in bindings:
        if isinstance(binding, ValueOf) and isinstance(binding.node, cst.Name) and binding.node.value == "None":
            continue
        if isinstance(binding, ImportOf):
            if binding.qualname in seen:
                continue
            seen.add(binding.qualname)
        kept.append(binding)
    if len(seen) > 1 and all(isinstance(b, ImportOf) for b in kept):
        from lunalint.libraries import client_modules

        known: list[ImportOf | ValueOf | Opaque] = [b for b in kept if isinstance(b, ImportOf) and b.qualname.split(".", 1)[0] in client_modules()]
        if len(known) == 1:
            return known
    return kept


def _originated(value: Value, origin: str) -> Value:
    """``value`` chosen as ``origin`` says; an object's arguments too (``Timeout(60, connect=5)``
    as a default: the library reads the numbers inside it, and the message names the choice)."""
    if isinstance(value, Obj):
        return replace(value, origin=origin,
                       args=tuple(item if item.origin else replace(item, origin=origin) for item in value.args),
                       kwargs={key: item if item.origin else replace(item, origin=origin)
                               for key, item in value.kwargs.items()})
    return replace(value, origin=origin)


def _truthy(value: Value) -> bool | None:
    if isinstance(value, (NoneValue, Missing)):
        return False
    if isinstance(value, (Num, Bool, Str)):
        return bool(value.value)
    if isinstance(value, (Dict, Seq)) and value.complete:
        return bool(value.items)
    if isinstance(value, Obj) and value.qualname.split(".", 1)[0] not in _BUILTINS:
        return True  # an instance of a client, timeout or settings class
    return None


def _same(a: Value, b: Value) -> bool:
    """Whether two values are the same for every judgement (numbers, None, one object)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, (Num, Bool, Str)):
        return a.value == b.value  # type: ignore[union-attr]
    if isinstance(a, NoneValue):
        return True
    if isinstance(a, Symbol):
        return a.qualname == b.qualname  # type: ignore[union-attr]
    if isinstance(a, Obj) and isinstance(b, Obj):
        return a.node is b.node or (a.qualname == b.qualname and a.complete and b.complete and not a.args
                                    and not b.args and a.kwargs.keys() == b.kwargs.keys()
                                    and all(_same(a.kwargs[k], b.kwargs[k]) for k in a.kwargs))
    return a.node is b.node


def _agreed(node: cst.CSTNode, label: str, values: list[Value]) -> Value:
    """The one value every path gives, else ``Unknown``."""
    if values and all(_same(values[0], other) for other in values[1:]) and not isinstance(values[0], Unknown):
        return values[0]
    numbers = [value for value in values if isinstance(value, Num) and value.lowest is None]
    if len(numbers) == len(values) > 1 and all(math.isfinite(n.value) and n.value >= 0 for n in numbers):
        # Judged as bad only when it is bad on every path: a short read timeout by the largest, a
        # long connect or idle time by the smallest.
        largest = max(numbers, key=lambda n: n.value)
        shown = " or ".join(dict.fromkeys(describe(n) for n in sorted(numbers, key=lambda n: n.value)))
        return replace(largest, node=node, ref=None, lowest=min(n.value for n in numbers),
                       origin=f"{shown} on different paths")
    return Unknown(node, reason=f"{label!r} has different values on different paths")


def _lazy(path: tuple[Branch, ...], label: str) -> bool:
    """Whether ``path`` is the body of ``if <label> is None:`` (or ``if not <label>:``)."""
    for statement, arm in path:
        if not isinstance(statement, cst.If) or arm != "body":
            continue
        test = statement.test
        tested: cst.BaseExpression | None = None
        if isinstance(test, cst.UnaryOperation) and isinstance(test.operator, cst.Not):
            tested = test.expression
        elif isinstance(test, cst.Comparison) and len(test.comparisons) == 1 \
                and isinstance(test.comparisons[0].operator, cst.Is) \
                and isinstance(test.comparisons[0].comparator, cst.Name) and test.comparisons[0].comparator.value == "None":
            tested = test.left
        if tested is not None and _EMPTY.code_for_node(tested).split(".", 1)[-1] == label.split(".", 1)[-1] \
                and _EMPTY.code_for_node(tested).count(".") == label.count("."):
            return True
    return False


_EMPTY = cst.Module([])


def _both_arms(arms: set[tuple[int, str]]) -> bool:
    for statement, arm in arms:
        if arm == "body" and (statement, "orelse") in arms:
            return True
        if arm == "try" and (statement, "except") in arms:
            return True
    return False


def _short(node: cst.BaseExpression, value: Value) -> str:
    """A default as the message quotes it: ``None``, ``60``, ``60.0``."""
    if isinstance(value, (NoneValue, Num, Bool, Str)):
        return describe(value)
    return cst.Module([]).code_for_node(node)
_MATH_CONSTANTS = {"math.inf": math.inf, "math.nan": math.nan}
