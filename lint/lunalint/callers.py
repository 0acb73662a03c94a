"""Extract: the local function a call runs, and the arguments the calls of a local function give.

A request is often made by a helper of the module (``def _post(self, path, payload)``) whose URL or
body is a parameter; what the request is for is then written where the helper is called
(``self._post("/chat/completions", {"messages": ...})``). ``callee`` names the function or method
a call runs: ``helper(...)``, ``self.send(...)``, and through a name bound to a wrapper of one
(``retry(...)(self.send)``, a decorator applied by hand, or ``functools.partial(helper, a)``).
``Callers`` answers, for a parameter of a local function, the expressions its calls in the module
pass for it (its default where a call passes nothing).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import libcst as cst

from lunalint.scope import Opaque, Param, ValueOf

if TYPE_CHECKING:
    from lunalint.resolve import Resolver
    from lunalint.scope import ModuleScan, Scope

__all__ = ["MAX_CALLERS", "Callers", "argument", "callee", "instance_class", "local_function", "method_of"]

MAX_CALLERS = 32  # calls of one function read for its arguments


def local_function(func: cst.BaseExpression, scope: Scope) -> Scope | None:
    """The body of the local function or method ``func`` names (``build``, ``self.build``)."""
    bindings = None
    if isinstance(func, cst.Name):
        bindings = scope.lookup(func.value)
    elif isinstance(func, cst.Attribute) and isinstance(func.value, cst.Name):
        owner = scope.enclosing_class()
        if owner is not None and func.value.value == scope.self_name:
            bindings = owner.names.get(func.attr.value)
    if bindings and len(bindings) == 1 and isinstance(bindings[0], Opaque):
        return bindings[0].definition
    return None


def callee(func: cst.BaseExpression, scope: Scope, resolver: Resolver, depth: int = 0) -> tuple[Scope, int] | None:
    """The local function or method a call of ``func`` runs, and how many of its leading positional
    parameters the call does not fill: ``helper``, ``self.send`` (``self`` is filled, unless it is
    a ``staticmethod``), a name bound once to a wrapper of one (``retry(...)(self.send)``, a
    decorator applied by hand, which passes its arguments through) or to
    ``functools.partial(helper, a)`` (which fills ``a``)."""
    if isinstance(func, (cst.Name, cst.Attribute)):
        function = local_function(func, scope)
        if function is not None and isinstance(function.node, cst.FunctionDef):
            return function, 1 if isinstance(func, cst.Attribute) and not _static(function.node) else 0
    if depth > 2 or not isinstance(func, cst.Name):
        return None
    bindings = scope.lookup(func.value)
    if not bindings or len(bindings) != 1 or not isinstance(bindings[0], ValueOf):
        return None
    wrapper, where = bindings[0].node, bindings[0].scope
    if not isinstance(wrapper, cst.Call) or not wrapper.args or wrapper.args[0].keyword or wrapper.args[0].star:
        return None
    if isinstance(wrapper.func, cst.Call) and len(wrapper.args) == 1:  # ``retry(stop=...)(self.send)``
        return callee(wrapper.args[0].value, where, resolver, depth + 1)
    if isinstance(wrapper.func, (cst.Name, cst.Attribute)) and resolver.qualname(wrapper.func,
                                                                                 where) == "functools.partial":
        found = callee(wrapper.args[0].value, where, resolver, depth + 1)
        bound = [arg for arg in wrapper.args[1:] if arg.keyword is None]
        if found is None or any(arg.star for arg in bound):
            return None
        return found[0], found[1] + len(bound)
    return None


class Callers:
    """The calls of each local function of one module, found on first use."""

    def __init__(self, scan: ModuleScan, resolver: Resolver) -> None:
        self._scan = scan
        self._resolver = resolver
        self._calls: dict[int, list[tuple[cst.Call, Scope, int]]] | None = None

    def parameter(self, node: cst.BaseExpression, scope: Scope) -> Param | None:
        """The parameter of a function ``node`` names, when it is bound nowhere else."""
        if not isinstance(node, cst.Name):
            return None
        bindings = scope.lookup(node.value)
        if bindings and len(bindings) == 1 and isinstance(bindings[0], Param) and not bindings[0].star:
            return bindings[0]
        return None

    def arguments(self, param: Param) -> list[tuple[cst.BaseExpression, Scope]]:
        """What the calls of ``param``'s function in the module pass for it (its default where a
        call passes nothing and it has one); a call that passes ``*args``/``**kwargs`` gives nothing."""
        function = param.function
        if function is None:
            return []
        found: list[tuple[cst.BaseExpression, Scope]] = []
        for call, scope, skipped in self.calls(function):
            given = argument(call, param, skipped)
            if given is not None:
                found.append((given, scope))
            elif param.default is not None and param.default_scope is not None and not any(
                    arg.star for arg in call.args):
                found.append((param.default, param.default_scope))
        return found

    def calls(self, function: Scope) -> list[tuple[cst.Call, Scope, int]]:
        """The calls of ``function`` in the module (at most ``MAX_CALLERS``): each with its scope and
        the leading positional parameters it does not fill."""
        if self._calls is None:
            self._calls = {}
            for call, scope in self._scan.calls:
                found = callee(call.func, scope, self._resolver) or self._instance_method(call.func, scope)
                if found is not None:
                    self._calls.setdefault(id(found[0]), []).append((call, scope, found[1]))
        return self._calls.get(id(function), [])[:MAX_CALLERS]

    def _instance_method(self, func: cst.BaseExpression, scope: Scope) -> tuple[Scope, int] | None:
        """``api.send(...)`` with ``api`` an instance of a class of the module (``api = Api()``, or a
        parameter annotated ``api: Api``): the method, ``self`` filled."""
        if not isinstance(func, cst.Attribute) or not isinstance(func.value, cst.Name):
            return None
        cls = instance_class(func.value, scope, self._resolver)
        return method_of(cls, func.attr.value) if cls is not None else None


def instance_class(node: cst.Name, scope: Scope, resolver: Resolver) -> Scope | None:
    """The class of the module an instance named ``node`` is made from (``api = Api()``), or
    that a parameter is annotated with (``api: Api``)."""

    bindings = scope.lookup(node.value)
    if not bindings or len(bindings) != 1:
        return None
    binding = bindings[0]
    if isinstance(binding, Param):
        annotation = binding.annotation
        if isinstance(annotation, cst.Name) and binding.function is not None and binding.function.parent is not None:
            found = binding.function.parent.lookup(annotation.value)
            if found and len(found) == 1 and isinstance(found[0], Opaque) and found[0].definition is not None \
                    and found[0].definition.kind == "class":
                return found[0].definition
        return None
    if isinstance(binding, ValueOf) and isinstance(binding.node, cst.Call):
        func = binding.node.func  # a class defined in the module
        made = binding.scope.lookup(func.value) if isinstance(func, cst.Name) else None
        if made and len(made) == 1 and isinstance(made[0], Opaque) and made[0].definition is not None \
                and made[0].definition.kind == "class":
            return made[0].definition
    return None


def method_of(cls: Scope, name: str) -> tuple[Scope, int] | None:
    """The method ``name`` of the class ``cls`` (``self`` filled), unless it is a static method."""
    bindings = cls.names.get(name)
    if not bindings or len(bindings) != 1 or not isinstance(bindings[0], Opaque):
        return None
    function = bindings[0].definition
    if function is None or not isinstance(function.node, cst.FunctionDef):
        return None
    return function, 0 if _static(function.node) else 1


def _static(function: cst.FunctionDef) -> bool:
    return any(isinstance(d.decorator, cst.Name) and d.decorator.value == "staticmethod"
               for d in function.decorators)


def argument(call: cst.Call, param: Param, skipped: int) -> cst.BaseExpression | None:
    """What ``call`` passes for ``param`` (``skipped`` leading positional parameters filled), if
    it says."""
    positional = 0
    for arg in call.args:
        if arg.keyword is not None:
            if arg.keyword.value == param.name:
                return arg.value
        elif arg.star == "*":  # the positions after it are unknown
            return None
        elif not arg.star:
            if param.position is not None and positional + skipped == param.position:
                return arg.value
            positional += 1
    return None
