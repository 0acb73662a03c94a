"""The ``github`` format: GitHub Actions workflow commands that become pull-request annotations.

Escaping follows the runner (``actions/toolkit`` ``command.ts``): ``%``, CR and LF in the message;
additionally ``:`` and ``,`` in property values.

GitHub places an annotation on a line and column of the file as stored in the repository, and a
pull request shows a notebook's changes as a diff of its JSON text. So a finding in a notebook cell
is annotated where its source line is written in the notebook's JSON (the line of that JSON
string, the column inside it), which is where the annotation lands next to the code; cell-relative
numbers would point at unrelated JSON lines. The message starts with the cell position
(``cell 3:2:23``), which is what a reader of the notebook looks for. When that place cannot be
found (the file changed or is gone) the annotation is on the file, without a line.
"""

from __future__ import annotations

from collections.abc import Mapping

from lunalint.formats.sources import Sources
from lunalint.formats.text import position
from lunalint.report import Report, Violation

__all__ = ["escape_data", "escape_property", "render_github"]


def escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def _command(properties: dict[str, object], message: str) -> str:
    props = ",".join(f"{key}={escape_property(str(value))}" for key, value in properties.items())
    return f"::error {props}::{escape_data(message)}"


def _annotation(v: Violation, files: Sources) -> str:
    properties: dict[str, object] = {"file": v.path}
    region = files.file_region(v)
    if region is not None:
        line, column, end_line, end_column = region
        properties.update(line=line, endLine=end_line, col=column, endColumn=end_column)
    properties["title"] = f"{v.code} {v.name}"
    message = v.message if v.cell is None else f"{position(v)}: {v.message}"
    return _command(properties, message)


def render_github(report: Report, *, sources: Mapping[str, str] | None = None) -> str:
    files = Sources(sources)
    lines = [_annotation(v, files) for v in report.violations]
    lines.extend(_command({"file": e.path, "title": f"lunalint {e.code}"}, e.message) for e in report.errors)
    return "".join(line + "\n" for line in lines)
