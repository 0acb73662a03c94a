"""Stage 8, fix: what a finding's fix is, which fixes a run may apply, and the fix loop.

A ``Fix`` is plain data (applicability, a one-line description, text edits in file coordinates):
it travels with its ``Violation`` through the worker pool, the cache, JSON and SARIF. Planning and
applying edits belong to the file's frontend (``Analysis.fixer``: the Python frontend's is
``pyfix.PythonFixer``), which asks each library entry for the edits of its own clients; this
module knows neither languages nor libraries.

Applicability follows Ruff: a *safe* fix keeps everything the code wrote and only adds what a
library default left out (or replaces an invalid value); an *unsafe* fix changes a value the code
wrote or has effects beyond the finding (a transport that turns off environment proxies) and runs
only with ``--unsafe-fixes``; a *display-only* fix is shown as help and never applied.

``fix_source`` applies the allowed fixes of one file until nothing changes (at most
``MAX_ROUNDS`` rounds, like Ruff's fix loop): each round analyses the current text again, so a fix
never works from stale positions, and a round whose result does not parse is dropped.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple, Protocol

from lunalint.report import FileError, Report

if TYPE_CHECKING:
    from lunalint.config import Policy, Settings
    from lunalint.judge import Judged
    from lunalint.report import FileResult, Violation

__all__ = ["FIXABLE_CODES", "FixValues", "fix_values", "number", "FixRun", "fix_paths", "MAX_ROUNDS", "Applicability", "Edit", "Fix", "FixOutcome", "FixPolicy", "Fixer",
           "fix_source", "unified_diff"]

MAX_ROUNDS = 10

# Rules for which some library plans an edit (``lunalint rules`` shows them; each rule's
# "Fix safety" section says when the fix is safe). LL902 (an unused suppression) has none.
FIXABLE_CODES = frozenset({
    "LL101", "LL102", "LL103", "LL104", "LL201", "LL202", "LL203", "LL204",
    "LL301", "LL302", "LL303", "LL304", "LL305", "LL401", "LL402", "LL403", "LL901",
})


class Applicability(str, Enum):
    SAFE = "safe"
    UNSAFE = "unsafe"
    DISPLAY = "display-only"


class Edit(NamedTuple):
    """Replace the text from (line, column) up to (end_line, end_column) with ``content``
    (1-based; columns count characters; an insertion has equal start and end)."""

    line: int
    column: int
    end_line: int
    end_column: int
    content: str


class Fix(NamedTuple):
    """A finding's fix: how safe it is, what it does, and its edits on the file as it was."""

    applicability: Applicability
    message: str
    edits: tuple[Edit, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        return {"applicability": self.applicability.value, "message": self.message,
                "edits": [{"content": e.content, "location": {"row": e.line, "column": e.column},
                           "end_location": {"row": e.end_line, "column": e.end_column}} for e in self.edits]}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Fix:
        edits = tuple(Edit(e["location"]["row"], e["location"]["column"], e["end_location"]["row"],
                           e["end_location"]["column"], e["content"]) for e in data["edits"])
        return cls(Applicability(data["applicability"]), data["message"], edits)


# The values fixes write and hints show: the seed's 600 / 10 / 90 / 60 s, within the policy.
SEED_READ, SEED_CONNECT, SEED_IDLE, SEED_KEEPIDLE = 600.0, 10.0, 90.0, 60.0


class FixValues(NamedTuple):
    read: float
    connect: float
    idle: float
    keepidle: float


def number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def fix_values(policy: Policy) -> FixValues:
    return FixValues(max(SEED_READ, policy.streaming_min_timeout), min(SEED_CONNECT, policy.max_connect_timeout),
                     min(SEED_IDLE, policy.max_pool_idle_timeout), min(SEED_KEEPIDLE, policy.max_keepalive_idle))


class Fixer(Protocol):
    """A frontend's fixes for one analysed file (``Analysis.fixer``)."""

    def fixes(self, judged: Sequence[Judged], policy: Policy) -> list[Fix | None]:
        """For each judged finding, its fix on its own (None: no fix), edits in file coordinates."""

    def apply(self, chosen: Sequence[int]) -> bytes | None:
        """The file with the fixes of ``chosen`` (indexes into the last ``fixes`` call) applied
        together, or None when they cannot be (the result would not parse)."""


@dataclass(frozen=True)
class FixPolicy:
    """Which fixes a run applies: ``unsafe`` adds unsafe fixes; ``fixable``/``unfixable`` are rule
    selectors (codes, prefixes, names, ``ALL``), ``unfixable`` winning."""

    unsafe: bool = False
    fixable: tuple[str, ...] = ("ALL",)
    unfixable: tuple[str, ...] = ()

    def allows(self, code: str, name: str, fix: Fix | None) -> bool:
        if fix is None or fix.applicability is Applicability.DISPLAY:
            return False
        if fix.applicability is Applicability.UNSAFE and not self.unsafe:
            return False
        from lunalint.rules import RuleInfo, matches

        rule = RuleInfo(code, name)
        return any(matches(s, rule) for s in self.fixable) and not any(matches(s, rule) for s in self.unfixable)

    @classmethod
    def of(cls, settings: Settings) -> FixPolicy:
        return cls(unsafe=settings.unsafe_fixes, fixable=settings.fixable or ("ALL",), unfixable=settings.unfixable)


@dataclass
class FixOutcome:
    """What fixing one file gave: its new bytes, the findings fixed (by code) and what remains."""

    data: bytes
    result: FileResult
    fixed: Counter[str] = field(default_factory=Counter)

    @property
    def changed(self) -> bool:
        return sum(self.fixed.values()) > 0


def fix_source(data: bytes, display: str, settings: Settings, codes: tuple[str, ...],
               policy: FixPolicy) -> FixOutcome:
    """Apply the fixes ``policy`` allows to ``data`` until none is left (or ``MAX_ROUNDS``)."""
    from lunalint.engine import analyse_source

    fixed: Counter[str] = Counter()
    result, fixer, kept = analyse_source(data, display, settings, codes)
    for _ in range(MAX_ROUNDS):
        if fixer is None or result.errors:
            break
        chosen = [index for violation, index in zip(result.violations, kept)
                  if index is not None and policy.allows(violation.code, violation.name, violation.fix)]
        if not chosen:
            break
        new = fixer.apply(chosen)
        if new is None or new == data:
            break
        next_result, next_fixer, next_kept = analyse_source(new, display, settings, codes)
        if next_result.errors:  # never keep a round whose result cannot be checked
            break
        fixed.update(v.code for v, index in zip(result.violations, kept) if index in set(chosen))
        data, result, fixer, kept = new, next_result, next_fixer, next_kept
    return FixOutcome(data, result, fixed)


def fixable_violations(violations: Iterable[Violation], policy: FixPolicy) -> list[Violation]:
    return [v for v in violations if policy.allows(v.code, v.name, v.fix)]


def unified_diff(display: str, before: bytes, after: bytes) -> str:
    """A unified diff of one file's text before and after fixing."""
    import difflib

    old = before.decode("utf-8", errors="replace").splitlines(keepends=True)
    new = after.decode("utf-8", errors="replace").splitlines(keepends=True)
    lines = difflib.unified_diff(old, new, fromfile=f"a/{display}", tofile=f"b/{display}")
    return "".join(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n" for line in lines)


class FixRun(NamedTuple):
    """What ``fix_paths`` did: the report of what remains, the diff of each changed file (with
    ``write=False``), and the findings fixed in each file, by code."""

    report: Report
    diffs: list[str]
    fixed: dict[str, Counter[str]]


def fix_paths(paths: Sequence[Path], settings: Settings, *, jobs: int | None = None,
              cache_dir: Path | None = None, write: bool = True) -> FixRun:
    """Check ``paths``, then apply the fixes the settings allow to every file that has one: written
    in place (atomically, only when the result parses) or, with ``write=False``, only diffed.

    The check may be answered from the cache (cached findings carry their fixes); a file with an
    applicable fix is always read and analysed again, so edits never come from stale positions."""
    from lunalint.engine import active_rules, check_paths

    report = check_paths(paths, settings, jobs=jobs, cache_dir=cache_dir)
    policy = FixPolicy.of(settings)
    report.fix_run, report.unsafe_fixes = True, settings.unsafe_fixes
    wanted = sorted({v.path for v in report.violations if policy.allows(v.code, v.name, v.fix)})
    diffs: list[str] = []
    fixed: dict[str, Counter[str]] = {}
    from lunalint.rules import rules_for_file

    rules = active_rules(settings)
    for display in wanted:
        try:
            with open(display, "rb") as handle:
                data = handle.read()
        except OSError as error:
            report.errors.append(FileError(display, f"cannot read: {error.strerror or error}", "E002"))
            continue
        outcome = fix_source(data, display, settings, rules_for_file(display, settings.per_file_ignores, settings.root, rules), policy)
        if not outcome.changed:
            continue
        if write:
            problem = _write_atomically(display, outcome.data)
            if problem is not None:
                report.errors.append(FileError(display, problem, "E003"))
                continue
        else:
            diffs.append(unified_diff(display, data, outcome.data))
        fixed[display] = outcome.fixed
        report.fixed += sum(outcome.fixed.values())
        report.violations = [v for v in report.violations if v.path != display] + outcome.result.violations
        report.errors.extend(outcome.result.errors)
    report.sort()
    return FixRun(report, diffs, fixed)


def _write_atomically(path: str, data: bytes) -> str | None:
    """Replace ``path`` with ``data`` (same permissions), or say why not."""
    import tempfile

    directory = os.path.dirname(os.path.abspath(path))
    try:
        mode = os.stat(path).st_mode & 0o7777
        descriptor, temporary = tempfile.mkstemp(prefix=".lunalint-fix-", dir=directory)
        try:
            with os.fdopen(descriptor, "wb") as handle:
                handle.write(data)
            os.chmod(temporary, mode)
            os.replace(temporary, path)
        except BaseException:
            os.unlink(temporary)
            raise
    except OSError as error:
        return f"cannot write the fixed file: {error.strerror or error}"
    return None
