"""Across modules: the module-level bindings of the other modules of the checked tree.

``from .config import REQUEST_TIMEOUT`` (or ``from mypkg.config import ...``, or a settings object
or helper function defined there) is read where it is defined: the module is found next to the
file being checked (relative imports from its package, absolute ones from the directories above
it), parsed with libcst on first use and resolved with the same ``Resolver``. Only what a value
needs is read, only when a value needs it, so a tree without such imports costs nothing more and
a run answered from the cache builds nothing.

Every module read this way is recorded with its stat key and content digest (``Dependency``):
the cache keys the checked file's result on them too, so a change in ``config.py`` invalidates
the result of ``client.py``. Values from another module are re-anchored at the name that uses
them, so every finding stays in the file checked.
"""

from __future__ import annotations

import ast
import os
import re
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from typing import TYPE_CHECKING, NamedTuple, TypeVar, cast

if TYPE_CHECKING:
    import libcst as cst

    from lunalint.resolve import Resolver
    from lunalint.values import Value

__all__ = ["Dependency", "Project", "active", "checking", "imported_name", "new_run"]

MAX_MODULE_BYTES = 256 * 1024  # larger modules are not read for values
MAX_ANCESTORS = 8  # directories above a file searched for the top package of an absolute import
MAX_DEPTH = 4  # modules followed through one another in a row
_PROJECT_FILES = ("pyproject.toml", "setup.py", "setup.cfg")
_SKIPPED_DIRECTORIES = frozenset({"__pycache__", "node_modules", "site-packages", "venv", "build", "dist"})
_T = TypeVar("_T")
_run_state: dict[tuple[str, str], object] = {}  # per process, for one run: e.g. the tree's import index


class Dependency(NamedTuple):
    """A module a result read values from: its path, stat key (``cache.stat_key``) and digest."""

    path: str
    stat_key: str
    digest: str


class Project:
    """The other modules of the tree around one checked file, read on demand."""

    def __init__(self, path: str) -> None:
        self.path = os.path.abspath(path)
        self.read: dict[str, Dependency] = {}
        self._modules: dict[str, Resolver | None] = {}  # "path\0name" -> the statements binding name
        self._sources: dict[str, tuple[list[str], ast.Module] | None] = {}
        self._texts: dict[str, str | None] = {}
        self._active: set[str] = set()
        self._root: str | None = None

    # Naming ---------------------------------------------------------------------------------------
    def module_name(self) -> str:
        return ""  # relative imports are resolved from the file's own directory

    def _candidates(self, dotted: str, importer_dir: str) -> Iterator[tuple[str, list[str]]]:
        """(module file, the attributes after it) for each way ``dotted`` may name a module."""
        level = len(dotted) - len(dotted.lstrip("."))
        parts = [part for part in dotted[level:].split(".") if part]
        if level:
            base = importer_dir
            for _ in range(level - 1):
                base = os.path.dirname(base)
            bases = [base]
        else:
            if not parts or parts[0] in sys.stdlib_module_names or parts[0] in sys.builtin_module_names:
                return
            bases = []
            directory = importer_dir
            for _ in range(MAX_ANCESTORS):
                if os.path.isdir(os.path.join(directory, parts[0])) or os.path.isfile(
                        os.path.join(directory, parts[0] + ".py")):
                    bases.append(directory)
                parent = os.path.dirname(directory)
                if parent == directory:
                    break
                directory = parent
        found = False
        for base in bases:
            for split in range(len(parts), 0, -1):
                stem = os.path.join(base, *parts[:split])
                for candidate in (stem + ".py", os.path.join(stem, "__init__.py")):
                    if os.path.isfile(candidate):
                        found = True
                        yield candidate, parts[split:]
                        break
                else:
                    continue
                break
            if level == 0 and not parts:
                return
        if not found and not level:  # a package of the project not above the file (a monorepo's libs/x/x)
            for base in self._source_roots(parts[0]):
                for split in range(len(parts), 0, -1):
                    stem = os.path.join(base, *parts[:split])
                    files = [c for c in (stem + ".py", os.path.join(stem, "__init__.py")) if os.path.isfile(c)]
                    if files:
                        yield files[0], parts[split:]
                        break

    def module_of(self, dotted: str, importer: str) -> list[tuple[str, list[str]]]:
        """(module file, the attributes after it) for each way the module at ``importer`` may mean
        ``dotted`` (``from .http import client`` there: ``.http.client``)."""
        return list(self._candidates(dotted, os.path.dirname(importer)))

    def source(self, path: str) -> tuple[list[str], ast.Module] | None:
        """The lines and ``ast`` tree of the module at ``path``, recorded as a dependency."""
        return self._source(path)

    def root(self) -> str:
        """The project the checked file belongs to: the nearest directory above it holding
        ``.git``, else the topmost one holding a ``pyproject.toml``, ``setup.py`` or ``setup.cfg``,
        else the directory above its top package; never above a hidden or skipped directory
        (``.venv``, ``site-packages``), which a walk of the project does not enter."""
        if self._root is not None:
            return self._root
        directory = os.path.dirname(self.path)
        topmost = None
        for _ in range(MAX_ANCESTORS):
            if os.path.exists(os.path.join(directory, ".git")):
                topmost = directory
                break
            if any(os.path.isfile(os.path.join(directory, name)) for name in _PROJECT_FILES):
                topmost = directory
            if skipped_directory(os.path.basename(directory)):
                break
            parent = os.path.dirname(directory)
            if parent == directory:
                break
            directory = parent
        if topmost is None:
            topmost = os.path.dirname(self.path)
            while os.path.isfile(os.path.join(topmost, "__init__.py")) and os.path.dirname(topmost) != topmost:
                topmost = os.path.dirname(topmost)
        self._root = topmost
        return topmost

    def _source_roots(self, top: str) -> list[str]:
        """Directories of the project (its root, and each directory up to two levels below it
        with a ``pyproject.toml``, ``setup.py`` or ``setup.cfg``, and their ``src``) holding the
        package or module ``top``: where an example or test of a monorepo finds ``import top``."""
        roots = self.run_state(("source roots", self.root()), _project_directories)
        return [root for root in roots if os.path.isfile(os.path.join(root, top, "__init__.py"))
                or os.path.isfile(os.path.join(root, top + ".py"))]

    def run_state(self, key: tuple[str, str], make: Callable[[tuple[str, str]], _T]) -> _T:
        """What ``make(key)`` gives, made once per run (``new_run``) in each process."""
        if key not in _run_state:
            _run_state[key] = make(key)
        return cast("_T", _run_state[key])

    # Lookup ---------------------------------------------------------------------------------------
    def lookup(self, qualname: str, importer: str, depth: int) -> Value | None:
        """The value of ``qualname`` as the module ``importer`` (a file path, or "" for the checked
        file) imports it; None when it is not a module-level binding of the tree."""
        if len(self._active) >= MAX_DEPTH:
            return None
        importer_dir = os.path.dirname(importer or self.path)
        for module_path, attributes in self._candidates(qualname, importer_dir):
            if module_path == self.path or module_path in self._active or not attributes:
                continue
            resolver = self._load(module_path, attributes[0])
            if resolver is None:
                continue
            self._active.add(module_path)
            try:
                value = resolver.module_attribute(attributes, depth)
            finally:
                self._active.discard(module_path)
            if value is not None:
                return value
        return None

    def _load(self, path: str, name: str) -> Resolver | None:
        """A resolver for the statements of the module at ``path`` that bind ``name`` (and,
        transitively, what they read): libcst parses only those."""
        key = f"{path}\0{name}"
        if key in self._modules:
            return self._modules[key]
        self._modules[key] = None
        source = self._source(path)
        if source is None:
            return None
        text, tree = source
        lines = _select(tree, name)
        if not lines:
            return None
        resolver = _resolver("".join("".join(text[first - 1:last]) for first, last in lines), self, path)
        self._modules[key] = resolver
        return resolver

    def text(self, path: str) -> str | None:
        """The text of the module at ``path``, recorded as a dependency (``source`` without the tree)."""
        if path not in self._texts:
            self._texts[path] = None
            read = read_dependency(path, MAX_MODULE_BYTES)
            if read is None:
                return None
            data, dependency = read
            if len(data) > MAX_MODULE_BYTES or b"\x00" in data:
                return None
            self.read[path] = dependency
            try:
                self._texts[path] = data.decode("utf-8")
            except ValueError:
                return None
        return self._texts[path]

    def _source(self, path: str) -> tuple[list[str], ast.Module] | None:
        if path in self._sources:
            return self._sources[path]
        self._sources[path] = None
        text = self.text(path)
        if text is None:
            return None
        try:
            tree = ast.parse(text)
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            return None
        found = (_LINES.findall(text), tree)
        self._sources[path] = found
        return found


def imported_name(node: ast.ImportFrom, name: str) -> str:
    """The dotted name ``from <module> import <name>`` imports (``.http.client``, ``pkg.http.client``)."""
    base = "." * node.level + (node.module or "")
    return f"{base}{name}" if base.endswith(".") or not base else f"{base}.{name}"


def read_dependency(path: str, limit: int) -> tuple[bytes, Dependency] | None:
    """Up to ``limit + 1`` bytes of ``path`` (more than ``limit``: the file is larger) and the
    record that keys a result on them, its stat key taken as the read began (the racy-stat
    rule); None when it cannot be read."""
    read_ns = time.time_ns()
    try:
        with open(path, "rb") as handle:
            stat = os.fstat(handle.fileno())
            data = handle.read(limit + 1)
    except OSError:
        return None
    from lunalint.cache import content_digest, stat_key

    return data, Dependency(path, stat_key(stat, read_ns), content_digest(data))


_LINES = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+$")


def _select(tree: ast.Module, name: str) -> list[tuple[int, int]]:
    """Line ranges of the top-level statements that bind ``name``, the imports, and what the
    selected statements read, transitively (in file order)."""
    from lunalint.parse import selected_groups

    return selected_groups(tree.body, lambda _, binds: name in binds)


def _resolver(source: str, project: Project, path: str) -> Resolver | None:
    import libcst as cst

    from lunalint.resolve import Resolver
    from lunalint.scope import scan_module

    try:
        module = cst.parse_module(source)
    except (cst.ParserSyntaxError, RecursionError, ValueError):
        return None
    return Resolver(scan_module(module), project, path)


def reanchor(value: Value, node: cst.CSTNode) -> Value:
    """``value`` (from another module) with every anchor at ``node``, the name that uses it here."""
    from lunalint.values import Dict, Obj, Seq

    if isinstance(value, Obj):
        return replace(value, node=node, ref=node, arg_nodes={},
                       args=tuple(reanchor(item, node) for item in value.args),
                       kwargs={key: reanchor(item, node) for key, item in value.kwargs.items()})
    if isinstance(value, Dict):
        return replace(value, node=node, ref=node, items={key: reanchor(item, node) for key, item in value.items.items()})
    if isinstance(value, Seq):
        return replace(value, node=node, ref=node, items=tuple(reanchor(item, node) for item in value.items))
    return replace(value, node=node, ref=node)


_current: Project | None = None


@contextmanager
def checking(path: str) -> Iterator[dict[str, Dependency]]:
    """While one file (``path``) is checked, its imports of the tree can be followed; yields the
    modules read, filled when the check ends."""
    global _current
    previous = _current
    project = _current = Project(path)
    try:
        yield project.read
    finally:
        _current = previous


def skipped_directory(name: str) -> bool:
    """A directory a walk of the project does not enter: hidden, caches, environments, builds."""
    return name.startswith(".") or name in _SKIPPED_DIRECTORIES


def _project_directories(key: tuple[str, str]) -> list[str]:
    root = key[1]
    found = [root, os.path.join(root, "src")]
    level = [root]
    for _ in range(2):
        below = []
        for directory in level:
            try:
                entries = sorted(os.scandir(directory), key=lambda entry: entry.name)
            except OSError:
                continue
            for entry in entries:
                if entry.is_dir(follow_symlinks=False) and not skipped_directory(entry.name):
                    below.append(entry.path)
                    if any(os.path.isfile(os.path.join(entry.path, name)) for name in _PROJECT_FILES):
                        found += [entry.path, os.path.join(entry.path, "src")]
        level = below
    return found


def new_run() -> None:
    """Forget what earlier runs in this process learnt about the tree (its files may have changed)."""
    _run_state.clear()


def active() -> Project | None:
    """The project of the file being checked, if the engine named one."""
    return _current
