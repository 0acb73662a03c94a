"""Suppression comments: per line (``# noqa``, ``# lunalint: ignore[...]``), per file, and unused ones.

Per line, on the reported line or the first line of its statement:

- ``# noqa`` (every code, as in Ruff), ``# noqa: LL301, LL401``;
- ``# lunalint: ignore`` (every code), ``# lunalint: ignore[LL301, timeout-unbounded]`` (codes or
  rule names).

Per file, a comment on a line of its own anywhere in the file: ``# lunalint: skip-file`` (no
finding at all), ``# lunalint: noqa`` (the same, Ruff's ``# ruff: noqa`` spelling) and
``# lunalint: noqa: LL301, pool-idle-unbounded`` (those rules, in the whole file).

``Suppressions`` records which comments suppressed something, so that rule LL902
(``unused-suppression``) can report the others: a lunalint comment that names an unknown rule, or
that suppressed no finding of a rule that ran. A bare ``# noqa`` and codes of other tools in a
``# noqa`` are left alone, since other linters read those comments too.

In Rust, ``//`` starts the same comments (``// lunalint: ignore[LL301]``): ``parse_suppressions``
takes the comment prefix.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass, field
from functools import lru_cache
from typing import NamedTuple

from lunalint.report import Check, Violation

__all__ = ["UNUSED_SUPPRESSION", "Suppressions", "audit", "parse_suppressions"]

UNUSED_SUPPRESSION = ("LL902", "unused-suppression")

_NOQA = r"\s*noqa(?::\s*(?P<codes>[A-Za-z]+[0-9]+(?:[\s,]+[A-Za-z]+[0-9]+)*))?"
_IGNORE = r"\s*lunalint:\s*ignore(?:\[(?P<codes>[^\]]*)\])?"
_FILE = r"\s*lunalint:\s*(?:(?P<skip>skip-file)|noqa(?::\s*(?P<codes>[\w\s,-]*?))?)\s*$"
_SPLIT = re.compile(r"[\s,]+")
_LINES = re.compile(r"\r\n|\r|\n")  # Python's own line breaks (str.splitlines knows more)
EVERY = "*"


class _Comment(NamedTuple):
    line: int
    column: int  # 0-based start and end of the comment's text
    end: int
    codes: tuple[str, ...]  # canonical codes; (EVERY,) for all
    unknown: tuple[str, ...]  # names that are no lunalint rule
    audited: bool  # reported by LL902 when unused (not a bare ``# noqa`` nor another tool's code)


def _canonical(token: str) -> str | None:
    """``LL301`` or ``timeout-unbounded`` as a code, or None when it names no lunalint rule."""
    from lunalint.rules import RULES

    upper = token.upper()
    for rule in RULES:
        if upper == rule.code or token.lower() == rule.name:
            return rule.code
    return None


@dataclass
class Suppressions:
    """The suppression comments of one file; ``suppresses`` records the ones it uses."""

    by_line: dict[int, frozenset[str]]
    comments: tuple[_Comment, ...] = ()
    file_codes: frozenset[str] = frozenset()  # suppressed in the whole file; {"*"} for all
    used: set[tuple[int, str]] = field(default_factory=set)  # (line of the comment, code or "*")

    def suppresses(self, code: str, lines: tuple[int, ...]) -> bool:
        if EVERY in self.file_codes or code in self.file_codes:
            self.used.add((0, EVERY if EVERY in self.file_codes else code))
            return True
        for line in lines:
            codes = self.by_line.get(line)
            if codes is not None and (EVERY in codes or code in codes):
                self.used.add((line, code))
                self.used.add((line, EVERY))
                return True
        return False

    def unused(self, display: str, enabled: Collection[str]) -> list[Violation]:
        """LL902 findings: audited comments naming unknown rules or suppressing nothing that ran."""
        code, name = UNUSED_SUPPRESSION
        found: list[Violation] = []
        for comment in self.comments:
            if not comment.audited:
                continue
            line = comment.line
            used_line = 0 if line < 0 else line
            problems = [f"unknown rule {token!r}" for token in comment.unknown]
            if comment.codes == (EVERY,):
                if (used_line, EVERY) not in self.used:
                    problems.append("it suppresses no finding")
            else:
                idle = [c for c in comment.codes if c in enabled and c != code and (used_line, c) not in self.used]
                if idle:
                    problems.append(f"no {', '.join(idle)} finding to suppress")
            if problems:
                where = "file-level suppression" if line < 0 else "suppression"
                found.append(Violation(display, abs(line), comment.column + 1, abs(line), comment.end + 1,
                                       code, name, Check.OTHER, "", f"unused {where}: {'; '.join(problems)}"))
        return found


@lru_cache(maxsize=None)
def _patterns(comment: str) -> tuple[re.Pattern[str], re.Pattern[str], re.Pattern[str]]:
    """(per-line noqa, per-line ignore, whole-file) for comments starting with ``comment``."""
    prefix = re.escape(comment)
    return (re.compile(prefix + _NOQA, re.IGNORECASE), re.compile(prefix + _IGNORE, re.IGNORECASE),
            re.compile(r"^[ \t]*" + prefix + _FILE, re.IGNORECASE))


def parse_suppressions(text: str, comment: str = "#") -> Suppressions:
    """The suppressions in ``text``, whose comments start with ``comment``."""
    by_line: dict[int, frozenset[str]] = {}
    comments: list[_Comment] = []
    file_codes: set[str] = set()
    lowered = text.lower()
    if "noqa" not in lowered and "lunalint" not in lowered:
        return Suppressions(by_line)
    noqa, ignore, whole_file = _patterns(comment)
    for number, line in enumerate(_LINES.split(text), start=1):
        if comment not in line:
            continue
        whole = whole_file.match(line)
        if whole is not None:
            start = line.index(comment)
            listed = whole.group("codes")
            tokens = [t for t in _SPLIT.split(listed.strip())] if listed and listed.strip() else []
            codes, unknown = _resolve(tokens)
            file_codes.update(codes or ((EVERY,) if not unknown else ()))
            comments.append(_Comment(-number, start, len(line.rstrip()), codes or ((EVERY,) if not tokens else ()),
                                     unknown, True))
            continue
        line_codes: set[str] = set()
        for pattern, audited in ((noqa, False), (ignore, True)):
            for match in pattern.finditer(line):
                listed = match.group("codes")
                if listed is None or not listed.strip():
                    line_codes.add(EVERY)
                    comments.append(_Comment(number, match.start(), match.end(), (EVERY,), (), audited))
                    continue
                tokens = [token for token in _SPLIT.split(listed.strip()) if token]
                codes, unknown = _resolve(tokens)
                if not audited:  # ``# noqa: E501, LL301``: only lunalint's codes are ours to audit
                    unknown = tuple(t for t in unknown if t.upper().startswith("LL"))
                    line_codes.update(t.upper() for t in tokens)
                line_codes.update(codes)
                if codes or unknown:
                    comments.append(_Comment(number, match.start(), match.end(), codes, unknown, True))
        if line_codes:
            by_line[number] = frozenset(line_codes)
    return Suppressions(by_line, tuple(comments), frozenset(file_codes))


def _resolve(tokens: list[str]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    codes: list[str] = []
    unknown: list[str] = []
    for token in tokens:
        canonical = _canonical(token)
        if canonical is None:
            unknown.append(token)
        elif canonical not in codes:
            codes.append(canonical)
    return tuple(codes), tuple(unknown)


def audit(data: bytes, rules: Collection[object]) -> Suppressions | None:
    """The file's suppressions when LL902 is among ``rules`` (rule classes), else None."""
    if not any(getattr(rule, "code", None) == UNUSED_SUPPRESSION[0] for rule in rules):
        return None
    return parse_suppressions(data.decode("utf-8", errors="replace"))
