"""Stage 3, parse: a libcst tree of the statements that can matter, and the file's decoded text.

In: a ``Candidate`` (bytes and ``ast`` tree). Out: ``Parsed``; ``SourceError`` for a file that
does not parse or decode.

libcst is slow and memory-hungry on statement-dense files (a 2.4 MB file of ``x = 1`` lines costs
it about 45 s and 4 GB), while extraction reads few statements: the imports, the statements that
mention a client module, and the statements these read names from or hand names to. ``ast``
(already built by the prefilter) names them; only their lines go to libcst, and ``Parsed.starts``
keeps each statement's first line in the file, so that positions stay those of the file.
"""

from __future__ import annotations

import ast
import codecs
import io
import re
import tokenize
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from lunalint.frontend import SourceError
from lunalint.libraries import client_modules
from lunalint.prefilter import imported_module

if TYPE_CHECKING:
    import libcst as cst

    from lunalint.prefilter import Candidate
    from lunalint.scope import ModuleScan

__all__ = ["Parsed", "parse"]

_LINES = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+$")  # Python's own line breaks, kept
_IMPORTS = (ast.Import, ast.ImportFrom)
_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)


@dataclass
class Parsed:
    """The statements that matter as one libcst module, and where each came from."""

    module: cst.Module
    # For each statement of ``module.body``: its first line in the file (decorators included);
    # None when ``ast`` could not parse the file (libcst's own positions are then the file's).
    starts: list[int] | None
    text: str  # the whole file, decoded


def parse(candidate: Candidate) -> Parsed:
    """The libcst module of the statements in ``candidate`` that can matter to extraction."""
    import libcst as cst

    data = candidate.data
    if b"\x00" in data:
        raise SourceError("contains NUL bytes; not a Python source file")
    text = _decode(data)
    source, groups = text, None
    if candidate.tree is not None:  # only the lines of the statements that matter
        groups = _groups_that_matter(candidate.tree)
        lines = _LINES.findall(text)
        source = "".join("".join(lines[first - 1:last]) for first, last in groups)
    try:
        module = cst.parse_module(source)
    except cst.ParserSyntaxError as error:
        from lunalint.syntax import describe_syntax_error, libcst_reason

        if groups is None:  # ``ast`` refused the file too: CPython says where and what
            raise SourceError(describe_syntax_error(candidate.data, error)) from None
        kept = groups
        raise SourceError(libcst_reason(error, lambda line: _file_line(line, kept))) from None
    starts = [first for first, _ in groups] if groups is not None and len(groups) == len(module.body) else None
    if starts is None and groups is not None:  # cannot happen for a tree ``ast`` accepted; stay safe
        return parse(candidate._replace(tree=None))
    return Parsed(module, starts, text)


def _decode(data: bytes) -> str:
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
        return codecs.decode(data, encoding)
    except (UnicodeDecodeError, LookupError, SyntaxError) as error:
        raise SourceError(f"cannot decode: {str(error).splitlines()[0]}") from None


def _file_line(line: int, groups: list[tuple[int, int]]) -> int:
    """The file's line for a line of the reduced source."""
    for first, last in groups:
        size = last - first + 1
        if line <= size:
            return first + line - 1
        line -= size
    return line


def _groups_that_matter(tree: ast.Module) -> list[tuple[int, int]]:
    """Line ranges (first, last) of the top-level statements extraction can read, in file order.

    Nothing is left out when the file cannot be cut safely (a star import of a client module hides
    which names it binds). Statements that share a line (``a = 1; b = 2``) form one range, as they
    form one statement line in libcst.
    """
    body = tree.body
    bound: list[set[str]] = []
    read: list[set[str]] = []
    binders: dict[str, list[int]] = {}
    readers: dict[str, list[int]] = {}
    client_names: set[str] = set()
    seeds: list[int] = []  # statements that import a client module inside (a function, a try)
    for index, statement in enumerate(body):
        binds, reads, clients = _names(statement)
        if clients is None:
            return _line_groups(body, [True] * len(body))
        if clients and not isinstance(statement, _IMPORTS):
            seeds.append(index)
        client_names |= clients
        bound.append(binds)
        read.append(reads)
        for name in binds:
            binders.setdefault(name, []).append(index)
        for name in reads:
            readers.setdefault(name, []).append(index)
    wanted = [isinstance(statement, _IMPORTS) for statement in body]
    active = [False] * len(body)
    pending = seeds + [index for index in range(len(body)) if not wanted[index] and read[index] & client_names]
    while pending:
        index = pending.pop()
        if active[index]:
            continue
        active[index] = wanted[index] = True
        for name in read[index]:
            pending.extend(i for i in binders.get(name, ()) if not active[i] and not isinstance(body[i], _IMPORTS))
        for name in bound[index]:
            pending.extend(i for i in readers.get(name, ()) if not active[i])
    return _line_groups(body, wanted)


def selected_groups(body: list[ast.stmt], is_seed: Callable[[int, set[str]], bool]) -> list[tuple[int, int]]:
    """Line ranges of the imports, the statements ``is_seed(index, names it binds)`` picks and,
    transitively, the statements binding what the picked ones read (in file order); none when no
    statement is picked. How another module of the tree is read for one name or one client."""
    infos = [_names(statement) for statement in body]
    binders: dict[str, list[int]] = {}
    for index, (binds, _, _) in enumerate(infos):
        for bound in binds:
            binders.setdefault(bound, []).append(index)
    pending = [index for index, (binds, _, _) in enumerate(infos) if is_seed(index, binds)]
    if not pending:
        return []
    wanted = [isinstance(statement, _IMPORTS) for statement in body]
    while pending:
        index = pending.pop()
        if wanted[index] and not isinstance(body[index], _IMPORTS):
            continue
        wanted[index] = True
        for read in infos[index][1]:
            pending.extend(i for i in binders.get(read, ()) if not wanted[i])
    return _line_groups(body, wanted)


def _is_client_module(module: str | None) -> bool:
    return module is not None and module.split(".", 1)[0] in client_modules()


def _line_groups(body: list[ast.stmt], wanted: list[bool]) -> list[tuple[int, int]]:
    """Merge statements sharing a line (``a = 1; b = 2``) and keep the groups holding a wanted one."""
    groups: list[tuple[int, int, bool]] = []
    for statement, keep in zip(body, wanted):
        decorators = getattr(statement, "decorator_list", None) or []
        first = min([statement.lineno, *(d.lineno for d in decorators)])
        last = statement.end_lineno or statement.lineno
        if groups and first <= groups[-1][1]:
            start, end, kept = groups[-1]
            groups[-1] = (start, max(end, last), kept or keep)
        else:
            groups.append((first, last, keep))
    return [(first, last) for first, last, keep in groups if keep]


def _names(statement: ast.stmt) -> tuple[set[str], set[str], set[str] | None]:
    """(names the statement binds at module level, names it reads anywhere, the names its imports
    anywhere inside bind to client modules or their members), over-approximated; the last is None
    for a star import of a client module."""
    binds: set[str] = set()
    reads: set[str] = set()
    clients: set[str] = set()
    for node, nested in _walk(statement):
        kind = type(node)
        if kind is ast.Name:
            if isinstance(node.ctx, ast.Load):  # type: ignore[attr-defined]
                reads.add(node.id)  # type: ignore[attr-defined]
            elif not nested:
                binds.add(node.id)  # type: ignore[attr-defined]
        elif kind is ast.Assign and _is_client_module(imported_module(node.value)):  # type: ignore[attr-defined]
            clients.update(t.id for t in node.targets if isinstance(t, ast.Name))  # type: ignore[attr-defined]
        elif kind is ast.NamedExpr or kind is ast.Global:
            names = node.names if kind is ast.Global else [node.target.id]  # type: ignore[attr-defined]
            binds.update(names)
        elif not nested and isinstance(node, _SCOPES) and not isinstance(node, ast.Lambda):
            binds.add(node.name)
        elif isinstance(node, _IMPORTS):
            module = node.module if isinstance(node, ast.ImportFrom) and not node.level else None
            for alias in node.names:
                name = alias.asname or alias.name.split(".", 1)[0]
                if alias.name == "*":
                    if _is_client_module(module):
                        return binds, reads, None
                    continue
                if not nested:
                    binds.add(name)
                if _is_client_module(module if isinstance(node, ast.ImportFrom) else alias.name):
                    clients.add(name)
    return binds, reads, clients


def _walk(root: ast.AST) -> Iterator[tuple[ast.AST, bool]]:
    """Every node under ``root`` with whether it is inside a function, class or lambda body."""
    stack: list[tuple[ast.AST, bool]] = [(root, False)]
    node_type = ast.AST
    while stack:
        node, nested = stack.pop()
        yield node, nested
        inner = nested or isinstance(node, _SCOPES)
        for name in node._fields:
            value = getattr(node, name, None)
            if isinstance(value, list):
                stack.extend((item, inner) for item in value if isinstance(item, node_type))
            elif isinstance(value, node_type):
                stack.append((value, inner))


def mentioning(lines: list[str], tree: ast.Module, names: list[str]) -> tuple[cst.Module, ModuleScan] | None:
    """The module's imports, its top-level statements that mention one of ``names``, and
    (transitively) those binding what they read; the other lines blanked, so that positions are the
    file's and libcst parses only what may matter."""
    import libcst as cst

    from lunalint.scope import scan_module

    body = tree.body
    aliases = {alias.asname for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)
               for alias in node.names if alias.asname and alias.name in names}
    pattern = re.compile(r"\b(?:" + "|".join(map(re.escape, sorted({*names, *aliases}))) + r")\b")

    def mentions(index: int, _: set[str]) -> bool:
        statement = body[index]
        return not isinstance(statement, (ast.Import, ast.ImportFrom)) and pattern.search(
            "".join(lines[_first_line(statement) - 1:statement.end_lineno or statement.lineno])) is not None

    kept = ["\n"] * len(lines)
    for first, last in selected_groups(body, mentions):
        kept[first - 1:last] = lines[first - 1:last]
    try:
        module = cst.parse_module("".join(kept))
    except (cst.ParserSyntaxError, RecursionError, ValueError):
        return None
    return module, scan_module(module)


def _first_line(statement: ast.stmt) -> int:
    decorators = getattr(statement, "decorator_list", None) or []
    return int(min([statement.lineno, *(d.lineno for d in decorators)]))
