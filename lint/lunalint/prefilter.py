"""Stage 2, prefilter: could this file build a client? Most files stop here, before libcst.

In: a file's bytes. Out: ``Candidate`` (the bytes and their ``ast`` tree) or None.

Two tests, cheapest first. The text test passes a file only when an import line mentions a known
client module (a substring scan, then a regular expression). In SDK and library trees that is most
files, yet only a handful construct a client, so the ``ast`` test follows: Python's C parser plus
one walk answers "could any call here resolve to a registered entry point?" about 15x faster than
libcst parses the file. It over-approximates the extraction (it ignores scopes and shadowing), so
a file it rejects has no finding. The tree it built goes on to ``parse``, which uses its line
numbers to feed libcst only the statements that matter.
"""

from __future__ import annotations

import ast
import gc
import re
import warnings
from collections.abc import Collection
from functools import lru_cache
from typing import NamedTuple

from lunalint.frontend import SourceError
from lunalint.libraries import canonical, client_modules

__all__ = ["Candidate", "prefilter"]

_MAX_ALIAS_ROUNDS = 4
# CPython refuses more than 200 nested brackets; libcst's native parser crashes the whole process
# (a stack overflow, not an exception) on a few thousand, so such files never reach it.
MAX_BRACKET_DEPTH = 200


LARGE_FILE_BYTES = 256 * 1024  # larger files are cut (``cut``) before ``ast`` reads them


class Candidate(NamedTuple):
    """A file that may build a client: its bytes (in a large file, the statements that cannot
    matter are empty lines) and ``ast`` tree (None: ``ast`` cannot parse it, and libcst will say
    why)."""

    data: bytes
    tree: ast.Module | None


def prefilter(data: bytes) -> Candidate | None:
    """The file as a ``Candidate``, or None when no call in it can build a client.

    Raises ``SourceError`` for a file nested too deeply for any parser here.
    """
    if not _imports_client_module(data):
        return None
    from lunalint.libraries import load

    tree = None
    if len(data) > LARGE_FILE_BYTES:  # statements that cannot matter become empty lines first
        from lunalint.cut import cut

        shorter = cut(data, client_modules())
        tree = _parse(shorter) if shorter is not data else None
        data = shorter if tree is not None else data  # a misjudged cut does not parse: read it whole
    if tree is None:
        tree = _parse(data)
    return Candidate(data, tree) if _may_construct_client(tree, load().entry_points) else None


@lru_cache(maxsize=1)
def _module_names(modules: tuple[str, ...]) -> tuple[bytes, ...]:
    return tuple(m.encode() for m in modules)


@lru_cache(maxsize=1)
def _import_line(names: tuple[bytes, ...]) -> re.Pattern[bytes]:  # compiled where files are read
    alternatives = b"|".join(re.escape(m) for m in names)
    return re.compile(  # an import statement, or ``importlib.import_module("openai")`` / ``__import__``
        rb"(?:^|(?<=\r))(?:\xef\xbb\xbf)?[ \t]*(?:from|import)[ \t]+[^\r\n#]*?\b(?:" + alternatives + rb")\b"
        rb"|\b(?:import_module|__import__)\([ \t]*[\"'](?:" + alternatives + rb")\b",
        re.MULTILINE,
    )


def _imports_client_module(source: bytes) -> bool:
    """The text test: does any import line mention a known client module?"""
    names = _module_names(client_modules())
    if not any(name in source for name in names):  # a substring scan is ~3x faster than the regex
        return False
    return _import_line(names).search(source) is not None


def _bracket_depth(source: bytes) -> int:
    """Maximum bracket nesting, counted crudely (brackets inside strings count too)."""
    depth = deepest = 0
    for byte in source.translate(None, delete=_NOT_BRACKETS):
        if byte in b"([{":
            depth += 1
            deepest = max(deepest, depth)
        else:
            depth = max(depth - 1, 0)
    return deepest


_NOT_BRACKETS = bytes(set(range(256)) - set(b"()[]{}"))


def _dotted(node: ast.expr) -> str | None:
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
        return ".".join(reversed(parts))
    return None


def _parse(source: bytes) -> ast.Module | None:
    """The ``ast`` tree, or None when the file does not parse (libcst then reports why)."""
    enabled = gc.isenabled()
    gc.disable()  # the parser allocates many objects at once; collecting them meanwhile is wasted work
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the compiler's SyntaxWarnings are not ours to print
            return ast.parse(source)
    except (RecursionError, MemoryError):
        raise SourceError("too deeply nested to analyse") from None
    except SyntaxError as error:
        if "too many nested parentheses" in str(error) or _bracket_depth(source) > MAX_BRACKET_DEPTH:
            raise SourceError(f"too deeply nested to analyse (more than {MAX_BRACKET_DEPTH} "
                                  "levels of brackets)") from None
        return None
    except ValueError:
        return None
    finally:
        if enabled:
            gc.enable()


def imported_module(node: ast.expr | None) -> str | None:
    """``"openai"`` for ``importlib.import_module("openai")`` or ``__import__("openai")``."""
    if not isinstance(node, ast.Call) or not node.args or not isinstance(node.args[0], ast.Constant):
        return None
    func = node.func
    name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else None
    module = node.args[0].value
    return module if name in ("import_module", "__import__") and isinstance(module, str) else None


def _walk(tree: ast.AST) -> list[ast.AST]:
    """Every node, in no particular order (about 3x faster than ``ast.walk``)."""
    nodes: list[ast.AST] = []
    stack: list[ast.AST] = [tree]
    node_type = ast.AST
    while stack:
        node = stack.pop()
        nodes.append(node)
        for name in node._fields:
            value = getattr(node, name, None)
            if isinstance(value, list):
                stack.extend(item for item in value if isinstance(item, node_type))
            elif isinstance(value, node_type):
                stack.append(value)
    return nodes


@lru_cache(maxsize=4)
def _name_parts(constructors: frozenset[str]) -> tuple[frozenset[str], frozenset[str]]:
    """(the constructors and their modules, the constructors' last names), computed once per set."""
    prefixes = frozenset(name.rsplit(".", 1)[0] for name in constructors) | constructors
    return prefixes, frozenset(name.rsplit(".", 1)[-1] for name in constructors)


def _may_construct_client(tree: ast.Module | None, constructors: Collection[str]) -> bool:
    """False only when no call in ``tree`` can resolve to one of ``constructors``.

    ``tree`` is ``parse(source)``; ``None`` (the file does not parse) answers True, so that the
    full analysis reports the problem.

    ``constructors`` holds every qualified name the engine acts on: constructions, module-level
    request functions, and the receivers of followed method calls (a method call on a client
    needs that client to be built in the same file, by a call this test finds).
    """
    if tree is None:
        return True
    nodes = _walk(tree)
    prefixes, suffixes = _name_parts(frozenset(constructors))
    aliases: dict[str, str] = {}

    def bind(name: str, qualname: str) -> None:
        # A name imported twice (``try: import requests_unixsocket as requests / except ImportError:
        # import requests``) keeps the binding that can build a client, whichever is walked last.
        if aliases.get(name, "").split(".", 1)[0] not in prefixes:
            aliases[name] = qualname

    star_modules: list[str] = []
    assignments: list[tuple[str, ast.expr]] = []
    calls: list[ast.expr] = []
    for node in nodes:
        kind = type(node)
        if kind is ast.Call:
            calls.append(node.func)  # type: ignore[attr-defined]
        elif kind is ast.Import:
            for alias in node.names:  # type: ignore[attr-defined]
                top = alias.name.split(".", 1)[0]
                bind(alias.asname or top, alias.name if alias.asname else top)
        elif kind is ast.ImportFrom and node.module and not node.level:  # type: ignore[attr-defined]
            for alias in node.names:  # type: ignore[attr-defined]
                if alias.name == "*":
                    star_modules.append(node.module)  # type: ignore[attr-defined]
                else:
                    bind(alias.asname or alias.name, f"{node.module}.{alias.name}")  # type: ignore[attr-defined]
        elif kind is ast.Assign or kind is ast.AnnAssign or kind is ast.NamedExpr:
            value = node.value  # type: ignore[attr-defined]
            targets = node.targets if kind is ast.Assign else [node.target]  # type: ignore[attr-defined]
            if isinstance(value, (ast.Name, ast.Attribute)):
                assignments.extend((t.id, value) for t in targets if isinstance(t, ast.Name))
            elif (imported := imported_module(value)) is not None:  # ``openai = importlib.import_module("openai")``
                for target in targets:
                    if isinstance(target, ast.Name):
                        bind(target.id, imported)
        elif kind is ast.ClassDef:  # ``class Api(httpx.AsyncClient)``: ``Api(...)`` builds a client
            assignments.extend((node.name, base) for base in node.bases  # type: ignore[attr-defined]
                               if isinstance(base, (ast.Name, ast.Attribute)))
        elif kind is ast.arguments:  # ``def make(client_cls=httpx.AsyncClient)``
            params = [*node.posonlyargs, *node.args]  # type: ignore[attr-defined]
            pairs = list(zip(params[len(params) - len(node.defaults):], node.defaults))  # type: ignore[attr-defined]
            pairs += list(zip(node.kwonlyargs, node.kw_defaults))  # type: ignore[attr-defined]
            assignments.extend((param.arg, default) for param, default in pairs
                               if isinstance(default, (ast.Name, ast.Attribute)))

    def resolve(expr: ast.expr) -> str | None:
        dotted = _dotted(expr)
        if dotted is None:
            return None
        head, _, rest = dotted.partition(".")
        base = aliases.get(head)
        if base is None:
            return None
        return canonical(f"{base}.{rest}") if rest else canonical(base)

    for _ in range(_MAX_ALIAS_ROUNDS):  # ``hx = httpx`` / ``Client = httpx.Client`` aliases
        changed = False
        for target, value in assignments:
            resolved = resolve(value)
            if resolved in prefixes and aliases.get(target) != resolved:
                aliases[target] = resolved
                changed = True
        if not changed:
            break
    suffixes = suffixes if star_modules else frozenset()
    for func in calls:
        resolved = resolve(func)
        if resolved is not None and resolved in constructors:
            return True
        if suffixes and isinstance(func, ast.Name) and func.id in suffixes:
            return True
    return False
