"""Extract: evidence of long responses found in other modules of the tree, for a client made here.

A client is often made in one module and used in others: a module-level object imported elsewhere
(``from .http import client``), the result of a factory function (``get_client()``), or a client
handed to a setter that stores it in a module global which a getter returns
(``set_default_client(c)`` here, ``get_default_client()`` there). When a pooled client with a finite
timeout shows no evidence in its own module, these channels are followed:

- the names the client is reached by here: a module-level name bound to it, a ``global`` assigned
  it in a function, a module-level function returning it, a setter's global it is handed to;
- each module that binds such a name is read whole, with that name standing for the client (the
  receivers are told, ``Seeds``); its functions returning it are channels too;
- the modules of the tree that import such a name (an index of the import lines of every module
  under the project's root, built once per process) are read the same way.

Every request and hand-over found on the client there is evidence as it would be here
(``extract.collect`` runs on that module), re-anchored at the client and naming where it is
(``streams: `c.stream(...)` in pkg/models.py:40``). A request there that passes its own timeout
does not use the client's default one. Every module read is a cache dependency of the result
(``Project.source``). Limits: a module that starts importing the client later is only seen when
this file is checked again.
"""

from __future__ import annotations

import ast
import bisect
import os
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import replace
from typing import TYPE_CHECKING, NamedTuple

import libcst as cst

from lunalint.project import imported_name, skipped_directory
from lunalint.scope import DECLARED_ELSEWHERE, Opaque, ValueOf
from lunalint.spec import EvidenceKind

if TYPE_CHECKING:
    from lunalint.evidence import EvidenceFinder
    from lunalint.extract import Made
    from lunalint.project import Project
    from lunalint.receivers import Receivers
    from lunalint.resolve import Resolver
    from lunalint.scope import Scope
    from lunalint.spec import ClientSpec, Evidence
    from lunalint.values import Obj

__all__ = ["Channel", "ForeignCall", "Seeds", "calls_elsewhere", "channels_here", "import_index",
           "with_evidence_elsewhere"]

MAX_MODULES = 24  # modules read for one client
MAX_ROUNDS = 3  # channels found through channels (a getter returning a global a setter filled)
MAX_EVIDENCE = 4  # evidence kept per client from other modules
MAX_INDEX_FILES = 20_000  # a larger tree is not indexed


class Channel(NamedTuple):
    """A module-level name by which other code reaches a client."""

    module: str  # the path of the module that binds it
    name: str
    factory: bool  # calling it gives the client (else it is the client)


class Inherited(NamedTuple):
    """Classes of a module derived from the class that stores a client in ``self.<attribute>``."""

    classes: frozenset[str]
    attributes: frozenset[str]


class Seeds:
    """What stands for one client in a module read for it: its own module-level names and, by the
    qualified names its imports give them, the channels of other modules."""

    def __init__(self, client: Obj, path: str, module_scope: Scope, channels: set[Channel], project: Project,
                 inherited: Inherited | None = None) -> None:
        self.client = client
        self._inherited = inherited
        self._path = path
        self._module_scope = module_scope
        self._own = {channel.name: channel.factory for channel in channels if channel.module == path}
        self._channels = channels
        self._project = project
        self._qualnames: dict[str, bool | None] = {}

    def match(self, node: cst.BaseExpression, scope: Scope, resolver: Resolver) -> Obj | None:
        """The client, when ``node`` is one of its names or a call of one of its factories."""
        if self._inherited is not None and isinstance(node, cst.Attribute) and isinstance(node.value, cst.Name) \
                and node.attr.value in self._inherited.attributes and node.value.value == scope.self_name:
            owner = scope.enclosing_class()
            if owner is not None and owner.parent is self._module_scope and isinstance(owner.node, cst.ClassDef) \
                    and owner.node.name.value in self._inherited.classes:
                return self.client
        call = node.expression if isinstance(node, cst.Await) else node
        if isinstance(call, cst.Call):
            return self.client if self._names(call.func, scope, resolver) is True else None
        return self.client if self._names(node, scope, resolver) is False else None

    def _names(self, node: cst.BaseExpression, scope: Scope, resolver: Resolver) -> bool | None:
        """Whether ``node`` names a factory of the client (True), the client (False), or neither."""
        if isinstance(node, cst.Name) and node.value in self._own:
            bindings = scope.lookup(node.value)
            if bindings is not None and (bindings is self._module_scope.names.get(node.value) or any(
                    isinstance(b, Opaque) and b.reason == DECLARED_ELSEWHERE for b in bindings)):
                return self._own[node.value]
        if not isinstance(node, (cst.Name, cst.Attribute)):
            return None
        qualname = resolver.qualname(node, scope)
        if qualname is None:
            return None
        if qualname not in self._qualnames:
            self._qualnames[qualname] = None
            for module, attributes in self._project.module_of(qualname, self._path):
                if len(attributes) != 1:
                    continue
                for factory in (False, True):
                    if Channel(module, attributes[0], factory) in self._channels:
                        self._qualnames[qualname] = factory
        return self._qualnames[qualname]


def with_evidence_elsewhere(specs: list[ClientSpec], made: Mapping[int, Made], receivers: Receivers,
                            project: Project) -> list[ClientSpec]:
    """``specs``, each pooled client without evidence here given the evidence found elsewhere."""
    found: list[ClientSpec] = []
    for spec in specs:
        where = made.get(id(spec.anchor))
        if where is not None and _wants_evidence(spec):
            channels = channels_here(where, receivers, project)
            if channels:
                # The checked module is read again only for a global its functions fill: its own
                # uses of a module-level client, and its factories, are seen already.
                again = where.scope.kind != "module" and any(c.module == project.path and not c.factory
                                                            for c in channels)
                try:
                    evidence = _evidence_elsewhere(where.value, channels, spec.anchor, project, again)
                except RecursionError:  # code nested too deeply to follow: no evidence from it
                    evidence = []
                if evidence:
                    spec = replace(spec, evidence=(*spec.evidence, *evidence))
            if not spec.evidence:
                try:
                    evidence = _evidence_in_subclasses(where, receivers, spec.anchor, project)
                except RecursionError:
                    evidence = []
                if evidence:
                    spec = replace(spec, evidence=(*spec.evidence, *evidence))
        found.append(spec)
    return found


def _wants_evidence(spec: ClientSpec) -> bool:
    if not spec.pooled or spec.evidence or spec.in_process or spec.one_shot or not spec.evidence_read:
        return False
    return any(setting is not None and setting.finite and setting.seconds is not None
               for setting in (spec.read_timeout, spec.total_timeout))


# Channels of a client made in the checked module -----------------------------------------------------
def channels_here(made: Made, receivers: Receivers, project: Project) -> list[Channel]:
    """The module-level names by which other code may reach the client ``made``: the name or
    ``global`` it is bound to, module-level functions returning it, and the global of a setter it
    is handed to."""
    call, scope, here = made.call, made.scope, project.path
    channels: list[Channel] = []
    for name, bindings in scope.names.items():
        if any(isinstance(b, ValueOf) and b.node is call for b in bindings) and (scope.kind == "module" or any(
                isinstance(b, Opaque) and b.reason == DECLARED_ELSEWHERE for b in bindings)):
            channels.append(Channel(here, name, False))
    module_scope = scope
    while module_scope.parent is not None:
        module_scope = module_scope.parent
    channels += _factories(module_scope, here, receivers, lambda value: value.node is call)
    channels += _setters(made, receivers)
    return list(dict.fromkeys(channels))


def _factories(module_scope: Scope, path: str, receivers: Receivers, is_client: Callable[[Obj], bool]) -> list[Channel]:
    """Module-level functions of a module whose ``return`` gives the client."""
    from lunalint.values import Obj

    found = []
    for name, bindings in module_scope.names.items():
        if len(bindings) != 1 or not isinstance(bindings[0], Opaque) or bindings[0].definition is None:
            continue
        body = bindings[0].definition
        if not isinstance(body.node, cst.FunctionDef) or body.generator:
            continue
        for value in body.returns:
            if value is not None and any(isinstance(each, Obj) and is_client(each)
                                         for each in receivers.possible(value, body) or ()):
                found.append(Channel(path, name, True))
                break
    return found


def _setters(made: Made, receivers: Receivers) -> list[Channel]:
    """``set_client(client)``: a function (here or imported from the tree) that stores the
    parameter it is given in a module global: that global is the client's channel."""
    from lunalint.values import Defined, Obj

    resolver = receivers.resolver
    found = []
    for call, scope in resolver.scan.calls:
        for index, arg in enumerate(call.args):
            if arg.star or not (arg.value is made.call or isinstance(arg.value, (cst.Name, cst.Attribute)) and any(
                    isinstance(value, Obj) and value.node is made.call
                    for value in receivers.possible(arg.value, scope) or ())):
                continue
            callee = resolver.resolve(call.func, scope)
            if not (isinstance(callee, Defined) and callee.kind == "function" and callee.members is not None):
                continue
            body = callee.members.scope
            if not isinstance(body.node, cst.FunctionDef):
                continue
            params = [p.name.value for p in (*body.node.params.posonly_params, *body.node.params.params)]
            parameter = arg.keyword.value if arg.keyword is not None else (
                params[index] if index < len(params) else None)
            module = callee.members.resolver.module_name or resolver.module_name
            for name, bindings in body.names.items():
                if any(isinstance(b, Opaque) and b.reason == DECLARED_ELSEWHERE for b in bindings) and any(
                        isinstance(b, ValueOf) and isinstance(b.node, cst.Name) and b.node.value == parameter
                        for b in bindings):
                    found.append(Channel(module, name, False))
    return [channel for channel in found if channel.module]


# Reading other modules -----------------------------------------------------------------------------
def _evidence_elsewhere(client: Obj, channels: list[Channel], anchor: object, project: Project,
                        again: bool) -> list[Evidence]:
    known = set(channels)
    read: dict[str, frozenset[Channel]] = {}
    found: list[Evidence] = []
    index = import_index(project)
    for _ in range(MAX_ROUNDS):
        wanted: dict[str, None] = {}
        for channel in sorted(known):
            wanted[channel.module] = None
        for channel in sorted(known):
            for path in index.importers(channel):
                wanted[path] = None
        new = False
        for path in wanted:
            if read.get(path) == frozenset(known) or (path not in read and len(read) >= MAX_MODULES):
                continue
            read[path] = frozenset(known)
            if path == project.path and not again:
                continue
            result = _read_module(path, client, known, project)
            if result is None:
                continue
            evidence, more = result
            found += [item for item in evidence if item not in found]
            for channel in more:
                if channel not in known:
                    known.add(channel)
                    new = True
        if not new:
            break
    order = [kind.value for kind in EvidenceKind]
    found.sort(key=lambda item: order.index(item.kind.value))  # the strongest first, as in the module
    return [replace(item, anchor=anchor) for item in found[:MAX_EVIDENCE]]


# Subclasses in other modules using ``self.<attribute>`` -------------------------------------------------
def _evidence_in_subclasses(made: Made, receivers: Receivers, anchor: object, project: Project) -> list[Evidence]:
    """For a client a class stores in ``self.<attribute>`` (or binds in its body), the evidence
    of the requests its subclasses in other modules make on ``self.<attribute>``."""
    from lunalint.overrides import subclasses_elsewhere
    from lunalint.values import Obj

    scope = made.scope
    owner = scope if scope.kind == "class" else scope.enclosing_class()
    if owner is None or owner.parent is None or owner.parent.kind != "module" or not isinstance(owner.node,
                                                                                                cst.ClassDef):
        return []
    bound = {**owner.self_attrs, **(owner.names if scope is owner else {})}
    attributes = frozenset(name for name, bindings in bound.items() if any(
        isinstance(b, ValueOf) and any(isinstance(value, Obj) and value.node is made.call
                                       for value in receivers.possible(b.node, b.scope) or ())
        for b in bindings))
    if not attributes or _requests_on(owner.node, attributes):
        return []  # the class makes its own requests on the client: what they are for is seen here
    found: list[Evidence] = []
    for path, classes in subclasses_elsewhere([owner.node.name.value], project).items():
        result = _read_module(path, made.value, set(), project, Inherited(frozenset(classes), attributes))
        if result is not None:
            found += [item for item in result[0] if item not in found]
    order = [kind.value for kind in EvidenceKind]
    found.sort(key=lambda item: order.index(item.kind.value))
    return [replace(item, anchor=anchor) for item in found[:MAX_EVIDENCE]]


def _uses_attributes(tree: ast.Module, inherited: Inherited) -> bool:
    """Whether a class of ``inherited`` calls a method on one of its attributes
    (``self.client.post(...)``): a module whose subclasses do not is not parsed."""
    from lunalint.libraries import load

    methods = load().method_names
    return any(isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in methods
               and _on_attribute(node.func.value, inherited.attributes)
               for statement in tree.body if isinstance(statement, ast.ClassDef) and statement.name in inherited.classes
               for node in ast.walk(statement))


def _on_attribute(node: ast.expr, attributes: frozenset[str]) -> bool:
    """Whether ``node`` (``self.client.chat.completions``) goes through one of ``attributes``."""
    for _ in range(6):
        if not isinstance(node, ast.Attribute):
            return False
        if node.attr in attributes:
            return True
        node = node.value
    return False


def _requests_on(cls: cst.ClassDef, attributes: frozenset[str]) -> bool:
    """Whether a method of ``cls`` calls a request method on one of ``attributes``
    (``self.client.post(...)``, ``self.client.chat.completions.create(...)``)."""
    from lunalint.evidence import walk
    from lunalint.libraries import load

    methods = load().method_names
    for node in walk(cls.body):
        if isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute) and node.func.attr.value in methods:
            base: cst.BaseExpression = node.func.value
            for _ in range(6):
                if not isinstance(base, cst.Attribute):
                    break
                if base.attr.value in attributes:
                    return True
                base = base.value
    return False


def _read_module(path: str, client: Obj, channels: set[Channel], project: Project,
                 inherited: Inherited | None = None) -> tuple[list[Evidence], list[Channel]] | None:
    """The evidence on ``client`` in the module at ``path``, and its new channels there; with
    ``inherited``, the client is ``self.<attribute>`` in those classes of the module."""
    from lunalint.parse import mentioning
    from lunalint.values import Obj

    source = project.source(path)
    if source is None:
        return None
    lines, tree = source
    if inherited is None and not any(channel.module == path for channel in channels) and not _imports_channel(
            tree, path, channels, project):
        return None
    if inherited is not None and not _uses_attributes(tree, inherited):
        return None
    names = sorted({channel.name for channel in channels} | (inherited.classes if inherited is not None else set()))
    parsed = project.run_state((f"module {' '.join(names)}", path), lambda _: mentioning(lines, tree, names))
    if parsed is None:
        return None
    module, scan = parsed
    from lunalint.evidence import EvidenceFinder
    from lunalint.extract import collect
    from lunalint.libraries import load
    from lunalint.receivers import Receivers
    from lunalint.resolve import Resolver

    registry = load()
    # Values are not followed into further modules here: only what the client is used for matters.
    resolver = Resolver(scan, None, path)
    resolver.constructors = frozenset(registry.constructors)
    seeds = Seeds(client, path, scan.module_scope, channels, project, inherited)
    receivers = Receivers(resolver, seeds)
    _, _, found = collect(scan, resolver, receivers, EvidenceFinder(resolver, module.code_for_node), registry)
    items = found.of_client.get(id(client.node), [])
    more = _factories(scan.module_scope, path, receivers,
                      lambda value: isinstance(value, Obj) and value.node is client.node)
    if not items:
        return [], more
    return _placed(items, module, path, project, found.statement_of, found.own_timeout), more


def _placed(items: Iterable[Evidence], module: cst.Module, path: str, project: Project,
            statement_of: Mapping[int, int], own_timeout: set[int]) -> list[Evidence]:
    """Each piece of evidence named by where it is (``pkg/models.py:40``)."""
    from lunalint.place import CstSourceMap
    from lunalint.suppress import Suppressions

    items = list(dict.fromkeys(items))[:MAX_EVIDENCE]
    spans = CstSourceMap(module, None, module.body, {}, Suppressions(by_line={})).locate(
        [item.anchor for item in items])
    shown = os.path.relpath(path, project.root()).replace(os.sep, "/")
    placed = []
    for item in items:
        span = spans.get(item.anchor)
        request = statement_of.get(id(item.anchor), id(item.anchor))
        placed.append(replace(item, where=f"{shown}:{span.line}" if span is not None else shown,
                              replaces_default_timeout=item.replaces_default_timeout or request in own_timeout))
    return placed


def _imports_channel(tree: ast.Module, path: str, channels: set[Channel], project: Project) -> bool:
    """Whether an import of the module (at any depth) may name one of the channels' modules."""
    modules = {channel.module for channel in channels}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            dotted = [imported_name(node, alias.name) for alias in node.names]
        elif isinstance(node, ast.Import):
            dotted = [alias.name for alias in node.names]
        else:
            continue
        for name in dotted:
            if any(module in modules for module, _ in project.module_of(name, path)):
                return True
    return False


# Calls of a function or method of the checked module made in other modules ------------------------
class ForeignCall(NamedTuple):
    """A call made in another module of a function (or method) of the checked module."""

    call: cst.Call
    scope: Scope
    skipped: int  # leading positional parameters the call does not fill (``self``)
    finder: EvidenceFinder  # reads texts and values in that module
    place: Callable[[Evidence], Evidence]  # names where a piece of evidence there is


def calls_elsewhere(function: Scope, project: Project) -> list[ForeignCall]:
    """The calls, in the modules of the tree that import it, of a module-level function of the
    checked module (``send(...)``) or of a method of one of its module-level classes, made on an
    instance (``api = Api(); api.send(...)``, or a parameter annotated ``api: Api``)."""
    from lunalint.callers import MAX_CALLERS

    owner = function.parent
    node = function.node
    if owner is None or not isinstance(node, cst.FunctionDef):
        return []
    if owner.kind == "module":
        name, method = node.name.value, None
    elif owner.kind == "class" and owner.parent is not None and owner.parent.kind == "module" and isinstance(
            owner.node, cst.ClassDef):
        name, method = owner.node.name.value, node.name.value
    else:
        return []
    found: list[ForeignCall] = []
    for path in import_index(project).importers(Channel(project.path, name, False))[:MAX_MODULES]:
        if path != project.path:
            found += _calls_in(path, name, method, project)
        if len(found) >= MAX_CALLERS:
            break
    return found[:MAX_CALLERS]


def _may_call(tree: ast.Module, lines: list[str], module: str, path: str, name: str, method: str | None,
              project: Project) -> bool:
    """Whether ``module`` may call the function ``name`` of ``path`` (``name(...)``,
    ``helpers.name(...)``) or the method ``method`` of its class ``name`` on an instance (a name
    bound to ``name(...)``, or a parameter annotated ``name``): the cheap test, on the text and
    the ``ast`` tree, before libcst parses anything."""
    from lunalint.overrides import local_names

    if not any(f"{method or name}(" in line for line in lines):
        return False
    aliases = local_names(tree, module, path, name, project)
    modules = _module_names(tree, module, path, project)
    if not aliases and not modules:
        return False

    def names_it(node: ast.expr | None) -> bool:
        return isinstance(node, ast.Name) and node.id in aliases or isinstance(node, ast.Attribute) and (
            node.attr == name and isinstance(node.value, ast.Name) and node.value.id in modules)

    calls: list[ast.Call] = []
    instances: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            calls.append(node)
        elif isinstance(node, ast.Assign) and isinstance(node.value, ast.Call) and names_it(node.value.func):
            instances.update(target.id for target in node.targets if isinstance(target, ast.Name))
        elif isinstance(node, ast.arg) and names_it(node.annotation):
            instances.add(node.arg)
    if method is None:
        return any(names_it(call.func) for call in calls)
    return any(isinstance(call.func, ast.Attribute) and call.func.attr == method and isinstance(
        call.func.value, ast.Name) and call.func.value.id in instances for call in calls)


def _module_names(tree: ast.Module, module: str, path: str, project: Project) -> set[str]:
    """The names ``module`` binds to the module at ``path`` (``from pkg import helpers``,
    ``import pkg.helpers as helpers``)."""
    found = set()
    for node in tree.body:
        if isinstance(node, ast.ImportFrom):
            pairs = [(alias.asname or alias.name, imported_name(node, alias.name)) for alias in node.names]
        elif isinstance(node, ast.Import):
            pairs = [(alias.asname, alias.name) for alias in node.names if alias.asname]
        else:
            continue
        for local, dotted in pairs:
            if local and any(file == path and not attributes for file, attributes in project.module_of(dotted, module)):
                found.add(local)
    return found


def _calls_in(path: str, name: str, method: str | None, project: Project) -> list[ForeignCall]:
    from lunalint.evidence import EvidenceFinder
    from lunalint.parse import mentioning
    from lunalint.resolve import Resolver
    from lunalint.scope import Param

    text = project.text(path)
    shown = re.escape(name)
    # the text first: a call of the function, or an instance made or annotated
    if text is None or not re.search(rf"\b{shown}\s*\(" if method is None else rf"\b{shown}\s*\(|:\s*{shown}\b",
                                     text):
        return []
    source = project.source(path)
    if source is None:
        return []
    lines, tree = source
    if not _may_call(tree, lines, path, project.path, name, method, project):  # nothing to parse
        return []
    parsed = project.run_state((f"module {name}", path), lambda _: mentioning(lines, tree, [name]))
    if parsed is None:
        return []
    module, scan = parsed
    resolver = Resolver(scan, None, path)

    def names_it(node: cst.BaseExpression | None, scope: Scope) -> bool:
        qualname = resolver.qualname(node, scope) if isinstance(node, (cst.Name, cst.Attribute)) else None
        return qualname is not None and any(
            module_path == project.path and attributes == [name]
            for module_path, attributes in project.module_of(qualname, path))

    finder = EvidenceFinder(resolver, module.code_for_node)
    found = []
    for call, scope in scan.calls:
        func = call.func
        if method is None and names_it(func, scope):
            skipped = 0
        elif method is not None and isinstance(func, cst.Attribute) and func.attr.value == method and isinstance(
                func.value, cst.Name):
            bindings = scope.lookup(func.value.value)
            binding = bindings[0] if bindings and len(bindings) == 1 else None
            if not (isinstance(binding, Param) and names_it(binding.annotation, scope)
                    or isinstance(binding, ValueOf) and isinstance(binding.node, cst.Call)
                    and names_it(binding.node.func, binding.scope)):
                continue
            skipped = 1
        else:
            continue

        def place(item: Evidence, module: cst.Module = module) -> Evidence:
            return _placed([item], module, path, project, {}, set())[0]

        found.append(ForeignCall(call, scope, skipped, finder, place))
    return found


# The import index ----------------------------------------------------------------------------------
def import_index(project: Project) -> _Index:
    """The import lines of the modules of ``project``'s tree, read once per run in each process."""
    return project.run_state(("import index", project.root()), _Index)


class _Index:
    """The import lines of every module under a root, searched for a name on demand."""

    def __init__(self, key: tuple[str, str]) -> None:
        root = key[1]
        self.paths: list[str] = []
        self.starts: list[int] = []  # where each module's import lines begin in ``text``
        parts: list[bytes] = []
        size = count = 0
        for directory, subdirectories, files in os.walk(root):
            subdirectories[:] = sorted(d for d in subdirectories if not skipped_directory(d))
            for name in sorted(files):
                if not name.endswith(".py"):
                    continue
                count += 1
                if count > MAX_INDEX_FILES:
                    self.paths, self.starts, parts = [], [], []
                    break
                path = os.path.join(directory, name)
                try:
                    with open(path, "rb") as handle:
                        data = handle.read(256 * 1024)
                except OSError:
                    continue
                found = _import_lines(data)
                if found:
                    self.paths.append(path)
                    self.starts.append(size)
                    parts.append(found)
                    size += len(found) + 1
        self.text = b"\0".join(parts)

    def importers(self, channel: Channel) -> list[str]:
        """Modules that import the channel's name, or its module and then mention the name."""
        stem = os.path.splitext(os.path.basename(channel.module))[0]
        if stem == "__init__":
            stem = os.path.basename(os.path.dirname(channel.module))
        name = channel.name.encode()
        files = dict.fromkeys(self._naming(name))
        for path in self._naming(stem.encode()):
            if path not in files and _mentions(path, b"." + name):
                files[path] = None
        return list(files)

    def _naming(self, word: bytes) -> list[str]:
        """The modules whose import lines hold ``word`` as a whole word."""
        text, found, at = self.text, set(), self.text.find(word)
        while at >= 0:
            end = at + len(word)
            if not (at and (text[at - 1:at].isalnum() or text[at - 1:at] == b"_")) and not (
                    text[end:end + 1].isalnum() or text[end:end + 1] == b"_"):
                found.add(bisect.bisect_right(self.starts, at) - 1)
            at = text.find(word, end)
        return [self.paths[index] for index in sorted(found)]


def _import_lines(data: bytes) -> bytes:
    """The lines of ``data`` that mention ``import`` (a parenthesised name list to its end): a
    superset of its import statements, found with ``bytes.find``, several times faster than a
    regular expression anchored at each line."""
    lines = []
    at = data.find(b"import")
    while at >= 0:
        start = data.rfind(b"\n", 0, at) + 1
        end = data.find(b"\n", at)
        end = len(data) if end < 0 else end
        if b"(" in data[at:end] and b")" not in data[at:end]:
            close = data.find(b")", at)
            end = len(data) if close < 0 else close
        lines.append(data[start:end])
        at = data.find(b"import", end)
    return b"\n".join(lines)


def _mentions(path: str, text: bytes) -> bool:
    try:
        with open(path, "rb") as handle:
            return text in handle.read(256 * 1024)
    except OSError:
        return False

