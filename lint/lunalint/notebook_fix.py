"""Fixes in notebook cells: the Python fixer's edits to the notebook's joined module, put back in
the cells they came from.

The Python frontend fixes the module the code cells form (``notebook.read_module``), whose lines
are the cells' lines one for one, IPython syntax masked. The fixed module is compared with the one
before, line by line: an unchanged line keeps its cell's own text (so masked magics come back as
they were), a rewritten line goes to the cell of the line it replaces, and an inserted line (an
import, a helper) to the cell of the line before it. Each changed cell's ``source`` is written back
in the notebook's own form (a string or a list of lines), and the notebook is written as Jupyter
writes it (indent 1, UTF-8). Edits are not shown as positions in the ``.ipynb`` file, whose lines
are JSON: a finding's fix there has its message and applicability only.
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from lunalint.config import Policy
    from lunalint.fix import Fix, Fixer
    from lunalint.judge import Judged
    from lunalint.notebook import Module

__all__ = ["NotebookFixer"]

_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+$")


class NotebookFixer:
    """A ``Fixer`` for one notebook, wrapping the Python fixer of its joined module."""

    def __init__(self, inner: Fixer, data: bytes, module: Module) -> None:
        self._inner = inner
        self._data = data
        self._module = module

    def fixes(self, judged: Sequence[Judged], policy: Policy) -> list[Fix | None]:
        return [None if fix is None else fix._replace(edits=()) for fix in self._inner.fixes(judged, policy)]

    def apply(self, chosen: Sequence[int]) -> bytes | None:
        fixed = self._inner.apply(chosen)
        if fixed is None:
            return None
        return rebuild(self._data, self._module, fixed.decode("utf-8"))


def rebuild(data: bytes, module: Module, fixed: str) -> bytes | None:
    """The notebook ``data`` with its code cells taken from ``fixed`` (the joined module, fixed)."""
    notebook: dict[str, Any] = json.loads(data.decode("utf-8-sig"))
    cells = notebook["cells"]
    old = _LINE.findall(module.text)
    new = _LINE.findall(fixed)
    starts, numbers = module.cells.starts, module.cells.numbers
    owner: list[tuple[int, int]] = []  # old module line (0-based) -> (index among analysed cells, line in cell)
    for index, start in enumerate(starts):
        end = starts[index + 1] if index + 1 < len(starts) else len(old) + 1
        owner.extend((index, line) for line in range(end - start))
    if len(owner) != len(old) or not numbers:
        return None
    originals = [_LINE.findall(_text(cells[number - 1])) for number in numbers]
    out: list[list[str]] = [[] for _ in numbers]
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, old, new, autojunk=False).get_opcodes():
        if tag == "equal":
            for offset in range(i2 - i1):
                index, line = owner[i1 + offset]
                original = originals[index]
                out[index].append(original[line] if line < len(original) else new[j1 + offset])
        elif tag in ("replace", "insert"):
            anchor = i1 if tag == "replace" else max(i1 - 1, 0)
            index = owner[min(anchor, len(owner) - 1)][0]
            out[index].extend(new[j1:j2])
    changed = False
    for index, number in enumerate(numbers):
        text = "".join(out[index])
        source = _text(cells[number - 1])
        if not source.endswith("\n") and text.endswith("\n"):
            text = text[:-1]  # the line break the module added after the cell
        elif source.endswith("\n") and text.endswith("\n\n"):
            text = text[:-1]
        if text != source:
            changed = True
            cells[number - 1]["source"] = _lines(text) if isinstance(cells[number - 1].get("source"), list) else text
    if not changed:
        return data
    return (json.dumps(notebook, indent=1, ensure_ascii=False) + "\n").encode("utf-8")


def _text(cell: dict[str, Any]) -> str:
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else str(source)


def _lines(text: str) -> list[str]:
    return _LINE.findall(text)
