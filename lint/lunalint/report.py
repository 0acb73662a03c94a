"""Results of a run: violations, per-file errors and the exit code they imply."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    from lunalint.fix import Fix

__all__ = ["Check", "FileError", "FileResult", "Report", "Violation"]


class Check(str, Enum):
    """The four families of checks (the JSON ``check`` field), plus ``other``."""

    POOL_IDLE = "pool-idle"
    TCP_KEEPALIVE = "tcp-keepalive"
    TIMEOUT = "timeout"
    CONNECT_TIMEOUT = "connect-timeout"
    OTHER = "other"


class Violation(NamedTuple):  # immutable; cheaper to define than a dataclass
    """One finding, positioned on the most specific node (1-based lines and columns).

    In a file made of cells (a notebook) ``cell`` is the cell's number (1-based, among all the
    file's cells) and lines count from the cell's first line; elsewhere ``cell`` is None. Sort with
    ``sort_key``, which orders by cell before line.
    """

    path: str
    line: int
    column: int
    end_line: int
    end_column: int
    code: str
    name: str
    check: Check
    library: str
    message: str
    cell: int | None = None
    fix: Fix | None = None  # how to fix it, when its library plans an edit

    def sort_key(self) -> tuple[str, int, int, int, int, int, str, str]:
        """Path, then position (cell first), then code and message."""
        return (self.path, self.cell or 0, self.line, self.column, self.end_line, self.end_column, self.code,
                self.message)


class FileError(NamedTuple):
    """A file that could not be checked: unreadable, unparsable or an internal error."""

    path: str
    message: str
    code: str = "E001"


@dataclass
class FileResult:
    """What checking one file gave."""

    violations: list[Violation] = field(default_factory=list)
    errors: list[FileError] = field(default_factory=list)
    cacheable: bool = True  # False: it depends on another file too (see ``frontend.Analysis``)


@dataclass
class Report:
    """Everything a run found, sorted by path and position."""

    violations: list[Violation] = field(default_factory=list)
    errors: list[FileError] = field(default_factory=list)
    files_checked: int = 0
    fixed: int = 0  # findings a fix run removed (they are no longer in ``violations``)
    fix_run: bool = False  # fixes were applied (or, with ``--diff``, computed)
    unsafe_fixes: bool = False  # unsafe fixes count as applicable

    def sort(self) -> None:
        self.violations.sort(key=Violation.sort_key)
        self.errors.sort()

    def exit_code(self, *, exit_zero: bool = False) -> int:
        if self.errors:
            return 2
        if self.violations and not exit_zero:
            return 1
        return 0
