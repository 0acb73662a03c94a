"""The Rust source map: anchors are ``Span``s already; statements come from the tree-sitter tree."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING

from lunalint.spec import Span

if TYPE_CHECKING:
    from tree_sitter import Node

    from lunalint.spec import Anchor
    from lunalint.suppress import Suppressions

__all__ = ["RustSourceMap"]

STATEMENTS = frozenset({
    "let_declaration", "expression_statement", "static_item", "const_item", "function_item", "struct_item",
    "field_declaration", "field_initializer", "macro_invocation",
})


class RustSourceMap:
    def __init__(self, root: Node, suppressions: Suppressions) -> None:
        self.suppressions = suppressions
        self._root = root

    def locate(self, anchors: Iterable[Anchor]) -> Mapping[Anchor, Span]:
        return {anchor: anchor for anchor in anchors if isinstance(anchor, Span)}

    def statement_start(self, line: int) -> int:
        """The first line of the innermost statement (or item) around ``line``."""
        row = line - 1
        node = self._root
        start = line
        while True:
            inner = next((child for child in node.named_children
                          if child.start_point[0] <= row <= child.end_point[0]), None)
            if inner is None:
                return start
            if inner.type in STATEMENTS and inner.type != "function_item":
                start = inner.start_point[0] + 1
            node = inner
