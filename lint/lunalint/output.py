"""Render a Report: ``text`` (Ruff-like) and ``json``."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from typing import Any

from lunalint.report import Report

__all__ = ["FORMATS", "render"]


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def render_text(report: Report, *, color: bool = False, statistics: bool = False) -> str:
    def style(text: str, code: str) -> str:
        return f"\x1b[{code}m{text}\x1b[0m" if color else text

    lines = []
    for v in report.violations:
        location = f"{style(v.path, '1')}:{v.line}:{v.column}:"
        lines.append(f"{location} {style(v.code, '1;31')} {v.message}")
    if statistics and report.violations:
        counts = Counter((v.code, v.name) for v in report.violations)
        lines = [f"{count:>5}\t{code}\t{name}" for (code, name), count in sorted(counts.items())]
    if report.violations:
        lines.append(f"Found {_plural(len(report.violations), 'error')}.")
    elif not report.errors:
        lines.append("All checks passed!")
    return "\n".join(lines) + "\n"


def violation_dict(report: Report) -> dict[str, Any]:
    return {
        "violations": [
            {
                "path": v.path, "line": v.line, "column": v.column, "end_line": v.end_line,
                "end_column": v.end_column, "code": v.code, "name": v.name, "check": v.check.value,
                "library": v.library, "message": v.message,
            }
            for v in report.violations
        ],
        "errors": [{"path": e.path, "code": e.code, "message": e.message} for e in report.errors],
        "summary": {"files_checked": report.files_checked, "violations": len(report.violations),
                    "errors": len(report.errors)},
    }


def render_json(report: Report, *, color: bool = False, statistics: bool = False) -> str:
    return json.dumps(violation_dict(report), indent=2) + "\n"


Renderer = Callable[..., str]
FORMATS: dict[str, Renderer] = {"text": render_text, "json": render_json}


def render(report: Report, fmt: str, *, color: bool = False, statistics: bool = False) -> str:
    return FORMATS[fmt](report, color=color, statistics=statistics)
