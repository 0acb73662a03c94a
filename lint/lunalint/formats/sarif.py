"""The ``sarif`` format: SARIF 2.1.0 for GitHub code scanning and other SARIF viewers.

One run, one result per finding. Rules carry their documentation; results carry a physical location
relative to ``%SRCROOT%`` (the working directory) and a partial fingerprint that survives edits
elsewhere in the file (it hashes path, code and the whitespace-normalised source line, never the
line number). Files that could not be checked become tool execution notifications.

A finding in a notebook cell is located where its source line is written in the notebook's JSON
text (line of that JSON string, column inside it): SARIF regions are lines and columns of the
artifact as stored, and GitHub code scanning shows an alert on those lines of the file, so cell-
relative numbers would mark unrelated JSON lines. The cell position itself (``cell``, ``cellLine``,
``cellColumn``, ``cellEndLine``, ``cellEndColumn``) is in the result's properties, and the
fingerprint hashes the cell's source line, so it survives the JSON being re-indented.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections import Counter
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import quote

from lunalint import __version__
from lunalint.formats.sources import Sources
from lunalint.report import FileError, Report, Violation

__all__ = ["FINGERPRINT_KEY", "INFORMATION_URI", "SARIF_SCHEMA", "render_sarif", "sarif_log"]

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
INFORMATION_URI = "https://pypi.org/project/lunalint/"
FINGERPRINT_KEY = "lunalintLineHash/v1"
LEVEL = "error"  # every finding fails the check (exit code 1), so every finding is an error


def _first_paragraph(doc: str, heading: str) -> str:
    lines = doc.splitlines()
    try:
        start = lines.index(f"## {heading}") + 1
    except ValueError:
        return ""
    paragraph: list[str] = []
    for line in lines[start:]:
        if line.startswith("## ") or (not line.strip() and paragraph):
            break
        if line.strip():
            paragraph.append(line.strip())
    return " ".join(paragraph)


def _rules() -> list[dict[str, Any]]:
    from lunalint.rules import all_rules

    descriptors = []
    for rule in all_rules():
        doc = rule.documentation()
        descriptors.append({
            "id": rule.code,
            "name": rule.name,
            "shortDescription": {"text": rule.summary},
            "fullDescription": {"text": _first_paragraph(doc, "What it does") or rule.summary},
            "help": {"text": doc, "markdown": doc},
            "defaultConfiguration": {"level": LEVEL, "enabled": not rule.explicit_only},
            "properties": {"tags": [rule.check_family.value], "precision": "high"},
        })
    return descriptors


def _artifact(path: str, root: Path) -> dict[str, str]:
    absolute = Path(os.path.abspath(path))
    try:
        relative = absolute.relative_to(root)
    except ValueError:
        return {"uri": absolute.as_uri()}
    return {"uri": quote(relative.as_posix()), "uriBaseId": "%SRCROOT%"}


def fingerprint(v: Violation, line_text: str) -> str:
    normalised = " ".join(line_text.split())
    return hashlib.sha256(f"{v.path}\0{v.code}\0{normalised}".encode()).hexdigest()[:32]


def _fixes(v: Violation, root: Path) -> dict[str, Any]:
    """SARIF ``fixes`` for a finding whose fix has edits (none for a display-only fix)."""
    if v.fix is None or not v.fix.edits:
        return {}
    replacements = [{"deletedRegion": {"startLine": e.line, "startColumn": e.column, "endLine": e.end_line,
                                       "endColumn": e.end_column},
                     "insertedContent": {"text": e.content}} for e in v.fix.edits]
    return {"fixes": [{"description": {"text": f"{v.fix.message} ({v.fix.applicability.value} fix)"},
                       "artifactChanges": [{"artifactLocation": _artifact(v.path, root),
                                            "replacements": replacements}]}]}


def _result(v: Violation, index: int, root: Path, print_: str, files: Sources) -> dict[str, Any]:
    physical: dict[str, Any] = {"artifactLocation": _artifact(v.path, root)}
    region = files.file_region(v)
    if region is not None:
        line, column, end_line, end_column = region
        physical["region"] = {"startLine": line, "startColumn": column, "endLine": end_line, "endColumn": end_column}
    properties: dict[str, Any] = {"check": v.check.value, "library": v.library, "name": v.name}
    if v.cell is not None:
        properties.update(cell=v.cell, cellLine=v.line, cellColumn=v.column, cellEndLine=v.end_line,
                          cellEndColumn=v.end_column)
    return {
        "ruleId": v.code,
        "ruleIndex": index,
        "level": LEVEL,
        "message": {"text": v.message},
        "locations": [{"physicalLocation": physical}],
        "partialFingerprints": {FINGERPRINT_KEY: print_},
        "properties": properties,
        **_fixes(v, root),
    }


def _notification(e: FileError, root: Path) -> dict[str, Any]:
    return {
        "level": "error",
        "message": {"text": e.message},
        "descriptor": {"id": e.code},
        "locations": [{"physicalLocation": {"artifactLocation": _artifact(e.path, root)}}],
    }


def sarif_log(report: Report, root: Path | None = None, sources: Mapping[str, str] | None = None) -> dict[str, Any]:
    root = Path(os.path.abspath(root or Path.cwd()))
    rules = _rules()
    index = {rule["id"]: i for i, rule in enumerate(rules)}
    files = Sources(sources)
    seen: Counter[str] = Counter()
    results = []
    for v in report.violations:
        base = fingerprint(v, files.line(v))
        seen[base] += 1  # identical lines with the same code: number them in order
        results.append(_result(v, index[v.code], root, f"{base}:{seen[base]}", files))
    return {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {"name": "lunalint", "version": __version__, "semanticVersion": __version__,
                                "informationUri": INFORMATION_URI, "rules": rules}},
            "originalUriBaseIds": {"%SRCROOT%": {"uri": root.as_uri().rstrip("/") + "/"}},
            "columnKind": "unicodeCodePoints",
            "invocations": [{
                "executionSuccessful": not report.errors,
                "toolExecutionNotifications": [_notification(e, root) for e in report.errors],
            }],
            "results": results,
        }],
    }


def render_sarif(report: Report, *, sources: Mapping[str, str] | None = None) -> str:
    return json.dumps(sarif_log(report, sources=sources), indent=2) + "\n"
