"""The ``json`` format: ``{"violations": [...], "errors": [...], "summary": {...}}``.

Each violation has a ``cell`` field, as Ruff's JSON has: null for a source file; for a notebook the
cell's number (1-based, among all its cells), and then ``line`` and ``column`` count within the cell.
"""

from __future__ import annotations

import json
from typing import Any

from lunalint.formats.text import statistics_rows
from lunalint.report import Report

__all__ = ["render_json", "report_dict"]


def report_dict(report: Report) -> dict[str, Any]:
    return {
        "violations": [
            {
                "path": v.path, "cell": v.cell, "line": v.line, "column": v.column, "end_line": v.end_line,
                "end_column": v.end_column, "code": v.code, "name": v.name, "check": v.check.value,
                "library": v.library, "message": v.message,
                "fix": v.fix.as_dict() if v.fix is not None else None,
            }
            for v in report.violations
        ],
        "errors": [{"path": e.path, "code": e.code, "message": e.message} for e in report.errors],
        "summary": {"files_checked": report.files_checked, "violations": len(report.violations),
                    "errors": len(report.errors), "fixed": report.fixed},
    }


def render_json(report: Report, *, color: bool = False, statistics: bool = False) -> str:
    data: Any = report_dict(report)
    if statistics:
        data = [{"code": code, "name": name, "count": count} for code, name, count in statistics_rows(report)]
    return json.dumps(data, indent=2) + "\n"
