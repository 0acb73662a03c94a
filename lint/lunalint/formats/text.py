"""The ``concise`` format (also called ``text``): ``path:line:col: CODE message`` lines and a summary line.

A finding in a notebook cell reads ``path:cell 3:2:23: CODE message`` (line and column in the
cell), as Ruff prints it.

Vocabulary, the same in every format: a *finding* is a rule's report on the code (JSON
``violations``); an *error* is a file that could not be checked (JSON ``errors``).
"""

from __future__ import annotations

from collections import Counter

from lunalint.report import Report, Violation

__all__ = ["SUMMARY_PREFIXES", "position", "render_text", "statistics_rows", "summary"]

SUMMARY_PREFIXES = ("Found ", "All checks passed")


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


def summary(report: Report) -> str | None:
    """``Found 3 findings.``, ``Found 3 findings; 1 file could not be checked.``, or None when clean."""
    if not report.violations and not report.errors:
        return None
    text = f"Found {_plural(len(report.violations), 'finding')}"
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
        lines = [f"{style(v.path, '1')}{colon}{position(v, colon)}{colon} {style(v.code, '1;31')} {v.message}"
                 for v in report.violations]
    found = summary(report)
    lines.append(found if found is not None else style("All checks passed!", "32"))
    return "\n".join(lines) + "\n"
