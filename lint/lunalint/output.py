"""Render a Report in one of the ``--format`` formats (the renderers live in ``lunalint.formats``)."""

from __future__ import annotations

from lunalint.formats import FORMATS, STATISTICS_FORMATS, render

__all__ = ["FORMATS", "STATISTICS_FORMATS", "render"]
