"""git's ignore rules for the walk: nested ``.gitignore`` files, ``info/exclude``, ``core.excludesFile``.

The matching is pathspec's ``GitIgnoreSpec`` (git's own edge cases); this module finds the files
as git does and applies git's precedence: a ``.gitignore`` in a deeper directory over one above it,
those over ``$GIT_DIR/info/exclude``, that over the global excludes file (``core.excludesFile``,
default ``$XDG_CONFIG_HOME/git/ignore``), and within one file the last matching pattern. Outside a
git work tree nothing is ignored. pathspec is imported only when some ignore file has patterns.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    from pathspec import GitIgnoreSpec

__all__ = ["Chain", "Rules", "for_walk", "ignored", "repository", "rules_at", "with_directory"]


class Rules(NamedTuple):
    base: str  # absolute directory the patterns are relative to
    spec: GitIgnoreSpec
    # Every pattern's expression in one: a path it does not match, no pattern decides (most paths).
    quick: re.Pattern[str] | None = None


Chain = tuple[Rules, ...]  # lowest precedence first


def _compile(path: str, base: str) -> Rules | None:
    try:
        with open(path, encoding="utf-8", errors="replace") as handle:
            lines = handle.read().splitlines()
    except OSError:
        return None
    if not any(line.strip() and not line.startswith("#") for line in lines):
        return None
    from pathspec import GitIgnoreSpec

    return _rules(base, GitIgnoreSpec.from_lines(lines))


_GROUP = re.compile(r"\(\?P<\w+>")


def _rules(base: str, spec: GitIgnoreSpec) -> Rules:
    expressions = [regex.pattern for pattern in spec.patterns
                   if (regex := getattr(pattern, "regex", None)) is not None]
    try:
        quick = re.compile("|".join(f"(?:{_GROUP.sub('(?:', e)})" for e in expressions)) if expressions else None
    except re.error:
        quick = None  # check every path with the spec itself
    return Rules(base, spec, quick)


def with_directory(chain: Chain, directory: str) -> Chain:
    """``chain`` plus the ``.gitignore`` of ``directory``, if it has patterns."""
    rules = _compile(os.path.join(directory, ".gitignore"), directory)
    return chain if rules is None else (*chain, rules)


def ignored(chain: Chain, absolute: str, is_directory: bool) -> bool:
    """Whether git ignores ``absolute`` under ``chain`` (its parents are assumed not ignored)."""
    for base, spec, quick in reversed(chain):
        if absolute.startswith(base) and absolute[len(base):len(base) + 1] == os.sep:
            relative = absolute[len(base) + 1:]  # the walk's usual case, without os.path.relpath
        else:
            relative = os.path.relpath(absolute, base)
            if relative.startswith(".." + os.sep) or relative == "..":
                continue
        relative = relative.replace(os.sep, "/") + ("/" if is_directory else "")
        if quick is not None and quick.search(relative) is None:
            continue  # no pattern matches: this file of patterns decides nothing
        result = spec.check_file(relative)
        if result.include is not None:
            return bool(result.include)
    return False


def repository(directory: str) -> tuple[str, str] | None:
    """(work tree, common git directory) of the repository holding ``directory``, or None."""
    for candidate in (directory, *_parents(directory)):
        dot_git = os.path.join(candidate, ".git")
        if os.path.isdir(dot_git):
            return candidate, dot_git
        if os.path.isfile(dot_git):  # a linked worktree or a submodule: "gitdir: <path>"
            try:
                with open(dot_git, encoding="utf-8") as handle:
                    text = handle.read().strip()
            except OSError:
                return None
            if not text.startswith("gitdir:"):
                return None
            git_dir = os.path.normpath(os.path.join(candidate, text[len("gitdir:"):].strip()))
            try:
                with open(os.path.join(git_dir, "commondir"), encoding="utf-8") as handle:
                    git_dir = os.path.normpath(os.path.join(git_dir, handle.read().strip()))
            except OSError:
                pass
            return candidate, git_dir
    return None


def _parents(directory: str) -> list[str]:
    parents: list[str] = []
    while True:
        parent = os.path.dirname(directory)
        if parent == directory:
            return parents
        parents.append(parent)
        directory = parent


_SECTION = re.compile(r"^\s*\[\s*([A-Za-z0-9.-]+)(?:\s+\"[^\"]*\")?\s*\]")
_EXCLUDES_FILE = re.compile(r"^\s*excludesfile\s*=\s*(.*?)\s*$", re.IGNORECASE)


def _excludes_file(git_dir: str) -> str:
    """``core.excludesFile`` from the system, global and repository config (git's default if unset).

    Read with a small parser of git's config syntax (sections and ``key = value``); ``include``
    directives are not followed.
    """
    home = os.path.expanduser("~")
    xdg = os.environ.get("XDG_CONFIG_HOME") or os.path.join(home, ".config")
    files = [] if os.environ.get("GIT_CONFIG_NOSYSTEM") else ["/etc/gitconfig"]
    global_file = os.environ.get("GIT_CONFIG_GLOBAL")
    files += [global_file] if global_file else [os.path.join(xdg, "git", "config"), os.path.join(home, ".gitconfig")]
    files.append(os.path.join(git_dir, "config"))
    value: str | None = None
    for path in files:
        try:
            with open(path, encoding="utf-8", errors="replace") as handle:
                lines = handle.read().splitlines()
        except OSError:
            continue
        section = ""
        for line in lines:
            header = _SECTION.match(line)
            if header is not None:
                section = header.group(1).lower()
                continue
            found = _EXCLUDES_FILE.match(line) if section == "core" else None
            if found is not None:
                value = found.group(1).strip('"')
    if value is None:
        return os.path.join(xdg, "git", "ignore")
    return os.path.expanduser(value)


def for_walk(top: str) -> Chain | None:
    """The rules for walking directory ``top``, or None when it is in no git work tree."""
    chain = rules_at(top)
    return None if chain is None else tuple(_inside(rules, top) for rules in chain)


def rules_at(top: str) -> Chain | None:
    """Every rule that applies in directory ``top`` (the patterns of the directories above it
    included), or None when it is in no git work tree."""
    found = repository(top)
    if found is None:
        return None
    work_tree, git_dir = found
    chain: Chain = ()
    for path in (_excludes_file(git_dir), os.path.join(git_dir, "info", "exclude")):
        rules = _compile(path, work_tree)
        if rules is not None:
            chain = (*chain, rules)
    directories: Sequence[str] = [top, *_parents(top)]
    for directory in reversed(directories[:directories.index(work_tree) + 1] if work_tree in directories else [top]):
        if directory != top:
            chain = with_directory(chain, directory)
    return chain


def _inside(rules: Rules, top: str) -> Rules:
    """``rules`` without the patterns that ignore ``top`` or a directory above it: a directory
    given to walk is walked, as git would list it with ``git ls-files --others <top>`` and Ruff
    walks a path named on its command line; inside it, each entry is judged by its own path."""
    relative = os.path.relpath(top, rules.base).replace(os.sep, "/")
    if relative == "." or relative.startswith("../"):
        return rules
    parts = relative.split("/")
    above = ["/".join(parts[:end]) + "/" for end in range(1, len(parts) + 1)]
    patterns = [pattern for pattern in rules.spec.patterns
                if not (pattern.include and any(pattern.match_file(path) is not None for path in above))]
    if len(patterns) == len(rules.spec.patterns):
        return rules
    from pathspec import GitIgnoreSpec

    return _rules(rules.base, GitIgnoreSpec(patterns))
