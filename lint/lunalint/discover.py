"""Stage 1, discover: which files to check.

In: the paths given, exclude patterns, the project root. Out: ``Discovered`` files (each once, with
its stat when the cache wants it) and ``PathError``s for paths that do not exist or broken links.
A directory walk picks up the suffixes some frontend reads (``frontend.suffixes``) and skips
excluded and (with ``respect_gitignore``) git-ignored entries (``lunalint.gitignore``). Files named
on the command line are checked even when excluded or git-ignored, unless ``force_exclude`` is set
(pre-commit names every file it checks).
"""

from __future__ import annotations

import fnmatch
import os
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from lunalint.frontend import suffixes

if TYPE_CHECKING:
    from lunalint.gitignore import Chain

__all__ = ["DEFAULT_EXCLUDES", "Discovered", "KnownIn", "PathError", "discover"]

# Ruff's default excludes.
DEFAULT_EXCLUDES = (
    ".bzr", ".direnv", ".eggs", ".git", ".git-rewrite", ".hg", ".ipynb_checkpoints", ".mypy_cache",
    ".nox", ".pants.d", ".pyenv", ".pytest_cache", ".pytype", ".ruff_cache", ".svn", ".tox", ".venv",
    ".vscode", "__pypackages__", "_build", "buck-out", "build", "dist", "node_modules",
    "site-packages", "venv", ".lunalint_cache", "__pycache__",
)

class Discovered(NamedTuple):  # a tuple: thousands are made per run, cheaply
    path: str | Path
    display: str  # the path as shown in reports
    explicit: bool  # named on the command line
    absolute: str = ""  # os.path.abspath(path), when the walk already knows it
    stat: os.stat_result | None = None  # asked for with ``stat=True``; None if it failed


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

    def path(self, absolute: str) -> bool:
        """Whether ``absolute`` or a directory above it (below the root) is excluded."""
        if absolute.startswith(self.root + os.sep):
            parts = absolute[len(self.root) + 1:].split(os.sep)
            prefix = self.root
        else:
            parts, prefix = [os.path.basename(absolute)], os.path.dirname(absolute)
        for part in parts:
            prefix = os.path.join(prefix, part)
            if self(prefix, part):
                return True
        return False

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


# For a walk: given a directory, a test of its files (name, stat): is this one already known, so
# that it need not be checked (nor even reported back)? The cache provides it.
KnownIn = Callable[[str], Callable[[str, os.stat_result], bool]]


def discover(paths: Iterable[Path], excludes: Sequence[str], root: Path, *, stat: bool = False,
             known_in: KnownIn | None = None, respect_gitignore: bool = True,
             force_exclude: bool = False) -> Iterator[Discovered | PathError]:
    """Yield the files to check, and errors for paths that do not exist; each file once.

    Files named on the command line come first, then each directory's files in path order (a
    directory inside another one given is walked once). With ``stat``, each file comes with its
    ``os.stat`` (taken during the walk, where it is cheapest), or None when it cannot be taken (a
    broken symbolic link: reading it will say why). Files of a walked directory that ``known_in``
    recognises are not yielded at all.
    """
    excluded = _Excludes((*DEFAULT_EXCLUDES, *excludes), root)
    seen: set[str] = set()
    directories: list[Path] = []
    for path in paths:
        if force_exclude and (path.is_file() or path.is_dir()) and _force_excluded(path, excluded, respect_gitignore):
            continue
        if path.is_file():
            key = os.path.abspath(path)
            if key not in seen:
                seen.add(key)
                yield Discovered(path, _display(path), True, key, _stat(key) if stat else None)
        elif path.is_dir():
            directories.append(path)
        elif path.is_symlink():
            yield PathError(_display(path), "broken symbolic link")
        elif os.path.lexists(path):
            yield PathError(_display(path), "not a regular file or directory")
        else:
            yield PathError(_display(path), "no such file or directory")
    walked: list[str] = []
    for directory in directories:
        absolute = os.path.abspath(directory)
        if any(_contains(other, absolute) for other in walked):
            continue  # already walked, or inside a directory already walked
        inner = frozenset(other for other in walked if _contains(absolute, other))  # walked before: skip
        walked.append(absolute)
        chain = None
        if respect_gitignore:
            from lunalint import gitignore

            chain = gitignore.for_walk(absolute)
        yield from _walk(directory, excluded, seen, stat, known_in, skip=inner, chain=chain)


def _force_excluded(path: Path, excluded: _Excludes, respect_gitignore: bool) -> bool:
    """``--force-exclude`` for a path named on the command line: excluded, or git-ignored."""
    absolute = os.path.abspath(path)
    if excluded.path(absolute):
        return True
    if not respect_gitignore:
        return False
    from lunalint import gitignore

    directory = absolute if path.is_dir() else os.path.dirname(absolute)
    chain = gitignore.rules_at(directory)
    if chain is None:
        return False
    if not path.is_dir():
        chain = gitignore.with_directory(chain, directory)
    found = gitignore.repository(directory)
    assert found is not None
    parts = os.path.relpath(absolute, found[0]).split(os.sep)
    prefix = found[0]
    for index, part in enumerate(parts):  # each directory above, then the path itself
        prefix = os.path.join(prefix, part)
        last = index == len(parts) - 1
        if gitignore.ignored(chain, prefix, is_directory=path.is_dir() or not last):
            return True
    return False


def _contains(parent: str, path: str) -> bool:
    return path == parent or path.startswith(parent if parent.endswith(os.sep) else parent + os.sep)


def _stat(path: str) -> os.stat_result | None:
    try:
        return os.stat(path)
    except OSError:
        return None


# Where the platform can, a directory is opened once and its files are stat-ed relative to that
# descriptor: the kernel then resolves one name per file instead of the whole path.
_BY_DESCRIPTOR = os.scandir in os.supports_fd and os.stat in os.supports_dir_fd


def _walk(top: Path, excluded: _Excludes, seen: set[str], stat: bool, known_in: KnownIn | None, *,
          skip: frozenset[str], chain: Chain | None = None) -> Iterator[Discovered | PathError]:
    """Files under ``top`` that are neither known (``known_in``) nor under a directory in ``skip``
    (absolute paths), sorted by path.

    Like ``os.walk(followlinks=False)``: symbolic links to directories are not entered, other
    entries that are not directories (files, links to files, broken links) are candidates, and
    unreadable directories are skipped. Paths are built as strings from prefixes computed once.
    ``chain`` holds the git ignore rules that apply at ``top`` (None: git-ignored files are walked).
    """
    if chain is not None:
        from lunalint import gitignore
    top_text = os.path.normpath(top)
    absolute_top = os.path.abspath(top_text)
    display_top = _display(Path(top_text))
    found: list[tuple[str, os.stat_result | None]] = []  # (suffix below ``top``, stat); suffixes start with a separator
    broken: list[str] = []  # suffixes of broken symbolic links
    file_stat: os.stat_result | None = None
    names, by_path = excluded.names, excluded.regex is not None  # the usual case: names only, no path to build
    wanted = suffixes()
    chains: dict[str, Chain] = {}  # suffix -> the ignore rules of that directory's parent
    pending = [""]
    while pending:
        suffix = pending.pop()
        base = absolute_top + suffix
        rules: Chain | None = None
        try:
            descriptor = os.open(base, os.O_RDONLY | os.O_DIRECTORY) if _BY_DESCRIPTOR else None
        except OSError:
            continue  # unreadable or vanished: skipped, as os.walk does
        known = known_in(base) if known_in is not None and stat else None
        try:
            with os.scandir(base if descriptor is None else descriptor) as listing:
                entries = list(listing)
            if chain is not None:
                rules = chains.pop(suffix, chain)
                if any(entry.name == ".gitignore" for entry in entries):  # read only where there is one
                    rules = gitignore.with_directory(rules, base)
            for entry in entries:
                name = entry.name
                try:
                    is_directory = entry.is_dir()
                except OSError:
                    is_directory = False
                if is_directory:
                    if not (entry.is_symlink() or name in names
                            or (by_path and excluded(base + os.sep + name, name))
                            or (skip and base + os.sep + name in skip)
                            or (rules and gitignore.ignored(rules, base + os.sep + name, True))):
                        pending.append(suffix + os.sep + name)
                        if rules is not None:
                            chains[suffix + os.sep + name] = rules
                elif name.endswith(wanted) and not (
                        name in names or (by_path and excluded(base + os.sep + name, name))):
                    if stat:
                        try:
                            file_stat = entry.stat()
                        except OSError:
                            file_stat = None
                        # Known unchanged and without findings: nothing to report whether or not
                        # git ignores it now, so the ignore rules need not be asked (most files
                        # of a warm run).
                        if known is not None and file_stat is not None and known(name, file_stat):
                            continue
                    if rules and gitignore.ignored(rules, base + os.sep + name, False):
                        continue
                    if entry.is_symlink() and not os.path.exists(base + os.sep + name):
                        broken.append(suffix + os.sep + name)
                        continue
                    found.append((suffix + os.sep + name, file_stat))
        except OSError:
            pass
        finally:
            if descriptor is not None:
                os.close(descriptor)
    found.sort()
    for suffix in sorted(broken):
        yield PathError(suffix[1:] if display_top == "." else display_top + suffix, "broken symbolic link")
    for suffix, file_stat in found:
        absolute = absolute_top + suffix
        if absolute not in seen:
            seen.add(absolute)
            display = suffix[1:] if display_top == "." else display_top + suffix
            yield Discovered(absolute, display, False, absolute, file_stat)

