"""The ``github`` format: GitHub Actions workflow commands that become pull-request annotations.

Escaping follows the runner (``actions/toolkit`` ``command.ts``): ``%``, CR and LF in the message;
additionally ``:`` and ``,`` in property values.
"""

from __future__ import annotations

from lunalint.report import Report

__all__ = ["escape_data", "escape_property", "render_github"]


def escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def _command(properties: dict[str, object], message: str) -> str:
    props = ",".join(f"{key}={escape_property(str(value))}" for key, value in properties.items())
    return f"::error {props}::{escape_data(message)}"


def render_github(report: Report) -> str:
    lines = [
        _command({"file": v.path, "line": v.line, "endLine": v.end_line, "col": v.column,
                  "endColumn": v.end_column, "title": f"{v.code} {v.name}"}, v.message)
        for v in report.violations
    ]
    lines.extend(_command({"file": e.path, "title": f"lunalint {e.code}"}, e.message) for e in report.errors)
    return "".join(line + "\n" for line in lines)
