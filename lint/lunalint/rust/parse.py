"""Parse Rust with tree-sitter, and turn tree-sitter positions into ``Span``s.

tree-sitter recovers from syntax errors (the broken part becomes an ``ERROR`` node), so a file
rustc would reject is still read as far as it goes: an unreadable construction is simply not
found. A file that is not UTF-8 is a ``SourceError``. tree-sitter columns are bytes; ``Span``
columns are characters, as for Python files.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

from lunalint.frontend import SourceError
from lunalint.spec import Span

if TYPE_CHECKING:
    from tree_sitter import Node, Parser, Tree

__all__ = ["Parsed", "parse", "text"]


@dataclass
class Parsed:
    """A parsed Rust file: its tree and the raw lines (for byte-to-character columns)."""

    tree: Tree
    data: bytes
    lines: list[bytes]

    def span(self, node: Node, end: Node | None = None) -> Span:
        """The span from ``node``'s start to ``end``'s end (default: ``node``'s)."""
        last = end or node
        (line, column), (end_line, end_column) = node.start_point, last.end_point
        return Span(line + 1, self._column(line, column), end_line + 1, self._column(end_line, end_column))

    def _column(self, line: int, byte: int) -> int:
        raw = self.lines[line] if line < len(self.lines) else b""
        prefix = raw[:byte]
        if prefix.isascii():
            return byte + 1
        return len(prefix.decode("utf-8", errors="replace")) + 1


@lru_cache(maxsize=1)
def _parser() -> Parser:
    import tree_sitter_rust
    from tree_sitter import Language, Parser

    return Parser(Language(tree_sitter_rust.language()))


def parse(data: bytes) -> Parsed:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise SourceError(f"not UTF-8: cannot decode byte {error.start}") from None
    tree = _parser().parse(data)
    return Parsed(tree, data, data.split(b"\n"))


def text(node: Node | None) -> str:
    """A node's source text ("" for none)."""
    if node is None or node.text is None:
        return ""
    return node.text.decode("utf-8", errors="replace")
