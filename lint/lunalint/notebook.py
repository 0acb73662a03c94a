"""The notebook frontend: Jupyter notebooks (``.ipynb``, nbformat 4) read through the Python frontend.

A notebook is read as Ruff reads one. Its Python code cells, one after another and each followed
by a newline, make one module, so a client built in one cell and used in another is followed. The
Python frontend (``python.PythonFrontend``) analyses that module; placement and suppression
comments work on its lines, and each finding is then shown as (cell, line in the cell, column),
cells numbered from 1 among all the notebook's cells (markdown and raw cells count), as Ruff does.

IPython syntax that is not Python becomes a placeholder statement on the same line, so line numbers
stay: line magics (``%time f()``), shell escapes (``!pip install x``), help (``obj?``, ``?obj``),
and ``x = !ls`` / ``x = %sx ls`` (which keep binding ``x``, to an unknown value: IPython's own
translation calls ``get_ipython()``). A cell that a cell magic runs in another language
(``%%bash``) or that starts with an automagic (``pip install x``) is skipped whole; the cell
magics whose body is Python (``%%time``, ``%%capture`` ...) are masked on their own line only.
Markdown and raw cells, code cells another language marks (``vscode.languageId``) and notebooks of
another kernel language are skipped. These rules follow Ruff's (``ruff_notebook``).

The module also answers the report formats: a cell's own lines (``--format full``) and where a
cell position is in the notebook's JSON text (GitHub annotations and SARIF, whose viewers show
lines of the file as stored).
"""

from __future__ import annotations

import bisect
import json
import re
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from lunalint.frontend import Analysis, SourceError
from lunalint.suppress import Suppressions, parse_suppressions

if TYPE_CHECKING:
    from lunalint.frontend import SourceMap
    from lunalint.report import Violation
    from lunalint.spec import Anchor, Span

__all__ = ["FRONTEND", "JsonPositions", "Module", "NotebookFrontend", "cell_texts", "read_module"]

_NEWLINE = re.compile(r"\r\n|\r|\n")  # Python's own line breaks, as ``suppress`` splits lines
_SPLIT = re.compile(r"(\r\n|\r|\n)")

# The first word of a cell that IPython runs as a magic without ``%`` (automagic); Ruff's list.
AUTOMAGICS = frozenset("""
    alias alias_magic autoawait autocall automagic bookmark cd code_wrap colors conda config debug
    dhist dirs doctest_mode edit env gui history killbgscripts load load_ext loadpy logoff logon
    logstart logstate logstop lsmagic macro magic mamba matplotlib micromamba notebook page pastebin
    pdb pdef pdoc pfile pinfo pinfo2 pip popd pprint precision prun psearch psource pushd pwd pycat
    pylab quickref recall rehashx reload_ext rerun reset reset_selective run save sc set_env sx system
    tb time timeit unalias unload_ext who who_ls whos xdel xmode
""".split())
_ASSIGNMENTS = frozenset("= += -= *= /= //= %= **= &= |= ^=".split())
# Cell magics whose body is Python that runs in the notebook's namespace (Ruff's list).
PYTHON_CELL_MAGICS = frozenset("capture debug ipytest prun pypy python python3 time timeit".split())

_ESCAPE = re.compile(r"[ \t]*(?:%|!|\?)")  # a line magic, shell escape or help at a line's start
_HELP_AFTER = re.compile(r"[ \t]*%{0,2}[A-Za-z_*][\w*]*(?:\.[A-Za-z_*][\w*]*)*\?{1,2}[ \t]*$")
_ASSIGN_ESCAPE = re.compile(r"([ \t]*)([A-Za-z_][\w.]*(?:[ \t]*,[ \t]*[A-Za-z_][\w.]*)*)[ \t]*=[ \t]*[!%]")


class Cells:
    """Where each analysed cell starts in the module: a module line -> (cell, line in the cell)."""

    def __init__(self, starts: Sequence[int], numbers: Sequence[int]) -> None:
        self._starts = list(starts)  # first module line of each analysed cell, ascending
        self._numbers = list(numbers)  # its number among all cells (1-based)

    @property
    def starts(self) -> list[int]:
        return list(self._starts)

    @property
    def numbers(self) -> list[int]:
        return list(self._numbers)

    def cell_of(self, line: int) -> tuple[int, int]:
        index = max(bisect.bisect_right(self._starts, line) - 1, 0)
        if not self._starts:
            return 1, line
        return self._numbers[index], line - self._starts[index] + 1

    def show(self, violation: Violation) -> Violation:
        cell, line = self.cell_of(violation.line)
        end_cell, end_line = self.cell_of(violation.end_line)
        if end_cell != cell:  # a statement run on into the next cell: the range is cut to its start
            return violation._replace(cell=cell, line=line, end_line=line, end_column=violation.column)
        return violation._replace(cell=cell, line=line, end_line=end_line)


@dataclass
class Module:
    """A notebook read as one Python module."""

    text: str
    cells: Cells


@dataclass
class CellSuppressions(Suppressions):
    """A notebook's suppression comments: read on the module's lines; unused ones (LL902) are
    reported in their cell."""

    cells: Cells = field(default_factory=lambda: Cells((), ()))

    @classmethod
    def of(cls, found: Suppressions, cells: Cells) -> CellSuppressions:
        return cls(found.by_line, found.comments, found.file_codes, cells=cells)

    def unused(self, display: str, enabled: Collection[str]) -> list[Violation]:
        return [self.cells.show(violation) for violation in super().unused(display, enabled)]


class _CellSource:
    """The Python frontend's source map of the module, and where each of its lines is shown."""

    def __init__(self, inner: SourceMap, cells: Cells) -> None:
        self._inner = inner
        self._cells = cells
        self.suppressions: Suppressions = CellSuppressions.of(inner.suppressions, cells)

    def locate(self, anchors: Iterable[Anchor]) -> Mapping[Anchor, Span]:
        return self._inner.locate(anchors)

    def statement_start(self, line: int) -> int:
        return self._inner.statement_start(line)

    def shown(self, violation: Violation) -> Violation:
        return self._cells.show(violation)

    def where(self, line: int) -> str:
        cell, line_in_cell = self._cells.cell_of(line)
        return f"cell {cell}, line {line_in_cell}"


class NotebookFrontend:
    """Jupyter notebooks (``.ipynb``)."""

    def analyse(self, data: bytes, path: str = "") -> Analysis | None:
        from lunalint.libraries import client_modules

        if not any(name.encode() in data for name in client_modules()):  # cheap: no JSON parse
            return None
        module = read_module(data)
        from lunalint.python import FRONTEND as PYTHON

        try:
            analysis = PYTHON.analyse(module.text.encode("utf-8"), path)
        except SourceError as error:
            raise SourceError(_in_cell(str(error), module.cells)) from None
        if analysis is None:
            return None
        fixer = None
        if analysis.fixer is not None:
            from lunalint.notebook_fix import NotebookFixer

            fixer = NotebookFixer(analysis.fixer, data, module)
        return Analysis(analysis.specs, _CellSource(analysis.source, module.cells), fixer=fixer)

    def suppressions(self, data: bytes) -> Suppressions:
        lowered = data.lower()
        if b"noqa" not in lowered and b"lunalint" not in lowered:
            return Suppressions({})
        module = read_module(data)
        return CellSuppressions.of(parse_suppressions(module.text), module.cells)


def _in_cell(message: str, cells: Cells) -> str:
    """A Python frontend's message with its module line shown as a cell and a line in it."""

    def where(match: re.Match[str]) -> str:
        cell, line = cells.cell_of(int(match.group(1)))
        return f"cell {cell}, line {line}"

    return re.sub(r"\bline (\d+)", where, message)


# --- reading the JSON ---------------------------------------------------------------------------

def _load(data: bytes, decoder: json.JSONDecoder | None = None) -> dict[str, Any]:
    """The notebook's JSON object; ``SourceError`` (one line) for anything that is not a notebook."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise SourceError(f"not a Jupyter notebook: cannot decode as UTF-8 ({error.reason} at byte "
                          f"{error.start})") from None
    try:
        notebook = (decoder or json.JSONDecoder()).decode(text)
    except json.JSONDecodeError as error:
        raise SourceError(f"not a Jupyter notebook: invalid JSON at line {error.lineno}, column {error.colno}: "
                          f"{error.msg}") from None
    except RecursionError:
        raise SourceError("not a Jupyter notebook: JSON nested too deeply") from None
    if not isinstance(notebook, dict) or not isinstance(notebook.get("cells"), list):
        raise SourceError("not a Jupyter notebook: the JSON has no 'cells' list")
    version = notebook.get("nbformat")
    if version != 4:
        raise SourceError(f"unsupported notebook format {version!r}: nbformat 4 is supported")
    return notebook


def _source(cell: object, number: int) -> str | None:
    """A code cell's text, or None for a markdown or raw cell."""
    if not isinstance(cell, dict):
        raise SourceError(f"not a Jupyter notebook: cell {number} is not a JSON object")
    source = cell.get("source", "")
    if isinstance(source, list) and all(isinstance(part, str) for part in source):
        source = "".join(source)
    if not isinstance(source, str):
        raise SourceError(f"not a Jupyter notebook: the source of cell {number} is not text")
    return source if cell.get("cell_type") == "code" else None


def _python_kernel(notebook: Mapping[str, Any]) -> bool:
    metadata = notebook.get("metadata")
    if not isinstance(metadata, dict):
        return True
    for key, name in (("language_info", "name"), ("kernelspec", "language")):
        info = metadata.get(key)
        if isinstance(info, dict) and isinstance(info.get(name), str):
            return str(info[name]).lower() == "python"
    return True


def _python_cell(cell: Mapping[str, Any]) -> bool:
    metadata = cell.get("metadata")
    vscode = metadata.get("vscode") if isinstance(metadata, dict) else None
    language = vscode.get("languageId") if isinstance(vscode, dict) else None
    return language is None or language == "python"


def cell_texts(data: bytes) -> list[str | None]:
    """The text of every cell (None for markdown and raw cells), in order: cell N is item N - 1."""
    notebook = _load(data)
    return [_source(cell, number) for number, cell in enumerate(notebook["cells"], start=1)]


def read_module(data: bytes) -> Module:
    """The notebook's Python cells as one module, IPython syntax masked line for line."""
    notebook = _load(data)
    texts = [_source(cell, number) for number, cell in enumerate(notebook["cells"], start=1)]
    parts: list[str] = []
    starts: list[int] = []
    numbers: list[int] = []
    line = 1
    python = _python_kernel(notebook)
    for number, (cell, text) in enumerate(zip(notebook["cells"], texts), start=1):
        if text is None or not python or not _python_cell(cell):
            continue
        masked = mask(text)
        if masked is None:
            continue
        starts.append(line)
        numbers.append(number)
        parts.append(masked + "\n")
        line += len(_NEWLINE.findall(masked)) + 1
    return Module("".join(parts), Cells(starts, numbers))


# --- IPython syntax ------------------------------------------------------------------------------

def mask(text: str) -> str | None:
    """A code cell's text with each IPython line replaced by a placeholder statement (same line
    numbers, same indentation), or None when the cell is not Python (a cell or automagic)."""
    lines = _NEWLINE.split(text)
    if _skipped_cell(lines):
        return None
    pieces = _SPLIT.split(text)  # line, break, line, break, ..., last line
    out: list[str] = []
    state = _Scanner()
    masking = False  # inside a magic continued with a trailing backslash
    indent = ""
    for index in range(0, len(pieces), 2):
        line, end = pieces[index], pieces[index + 1] if index + 1 < len(pieces) else ""
        if masking:
            out.append(indent + "pass" + end)
            masking = line.endswith("\\")
            continue
        placeholder = _placeholder(line) if state.at_statement_start() else None
        if placeholder is not None:
            indent = line[:len(line) - len(line.lstrip(" \t"))]
            out.append(placeholder + end)
            masking = line.endswith("\\")
            continue
        state.feed(line)
        out.append(line + end)
    return "".join(out)


def _skipped_cell(lines: list[str]) -> bool:
    words = lines[0].split() if lines else []
    if words and words[0] in AUTOMAGICS and (len(words) < 2 or words[1] not in _ASSIGNMENTS):
        return True
    for line in lines:
        words = line.split()
        if words and words[0].startswith("%%") and words[0][2:] not in PYTHON_CELL_MAGICS:
            return True
    return False


def _placeholder(line: str) -> str | None:
    """The statement that stands for an IPython line, or None for a Python line."""
    indent = line[:len(line) - len(line.lstrip(" \t"))]
    assigned = _ASSIGN_ESCAPE.match(line)
    if assigned is not None:
        return f"{indent}{assigned.group(2)} = get_ipython()"
    if _ESCAPE.match(line) or _HELP_AFTER.match(line):
        return f"{indent}pass"
    return None


class _Scanner:
    """Just enough of Python's tokenizer to tell whether a line starts a statement: open brackets,
    triple-quoted strings and backslash continuations carry a statement onto the next line."""

    def __init__(self) -> None:
        self.depth = 0
        self.quote = ""  # the open triple quote
        self.continued = False

    def at_statement_start(self) -> bool:
        return self.depth == 0 and not self.quote and not self.continued

    def feed(self, line: str) -> None:
        index, length = 0, len(line)
        self.continued = False
        while index < length:
            if self.quote:
                found = _closing(line, index, self.quote)
                if found < 0:
                    self.continued = line.endswith("\\")
                    return
                index, self.quote = found, ""
                continue
            char = line[index]
            if char == "#":
                return
            if char in "\"'":
                if line.startswith(char * 3, index):
                    self.quote = char * 3
                    index += 3
                    continue
                found = _closing(line, index + 1, char)
                if found < 0:
                    self.continued = line.endswith("\\")
                    return
                index = found
                continue
            if char in "([{":
                self.depth += 1
            elif char in ")]}":
                self.depth = max(self.depth - 1, 0)
            elif char == "\\" and index == length - 1:
                self.continued = True
            index += 1


def _closing(line: str, index: int, quote: str) -> int:
    """The index just past ``quote`` closing a string from ``index`` on, or -1 if not on this line."""
    while index < len(line):
        if line[index] == "\\":
            index += 2
            continue
        if line.startswith(quote, index):
            return index + len(quote)
        index += 1
    return -1


# --- positions in the JSON text ----------------------------------------------------------------

class _Located(str):
    """A JSON string value and the index of its opening quote in the JSON text."""

    start: int


def _located_decoder() -> json.JSONDecoder:
    """A decoder (the pure-Python scanner) whose string values know where they are in the text."""
    import json.decoder
    import json.scanner

    # both are in the standard library (the pure-Python scanner that the C one replaces), not in its stubs
    scanstring: Callable[[str, int, bool], tuple[str, int]] = getattr(json.decoder, "scanstring")
    py_make_scanner: Callable[[json.JSONDecoder], object] = getattr(json.scanner, "py_make_scanner")
    decoder = json.JSONDecoder()

    def parse_string(text: str, end: int, strict: bool) -> tuple[str, int]:
        value, after = scanstring(text, end, strict)
        located = _Located(value)
        located.start = end - 1
        return located, after

    decoder.parse_string = parse_string  # type: ignore[attr-defined]
    decoder.scan_once = py_make_scanner(decoder)  # type: ignore[attr-defined]
    return decoder


class JsonPositions:
    """Where the cells of a notebook are written in its JSON text (read once)."""

    def __init__(self, data: bytes) -> None:
        self._raw = data.decode("utf-8-sig", errors="replace")
        try:
            self._cells: list[Any] = _load(data, _located_decoder())["cells"]
        except SourceError:
            self._cells = []

    def position(self, cell: int, line: int, column: int) -> tuple[int, int] | None:
        """Where (``line``, ``column``) of cell ``cell`` is written in the JSON text, as a 1-based
        line and column of that text; None when the notebook has no such cell or position."""
        if not 0 < cell <= len(self._cells) or not isinstance(self._cells[cell - 1], dict):
            return None
        source = self._cells[cell - 1].get("source")
        parts = source if isinstance(source, list) else [source]
        if not parts or not all(isinstance(part, _Located) for part in parts):
            return None
        text = "".join(parts)
        starts = [0] + [match.end() for match in _NEWLINE.finditer(text)]
        if not 0 < line <= len(starts):
            return None
        offset = min(starts[line - 1] + column - 1, len(text))
        for part in parts:  # the part that holds ``offset`` (at a boundary: the next part)
            if offset < len(part) or part is parts[-1]:
                break
            offset -= len(part)
        index = _raw_index(self._raw, part.start + 1, min(offset, len(part)))
        line_start = self._raw.rfind("\n", 0, index) + 1
        return self._raw.count("\n", 0, index) + 1, index - line_start + 1


def _raw_index(raw: str, index: int, characters: int) -> int:
    """The index in the JSON text after ``characters`` decoded characters of a string from ``index``."""
    for _ in range(characters):
        if raw[index] != "\\":
            index += 1
        elif raw[index + 1] != "u":
            index += 2
        elif 0xD800 <= int(raw[index + 2:index + 6], 16) < 0xDC00 and raw.startswith("\\u", index + 6):
            index += 12  # a surrogate pair: one character
        else:
            index += 6
    return index


FRONTEND = NotebookFrontend()
