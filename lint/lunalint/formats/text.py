"""The ``text`` format: Ruff-like ``path:line:col: CODE message`` lines and a summary line."""

from __future__ import annotations

from collections import Counter

from lunalint.report import Report

__all__ = ["SUMMARY_PREFIXES", "render_text", "statistics_rows"]

SUMMARY_PREFIXES = ("Found ", "All checks passed")


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def statistics_rows(report: Report) -> list[tuple[str, str, int]]:
    """``(code, name, count)`` for each rule that fired, most frequent first, then by code."""
    counts = Counter((v.code, v.name) for v in report.violations)
    return sorted(((code, name, count) for (code, name), count in counts.items()), key=lambda r: (-r[2], r[0]))


def render_text(report: Report, *, color: bool = False, statistics: bool = False) -> str:
    def style(text: str, sgr: str) -> str:
        return f"\x1b[{sgr}m{text}\x1b[0m" if color else text

    if statistics:
        lines = [f"{count:>5}\t{style(code, '1;31')}\t{name}" for code, name, count in statistics_rows(report)]
    else:
        lines = [f"{style(v.path, '1')}{style(':', '36')}{v.line}{style(':', '36')}{v.column}{style(':', '36')} "
                 f"{style(v.code, '1;31')} {v.message}" for v in report.violations]
    if report.violations:
        lines.append(f"Found {_plural(len(report.violations), 'error')}.")
    elif not report.errors:
        lines.append(style("All checks passed!", "32"))
    return "\n".join(lines) + "\n"
