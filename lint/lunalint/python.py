"""The Python frontend: prefilter, parse and extract, behind the language seam.

``.py`` and ``.pyi`` files (and any file named on the command line that no other frontend claims)
go through ``prefilter`` (text, then ``ast``), ``parse`` (libcst, the statements that matter) and
``extract`` (ClientSpecs by qualified name). Placement gets a ``CstSourceMap``: libcst positions in
file coordinates and the file's ``# noqa`` / ``# lunalint: ignore`` comments.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from lunalint.frontend import Analysis
from lunalint.prefilter import prefilter

if TYPE_CHECKING:
    from lunalint.suppress import Suppressions

__all__ = ["FRONTEND", "PythonFrontend"]


class PythonFrontend:
    """Python source files."""

    def analyse(self, data: bytes, path: str = "") -> Analysis | None:
        candidate = prefilter(data)
        if candidate is None:
            return None
        from lunalint.extract import extract
        from lunalint.parse import parse
        from lunalint.place import CstSourceMap
        from lunalint.suppress import parse_suppressions

        parsed = parse(candidate)
        del candidate  # its ``ast`` tree (megabytes for a large module) is not needed any more
        specs, scan = extract(parsed)
        source = CstSourceMap(parsed.module, parsed.starts, scan.statements, scan.call_statement,
                              parse_suppressions(parsed.text))
        from lunalint.pyfix import PythonFixer

        return Analysis(specs, source, fixer=PythonFixer(parsed, scan, data))

    def suppressions(self, data: bytes) -> Suppressions:
        from lunalint.suppress import parse_suppressions

        return parse_suppressions(data.decode("utf-8", errors="replace"))


FRONTEND = PythonFrontend()
