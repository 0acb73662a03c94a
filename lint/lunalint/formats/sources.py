"""The source text the report formats show: a file's lines, a notebook cell's lines, and where a
notebook finding is written in the notebook's JSON text.

Files are read once, when a format first asks; texts given by the caller (standard input) come
first. A file that is gone gives no lines and no position, never an error.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from lunalint.report import Violation

if TYPE_CHECKING:
    from lunalint.notebook import JsonPositions

__all__ = ["Sources"]


class Sources:
    """Lines of reported files and notebook cells, read once."""

    def __init__(self, given: Mapping[str, str] | None = None) -> None:
        self._data = {path: text.encode("utf-8") for path, text in (given or {}).items()}
        self._lines: dict[tuple[str, int | None], list[str]] = {}
        self._json: dict[str, JsonPositions] = {}

    def _bytes(self, path: str) -> bytes:
        if path not in self._data:
            try:
                self._data[path] = Path(path).read_bytes()
            except OSError:
                self._data[path] = b""
        return self._data[path]

    def lines(self, path: str, cell: int | None = None) -> list[str]:
        """The lines of ``path``, or of its cell ``cell`` (a notebook's)."""
        key = (path, cell)
        if key not in self._lines:
            data = self._bytes(path)
            if cell is None:
                self._lines[key] = data.decode("utf-8", errors="replace").splitlines()
            else:
                self._lines[key] = _cell_lines(data, cell)
        return self._lines[key]

    def line(self, v: Violation) -> str:
        """The text of the line ``v`` starts on ("" when the file is gone)."""
        lines = self.lines(v.path, v.cell)
        return lines[v.line - 1] if 0 < v.line <= len(lines) else ""

    def file_region(self, v: Violation) -> tuple[int, int, int, int] | None:
        """``v``'s range as lines and columns of the file as stored: its own for a source file; for
        a notebook cell, where that range is written in the notebook's JSON (None if unknown)."""
        if v.cell is None:
            return v.line, v.column, v.end_line, v.end_column
        from lunalint.notebook import JsonPositions

        if v.path not in self._json:
            self._json[v.path] = JsonPositions(self._bytes(v.path))
        start = self._json[v.path].position(v.cell, v.line, v.column)
        end = self._json[v.path].position(v.cell, v.end_line, v.end_column)
        if start is None or end is None:
            return None
        return (*start, *end)


def _cell_lines(data: bytes, cell: int) -> list[str]:
    from lunalint.frontend import SourceError
    from lunalint.notebook import cell_texts

    try:
        texts = cell_texts(data)
    except SourceError:
        return []
    text = texts[cell - 1] if 0 < cell <= len(texts) else None
    if text is None:
        return []
    lines = re.split(r"\r\n|\r|\n", text)  # as the notebook frontend counts a cell's lines
    return lines[:-1] if lines and not lines[-1] else lines
