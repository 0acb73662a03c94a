"""Jupyter notebooks for tests, written as Jupyter writes them (nbformat 4, one-space indent, each
source line a JSON string of its own)."""

from __future__ import annotations

import hashlib
import json
from typing import Any

# Cell 3, line 2, column 23 is ``timeout=None`` (LL301, LL401); cell 2 has a line magic and cell 3 a
# shell line: the headline case of notebook support, as Ruff prints such a finding.
HEADLINE = [
    ("markdown", "# Talking to the model\n\nSet up the client first."),
    ("code", "%pip install httpx\nimport httpx"),
    ("code", "import os\nclient = httpx.Client(timeout=None)\n!echo ready"),
]


def cell(kind: str, source: str, **metadata: Any) -> dict[str, Any]:
    lines = source.splitlines(keepends=True)
    made: dict[str, Any] = {"cell_type": kind, "id": hashlib.sha1(source.encode()).hexdigest()[:8], "metadata": metadata,
                            "source": lines}
    if kind == "code":
        made.update(execution_count=None, outputs=[])
    return made


def notebook(cells: list[tuple[str, str]] | list[dict[str, Any]], language: str = "python") -> str:
    """The JSON text of a notebook of ``cells``: ``(kind, source)`` pairs or ready cell objects."""
    built = [item if isinstance(item, dict) else cell(*item) for item in cells]
    document = {
        "cells": built,
        "metadata": {"kernelspec": {"display_name": "Python 3", "language": language, "name": "python3"},
                     "language_info": {"name": language}},
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    return json.dumps(document, indent=1, ensure_ascii=False) + "\n"
