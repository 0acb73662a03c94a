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
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    import libcst as cst

    from lunalint.parse import Parsed
    from lunalint.receivers import Receivers
    from lunalint.scope import ModuleScan, Scope
    from lunalint.spec import ClientSpec
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
    from lunalint.resolve import Resolver
    from lunalint.values import Obj

    registry = load()
    scan = scan_module(parsed.module)
    from lunalint.project import active

    resolver = Resolver(scan, active())
    resolver.constructors = frozenset(registry.constructors)
    receivers = Receivers(resolver)
    specs: list[ClientSpec] = []
    overrides: dict[int, list[bool]] = {}  # client call -> per followed call: passes its own timeout?
    for call, scope in scan.calls:
        func = call.func
        qualname = resolver.qualname(func, scope)
        if qualname is None and isinstance(func, cst.Name):  # ``Api(...)`` for ``class Api(httpx.AsyncClient)``
            qualname = resolver.client_class(func, scope)
        if qualname is not None and qualname in registry.constructors:
            value = resolver.call(call, scope)
            if isinstance(value, Obj) and value.qualname in registry.constructors:
                specs.extend(_named(spec, value) for spec in registry.constructors[value.qualname](value))
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
                if found.client is not None:
                    specs.extend(registry.method_specs(found.client, value, found.method))
    for target, assigned, scope in scan.attribute_assignments:
        if target.attr.value in registry.attribute_names:
            owner = receivers.the_one(target.value, scope)
            if isinstance(owner, Obj) and owner.qualname in registry.assignments:
                specs.extend(registry.assignment_specs(owner, target.attr.value, resolver.resolve(assigned, scope),
                                                       target))
    absorbed = {id(anchor) for spec in specs for anchor in spec.absorbs}
    kept = []
    for spec in specs:
        if id(spec.anchor) in absorbed:
            continue
        calls = overrides.get(id(spec.anchor))
        # A client whose every followed call passes its own timeout never uses its default one.
        kept.append(spec.without_default_timeouts() if calls and all(calls) else spec)
    return Extracted(kept, scan)


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
