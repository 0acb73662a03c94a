"""Report renderers, one module per ``--format``: text, json, github, sarif."""

from __future__ import annotations

from collections.abc import Callable

from lunalint.report import Report

__all__ = ["FORMATS", "STATISTICS_FORMATS", "render"]

FORMATS = ("text", "json", "github", "sarif")
STATISTICS_FORMATS = ("text", "json")  # formats that have a ``--statistics`` form


def _renderer(fmt: str) -> Callable[..., str]:
    if fmt == "text":
        from lunalint.formats.text import render_text
        return render_text
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


def render(report: Report, fmt: str, *, color: bool = False, statistics: bool = False) -> str:
    """The whole report as text in format ``fmt`` (ends with a newline when not empty)."""
    renderer = _renderer(fmt)
    if fmt in STATISTICS_FORMATS:
        return renderer(report, color=color, statistics=statistics)
    if statistics:
        raise ValueError(f"--statistics is not available with --format {fmt}")
    return renderer(report)
