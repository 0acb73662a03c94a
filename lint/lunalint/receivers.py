"""What the object a method is called on may be: every value its bindings and local factories give it.

``client.get(...)`` is traced to ``client``'s construction through the names and ``self.<attr>``
it is bound to, and through calls to local factories: a module-level (or enclosing) function, or a
method of the same class, called as ``make()`` or ``self.make()``, whose ``return`` gives the object.
Every binding and every ``return`` is one possible value; a name bound several times, or a factory
with several returns, has several. Two questions are asked of them:

- ``the_one``: the one object the receiver is, when every possibility but ``None`` (a method is never
  called on ``None``) is the same object. A call is judged as a call on that object only then.
- ``possible``: all of them, for the question "is this object's default timeout ever used?". A call
  whose receiver may be this object, or something from outside the file (a parameter, the result of
  a call lunalint does not follow), counts as a use of this object.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

import libcst as cst

from lunalint.scope import DECLARED_ELSEWHERE, ImportOf, Opaque, Scope, ValueOf
from lunalint.resolve import Resolver
from lunalint.values import NoneValue, Symbol, Unknown, Value

if TYPE_CHECKING:
    from lunalint.usages import Seeds

__all__ = ["Receivers", "bindings_of", "one_of"]

_MAX_DEPTH = 40  # bindings and factory calls followed in a row
_MAX_VALUES = 32  # possibilities of one receiver
# Decorators that leave what a call returns unchanged (the functools caches return it again).
_TRANSPARENT_DECORATORS = frozenset({"staticmethod", "classmethod", "functools.cache", "functools.lru_cache"})


class _NotFollowed(Exception):
    """A receiver whose possibilities cannot all be seen (or are too many to list)."""


class Receivers:
    """The possible values of receivers in one module."""

    def __init__(self, resolver: Resolver, seeds: Seeds | None = None) -> None:
        self._resolver = resolver
        # Names that stand for a client made in another module (``usages.py``): what they give.
        self._seeds = seeds
        # A name in a scope, ``self.<attr>`` in a class, a factory's result: the same at every use.
        self._known: dict[tuple[int, str], tuple[Value, ...] | None] = {}

    @property
    def resolver(self) -> Resolver:
        return self._resolver

    @property
    def seeded(self) -> bool:
        """Whether some names here stand for a client made in another module."""
        return self._seeds is not None

    def possible(self, node: cst.BaseExpression, scope: Scope) -> tuple[Value, ...] | None:
        """Every value ``node`` may have; ``None`` when a binding out of sight (``global``,
        ``nonlocal``) may give it another, or the possibilities are too many to follow."""
        key = _key(node, scope)
        if key is None:
            factory = self._factory(node, scope)
            key = None if factory is None else (id(factory), "return")
        if key is not None and key in self._known:
            return self._known[key]
        found: list[Value] = []
        try:
            self._collect(node, scope, found, set(), 0)
            result: tuple[Value, ...] | None = tuple(found)
        except _NotFollowed:
            result = None
        if key is not None:
            self._known[key] = result
        return result

    def the_one(self, node: cst.BaseExpression, scope: Scope) -> Value:
        """The one object ``node`` is (``Unknown`` unless all possibilities but ``None`` are one)."""
        return one_of(self.possible(node, scope), node)

    # Possibilities ------------------------------------------------------------------------------
    def _collect(self, node: cst.BaseExpression, scope: Scope, found: list[Value], seen: set[int],
                 depth: int) -> None:
        if depth > _MAX_DEPTH or len(found) > _MAX_VALUES:
            raise _NotFollowed
        if self._seeds is not None:
            seed = self._seeds.match(node, scope, self._resolver)
            if seed is not None:
                found.append(seed)
                return
        bindings = bindings_of(node, scope)
        if bindings is not None:
            for binding in bindings:
                if isinstance(binding, ValueOf):
                    if id(binding.node) not in seen:  # already counted (or a cycle back to it)
                        seen.add(id(binding.node))
                        self._collect(binding.node, binding.scope, found, seen, depth + 1)
                elif isinstance(binding, ImportOf):
                    found.append(Symbol(node, qualname=binding.qualname))
                elif binding.reason == DECLARED_ELSEWHERE:
                    raise _NotFollowed
                else:
                    found.append(Unknown(node, reason=f"a {binding.reason}"))
            return
        factory = self._factory(node, scope)
        if factory is None:
            found.append(self._resolver.resolve(node, scope))
        elif id(factory) not in seen:  # a factory reached again (recursion) returns nothing new
            seen.add(id(factory))
            for value in factory.returns or [None]:
                if value is None:  # ``return`` alone, or falling off the end of the body
                    found.append(NoneValue(node))
                else:
                    self._collect(value, factory, found, seen, depth + 1)

    def _factory(self, node: cst.BaseExpression, scope: Scope) -> Scope | None:
        """The body of the local function ``node`` calls (``make()``, ``self.make()``, ``await
        amake()``), when what it returns is what the call gives."""
        awaited = isinstance(node, cst.Await)
        call = node.expression if isinstance(node, cst.Await) else node
        if not isinstance(call, cst.Call):
            return None
        func = call.func
        bindings: list[ImportOf | ValueOf | Opaque] | None = None
        if isinstance(func, cst.Name):
            bindings = scope.lookup(func.value)
        else:
            owner = _owner(func, scope)
            if owner is not None and isinstance(func, cst.Attribute) and func.attr.value not in owner.self_attrs:
                bindings = owner.names.get(func.attr.value)
        if not bindings or len(bindings) != 1 or not isinstance(bindings[0], Opaque):
            return None
        body = bindings[0].definition
        if body is None or not isinstance(body.node, cst.FunctionDef) or body.generator:
            return None
        if (body.node.asynchronous is not None) != awaited or body.parent is None:
            return None
        if not all(self._transparent(decorator.decorator, body.parent) for decorator in body.node.decorators):
            return None
        return body

    def _transparent(self, decorator: cst.BaseExpression, scope: Scope) -> bool:
        if isinstance(decorator, cst.Call):  # ``@functools.lru_cache(maxsize=1)``
            decorator = decorator.func
        if isinstance(decorator, cst.Name) and scope.lookup(decorator.value) is None:
            return decorator.value in _TRANSPARENT_DECORATORS
        return self._resolver.qualname(decorator, scope) in _TRANSPARENT_DECORATORS


def bindings_of(node: cst.BaseExpression, scope: Scope) -> list[ImportOf | ValueOf | Opaque] | None:
    """The bindings of a name, or of ``self.<attr>`` in a method (instance and class level)."""
    if isinstance(node, cst.Name) and node.value not in ("None", "True", "False"):
        return scope.lookup(node.value)
    owner = _owner(node, scope)
    if owner is not None and isinstance(node, cst.Attribute):
        found = owner.self_attrs.get(node.attr.value, []) + owner.names.get(node.attr.value, [])
        return found or None
    return None


def one_of(values: tuple[Value, ...] | None, node: cst.BaseExpression) -> Value:
    """The one value of ``values`` besides ``None``, reached through ``node``; else ``Unknown``."""
    if values is None:
        return Unknown(node, reason="bound where lunalint cannot see")
    distinct = {id(value.node): value for value in values if not isinstance(value, NoneValue)}
    if len(distinct) != 1:
        return Unknown(node, reason="may be one of several objects")
    return replace(next(iter(distinct.values())), ref=node)


def _key(node: cst.BaseExpression, scope: Scope) -> tuple[int, str] | None:
    if isinstance(node, cst.Name):
        return id(scope), node.value
    owner = _owner(node, scope)
    if owner is not None and isinstance(node, cst.Attribute):
        return id(owner), f"self.{node.attr.value}"
    return None


def _owner(node: cst.BaseExpression, scope: Scope) -> Scope | None:
    """For ``self.<attr>`` in a method, the class scope that owns ``self``."""
    if isinstance(node, cst.Attribute) and isinstance(node.value, cst.Name) and node.value.value == scope.self_name:
        return scope.enclosing_class()
    return None
