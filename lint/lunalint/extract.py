"""Stage 4, extract: the ClientSpecs of a parsed Python module, through the library registry.

In: ``Parsed`` (a libcst module of the statements that matter). Out: ClientSpecs, plus the scan
(imports, bindings, calls, statements) that placement needs.

Calls are matched by qualified name, never by spelling (``import httpx as hx``, aliases and local
factories resolve; a local function named ``Client`` does not). Each match goes to its library's
handler: constructions and module-level request functions, methods called on a followed client
(``client.get``, ``client.chat.completions.create``), and attribute assignments on one
(``session.timeout = 10``). A spec another spec absorbs (an SDK's inner ``http_client``) is not
judged on its own, and a client whose every followed call passes its own timeout keeps only the
timeouts written on it.

Each spec also gets the evidence that its responses may be long (``evidence.py``): its own (an
SDK, a ``base_url``, a request that streams or goes to a model endpoint with a model-shaped body)
and, for a client, that of every followed request made on it; a client opened by ``with`` for one
request and closed, or bound in a function for one request and then closed (``client.aclose()``,
in a ``finally`` or after), is marked ``one_shot``; a request on a client whose transport is in-process is
``in_process`` like its client.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any, NamedTuple

if TYPE_CHECKING:
    import libcst as cst

    from lunalint.evidence import EvidenceFinder
    from lunalint.libraries.registry import Registry
    from lunalint.parse import Parsed
    from lunalint.receivers import Receivers
    from lunalint.resolve import Resolver, reset_helper_calls
    from lunalint.scope import ModuleScan, Scope
    from lunalint.spec import ClientSpec, Evidence
    from lunalint.values import Obj

__all__ = ["Extracted", "extract"]

_MAX_ATTRIBUTE_HOPS = 6  # ``client.a.b.c.d.e.create()``: attributes walked back to find the client


class Extracted(NamedTuple):
    specs: list[ClientSpec]
    scan: ModuleScan


def extract(parsed: Parsed) -> Extracted:
    """Every ClientSpec in ``parsed``, minus those another spec absorbs."""
    import libcst as cst

    from lunalint.libraries import load
    from lunalint.receivers import Receivers
    from lunalint.scope import scan_module
    from lunalint.resolve import Resolver, reset_helper_calls
    from lunalint.values import Obj

    from lunalint.evidence import EvidenceFinder

    registry = load()
    scan = scan_module(parsed.module)
    from lunalint.project import active

    reset_helper_calls()
    project = active()
    resolver = Resolver(scan, project)
    resolver.constructors = frozenset(registry.constructors)
    receivers = Receivers(resolver)
    finder = EvidenceFinder(resolver, parsed.module.code_for_node, project)
    specs, overrides, found_evidence = collect(scan, resolver, receivers, finder, registry)
    for target, assigned, scope in scan.attribute_assignments:
        if target.attr.value in registry.attribute_names:
            owner = receivers.the_one(target.value, scope)
            if isinstance(owner, Obj) and owner.qualname in registry.assignments:
                specs.extend(registry.assignment_specs(owner, target.attr.value, resolver.resolve(assigned, scope),
                                                       target))
    specs, timed_elsewhere = _built_elsewhere(specs, scan)
    absorbed = {id(anchor) for spec in specs for anchor in spec.absorbs}
    found_evidence.one_shot_clients(scan)
    found_evidence.side_clients(scan)
    in_process = {id(spec.anchor): spec.in_process for spec in specs if spec.in_process}
    kept = []
    for spec in specs:
        if id(spec.anchor) in absorbed:
            continue
        if id(spec.anchor) in timed_elsewhere:
            spec = spec.without_timeouts()
        calls = overrides.get(id(spec.anchor))
        # A client whose every followed call passes its own timeout never uses its default one.
        spec = spec.without_default_timeouts() if calls and all(calls) else spec
        kept.append(found_evidence.apply(spec, in_process))
    if project is not None:  # a client made here whose requests are made in other modules of the tree
        from lunalint.usages import with_evidence_elsewhere

        kept = with_evidence_elsewhere(kept, found_evidence.made, receivers, project)
    for anchor, top in found_evidence.statement_of.items():  # evidence anchors that are not calls
        scan.call_statement.setdefault(anchor, scan.call_statement.get(top, 0))
    return Extracted(kept, scan)


class Made(NamedTuple):
    """A pooled client construction: its call, the scope it is made in, and its value."""

    call: cst.Call
    scope: Scope
    value: Obj


def collect(scan: ModuleScan, resolver: Resolver, receivers: Receivers, finder: EvidenceFinder,
            registry: Registry) -> tuple[list[ClientSpec], dict[int, list[bool]], _Evidence]:
    """One pass over a module's calls: the specs they make, per client construction whether each
    followed call passes its own timeout, and the evidence of long responses (``usages.py`` runs
    it on other modules of the tree, with the receivers told which names are a client made here)."""
    import libcst as cst

    from lunalint.values import Obj

    specs: list[ClientSpec] = []
    overrides: dict[int, list[bool]] = {}  # client call -> per followed call: passes its own timeout?
    found_evidence = _Evidence()
    handed: list[tuple[cst.Call, Scope]] = []  # calls that may hand a client to a local function
    for call, scope in scan.calls:
        func = call.func
        qualname = resolver.qualname(func, scope)
        if qualname is None and isinstance(func, cst.Name):  # ``Api(...)`` for ``class Api(httpx.AsyncClient)``
            qualname = resolver.client_class(func, scope)
        if qualname is not None:
            found_evidence.handed_over(call, scope, qualname, receivers, finder, scan, registry)
        if qualname is not None and qualname in registry.constructors:
            value = resolver.call(call, scope)
            if isinstance(value, Obj) and value.qualname in registry.constructors:
                made = [_named(spec, value) for spec in registry.constructors[value.qualname](value)]
                specs.extend(made)
                found_evidence.construction(call, value, scope, made, finder, registry)
                if any(spec.pooled for spec in made):
                    found_evidence.made[id(call)] = Made(call, scope, value)
            continue
        if isinstance(func, cst.Attribute) and func.attr.value in registry.method_names:
            found = _receiver(func, scope, receivers, registry.methods)
            if found is not None:
                value = resolver.call(call, scope, qualname=f"{found.clients[0].qualname}.{found.method}")
                assert isinstance(value, Obj)
                # A call that may be on one of several clients counts as using each one's default.
                only = len(found.clients) == 1
                for client in found.clients:
                    passes = only and registry.overrides_timeout(client.qualname, value, found.method)
                    overrides.setdefault(id(client.node), []).append(passes)
                    if passes:
                        found_evidence.own_timeout.add(id(call))
                found_evidence.request(call, func, value, found.method, found.clients, found.client, scope, finder,
                                       registry)
                if found.client is not None:
                    specs.extend(registry.method_specs(found.client, value, found.method))
            else:
                found_evidence.on_parameter(call, func, scope, resolver, finder, registry)
        if qualname is None or qualname not in registry.constructors:
            if call.args:
                handed.append((call, scope))
            specs.extend(found_evidence.method_handed(call, scope, receivers, finder, registry))
    if found_evidence.made or receivers.seeded:  # a client made here, or one made elsewhere, may be handed on
        names = None if receivers.seeded else found_evidence.client_names()
        for call, scope in handed:
            found_evidence.passed_to_local(call, scope, receivers, names)
    found_evidence.fixtures(scan, resolver, receivers)
    found_evidence.through_parameters()
    return specs, overrides, found_evidence


def _built_elsewhere(specs: list[ClientSpec], scan: ModuleScan) -> tuple[list[ClientSpec], set[int]]:
    """A client handed to another (an SDK's ``http_client``) that is built in another function (a
    helper, a shared client) stays judged where it is built, but for its timeouts, which the
    receiving client sends itself; the receiving client's pool and keepalive, which are that
    client's, are reported where it is made too. Returns the specs and the clients timed elsewhere."""
    from dataclasses import replace

    scopes = {id(call): scope for call, scope in scan.calls}

    def function(anchor: object) -> Scope | None:
        scope = scopes.get(id(anchor))
        while scope is not None and scope.kind not in ("function", "module"):
            scope = scope.parent
        return scope

    kept: list[ClientSpec] = []
    elsewhere: set[int] = set()
    for spec in specs:
        moved = {id(anchor) for anchor in spec.absorbs if function(anchor) is not function(spec.anchor)}
        if moved:
            elsewhere.update(moved)
            pool, keepalive = spec.pool_idle, spec.keepalive
            spec = replace(spec, absorbs=tuple(a for a in spec.absorbs if id(a) not in moved),
                           pool_idle=pool.at(spec.anchor) if pool is not None and id(pool.anchor) in moved else pool,
                           keepalive=keepalive.at(spec.anchor)
                           if keepalive is not None and id(keepalive.anchor) in moved else keepalive)
        kept.append(spec)
    return kept, elsewhere


def _named(spec: ClientSpec, value: Obj) -> ClientSpec:
    """A client built through a subclass is shown as one: ``Api (httpx.AsyncClient subclass)``,
    named after the class whose ``__init__`` configures it (the same for every subclass below it,
    so a default set there is reported once)."""
    if value.cls is None or spec.label != value.qualname:
        return spec
    from dataclasses import replace

    import libcst as cst

    name = value.cls.name
    members = value.cls.members
    if members is not None:
        for cls in members.resolver.client_chain(members.scope):
            if "__init__" in cls.names and isinstance(cls.node, cst.ClassDef):
                name = cls.node.name.value
                break
    return replace(spec, label=f"{name} ({spec.label} subclass)")


def _parameter_key(function: Scope, name: str) -> tuple[int, str]:
    return id(function), name


def _handed(nodes: list[tuple[cst.BaseExpression, Scope]], receivers: Receivers, seen: set[int]) -> Iterator[int]:
    """The ids of the client constructions ``nodes`` may give: calls, names bound to clients,
    values of dict literals, local factory functions' ``return`` values and lambdas' bodies."""
    import libcst as cst

    from lunalint.scope import Opaque, ValueOf
    from lunalint.values import Obj

    for node, scope in nodes:
        if id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, cst.Call):
            yield id(node)
            yield from (id(value.node) for value in receivers.possible(node, scope) or () if isinstance(value, Obj))
        elif isinstance(node, cst.Dict):
            values = [(element.value, scope) for element in node.elements if isinstance(element, cst.DictElement)]
            yield from _handed(values, receivers, seen)
        elif isinstance(node, cst.Lambda):
            yield from _handed([(node.body, scope)], receivers, seen)
        elif isinstance(node, (cst.Name, cst.Attribute)):
            bindings = scope.lookup(node.value) if isinstance(node, cst.Name) else None
            if bindings and len(bindings) == 1 and isinstance(bindings[0], Opaque):
                definition = bindings[0].definition
                if definition is not None and isinstance(definition.node, cst.FunctionDef):
                    returned = [(value, definition) for value in definition.returns if value is not None]
                    yield from _handed(returned, receivers, seen)
                continue
            for binding in bindings or ():
                if isinstance(binding, ValueOf) and isinstance(binding.node, cst.Dict):
                    yield from _handed([(binding.node, binding.scope)], receivers, seen)
            for value in receivers.possible(node, scope) or ():
                if isinstance(value, Obj):
                    yield id(value.node)


_KIND_ORDER = ("sdk", "streams", "model-endpoint", "model-body")


class _Evidence:
    """What one module shows about long responses, keyed by the ids of the calls specs are anchored on."""

    def __init__(self) -> None:
        self.own: dict[int, list[Evidence]] = {}  # request or construction call -> its own evidence
        self.of_client: dict[int, list[Evidence]] = {}  # client construction -> its requests' evidence
        self.client_of: dict[int, int] = {}  # request call -> the one client construction it is made on
        self.constructed: set[int] = set()  # pooled client constructions
        self.request_receivers: set[int] = set()  # names a request is made on (``c`` in ``c.get(...)``)
        self.one_shot: set[int] = set()  # client constructions opened for one request and closed
        self.statement_of: dict[int, int] = {}  # evidence anchor that is not a call -> a call beside it
        self.of_parameter: dict[tuple[int, str], list[Evidence]] = {}  # (function, parameter) -> its requests'
        self.passed: list[tuple[int, tuple[int, str]]] = []  # (client construction, (function, parameter))
        self.fixture_clients: list[tuple[int, str]] = []  # (client construction, pytest fixture name)
        self.made: dict[int, Made] = {}  # pooled client construction -> where and how it is made
        self.own_timeout: set[int] = set()  # requests on one known client that pass their own timeout
        self.side_requests: set[int] = set()  # receivers of SDK requests that generate nothing (embeddings)
        self.side_only: set[int] = set()  # SDK clients used only for such requests

    def handed_over(self, call: cst.Call, scope: Scope, qualname: str, receivers: Receivers,
                    finder: EvidenceFinder, scan: ModuleScan, registry: Registry) -> None:
        """A client handed to an LLM SDK call serves it; one handed to an SSE helper or an MCP
        transport streams. "Handed" covers an argument, a ``**dict`` filled in the same function,
        a dict of arguments, and a local factory function (its ``return`` values)."""
        import libcst as cst

        from lunalint.callers import local_function
        from lunalint.evidence import SSE_CLIENT_HELPERS, is_llm_call, is_streaming_service
        from lunalint.spec import Evidence, EvidenceKind

        shown = f"`{finder.show(call.func)}(...)`"
        if qualname in SSE_CLIENT_HELPERS:
            arguments = [(arg.value, scope) for arg in call.args if arg.keyword is None and not arg.star][:1]
            evidence = Evidence(EvidenceKind.STREAMS, shown, call)
            self.request_receivers.update(id(node) for node, _ in arguments)
        elif is_streaming_service(qualname):
            arguments = [(arg.value, scope) for arg in call.args if not arg.star]
            evidence = Evidence(EvidenceKind.STREAMS, f"handed to {shown}", call)
        elif is_llm_call(qualname):
            arguments = [(arg.value, scope) for arg in call.args if not arg.star]
            evidence = Evidence(EvidenceKind.SDK, f"handed to {shown}", call,
                                replaces_default_timeout=registry.replaces_default_timeout(qualname))
        else:
            return
        for arg in call.args:  # ``params["http_client"] = client`` here or in a local builder, then ``**params``
            if arg.star != "**":
                continue
            function: Scope | None = local_function(arg.value.func, scope) if isinstance(arg.value, cst.Call) else scope
            while function is not None and function.kind not in ("function", "module"):
                function = function.parent
            if function is not None:
                arguments += [(value, where) for _, value, where in scan.items_within(function)]
        for key in _handed(arguments, receivers, set()):
            self.of_client.setdefault(key, []).append(evidence)

    def construction(self, call: cst.Call, value: Obj, scope: Scope, made: list[ClientSpec],
                     finder: EvidenceFinder, registry: Registry) -> None:
        """A client's ``base_url``; a module-level request function's own evidence."""
        from lunalint.evidence import endpoint_evidence
        from lunalint.values import Str

        method = value.qualname.rsplit(".", 1)[-1]
        for spec in made:
            if spec.pooled:
                self.constructed.add(id(call))
                written = [arg.value for arg in call.args if arg.keyword is not None and arg.keyword.value == "base_url"]
                text = finder.text(written[0], scope) if written else None
                given = value.kwargs.get("base_url")
                if not written and isinstance(given, Str):  # from a ``**kwargs`` dict
                    text = given.value
                endpoint = endpoint_evidence(text, call) if text is not None else None
                if endpoint is not None:
                    self.own.setdefault(id(call), []).append(endpoint)
            else:
                label = finder.show(call.func)
                evidence = finder.request(call, value, method, scope, registry.streams(None, value, method), label,
                                          lazy_body=registry.lazy_body(value.qualname))
                self._add(self.own, id(call), evidence, call)

    def request(self, call: cst.Call, func: cst.Attribute, value: Obj, method: str, clients: tuple[Obj, ...],
                client: Obj | None, scope: Scope, finder: EvidenceFinder, registry: Registry) -> None:
        """A followed request: its evidence is its own and that of every client it may be made on."""
        receiver = clients[0].qualname
        evidence = finder.request(call, value, method, scope, registry.streams(receiver, value, method),
                                  finder.show(func), lazy_body=registry.lazy_body(receiver))
        self._add(self.own, id(call), evidence, call)
        for each in clients:
            self._add(self.of_client, id(each.node), evidence, call)
        if client is not None:
            self.client_of[id(call)] = id(client.node)
        if registry.is_request(receiver, method):
            base = func.value
            for _ in range(method.count(".")):
                if not isinstance(base, type(func)):
                    break
                base = base.value
            self.request_receivers.add(id(base))
            from lunalint.uses import is_generation

            if not is_generation(method):
                self.side_requests.add(id(base))

    def on_parameter(self, call: cst.Call, func: cst.Attribute, scope: Scope, resolver: Resolver,
                     finder: EvidenceFinder, registry: Registry) -> None:
        """``param.post(...)`` in a local function: its evidence waits for the clients passed as ``param``."""
        import libcst as cst

        from lunalint.scope import Opaque
        from lunalint.values import Obj

        base: cst.BaseExpression = func.value
        while isinstance(base, cst.Attribute):
            base = base.value
        if not isinstance(base, cst.Name) or scope.kind != "function" or scope.node is None:
            return
        bindings = scope.names.get(base.value)
        if not bindings or not all(isinstance(b, Opaque) and b.reason == "function parameter" for b in bindings):
            return
        method = func.attr.value
        value = resolver.call(call, scope, qualname=f"<parameter>.{method}")
        if isinstance(value, Obj):
            evidence = finder.request(call, value, method, scope, registry.streams(None, value, method),
                                      finder.show(func), lazy_body=False)
            self._add(self.of_parameter, _parameter_key(scope, base.value), evidence, call)

    def client_names(self) -> frozenset[str]:
        """The names (and ``self.<attribute>`` names) the pooled clients made here are bound to."""
        from lunalint.scope import ValueOf

        found: set[str] = set()
        for made in self.made.values():
            owner = made.scope.enclosing_class()
            for table in (made.scope.names, owner.self_attrs if owner is not None else {}):
                found.update(name for name, bindings in table.items()
                             if any(isinstance(b, ValueOf) and b.node is made.call for b in bindings))
        return frozenset(found)

    def passed_to_local(self, call: cst.Call, scope: Scope, receivers: Receivers,
                        names: frozenset[str] | None = None) -> None:
        """``helper(client)``, ``self.send(client)`` or ``retry(...)(self.send)(client)`` with a local
        function or method: the client is its parameter there."""
        import libcst as cst

        from lunalint.callers import callee
        from lunalint.values import Obj

        if not call.args:
            return
        args = list(call.args)
        func = call.func
        named = func.value if isinstance(func, cst.Name) else func.attr.value if isinstance(func, cst.Attribute) else ""
        if named == "partial" and receivers.resolver.qualname(func, scope) == "functools.partial":
            # ``partial(self.send, client)``
            found = callee(args.pop(0).value, scope, receivers.resolver)
        else:
            found = callee(call.func, scope, receivers.resolver)
        if found is None:
            return
        definition, skipped = found
        assert isinstance(definition.node, cst.FunctionDef)
        params = definition.node.params
        positional = [param.name.value for param in (*params.posonly_params, *params.params)][skipped:]
        for index, arg in enumerate(args):
            if arg.star or not isinstance(arg.value, (cst.Name, cst.Attribute)):
                continue
            if names is not None and (arg.value.value if isinstance(arg.value, cst.Name)
                                      else arg.value.attr.value) not in names:
                continue  # not a name a client made here is bound to
            name = arg.keyword.value if arg.keyword is not None else (
                positional[index] if index < len(positional) else None)
            if name is None:
                continue
            for value in receivers.possible(arg.value, scope) or ():
                if isinstance(value, Obj):
                    self.passed.append((id(value.node), _parameter_key(definition, name)))

    def method_handed(self, call: cst.Call, scope: Scope, receivers: Receivers, finder: EvidenceFinder,
                      registry: Registry) -> list[ClientSpec]:
        """``helper(client.post, url, json=body)``, ``asyncio.to_thread(client.get, url)``: a
        request method handed to a function that calls it with the arguments after it is the
        request those arguments make: its evidence, and the specs of its own timeout."""
        from dataclasses import replace

        import libcst as cst

        from lunalint.values import Obj

        for index, arg in enumerate(call.args):
            func = arg.value
            if arg.keyword is not None or arg.star or not isinstance(func, cst.Attribute) \
                    or func.attr.value not in registry.method_names:
                continue
            found = _receiver(func, scope, receivers, registry.methods)
            if found is None or not registry.is_request(found.clients[0].qualname, found.method):
                continue
            made = call.with_changes(func=func, args=call.args[index + 1:])  # the request the helper makes
            value = receivers.resolver.call(made, scope, qualname=f"{found.clients[0].qualname}.{found.method}")
            if not isinstance(value, Obj):
                continue
            receiver = found.clients[0].qualname
            evidence = [item if item.anchor is not made else replace(item, anchor=call)
                        for item in finder.request(made, value, found.method, scope,
                                                   registry.streams(receiver, value, found.method),
                                                   finder.show(func), lazy_body=registry.lazy_body(receiver))]
            self._add(self.own, id(call), evidence, call)
            for each in found.clients:
                self._add(self.of_client, id(each.node), evidence, call)
            self.request_receivers.add(id(func.value))
            if found.client is not None:
                return [replace(spec, anchor=call) if spec.anchor is made else spec
                        for spec in registry.method_specs(found.client, value, found.method)]
        return []

    def fixtures(self, scan: ModuleScan, resolver: Resolver, receivers: Receivers) -> None:
        """A module-level pytest fixture that returns a client is every parameter of that name in the module."""
        import libcst as cst

        from lunalint.scope import Opaque

        for name, bindings in scan.module_scope.names.items():
            if len(bindings) != 1 or not isinstance(bindings[0], Opaque) or bindings[0].definition is None:
                continue
            definition = bindings[0].definition
            node = definition.node
            if not isinstance(node, cst.FunctionDef) or not any(
                    resolver.qualname(d.decorator.func if isinstance(d.decorator, cst.Call) else d.decorator,
                                      scan.module_scope) == "pytest.fixture" for d in node.decorators):
                continue
            returned = [(value, definition) for value in definition.returns if value is not None]
            self.fixture_clients.extend((client, name) for client in _handed(returned, receivers, set()))

    def through_parameters(self) -> None:
        """Evidence of requests made on a parameter, for every client passed as that parameter."""
        for client, key in self.passed:
            if key in self.of_parameter:
                self.of_client.setdefault(client, []).extend(self.of_parameter[key])
        for client, name in self.fixture_clients:
            for (_, parameter), evidence in self.of_parameter.items():
                if parameter == name:
                    self.of_client.setdefault(client, []).extend(evidence)

    def _add(self, table: dict[Any, list[Evidence]], key: Any, evidence: list[Evidence], call: cst.Call) -> None:
        if evidence:
            table.setdefault(key, []).extend(evidence)
            for item in evidence:
                if item.anchor is not call:
                    self.statement_of.setdefault(id(item.anchor), id(call))

    def one_shot_clients(self, scan: ModuleScan) -> None:
        """Clients bound by ``with`` whose one use is one request, made once."""
        import libcst as cst

        from lunalint.uses import closed_after_one_request, one_shot_uses

        for statement, _ in scan.withs:
            for index, item in enumerate(statement.items):
                if not (isinstance(item.item, cst.Call) and id(item.item) in self.constructed
                        and item.asname is not None and isinstance(item.asname.name, cst.Name)):
                    continue
                uses, most, repeated = one_shot_uses(statement, index, item.asname.name.value)
                if uses and most == 1 and not repeated and all(id(use) in self.request_receivers for use in uses):
                    self.one_shot.add(id(item.item))
        closing = {id(scope) for call, scope in scan.calls  # functions that close something
                   if isinstance(call.func, cst.Attribute) and call.func.attr.value in ("close", "aclose")}
        for made in self.made.values():
            if id(made.scope) in closing and closed_after_one_request(made.call, made.scope, self.request_receivers):
                self.one_shot.add(id(made.call))

    def side_clients(self, scan: ModuleScan) -> None:
        """SDK clients whose every use is a request that generates nothing (``embeddings.create``)."""
        from lunalint.uses import only_side_requests

        for key, made in self.made.items() if self.side_requests else ():
            if only_side_requests(made.call, made.scope, scan, self.side_requests):
                self.side_only.add(key)

    def apply(self, spec: ClientSpec, in_process: Mapping[int, str]) -> ClientSpec:
        """``spec`` with its evidence (strongest kind first), one-shot and in-process markers; an SDK
        client used only for requests that generate nothing loses the evidence of being one."""
        from dataclasses import replace

        from lunalint.spec import EvidenceKind

        key = id(spec.anchor)
        own = [*spec.evidence, *self.own.get(key, ())]
        if key in self.side_only:  # neither being an SDK client nor its base URL says more than its uses
            own = [item for item in own if not (item.kind in (EvidenceKind.SDK, EvidenceKind.MODEL_ENDPOINT)
                                                and item.anchor is spec.anchor)]
        found = [*own, *(self.of_client.get(key, ()) if spec.pooled else ())]
        ordered = tuple(sorted(dict.fromkeys(found), key=lambda item: _KIND_ORDER.index(item.kind.value)))
        process = spec.in_process or in_process.get(self.client_of.get(key, -1), "")
        one_shot = spec.pooled and key in self.one_shot
        if ordered == spec.evidence and process == spec.in_process and one_shot == spec.one_shot:
            return spec
        return replace(spec, evidence=ordered, in_process=process, one_shot=one_shot)


class _Receiver(NamedTuple):
    method: str  # dotted when the call goes through attributes of the client
    clients: tuple[Obj, ...]  # every followed client the call may be made on (at least one)
    client: Obj | None  # the one it is made on, when that is known


def _receiver(func: cst.Attribute, scope: Scope, receivers: Receivers,
              methods: Mapping[str, object]) -> _Receiver | None:
    """The client(s) a method call may be made on, and the (dotted) method name.

    ``client.get(...)`` is ``("get", (client,), client)``; ``client.chat.completions.create(...)`` has
    the method ``"chat.completions.create"`` when ``client.chat.completions`` itself is not followed.
    A receiver that may also be something else (``self.client = client``, a parameter, in another
    method) has ``client`` None: the call counts for the client's default timeouts, but is not
    judged as a call on it.
    """
    import libcst as cst

    from lunalint.receivers import one_of
    from lunalint.values import Obj

    path = [func.attr.value]
    node: cst.BaseExpression = func.value
    for _ in range(_MAX_ATTRIBUTE_HOPS):
        possible = receivers.possible(node, scope)
        clients = {id(value.node): value for value in possible or ()
                   if isinstance(value, Obj) and value.qualname in methods}
        if clients:
            one = one_of(possible, node)
            client = one if isinstance(one, Obj) and id(one.node) in clients else None
            return _Receiver(".".join(reversed(path)), tuple(clients.values()), client)
        if not isinstance(node, cst.Attribute):
            return None
        path.append(node.attr.value)
        node = node.value
    return None
