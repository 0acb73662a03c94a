"""The Python frontend's fixer: library plans applied with libcst, spliced into the file's text.

``Parsed.module`` holds only the top-level statements that matter, and ``Parsed.starts`` where
each begins in the file. A fix rewrites nodes of those statements (``libraries.fixkit.Change``);
each statement that changed is generated again and replaces exactly its own lines in the
original text, so everything else (formatting, comments, the encoding and its BOM, line endings)
stays as it was. Imports a fix needs go after the file's first block of imports, helpers after
them, each once. The result must parse (``ast``) or nothing is applied.
"""

from __future__ import annotations

import ast
import codecs
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, cast

import libcst as cst
from libcst._types import CSTNodeT

from lunalint.fix import Applicability, Edit, Fix
from lunalint.libraries.fixkit import dotted as _dotted
from lunalint.parse import _LINES

if TYPE_CHECKING:
    from lunalint.config import Policy
    from lunalint.judge import Judged
    from lunalint.libraries.fixkit import Change, Namer, Plan
    from lunalint.parse import Parsed
    from lunalint.scope import ModuleScan

__all__ = ["PythonFixer"]


class _Unfixable(Exception):
    """The plan cannot be applied to this file's text (it is shown as help only)."""


@dataclass
class _LineEdit:
    first: int  # 1-based first line replaced; for an insertion, the line it goes before
    count: int  # lines replaced (0: an insertion)
    text: str


class PythonFixer:
    """Fixes for one analysed Python file (``Analysis.fixer``)."""

    def __init__(self, parsed: Parsed, scan: ModuleScan, data: bytes) -> None:
        self._parsed = parsed
        self._scan = scan
        self._data = data
        self._plans: list[Plan | None] = []
        self._tops: dict[int, int] | None = None
        self._parents: dict[int, cst.CSTNode] | None = None
        self._lines: list[str] = _LINES.findall(parsed.text)

    # The seam -----------------------------------------------------------------------------------
    def fixes(self, judged: Sequence[Judged], policy: Policy) -> list[Fix | None]:
        from lunalint.libraries.fixes import plan_fix

        self._plans = []
        result: list[Fix | None] = []
        for item in judged:
            plan = plan_fix(item, policy, self._parent, self._module_of) if self._parsed.starts is not None else None
            if plan is not None and plan.applicability is not Applicability.DISPLAY:
                try:
                    edits = _char_edits(self._lines, self._render([plan]))
                except _Unfixable:
                    plan = _display(plan)
                    edits = ()
                result.append(Fix(plan.applicability, plan.message, edits))
            else:
                result.append(None if plan is None else Fix(plan.applicability, plan.message, ()))
            self._plans.append(plan)
        return result

    def apply(self, chosen: Sequence[int]) -> bytes | None:
        plans = [plan for index in chosen if (plan := self._plans[index]) is not None
                 and plan.applicability is not Applicability.DISPLAY]
        if not plans:
            return None
        try:
            edits = self._render(plans)
        except _Unfixable:
            return None
        text = _apply_lines(self._lines, edits)
        try:
            ast.parse(text)
        except (SyntaxError, ValueError):
            return None
        return _encode(text, self._data)

    # Rendering ----------------------------------------------------------------------------------
    def _render(self, plans: Iterable[Plan]) -> list[_LineEdit]:
        module = self._parsed.module
        starts = self._parsed.starts
        if starts is None:
            raise _Unfixable("no statement positions")
        changes: dict[int, list[Change]] = {}
        seen: set[tuple[int, str]] = set()
        for plan in plans:
            for change in plan.changes:
                if (id(change.node), change.key) not in seen:
                    seen.add((id(change.node), change.key))
                    changes.setdefault(id(change.node), []).append(change)
        for group in changes.values():
            group.sort(key=lambda c: c.order)
        namer = _Namer(module, self._scan)
        tops = sorted({self._top_of(node_id) for node_id in changes})
        edits: list[_LineEdit] = []
        for index in tops:
            statement = module.body[index]
            old = module.code_for_node(statement)
            first = starts[index] - len(getattr(statement, "leading_lines", ()))
            count = old.count("\n") if old.endswith("\n") else old.count("\n") + 1
            region = "".join(self._lines[first - 1:first - 1 + count])
            if region != old and region + module.default_newline != old:
                raise _Unfixable("the statement's text is not where its positions say")
            new_node = statement.visit(_Apply(changes, namer))
            if isinstance(new_node, cst.FlattenSentinel):
                new = "".join(module.code_for_node(node) for node in new_node.nodes)
            elif isinstance(new_node, cst.CSTNode):
                new = module.code_for_node(new_node)
            else:
                raise _Unfixable("a fix removed a statement")
            if region != old:  # the file's last line has no line break
                new = new[:-len(module.default_newline)] if new.endswith(module.default_newline) else new
            if new != region:
                edits.append(_LineEdit(first, count, new))
        added = namer.added_text()
        if added:
            edits.append(_LineEdit(self._import_line(), 0, added))
        return edits

    def _parent(self, node: object) -> object | None:
        if self._parents is None:
            collector = _Parents()
            self._parsed.module.visit(collector)
            self._parents = collector.parents
        return self._parents.get(id(node))

    def _module_of(self, expression: cst.BaseExpression) -> str | None:
        """The module an expression such as ``hx.Client`` or ``Client`` comes from, by the imports."""
        namer = _Namer(self._parsed.module, self._scan)
        namer._read()
        assert namer._aliases is not None and namer._members is not None
        dotted = _dotted(expression)
        head, _, rest = dotted.rpartition(".")
        for module, alias in namer._aliases.items():
            if head == alias or head.startswith(alias + "."):
                return module + head[len(alias):]
        for (module, name), local in namer._members.items():
            if dotted == local:
                return module
        return None

    def _top_of(self, node_id: int) -> int:
        found = self._scan.call_statement.get(node_id)
        if found is not None:
            return found
        if self._tops is None:
            self._tops = {}
            for index, statement in enumerate(self._parsed.module.body):
                collector = _Ids()
                statement.visit(collector)
                self._tops.update(dict.fromkeys(collector.ids, index))
        if node_id not in self._tops:
            raise _Unfixable("a fix names a node outside the module")
        return self._tops[node_id]

    def _import_line(self) -> int:
        """The line before which imports and helpers go: after the file's first import block."""
        module = self._parsed.module
        starts = self._parsed.starts
        assert starts is not None
        last = None
        for index, statement in enumerate(module.body):
            if isinstance(statement, cst.SimpleStatementLine) and all(
                    isinstance(small, (cst.Import, cst.ImportFrom)) for small in statement.body):
                last = index
            else:
                break
        if last is None:
            return starts[0] if starts else 1
        code = module.code_for_node(module.body[last])
        return starts[last] + code.count("\n") - len(module.body[last].leading_lines)


def _display(plan: Plan) -> Plan:
    from dataclasses import replace

    return replace(plan, applicability=Applicability.DISPLAY, changes=())


class _Parents(cst.CSTVisitor):
    def __init__(self) -> None:
        self.parents: dict[int, cst.CSTNode] = {}
        self._stack: list[cst.CSTNode] = []

    def on_visit(self, node: cst.CSTNode) -> bool:
        if self._stack:
            self.parents[id(node)] = self._stack[-1]
        self._stack.append(node)
        return True

    def on_leave(self, original_node: cst.CSTNode) -> None:
        self._stack.pop()


class _Ids(cst.CSTVisitor):
    def __init__(self) -> None:
        self.ids: list[int] = []

    def on_visit(self, node: cst.CSTNode) -> bool:
        self.ids.append(id(node))
        return True


class _Apply(cst.CSTTransformer):
    """Applies changes to the nodes they name (by identity), innermost first."""

    def __init__(self, changes: dict[int, list[Change]], namer: Namer) -> None:
        super().__init__()
        self._changes = changes
        self._namer = namer

    def on_leave(self, original_node: CSTNodeT, updated_node: CSTNodeT
                 ) -> CSTNodeT | cst.RemovalSentinel | cst.FlattenSentinel[CSTNodeT]:
        node: Any = updated_node
        for change in self._changes.get(id(original_node), ()):
            if isinstance(node, cst.FlattenSentinel):
                raise _Unfixable("a statement was replaced before another change to it")
            node = change.rewrite(node, self._namer)
        return cast("CSTNodeT | cst.FlattenSentinel[CSTNodeT]", node)


@dataclass
class _Namer:
    """Names for generated code, from the module's top-level imports; missing imports and
    helpers are collected, each once, for insertion after the imports."""

    module: cst.Module
    scan: ModuleScan
    imports: list[str] = field(default_factory=list)
    helpers: dict[str, str] = field(default_factory=dict)
    _aliases: dict[str, str] | None = None  # module -> its local name
    _members: dict[tuple[str, str], str] | None = None  # (module, name) -> local name
    _bound: set[str] | None = None

    def _read(self) -> None:
        aliases: dict[str, str] = {}
        members: dict[tuple[str, str], str] = {}
        bound: set[str] = set()
        for statement in self.module.body:
            if isinstance(statement, cst.SimpleStatementLine):
                for small in statement.body:
                    if isinstance(small, cst.Import):
                        for alias in small.names:
                            dotted = _dotted(alias.name)
                            if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
                                aliases.setdefault(dotted, alias.asname.name.value)
                                bound.add(alias.asname.name.value)
                            else:
                                aliases.setdefault(dotted, dotted)
                                bound.add(dotted.split(".", 1)[0])
                    elif isinstance(small, cst.ImportFrom) and not small.relative and small.module is not None \
                            and not isinstance(small.names, cst.ImportStar):
                        source = _dotted(small.module)
                        for alias in small.names:
                            local = alias.asname.name.value if alias.asname is not None and isinstance(
                                alias.asname.name, cst.Name) else _dotted(alias.name)
                            members.setdefault((source, _dotted(alias.name)), local)
                            bound.add(local)
                    elif isinstance(small, (cst.Assign, cst.AnnAssign)):
                        targets = small.targets if isinstance(small, cst.Assign) else [small]
                        for target in targets:
                            if isinstance(target.target, cst.Name):
                                bound.add(target.target.value)
            elif isinstance(statement, (cst.FunctionDef, cst.ClassDef)):
                bound.add(statement.name.value)
        self._aliases, self._members, self._bound = aliases, members, bound

    def ref(self, module: str, name: str) -> str:
        if self._aliases is None:
            self._read()
        assert self._aliases is not None and self._members is not None and self._bound is not None
        if module in self._aliases:
            return f"{self._aliases[module]}.{name}"
        if (module, name) in self._members:
            return self._members[(module, name)]
        top = module.split(".", 1)[0]
        if "." not in module and top not in self._bound:
            self._add(f"import {module}")
            self._aliases[module] = module
            self._bound.add(module)
            return f"{module}.{name}"
        self._add(f"from {module} import {name}")
        self._members[(module, name)] = name
        self._bound.add(name)
        return name

    def _add(self, line: str) -> None:
        if line not in self.imports:
            self.imports.append(line)

    def helper(self, name: str, code: Callable[[Namer], str]) -> str:
        if self._bound is None:
            self._read()
        assert self._bound is not None
        if name in self._bound and name not in self.helpers:
            return name
        if name not in self.helpers:
            self.helpers[name] = ""  # reserved before ``code`` names what it needs
            text = code(self)
            del self.helpers[name]  # after the helpers it needs, which ``code`` may have added
            self.helpers[name] = text
        return name

    def expression(self, code: str) -> cst.BaseExpression:
        return cst.parse_expression(code, config=self.module.config_for_parsing)

    def statement(self, code: str) -> cst.BaseStatement:
        return cst.parse_statement(code, config=self.module.config_for_parsing)

    def code(self, node: cst.CSTNode) -> str:
        return self.module.code_for_node(node)

    def added_text(self) -> str:
        newline = self.module.default_newline
        text = "".join(line + "\n" for line in self.imports)
        for helper in self.helpers.values():
            text += "\n\n" + helper
        if self.helpers:
            text += "\n"
        return text.replace("\n", newline) if newline != "\n" else text


def _apply_lines(lines: list[str], edits: Iterable[_LineEdit]) -> str:
    result = list(lines)
    for edit in sorted(edits, key=lambda e: (e.first, e.count), reverse=True):
        result[edit.first - 1:edit.first - 1 + edit.count] = [edit.text]
    return "".join(result)


def _char_edits(lines: list[str], edits: Iterable[_LineEdit]) -> tuple[Edit, ...]:
    """The smallest character edits with the effect of ``edits`` (common ends trimmed)."""
    result = []
    for edit in sorted(edits, key=lambda e: (e.first, e.count)):
        old = "".join(lines[edit.first - 1:edit.first - 1 + edit.count])
        new = edit.text
        start = 0
        limit = min(len(old), len(new))
        while start < limit and old[start] == new[start]:
            start += 1
        end = 0
        while end < limit - start and old[len(old) - 1 - end] == new[len(new) - 1 - end]:
            end += 1
        line, column = _position(old, start, edit.first)
        end_line, end_column = _position(old, len(old) - end, edit.first)
        result.append(Edit(line, column, end_line, end_column, new[start:len(new) - end]))
    return tuple(result)


def _position(text: str, offset: int, first_line: int) -> tuple[int, int]:
    before = text[:offset]
    line = first_line + before.count("\n")
    column = offset - (before.rfind("\n") + 1) + 1
    return line, column


def _encode(text: str, original: bytes) -> bytes:
    import io
    import tokenize

    encoding, _ = tokenize.detect_encoding(io.BytesIO(original).readline)
    return codecs.encode(text, encoding)
