"""The Rust frontend: reqwest clients in ``.rs`` files, behind the language seam.

``prefilter`` passes only files that name ``reqwest``; only then are tree-sitter and its Rust
grammar imported (``parse``). ``extract`` evaluates builder chains into ClientSpecs with
``reqwest``'s semantics; the keepalive default depends on the reqwest version in the nearest
``Cargo.lock`` (``lock``): the result is keyed on the lock, and not cached when no lock is found.
Items of other files of the same crate are followed (``crate``), and the result keyed on them
too. Anchors are ``Span``s; suppressions are ``// noqa`` and ``// lunalint: ignore[...]`` comments.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from lunalint.frontend import Analysis
from lunalint.rust.prefilter import may_build_client

if TYPE_CHECKING:
    from lunalint.suppress import Suppressions

__all__ = ["FRONTEND", "RustFrontend"]


class RustFrontend:
    """Rust source files."""

    def analyse(self, data: bytes, path: str) -> Analysis | None:
        if not may_build_client(data):
            return None
        from lunalint.rust.extract import extract
        from lunalint.rust.lock import locked_reqwest
        from lunalint.rust.parse import parse
        from lunalint.rust.source import RustSourceMap
        from lunalint.suppress import parse_suppressions

        parsed = parse(data)
        locked = locked_reqwest(path)
        extracted = extract(parsed, locked, path)
        source = RustSourceMap(parsed.tree.root_node, parse_suppressions(data.decode("utf-8"), "//"))
        # the locks read are dependencies of the result; without one, a lock may appear anywhere
        return Analysis(extracted.specs, source, cacheable=not extracted.depends_on_lock or locked.lock is not None)

    def suppressions(self, data: bytes) -> Suppressions:
        from lunalint.suppress import parse_suppressions

        return parse_suppressions(data.decode("utf-8", errors="replace"), "//")


FRONTEND = RustFrontend()
