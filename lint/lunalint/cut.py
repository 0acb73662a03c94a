"""For the prefilter: blank out the top-level statements of a large file that cannot matter.

``ast`` itself costs about 1 s and 1 GB on a 2.4 MB file of 400,000 ``x = 1`` statements, so on a
large file the statements are first found from the text. A line that starts in column 0 with code
starts a top-level statement, unless it lies inside brackets, a string or a backslash continuation
(found by one scan of those tokens), continues a compound statement (``else``, ``except`` ...) or
follows a decorator. A statement is kept when it mentions a client module, is an import, or shares
an identifier with a kept statement (so every binding it reads and every use of what it binds is
kept: an over-approximation of what extraction reads). The others become empty lines, so every
line keeps its number; ``parse`` then hands libcst only the statements left. Regular expressions
do the work, so the cost follows the statements kept, not the file's size. A file the scan
misjudges does not parse once cut, and the prefilter then reads it whole.
"""

from __future__ import annotations

import bisect
import keyword
import re
from collections.abc import Collection

__all__ = ["cut"]

# Tokens inside which a line break does not end a logical line (and ``#`` or quotes mean nothing).
_NESTING = re.compile(
    rb"""(?P<s>[rRbBuUfF]{0,2}(?:\"\"\"(?:\\.|[^\\])*?\"\"\"|'''(?:\\.|[^\\])*?'''"""
    rb"""|"(?:\\.|[^"\\\r\n])*"|'(?:\\.|[^'\\\r\n])*'))"""
    rb"|(?P<c>\#[^\r\n]*)|(?P<o>[(\[{])|(?P<x>[)\]}])|(?P<b>\\(?:\r\n|\r|\n))",
    re.DOTALL,
)
_CODE_LINE = re.compile(rb"(?:^|(?<=\n)|(?<=\r)(?!\n))[^\s#]")
_DECORATOR_OR_CONTINUATION = re.compile(
    rb"(?:^|(?<=\n)|(?<=\r)(?!\n))(?:(?P<d>@)|(?:else|elif|except|finally)\b)")
_IMPORT = re.compile(rb"(?:import|from)\b")
_IDENTIFIER = re.compile(rb"[A-Za-z_][A-Za-z0-9_]*")
_NOT_LINE_BREAKS = re.compile(rb"[^\r\n]+")
_KEYWORDS = frozenset(word.encode() for word in (*keyword.kwlist, *keyword.softkwlist))


def cut(data: bytes, modules: Collection[str]) -> bytes:
    """``data`` with the top-level statements that cannot matter replaced by empty lines (``data``
    itself when nothing can go)."""
    starts = _statement_starts(data)
    if starts is None or len(starts) < 2:
        return data
    bounds = [*starts, len(data)]
    keep = [_IMPORT.match(data, start) is not None for start in starts]  # imports: kept, not yet followed
    followed: set[int] = set()
    wanted = {module.encode() for module in modules}
    seen: set[bytes] = set()
    while wanted:
        pattern = re.compile(rb"\b(?:" + b"|".join(re.escape(name) for name in sorted(wanted)) + rb")\b")
        seen |= wanted
        wanted = set()
        for match in pattern.finditer(data):
            index = bisect.bisect_right(starts, match.start()) - 1
            if index not in followed:
                followed.add(index)
                keep[index] = True
                wanted.update(_IDENTIFIER.findall(data, bounds[index], bounds[index + 1]))
        wanted -= seen | _KEYWORDS
    if all(keep):
        return data
    out: list[bytes] = []
    position = 0
    for index, kept in enumerate(keep):
        if not kept:
            out.append(data[position:bounds[index]])
            out.append(_NOT_LINE_BREAKS.sub(b"", data[bounds[index]:bounds[index + 1]]))
            position = bounds[index + 1]
    out.append(data[position:])
    return b"".join(out)


def _statement_starts(data: bytes) -> list[int] | None:
    """Byte offsets where top-level statements start; None when a bracket or string is unclosed."""
    nested: list[tuple[int, int]] = []  # byte ranges in which line breaks do not end a statement
    depth = 0
    opened = 0
    for match in _NESTING.finditer(data):
        kind = match.lastgroup
        if kind == "o":
            if depth == 0:
                opened = match.start()
            depth += 1
        elif kind == "x":
            depth -= 1
            if depth == 0:
                nested.append((opened, match.end()))
            depth = max(depth, 0)
        elif kind in ("s", "b") and depth == 0:
            nested.append(match.span())
    if depth:
        return None
    starts = [match.start() for match in _CODE_LINE.finditer(data)]
    if not starts or starts[0] != 0:
        starts.insert(0, 0)
    inside = set()
    for begin, end in nested:
        low = bisect.bisect_right(starts, begin)
        high = bisect.bisect_left(starts, end)
        inside.update(starts[low:high])
    drop = set(inside)
    for match in _DECORATOR_OR_CONTINUATION.finditer(data):
        where = match.start()
        if where in inside:
            continue
        if match.group("d") is None:
            drop.add(where)  # ``else:`` and friends continue the statement before
            continue
        index = bisect.bisect_right(starts, where)  # the statement after a decorator is its def
        while index < len(starts) and starts[index] in inside:
            index += 1
        if index < len(starts):
            drop.add(starts[index])
    return [start for start in starts if start not in drop] if drop else starts
