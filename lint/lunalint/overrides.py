"""Extract: what a method's implementations return, in its class and in every subclass of the tree.

The template-method shape of model clients: a base class makes the request,
``requests.post(url, json=self._create_payload(...))``, with the body built by a method that is
abstract there, and each subclass (often in another module) returns the body of its API. Whether
the request is a model call is then a question about the implementations: one whose ``return``
gives a dict with a model call's keys makes it one.

The implementations are the method in the request's own class and in its subclasses: in the
module, and in the modules of the tree that import the class (found through the import index of
``usages.py``), subclasses of subclasses too. ``ast`` finds the subclasses; libcst parses only
their class statements, and each ``return`` is resolved as value flow resolves any expression in
its module. Every module read is a cache dependency of the result (``Project.source``).
"""

from __future__ import annotations

import ast
import os
import re
from collections import deque
from collections.abc import Iterator
from typing import TYPE_CHECKING, NamedTuple

import libcst as cst

from lunalint.scope import Opaque, ValueOf
from lunalint.evidence import model_keys
from lunalint.project import imported_name
from lunalint.values import Dict

if TYPE_CHECKING:
    from lunalint.project import Project
    from lunalint.resolve import Resolver
    from lunalint.scope import Scope

__all__ = ["Implementation", "body_method", "implementations", "local_names", "subclasses_elsewhere",
           "subclasses_here"]

MAX_MODULES = 24  # other modules read for the subclasses of one class
MAX_CLASSES = 64  # subclasses followed for one class


class Implementation(NamedTuple):
    """A method of the class or of a subclass whose ``return`` gives a dict with a model call's keys."""

    owner: str  # the class that defines it
    keys: tuple[str, ...]  # the model call's keys of the dict it returns
    anchor: cst.CSTNode | None  # its name, in the checked module
    where: str  # where it is in another module (``pkg/chat.py:5``), else ""


def body_method(node: cst.BaseExpression, scope: Scope) -> tuple[Scope, str] | None:
    """For ``self.m(...)``, ``await self.m(...)`` or a name bound once in the function to one of
    them, in a method: the class scope ``self`` belongs to and ``m``."""
    if isinstance(node, cst.Name):
        bindings = scope.lookup(node.value)
        if not bindings or len(bindings) != 1 or not isinstance(bindings[0], ValueOf):
            return None
        node, scope = bindings[0].node, bindings[0].scope
    if isinstance(node, cst.Await):
        node = node.expression
    if not isinstance(node, cst.Call) or not isinstance(node.func, cst.Attribute):
        return None
    receiver = node.func.value
    owner = scope.enclosing_class()
    if owner is None or not isinstance(receiver, cst.Name) or receiver.value != scope.self_name:
        return None
    method = node.func.attr.value
    return (owner, method) if method not in owner.self_attrs else None


def implementations(owner: Scope, method: str, resolver: Resolver, project: Project | None) -> list[Implementation]:
    """The implementations of ``method`` in the class ``owner`` (of the checked module) and its
    subclasses whose ``return`` gives a dict with a model call's keys, the class's own first."""
    module = owner.parent
    if module is None or module.kind != "module" or not isinstance(owner.node, cst.ClassDef):
        return []
    here = subclasses_here(owner, module)
    found = [item for cls in here if (item := _returns_keys(cls, method, resolver, "")) is not None]
    if project is not None:
        found += _elsewhere([cls.node.name.value for cls in here if isinstance(cls.node, cst.ClassDef)],
                            method, project)
    return found


def subclasses_here(owner: Scope, module: Scope) -> list[Scope]:
    """``owner`` and the classes of its module that derive from it, at any depth."""
    classes = [binding.definition for bindings in module.names.values() for binding in bindings
               if isinstance(binding, Opaque) and binding.definition is not None
               and binding.definition.kind == "class" and isinstance(binding.definition.node, cst.ClassDef)]
    found = [owner]
    grown = True
    while grown:
        grown = False
        for cls in classes:
            if cls in found:
                continue
            assert isinstance(cls.node, cst.ClassDef)
            for base in cls.node.bases:
                if isinstance(base.value, cst.Name) and any(
                        isinstance(b, Opaque) and b.definition in found for b in module.names.get(base.value.value, ())):
                    found.append(cls)
                    grown = True
                    break
    return found


def _returns_keys(cls: Scope, method: str, resolver: Resolver, where: str
                  ) -> Implementation | None:
    bindings = cls.names.get(method)
    if not bindings or len(bindings) != 1 or not isinstance(bindings[0], Opaque):
        return None
    function = bindings[0].definition
    if function is None or not isinstance(function.node, cst.FunctionDef) or not isinstance(cls.node, cst.ClassDef):
        return None
    for returned in function.returns:
        if returned is None:
            continue
        value = resolver.resolve(returned, function)
        if isinstance(value, Dict):
            present = tuple(model_keys(value))
            if present:
                return Implementation(cls.node.name.value, present, None if where else function.node.name, where)
    return None


# Subclasses in other modules ------------------------------------------------------------------------
def _elsewhere(names: list[str], method: str, project: Project) -> list[Implementation]:
    found = []
    for module, classes in subclasses_elsewhere(names, project).items():
        found += _implemented(module, classes, method, project)
    return found


def subclasses_elsewhere(names: list[str], project: Project) -> dict[str, list[str]]:
    """The classes of other modules of the tree that derive from the classes ``names`` of the
    checked module, at any depth, by module."""
    from lunalint.usages import Channel, import_index

    index = import_index(project)
    pending = deque((project.path, name) for name in names)
    seen = set(pending)
    by_module: dict[str, list[str]] = {}
    read: set[str] = set()
    while pending and len(seen) < MAX_CLASSES:
        path, name = pending.popleft()
        for module in dict.fromkeys([path, *index.importers(Channel(path, name, False))]):
            if module == project.path or (module not in read and len(read) >= MAX_MODULES):
                continue
            read.add(module)
            text = project.text(module)
            if text is None or not _names_a_base(text, name):
                continue  # no class statement names it: read, not parsed
            source = project.source(module)
            if source is None:
                continue
            for cls in _deriving(source[1], module, path, name, project):
                if (module, cls) not in seen:
                    seen.add((module, cls))
                    pending.append((module, cls))
                    by_module.setdefault(module, []).append(cls)
    return by_module


def _names_a_base(text: str, name: str) -> bool:
    """Whether a class statement of ``text`` may name the class ``name`` (or an alias of it) as a base."""
    names = [name, *re.findall(rf"\b{re.escape(name)}\s+as\s+(\w+)", text)]
    pattern = "|".join(re.escape(each) for each in names)
    return re.search(rf"\bclass\s+\w+\s*\([^)]*\b(?:{pattern})\b", text) is not None


def _deriving(tree: ast.Module, module: str, path: str, name: str, project: Project) -> Iterator[str]:
    """The top-level classes of ``module`` with the class ``name`` of ``path`` among their bases."""
    local = local_names(tree, module, path, name, project)
    for statement in tree.body:
        if isinstance(statement, ast.ClassDef) and any(
                isinstance(base, ast.Name) and base.id in local
                or isinstance(base, ast.Attribute) and base.attr == name and module != path
                for base in statement.bases):
            yield statement.name


def local_names(tree: ast.Module, module: str, path: str, name: str, project: Project) -> set[str]:
    """The names the class ``name`` of ``path`` has in ``module``: itself there, else its imports."""
    if module == path:
        return {name}
    found = set()
    for node in tree.body:
        if not isinstance(node, ast.ImportFrom):
            continue
        for alias in node.names:
            if alias.name != name:
                continue
            dotted = imported_name(node, name)
            if any(file == path or os.path.basename(file) == "__init__.py"  # a package re-exporting it
                   for file, attributes in project.module_of(dotted, module) if attributes == [name]):
                found.add(alias.asname or name)
    return found


def _implemented(module: str, classes: list[str], method: str, project: Project
                 ) -> list[Implementation]:
    from lunalint.parse import mentioning
    from lunalint.resolve import Resolver

    source = project.source(module)
    if source is None:
        return []
    lines, tree = source
    parsed = project.run_state((f"module {' '.join(sorted(classes))}", module),
                               lambda _: mentioning(lines, tree, sorted(classes)))
    if parsed is None:
        return []
    _, scan = parsed
    resolver = Resolver(scan, None, module)  # values are not followed into further modules here
    shown = os.path.relpath(module, project.root()).replace(os.sep, "/")
    lines_of = {statement.name: next((item.lineno for item in statement.body if isinstance(
        item, (ast.FunctionDef, ast.AsyncFunctionDef)) and item.name == method), statement.lineno)
                for statement in tree.body if isinstance(statement, ast.ClassDef)}
    found = []
    for name in classes:
        for binding in scan.module_scope.names.get(name, ()):
            if isinstance(binding, Opaque) and binding.definition is not None and binding.definition.kind == "class":
                item = _returns_keys(binding.definition, method, resolver, f"{shown}:{lines_of.get(name, 0)}")
                if item is not None:
                    found.append(item)
    return found
