"""The library registry: every library entry's handlers, keyed by qualified name."""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from typing import TYPE_CHECKING

from lunalint.libraries import ENTRIES

if TYPE_CHECKING:
    from lunalint.libraries.base import AssignmentHandler, ConstructorHandler, Library, MethodHandler

__all__ = ["Registry", "build"]


@dataclass(frozen=True)
class Registry:
    """Every library's handlers, keyed by qualified name."""

    libraries: tuple[Library, ...]
    constructors: dict[str, tuple[Library, ConstructorHandler]] = field(default_factory=dict)
    methods: dict[str, tuple[Library, MethodHandler]] = field(default_factory=dict)
    method_names: frozenset[str] = frozenset()  # every method name some library follows
    assignments: dict[str, tuple[Library, AssignmentHandler]] = field(default_factory=dict)
    attribute_names: frozenset[str] = frozenset()  # every attribute name some library follows

    @cached_property
    def entry_points(self) -> frozenset[str]:
        """Every qualified name a finding can start from (for the ``ast`` candidate filter)."""
        return frozenset(self.constructors) | frozenset(self.methods)


@lru_cache(maxsize=1)
def build() -> Registry:
    libraries: list[Library] = []
    registry = Registry(libraries=())
    for entry in ENTRIES:
        library: Library = importlib.import_module(entry).LIBRARY
        libraries.append(library)
        for qualname, handler in library.constructors.items():
            registry.constructors[qualname] = (library, handler)
        for qualname, method_handler in library.methods.items():
            registry.methods[qualname] = (library, method_handler)
        for qualname, assignment_handler in library.assignments.items():
            registry.assignments[qualname] = (library, assignment_handler)
    names = frozenset(name for library in libraries for name in library.method_names)
    attributes = frozenset(name for library in libraries for name in library.attribute_names)
    return Registry(tuple(libraries), registry.constructors, registry.methods, names,
                    registry.assignments, attributes)
