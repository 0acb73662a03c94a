"""Report renderers, one module per ``--format``: concise (alias text), full, json, github, sarif."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING

from lunalint.report import Report

if TYPE_CHECKING:
    from lunalint.config import Policy

__all__ = ["FORMATS", "STATISTICS_FORMATS", "render"]

FORMATS = ("concise", "full", "text", "json", "github", "sarif")  # ``text`` is the old name of ``concise``
STATISTICS_FORMATS = ("concise", "full", "text", "json")  # formats that have a ``--statistics`` form


def _renderer(fmt: str) -> Callable[..., str]:
    if fmt in ("text", "concise"):
        from lunalint.formats.text import render_text
        return render_text
    if fmt == "full":
        from lunalint.formats.full import render_full
        return render_full
    if fmt == "json":
        from lunalint.formats.json import render_json
        return render_json
    if fmt == "github":
        from lunalint.formats.github import render_github
        return render_github
    if fmt == "sarif":
        from lunalint.formats.sarif import render_sarif
        return render_sarif
    raise ValueError(f"unknown format {fmt!r}; expected one of {', '.join(FORMATS)}")


def render(report: Report, fmt: str, *, color: bool = False, statistics: bool = False,
           sources: Mapping[str, str] | None = None, policy: Policy | None = None) -> str:
    """The whole report as text in format ``fmt`` (ends with a newline when not empty).

    ``sources`` gives the text of files that cannot be read back from their path (standard input),
    for the code frames of ``full`` and the notebook positions of ``github`` and ``sarif``;
    ``policy`` sets the numbers of the fix hints of ``full``.
    """
    renderer = _renderer(fmt)
    if fmt == "full" and not statistics:
        return renderer(report, color=color, sources=sources or {}, policy=policy)
    if fmt in STATISTICS_FORMATS:
        return _renderer("text" if fmt == "full" else fmt)(report, color=color, statistics=statistics)
    if statistics:
        raise ValueError(f"--statistics is not available with --format {fmt}")
    return renderer(report, sources=sources or {})
