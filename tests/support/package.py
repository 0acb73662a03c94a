"""A package of modules written for a test, and the findings lunalint reports in one of them."""

from __future__ import annotations

import os
import textwrap
from pathlib import Path

from lunalint.report import Report


def write_package(root: Path, files: dict[str, str]) -> Path:
    """Each file of ``files`` (path under ``root``, dedented text) written, and ``pkg/__init__.py``."""
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
    (root / "pkg" / "__init__.py").touch()
    return root


def messages_in(report: Report, path: str, code: str = "LL302") -> list[tuple[int, str]]:
    """(line, message) of each ``code`` finding in the file whose path ends with ``path``."""
    return [(v.line, v.message) for v in report.violations
            if v.path.replace(os.sep, "/").endswith(path) and v.code == code]
