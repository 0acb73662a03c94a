"""Which files to check: walk the given paths, skip excluded ones, prefilter on client imports."""

from __future__ import annotations

import fnmatch
import os
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import NamedTuple
from pathlib import Path

from lunalint.libraries import CLIENT_MODULES

__all__ = ["DEFAULT_EXCLUDES", "Discovered", "PathError", "discover", "imports_client_module"]

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


_MODULE_NAMES = tuple(m.encode() for m in CLIENT_MODULES)


def imports_client_module(source: bytes) -> bool:
    """Cheap text test: does any import line mention a known client module?"""
    if not any(name in source for name in _MODULE_NAMES):  # a substring scan is ~3x faster than the regex
        return False
    return _PREFILTER.search(source) is not None


class Discovered(NamedTuple):  # a tuple: thousands are made per run, cheaply
    path: str | Path
    display: str  # the path as shown in reports
    explicit: bool  # named on the command line
    absolute: str = ""  # os.path.abspath(path), when the walk already knows it


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
        self.root = os.path.abspath(root)
        self.names = frozenset(p for p in patterns if not any(ch in p for ch in "*?[/"))
        globs = [p.rstrip("/") for p in patterns if p not in self.names]
        parts = [fnmatch.translate(p) for p in globs]
        parts += [fnmatch.translate(p + "/*") for p in globs if "/" in p]
        self.regex = re.compile("|".join(parts)) if parts else None

    def __call__(self, absolute: str, name: str) -> bool:
        if name in self.names:
            return True
        if self.regex is None:
            return False
        if absolute.startswith(self.root + os.sep):
            relative = absolute[len(self.root) + 1:]
        else:
            relative = os.path.relpath(absolute, self.root)
        return bool(self.regex.match(name) or self.regex.match(relative.replace(os.sep, "/")))


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
    """Files under ``top``, sorted; paths are built as strings from prefixes computed once."""
    top_text = os.path.normpath(top)
    absolute_top = os.path.abspath(top_text)
    display_top = _display(Path(top_text))
    found: list[str] = []  # suffixes below ``top``, each starting with a separator
    for directory, dirnames, filenames in os.walk(top_text, followlinks=False):
        suffix = directory[len(top_text):] if directory.startswith(top_text) else os.sep + directory
        base = absolute_top + suffix
        dirnames[:] = sorted(d for d in dirnames if not excluded(base + os.sep + d, d))
        for filename in filenames:
            if filename.endswith(PYTHON_SUFFIXES) and not excluded(base + os.sep + filename, filename):
                found.append(suffix + os.sep + filename)
    for suffix in sorted(found):
        absolute = absolute_top + suffix
        if absolute not in seen:
            seen.add(absolute)
            display = suffix[1:] if display_top == "." else display_top + suffix
            yield Discovered(absolute, display, explicit=False, absolute=absolute)
