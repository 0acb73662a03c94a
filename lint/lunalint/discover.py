"""Which files to check: walk the given paths, skip excluded ones, prefilter on client imports."""

from __future__ import annotations

import fnmatch
import os
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from lunalint.libraries import CLIENT_MODULES

__all__ = ["DEFAULT_EXCLUDES", "Discovered", "PathError", "discover", "imports_client_module", "is_excluded"]

# Ruff's default excludes.
DEFAULT_EXCLUDES = (
    ".bzr", ".direnv", ".eggs", ".git", ".git-rewrite", ".hg", ".ipynb_checkpoints", ".mypy_cache",
    ".nox", ".pants.d", ".pyenv", ".pytest_cache", ".pytype", ".ruff_cache", ".svn", ".tox", ".venv",
    ".vscode", "__pypackages__", "_build", "buck-out", "build", "dist", "node_modules",
    "site-packages", "venv", ".lunalint_cache", "__pycache__",
)
PYTHON_SUFFIXES = (".py", ".pyi")

_PREFILTER = re.compile(
    rb"(?:^|(?<=\r))(?:\xef\xbb\xbf)?[ \t]*(?:from|import)[ \t]+[^\r\n#]*?\b(?:" + b"|".join(re.escape(m.encode()) for m in CLIENT_MODULES) + rb")\b",
    re.MULTILINE,
)


def imports_client_module(source: bytes) -> bool:
    """Cheap text test: does any import line mention a known client module?"""
    return _PREFILTER.search(source) is not None


@dataclass(frozen=True)
class Discovered:
    path: Path
    display: str  # the path as shown in reports
    explicit: bool  # named on the command line


@dataclass(frozen=True)
class PathError:
    display: str
    message: str


def _display(path: Path) -> str:
    try:
        relative = os.path.relpath(path)
    except ValueError:  # another drive on Windows
        return str(path)
    return str(path) if relative.startswith(".." + os.sep + "..") else relative


class _Excludes:
    """Exclude patterns compiled once: plain names as a set, globs as one regular expression."""

    def __init__(self, patterns: Sequence[str], root: Path) -> None:
        self.root = str(root)
        self.names = frozenset(p for p in patterns if not any(ch in p for ch in "*?[/"))
        globs = [p.rstrip("/") for p in patterns if p not in self.names]
        parts = [fnmatch.translate(p) for p in globs]
        parts += [fnmatch.translate(p + "/*") for p in globs if "/" in p]
        self.regex = re.compile("|".join(parts)) if parts else None

    def __call__(self, path: str, name: str) -> bool:
        if name in self.names:
            return True
        if self.regex is None:
            return False
        relative = os.path.relpath(os.path.abspath(path), self.root).replace(os.sep, "/")
        return bool(self.regex.match(name) or self.regex.match(relative))


def is_excluded(path: Path, patterns: Sequence[str], root: Path) -> bool:
    """Ruff-style matching: a pattern matches the base name, the path relative to ``root``, or a prefix."""
    return _Excludes(patterns, root)(str(path), path.name)


def discover(paths: Iterable[Path], excludes: Sequence[str], root: Path) -> Iterator[Discovered | PathError]:
    """Yield the files to check, in a stable order, and errors for paths that do not exist."""
    excluded = _Excludes((*DEFAULT_EXCLUDES, *excludes), root)
    seen: set[str] = set()
    for path in paths:
        if path.is_file():
            key = os.path.abspath(path)
            if key not in seen:
                seen.add(key)
                yield Discovered(path, _display(path), explicit=True)
        elif path.is_dir():
            yield from _walk(path, excluded, seen)
        elif path.is_symlink():
            yield PathError(_display(path), "broken symbolic link")
        elif os.path.lexists(path):
            yield PathError(_display(path), "not a regular file or directory")
        else:
            yield PathError(_display(path), "no such file or directory")


def _walk(top: Path, excluded: _Excludes, seen: set[str]) -> Iterator[Discovered]:
    found: list[str] = []
    for directory, dirnames, filenames in os.walk(top, followlinks=False):
        dirnames[:] = sorted(d for d in dirnames if not excluded(os.path.join(directory, d), d))
        for filename in filenames:
            if filename.endswith(PYTHON_SUFFIXES):
                candidate = os.path.join(directory, filename)
                if not excluded(candidate, filename):
                    found.append(candidate)
    for candidate in sorted(found):
        key = os.path.abspath(candidate)
        if key not in seen:
            seen.add(key)
            path = Path(candidate)
            yield Discovered(path, _display(path), explicit=False)
