"""Suppression comments: ``# noqa``, ``# noqa: LL301``, ``# lunalint: ignore[LL301]`` (in Rust,
``//`` starts them: ``// lunalint: ignore[LL301]``)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

__all__ = ["Suppressions", "parse_suppressions"]

_NOQA = r"\s*noqa(?::\s*(?P<codes>[A-Za-z]+[0-9]+(?:[\s,]+[A-Za-z]+[0-9]+)*))?"
_IGNORE = r"\s*lunalint:\s*ignore(?:\[(?P<codes>[^\]]*)\])?"
_SPLIT = re.compile(r"[\s,]+")
_LINES = re.compile(r"\r\n|\r|\n")  # Python's own line breaks (str.splitlines knows more)
ALL = frozenset({"*"})


@dataclass(frozen=True)
class Suppressions:
    """Per line: the suppressed codes (``{"*"}`` for all)."""

    by_line: dict[int, frozenset[str]]

    def suppresses(self, code: str, lines: tuple[int, ...]) -> bool:
        for line in lines:
            codes = self.by_line.get(line)
            if codes is not None and ("*" in codes or code in codes):
                return True
        return False


@lru_cache(maxsize=None)
def _patterns(comment: str) -> tuple[re.Pattern[str], re.Pattern[str]]:
    prefix = re.escape(comment)
    return re.compile(prefix + _NOQA, re.IGNORECASE), re.compile(prefix + _IGNORE, re.IGNORECASE)


def parse_suppressions(text: str, comment: str = "#") -> Suppressions:
    """The suppressions in ``text``, whose comments start with ``comment``."""
    by_line: dict[int, frozenset[str]] = {}
    if "noqa" not in text.lower() and "lunalint" not in text.lower():
        return Suppressions(by_line)
    patterns = _patterns(comment)
    for number, line in enumerate(_LINES.split(text), start=1):
        if comment not in line:
            continue
        codes: set[str] = set()
        for pattern in patterns:
            for match in pattern.finditer(line):
                listed = match.group("codes")
                if listed is None or not listed.strip():
                    codes.add("*")
                else:
                    codes.update(code.upper() for code in _SPLIT.split(listed.strip()) if code)
        if codes:
            by_line[number] = frozenset(codes)
    return Suppressions(by_line)
