"""The ``full`` format: each finding with its source lines, a caret under the range, and a fix hint.

Laid out like Ruff's ``full`` output: the concise line, the numbered source lines (one of context
before and after), carets under the reported range labelled with the code, and ``= help:`` with
the change that fixes it for that library (``lunalint.hints``). For a notebook the lines are the
cell's, numbered from the cell's first line.
"""

from __future__ import annotations

from collections.abc import Mapping

from lunalint.config import Policy
from lunalint.formats.sources import Sources
from lunalint.formats.text import applicable, fix_summary, position, summary
from lunalint.report import Report, Violation

__all__ = ["code_frame", "render_full"]

MAX_LINES = 6  # of a multi-line range; the rest is elided


def _expand(text: str) -> str:
    return text.replace("\t", "    ")


def code_frame(lines: list[str], v: Violation, style: _Style) -> tuple[list[str], int]:
    """The numbered source lines of ``v`` with carets under its range (none when the file is gone),
    and the width of the line numbers."""
    if not 0 < v.line <= len(lines):
        return [], 1
    last = min(v.end_line, v.line + MAX_LINES - 1, len(lines))
    first_shown, last_shown = max(1, v.line - 1), min(len(lines), last + 1)
    width = len(str(last_shown))
    gutter = style(" " * width + " |", "34")
    out = [gutter]
    for number in range(first_shown, last_shown + 1):
        text = _expand(lines[number - 1])
        out.append(f"{style(str(number).rjust(width) + ' |', '34')} {text}".rstrip())
        if number == v.line:
            start = len(_expand(lines[number - 1][:v.column - 1]))
            end = len(_expand(lines[number - 1][:v.end_column - 1])) if v.end_line == v.line else len(text)
            carets = "^" * max(1, end - start)
            out.append(f"{gutter} {' ' * start}{style(carets + ' ' + v.code, '1;31')}")
        if number == last and last < v.end_line:
            out.append(f"{gutter} {style('...', '34')}")
            break
    out.append(gutter)
    return out, width


class _Style:
    def __init__(self, color: bool) -> None:
        self.color = color

    def __call__(self, text: str, sgr: str) -> str:
        return f"\x1b[{sgr}m{text}\x1b[0m" if self.color else text


def render_full(report: Report, *, color: bool = False, sources: Mapping[str, str] | None = None,
                policy: Policy | None = None) -> str:
    from lunalint.hints import hint

    style = _Style(color)
    files = Sources(sources)
    blocks: list[str] = []
    for v in report.violations:
        colon = style(":", "36")
        block = [f"{style(v.path, '1')}{colon}{position(v, colon)}{colon} {style(v.code, '1;31')} "
                 f"{style('[*] ', '36') if applicable(report, v) else ''}{v.message}"]
        frame, width = code_frame(files.lines(v.path, v.cell), v, style)
        block.extend(frame)
        found = hint(v.library, v.code, policy)
        if found is not None:
            block.append(f"{' ' * (width + 1)}{style('= help:', '1;36')} {found.help}")
        if v.fix is not None:
            block.append(f"{' ' * (width + 1)}{style(f'= fix ({v.fix.applicability.value}):', '1;36')} {v.fix.message}")
        blocks.append("\n".join(block) + "\n")
    found_summary = summary(report)
    tail = found_summary if found_summary is not None else style("All checks passed!", "32")
    fixes = fix_summary(report)
    if fixes is not None:
        tail += "\n" + fixes
    return "".join(block + "\n" for block in blocks) + tail + "\n"
