"""The language seam: a frontend turns one file's bytes into ClientSpecs and a source map.

Everything after extraction (judge, place, report, cache, the worker pool) is the same for every
language and never asks which one a file is in. A frontend answers three things about a file:
could it build a client at all (its prefilter), which clients it builds (``ClientSpec``s whose
anchors only the frontend understands), and, for placement, where each anchor is and which
suppression comments apply (a ``SourceMap``). Frontends are found by file suffix; a frontend's
module is imported only when a file with its suffix is checked, so a run answered from the cache
imports none.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol, runtime_checkable

if TYPE_CHECKING:
    from lunalint.report import Violation
    from lunalint.fix import Fixer
    from lunalint.spec import Anchor, ClientSpec, Span
    from lunalint.suppress import Suppressions

__all__ = ["Analysis", "CellSourceMap", "Frontend", "SourceError", "SourceMap", "frontend_for", "register",
           "suffixes", "unregister"]


class SourceError(Exception):
    """A problem with the file itself (syntax, encoding, nesting): reported as E001, one line."""


class SourceMap(Protocol):
    """What placement needs to know about a file's text."""

    suppressions: Suppressions

    def locate(self, anchors: Iterable[Anchor]) -> Mapping[Anchor, Span]:
        """The span of (at least) each of ``anchors``."""

    def statement_start(self, line: int) -> int:
        """The first line of the innermost statement containing ``line`` (for suppressions
        written on the first line of a multi-line statement)."""


@runtime_checkable
class CellSourceMap(SourceMap, Protocol):
    """The source map of a file made of cells (a notebook), which its frontend reads as one module:
    the cells one after another. Placement and suppressions work on the module's lines; ``shown``
    says where the user sees a finding (its cell, and lines counted in that cell)."""

    def shown(self, violation: Violation) -> Violation:
        """``violation`` (positioned in the module) with its cell and its lines in that cell."""

    def where(self, line: int) -> str:
        """Where the user sees a line of the module, for a message: ``cell 3, line 2``."""


@dataclass
class Analysis:
    """A frontend's answer for one file that may build clients. ``fixer`` plans and applies the
    fixes of the file's findings; a frontend without fixes leaves it None (its findings are then
    reported without a fix, and ``--fix`` leaves its files alone)."""

    specs: list[ClientSpec]
    source: SourceMap
    # False when the answer also depends on files other than this one (Rust: the nearest
    # Cargo.lock), which the result cache does not watch: such a result is never cached.
    cacheable: bool = True
    fixer: Fixer | None = None


class Frontend(Protocol):
    """One language (or file format). ``analyse`` returns None for a file that cannot build a
    client (its prefilter said no) and raises ``SourceError`` for a file it cannot read. ``path``
    is the file's name as reported (a path on disk when the file was read from one): a frontend
    may look beside it (Rust reads the nearest ``Cargo.lock``). ``suppressions`` reads a file's
    suppression comments alone (for rule LL902, which judges the comments of every file, clients
    or not)."""

    def analyse(self, data: bytes, path: str) -> Analysis | None: ...

    def suppressions(self, data: bytes) -> Suppressions: ...


# suffix -> the module whose ``FRONTEND`` handles it (imported on first use), or the frontend itself
_FRONTENDS: dict[str, str | Frontend] = {
    ".py": "lunalint.python",
    ".pyi": "lunalint.python",
    ".rs": "lunalint.rust",
    ".ipynb": "lunalint.notebook",
}


def suffixes() -> tuple[str, ...]:
    """Every file suffix some frontend reads (what a directory walk picks up)."""
    return tuple(_FRONTENDS)


def register(suffix: str, frontend: Frontend) -> None:
    """Read files ending in ``suffix`` with ``frontend`` (for frontends outside the package)."""
    _FRONTENDS[suffix] = frontend


def unregister(suffix: str) -> None:
    """Stop reading files ending in ``suffix`` (a suffix ``register`` added)."""
    _FRONTENDS.pop(suffix, None)


def frontend_for(name: str) -> Frontend:
    """The frontend for a file name (Python for any suffix no frontend claims: a file named on the
    command line is read as Python, as Ruff does)."""
    found: str | Frontend | None = None
    for suffix, frontend in _FRONTENDS.items():
        if name.endswith(suffix):
            found = frontend
            break
    if found is None:
        found = _FRONTENDS[".py"]
    if isinstance(found, str):
        loaded: Frontend = importlib.import_module(found).FRONTEND
        for suffix, frontend in _FRONTENDS.items():
            if frontend == found:
                _FRONTENDS[suffix] = loaded
        return loaded
    return found
