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


def is_excluded(path: Path, patterns: Sequence[str], root: Path) -> bool:
    """Ruff-style matching: a pattern matches the base name, the path relative to ``root``, or a prefix."""
    name = path.name
    try:
        relative = path.resolve().relative_to(root).as_posix()
    except ValueError:
        relative = path.as_posix()
    for pattern in patterns:
        stripped = pattern.rstrip("/")
        if fnmatch.fnmatchcase(name, stripped) or fnmatch.fnmatchcase(relative, stripped):
            return True
        if "/" in stripped and (relative.startswith(stripped + "/") or fnmatch.fnmatchcase(relative, stripped + "/*")):
            return True
    return False


def discover(paths: Iterable[Path], excludes: Sequence[str], root: Path) -> Iterator[Discovered | PathError]:
    """Yield the files to check, in a stable order, and errors for paths that do not exist."""
    patterns = (*DEFAULT_EXCLUDES, *excludes)
    seen: set[Path] = set()
    for path in paths:
        if path.is_file():
            key = path.resolve()
            if key not in seen:
                seen.add(key)
                yield Discovered(path, _display(path), explicit=True)
        elif path.is_dir():
            yield from _walk(path, patterns, root, seen)
        elif path.is_symlink():
            yield PathError(_display(path), "broken symbolic link")
        elif os.path.lexists(path) or path.exists():
            yield PathError(_display(path), "not a regular file or directory")
        else:
            yield PathError(_display(path), "no such file or directory")


def _walk(top: Path, patterns: Sequence[str], root: Path, seen: set[Path]) -> Iterator[Discovered]:
    found: list[Path] = []
    for directory, dirnames, filenames in os.walk(top, followlinks=False):
        base = Path(directory)
        dirnames[:] = sorted(d for d in dirnames if not is_excluded(base / d, patterns, root))
        for filename in filenames:
            if filename.endswith(PYTHON_SUFFIXES):
                candidate = base / filename
                if not is_excluded(candidate, patterns, root):
                    found.append(candidate)
    for candidate in sorted(found):
        try:
            key = candidate.resolve()
        except OSError:
            key = candidate
        if key not in seen:
            seen.add(key)
            yield Discovered(candidate, _display(candidate), explicit=False)
