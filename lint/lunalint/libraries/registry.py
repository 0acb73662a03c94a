"""The library registry: every library's handler tables, merged and keyed by qualified name."""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property, lru_cache
from typing import TYPE_CHECKING, TypeVar

if TYPE_CHECKING:
    from lunalint.libraries.base import AssignmentTable, ConstructorHandler, Library, MethodTable
    from lunalint.spec import Anchor, ClientSpec
    from lunalint.values import Obj, Value

__all__ = ["Registry", "build"]

T = TypeVar("T")


@dataclass(frozen=True)
class Registry:
    """Every library's handlers, keyed by qualified name (see ``base.py`` for the tables)."""

    constructors: dict[str, ConstructorHandler]
    methods: dict[str, MethodTable]  # receiver qualname -> its method table
    assignments: dict[str, AssignmentTable]  # receiver qualname -> its attribute table
    libraries: dict[str, Library]  # receiver (or constructor) qualname -> its library

    @cached_property
    def entry_points(self) -> frozenset[str]:
        """Every qualified name a finding can start from (for the ``ast`` candidate filter)."""
        return frozenset(self.constructors) | frozenset(self.methods)

    @cached_property
    def method_names(self) -> frozenset[str]:
        """Every method name some library follows (the last name of a dotted call)."""
        return frozenset(_last(name) for table in self.methods.values() for name in table)

    @cached_property
    def attribute_names(self) -> frozenset[str]:
        """Every attribute name some library follows assignments to."""
        return frozenset(name for table in self.assignments.values() for name in table)

    def method_specs(self, receiver: Obj, call: Obj, method: str) -> list[ClientSpec]:
        """What ``call``, ``method`` (dotted when called through attributes) on ``receiver``, configures."""
        table = self.methods[receiver.qualname]
        handler = table.get(f"*.{_last(method)}") if "." in method else table.get(method)
        return handler(receiver, call, method) if handler is not None else []

    def assignment_specs(self, receiver: Obj, attribute: str, value: Value, target: Anchor) -> list[ClientSpec]:
        """What ``receiver.attribute = value`` configures."""
        handler = self.assignments[receiver.qualname].get(attribute)
        return handler(receiver, attribute, value, target) if handler is not None else []

    def streams(self, receiver: str | None, call: Obj, method: str) -> str:
        """How ``call`` (``method`` on an object ``receiver`` built, or a module-level function
        when ``receiver`` is None) streams its response: the argument or method that says so, or ``""``."""
        from lunalint.libraries.base import streams_response

        library = self.libraries.get(receiver) if receiver is not None else None
        return (library.streams if library is not None else streams_response)(call, method)

    def replaces_default_timeout(self, qualname: str) -> bool:
        """Whether ``qualname`` (an SDK client) replaces the default timeout of an http client handed to it."""
        library = self.libraries.get(qualname)
        return library is not None and qualname in library.replaces_default_timeout

    def lazy_body(self, qualname: str) -> bool:
        """Whether a request on (or by) ``qualname`` returns before its body is read."""
        library = self.libraries.get(qualname)
        return library is not None and library.lazy_body

    def is_request(self, receiver: str, method: str) -> bool:
        """Whether ``method`` (dotted when called through attributes) on ``receiver`` sends a request."""
        library = self.libraries.get(receiver)
        key = f"*.{_last(method)}" if "." in method else method
        return library is not None and key in library.request_methods

    def overrides_timeout(self, receiver: str, call: Obj, method: str) -> bool:
        """Does ``call`` (``method`` on an object ``receiver`` built) replace its timeout?"""
        return self.libraries[receiver].overrides_timeout(call, method)


def _last(method: str) -> str:
    return method.rsplit(".", 1)[-1]


@lru_cache(maxsize=1)
def build(entries: tuple[tuple[str, tuple[str, ...]], ...]) -> Registry:
    """The registry of ``entries`` (``ENTRIES.items()``): each module's ``LIBRARY``, merged.

    Raises ValueError for a qualified name outside its entry's import names (the prefilter would
    never let a file using it through) or declared by two libraries.
    """
    registry = Registry({}, {}, {}, {})
    for entry, import_names in entries:
        library: Library = importlib.import_module(entry).LIBRARY
        _merge(entry, import_names, library.constructors, registry.constructors)
        _merge(entry, import_names, library.methods, registry.methods)
        _merge(entry, import_names, library.assignments, registry.assignments)
        registry.libraries.update(dict.fromkeys(library.methods, library))
        for qualname in library.constructors:  # module-level request functions too (``aiohttp.request``)
            registry.libraries.setdefault(qualname, library)
    return registry


def _merge(entry: str, import_names: tuple[str, ...], declared: Mapping[str, T], merged: dict[str, T]) -> None:
    for qualname, handler in declared.items():
        if qualname.split(".", 1)[0] not in import_names:
            raise ValueError(f"{entry}: {qualname} is outside its import names in ENTRIES ({', '.join(import_names)})")
        if qualname in merged:
            raise ValueError(f"{entry}: {qualname} is declared by another library too")
        merged[qualname] = handler
