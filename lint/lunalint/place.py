"""Stage 6, place: judged findings become positioned, unsuppressed, de-duplicated Violations.

In: the judge's ``Judged`` findings and the file's ``SourceMap``. Out: sorted ``Violation``s.

``place`` is the same for every language: it asks the file's source map where each reported
anchor is and which suppression comments apply. ``CstSourceMap`` is the Python frontend's source
map, and the only code that touches libcst's private position API.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, cast

from lunalint.frontend import CellSourceMap
from lunalint.report import Violation
from lunalint.spec import LINE_MARK, Span

if TYPE_CHECKING:
    import libcst as cst
    from libcst.metadata import CodeRange

    from lunalint.fix import Fix
    from lunalint.frontend import SourceMap
    from lunalint.judge import Judged
    from lunalint.spec import Anchor
    from lunalint.suppress import Suppressions

__all__ = ["CstSourceMap", "place"]


def place(judged: Sequence[Judged], source: SourceMap, display: str, *,
          fixes: Sequence[Fix | None] | None = None, kept: list[int] | None = None) -> list[Violation]:
    """Violations for ``judged``, on the most specific anchor each finding names, minus those a
    suppression comment covers, each reported once; with ``fixes`` (one per judged finding), each
    violation carries its fix. ``kept`` receives, for each returned violation, the index of its
    judged finding."""
    if not judged:
        return []
    spans = source.locate(anchor for item in judged
                          for anchor in (item.finding.anchor, item.spec.anchor, *item.finding.lines))
    found: dict[tuple[object, ...], tuple[Violation, int]] = {}
    for index, (rule, finding, spec) in enumerate(judged):
        where = spans.get(finding.anchor) or spans[spec.anchor]
        if source.suppressions.suppresses(rule.code, (where.line, source.statement_start(where.line))):
            continue
        violation = Violation(
            path=display, line=where.line, column=where.column,
            end_line=where.end_line, end_column=where.end_column,
            code=rule.code, name=rule.name, check=rule.check_family, library=spec.library,
            message=_with_lines(finding.message, finding.lines, spans, source) if finding.lines else finding.message,
            fix=fixes[index] if fixes is not None else None,
        )
        found.setdefault((violation.line, violation.column, violation.code, violation.message), (violation, index))
    placed = sorted(found.values(), key=lambda pair: pair[0].sort_key())
    if kept is not None:
        kept.extend(index for _, index in placed)
    if isinstance(source, CellSourceMap):  # a notebook: cell and lines in the cell, in the same order
        return [source.shown(violation) for violation, _ in placed]
    return [violation for violation, _ in placed]


def _with_lines(message: str, lines: Sequence[Anchor], spans: Mapping[Anchor, Span], source: SourceMap) -> str:
    """``message`` with each ``LINE_MARK`` replaced by where the matching anchor is: ``line 40``, or
    in a notebook the cell and the line in it."""
    parts = message.split(LINE_MARK)
    out = [parts[0]]
    for index, part in enumerate(parts[1:]):
        span = spans.get(lines[index]) if index < len(lines) else None
        if span is None:
            out.append("line ?")
        elif isinstance(source, CellSourceMap):
            out.append(source.where(span.line))
        else:
            out.append(f"line {span.line}")
        out.append(part)
    return "".join(out)


class CstSourceMap:
    """Positions of libcst nodes in a file, for a module made of some of the file's statements.

    libcst computes positions by generating code, which costs more than parsing. Only the top-level
    statements that hold a reported anchor are generated, each from its own first line in the file
    (``starts``), so positions are the file's even when the module holds only some statements.
    """

    def __init__(self, module: cst.Module, starts: list[int] | None, statements: Sequence[cst.CSTNode],
                 call_statement: Mapping[int, int], suppressions: Suppressions) -> None:
        self.suppressions = suppressions
        self._module = module
        self._starts = starts
        self._statements = statements
        self._call_statement = call_statement  # id(call) -> index of its top-level statement
        self._computed: Mapping[cst.CSTNode, CodeRange] = {}
        self._statement_starts: _StatementStarts | None = None

    def locate(self, anchors: Iterable[Anchor]) -> Mapping[Anchor, Span]:
        wanted = list(dict.fromkeys(anchors))
        computed = self._positions(wanted)
        return {anchor: _span(computed[anchor]) for anchor in wanted if anchor in computed}  # type: ignore[index]

    def statement_start(self, line: int) -> int:
        if self._statement_starts is None:
            self._statement_starts = _statement_index(self._statements, self._computed)
        return self._statement_starts(line)

    def _positions(self, wanted: list[Anchor]) -> Mapping[cst.CSTNode, CodeRange]:
        from libcst.metadata import PositionProvider

        module, starts = self._module, self._starts
        provider = PositionProvider()
        if starts is not None:
            tops = {self._call_statement.get(id(anchor)) for anchor in wanted}
            indexes = sorted(t for t in tops if t is not None)
            self._generate(provider, indexes)
            computed = cast("Mapping[cst.CSTNode, CodeRange]", provider._computed)
            if not all(anchor in computed for anchor in wanted):
                self._generate(provider, [i for i in range(len(module.body)) if i not in set(indexes)])
        else:
            provider._gen_impl(module)  # the whole module, as libcst's metadata wrapper would
        self._computed = cast("Mapping[cst.CSTNode, CodeRange]", provider._computed)
        self._statement_starts = None
        return self._computed

    def _generate(self, provider: object, indexes: Iterable[int]) -> None:
        from libcst.metadata.position_provider import PositionProvidingCodegenState

        module, starts = self._module, self._starts
        assert starts is not None
        for index in indexes:
            statement = module.body[index]
            state = PositionProvidingCodegenState(default_indent=module.default_indent,
                                                  default_newline=module.default_newline,
                                                  provider=provider)  # type: ignore[arg-type]
            state.line = starts[index] - len(statement.leading_lines)
            statement._codegen(state)


def _span(where: CodeRange) -> Span:
    return Span(where.start.line, where.start.column + 1, where.end.line, where.end.column + 1)


def _statement_index(statements: Iterable[cst.CSTNode],
                     positions: Mapping[cst.CSTNode, CodeRange]) -> _StatementStarts:
    ranges = []
    for statement in statements:
        where = positions.get(statement)
        if where is not None:
            ranges.append((where.start.line, where.end.line))
    return _StatementStarts(sorted(ranges))


class _StatementStarts:
    """The first line of the innermost statement that contains a line."""

    def __init__(self, ranges: list[tuple[int, int]]) -> None:
        self._ranges = ranges
        self._starts = [start for start, _ in ranges]

    def __call__(self, line: int) -> int:
        index = bisect.bisect_right(self._starts, line) - 1
        while index >= 0:
            start, end = self._ranges[index]
            if end >= line:
                return start
            index -= 1
        return line
