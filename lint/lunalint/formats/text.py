"""The ``concise`` format (also called ``text``): ``path:line:col: CODE message`` lines and a summary line.

A finding in a notebook cell reads ``path:cell 3:2:23: CODE message`` (line and column in the
cell), as Ruff prints it.

Vocabulary, the same in every format: a *finding* is a rule's report on the code (JSON
``violations``); an *error* is a file that could not be checked (JSON ``errors``).
"""

from __future__ import annotations

from collections import Counter

from lunalint.report import Report, Violation

__all__ = ["SUMMARY_PREFIXES", "applicable", "fix_summary", "position", "render_text", "statistics_rows", "summary"]

SUMMARY_PREFIXES = ("Found ", "All checks passed", "[*] ", "No fixes available", "Fixed ", "Would fix ")


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def position(v: Violation, separator: str = ":") -> str:
    """``2:23``, or ``cell 3:2:23`` for a finding in a notebook cell (``separator`` between parts)."""
    where = f"{v.line}{separator}{v.column}"
    return where if v.cell is None else f"cell {v.cell}{separator}{where}"


def statistics_rows(report: Report) -> list[tuple[str, str, int]]:
    """``(code, name, count)`` for each rule that fired, most frequent first, then by code."""
    counts = Counter((v.code, v.name) for v in report.violations)
    return sorted(((code, name, count) for (code, name), count in counts.items()), key=lambda r: (-r[2], r[0]))


def applicable(report: Report, violation: Violation) -> bool:
    """Whether ``--fix`` (with this run's ``--unsafe-fixes``) would apply the finding's fix."""
    fix = violation.fix
    if fix is None or fix.applicability.value == "display-only":
        return False
    return fix.applicability.value == "safe" or report.unsafe_fixes


def fix_summary(report: Report) -> str | None:
    """``[*] 2 fixable with the `--fix` option (1 hidden fix can be enabled with `--unsafe-fixes`).``"""
    fixable = sum(1 for v in report.violations if applicable(report, v))
    hidden = 0 if report.unsafe_fixes else sum(
        1 for v in report.violations if v.fix is not None and v.fix.applicability.value == "unsafe")
    if not fixable and not hidden:
        return None
    fixes = "hidden fix" if hidden == 1 else "hidden fixes"
    hint = f" ({hidden} {fixes} can be enabled with the `--unsafe-fixes` option)" if hidden else ""
    if not fixable:
        return f"No fixes available{hint}."
    return f"[*] {fixable} fixable with the `--fix` option{hint}."


def summary(report: Report) -> str | None:
    """``Found 3 findings.``, ``Found 3 findings; 1 file could not be checked.``, ``Found 3 findings
    (2 fixed, 1 remaining).`` after fixing, or None when clean."""
    if not report.violations and not report.errors and not report.fixed:
        return None
    total = len(report.violations) + report.fixed
    text = f"Found {_plural(total, 'finding')}"
    if report.fix_run:
        text += f" ({report.fixed} fixed, {len(report.violations)} remaining)"
    if report.errors:
        count = len(report.errors)
        text += f"; {_plural(count, 'file')} could not be checked"
    return text + "."


def render_text(report: Report, *, color: bool = False, statistics: bool = False) -> str:
    def style(text: str, sgr: str) -> str:
        return f"\x1b[{sgr}m{text}\x1b[0m" if color else text

    if statistics:
        lines = [f"{count:>5}\t{style(code, '1;31')}\t{name}" for code, name, count in statistics_rows(report)]
    else:
        colon = style(":", "36")
        lines = [f"{style(v.path, '1')}{colon}{position(v, colon)}{colon} {style(v.code, '1;31')} "
                 f"{style('[*] ', '36') if applicable(report, v) else ''}{v.message}"
                 for v in report.violations]
    found = summary(report)
    lines.append(found if found is not None else style("All checks passed!", "32"))
    fixes = None if statistics else fix_summary(report)
    if fixes is not None:
        lines.append(fixes)
    return "\n".join(lines) + "\n"
