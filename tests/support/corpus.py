"""The test corpus (``tests/corpus``): expected findings from ``# expect: CODE`` markers."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

CORPUS = Path(__file__).resolve().parents[1] / "corpus"
BAD_FILES = sorted((CORPUS / "bad").glob("*.py"))
GOOD_FILES = sorted((CORPUS / "good").glob("*.py"))
_MARKER = re.compile(r"#\s*expect:\s*(?P<codes>[A-Z]+\d+(?:\s*,\s*[A-Z]+\d+)*)")


def expected_findings(path: Path) -> set[tuple[int, str]]:
    """``(line, code)`` for each ``# expect:`` marker in ``path``."""
    found = set()
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        match = _MARKER.search(line)
        if match:
            found.update((number, code.strip()) for code in match["codes"].split(","))
    return found


def copy_corpus(destination: Path) -> Path:
    """A copy of the corpus under ``destination`` (so tests may chdir into it and edit files)."""
    target = destination / "corpus"
    shutil.copytree(CORPUS, target)
    return target


def finding(path: str, line: int, code: str, output: str) -> bool:
    """Does ``output`` (text format) report ``code`` for ``path`` on ``line``, at whatever column?"""
    return re.search(rf"^{re.escape(path)}:{line}:\d+: {code} ", output, flags=re.MULTILINE) is not None
