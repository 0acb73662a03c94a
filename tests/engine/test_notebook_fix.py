"""Fixes in notebook cells: the fixed code goes back into the cells it came from, magics kept."""

from __future__ import annotations

import json
from pathlib import Path

from lunalint.cli import main

CELLS = [
    {"cell_type": "markdown", "metadata": {}, "source": ["# Chat\n"]},
    {"cell_type": "code", "metadata": {"tags": ["setup"]}, "execution_count": 1, "outputs": [],
     "source": ["%load_ext autoreload\n", "import httpx\n"]},
    {"cell_type": "code", "metadata": {}, "execution_count": 2,
     "outputs": [{"output_type": "stream", "name": "stdout", "text": ["ok\n"]}],
     "source": ["!pip list\n",
                "client = httpx.Client(base_url='https://api.openai.com/v1', timeout=None)\n",
                "r = client.post('/chat/completions', json={'messages': []})"]},
]


def _notebook(tmp_path: Path) -> Path:
    path = tmp_path / "nb.ipynb"
    notebook = {"nbformat": 4, "nbformat_minor": 5, "cells": CELLS,
                "metadata": {"kernelspec": {"name": "python3", "language": "python", "display_name": "Python 3"}}}
    path.write_text(json.dumps(notebook, indent=1), encoding="utf-8")
    return path


def _sources(path: Path) -> list[str]:
    return ["".join(cell["source"]) for cell in json.loads(path.read_text(encoding="utf-8"))["cells"]]


def test_fixes_go_back_into_their_cells(tmp_path: Path) -> None:
    path = _notebook(tmp_path)
    assert main(["check", "--isolated", "--no-cache", str(path)]) == 1
    assert main(["check", "--isolated", "--no-cache", "--fix", "--unsafe-fixes", str(path)]) == 0
    markdown, setup, chat = _sources(path)
    assert markdown == "# Chat\n"
    assert setup.startswith("%load_ext autoreload\nimport httpx\nimport socket\n")  # the magic comes back
    assert "KEEPALIVE_SOCKET_OPTIONS = [" in setup and "socket.TCP_KEEPIDLE, 60)" in setup
    assert chat == ("!pip list\n"
                    "client = httpx.Client(base_url='https://api.openai.com/v1', "
                    "timeout=httpx.Timeout(600, connect=10), "
                    "transport=httpx.HTTPTransport(socket_options=KEEPALIVE_SOCKET_OPTIONS))\n"
                    "r = client.post('/chat/completions', json={'messages': []})")
    fixed = json.loads(path.read_text(encoding="utf-8"))
    assert fixed["cells"][2]["outputs"] == CELLS[2]["outputs"] and fixed["cells"][1]["metadata"] == {"tags": ["setup"]}
    before = path.read_bytes()
    assert main(["check", "--isolated", "--no-cache", "--fix", "--unsafe-fixes", str(path)]) == 0
    assert path.read_bytes() == before  # a second fix changes nothing


def test_safe_fixes_only_and_fixes_without_file_positions(tmp_path: Path, capsys: object) -> None:
    path = _notebook(tmp_path)
    before = path.read_bytes()
    assert main(["check", "--isolated", "--no-cache", "--fix", str(path)]) == 1  # every fix here is unsafe
    assert path.read_bytes() == before
    assert main(["check", "--isolated", "--no-cache", "--format", "json", str(path)]) == 1
    out = capsys.readouterr().out  # type: ignore[attr-defined]
    report = json.loads(out[out.index("{"):])
    fixes = [v["fix"] for v in report["violations"]]
    assert fixes and all(fix is not None and fix["edits"] == [] for fix in fixes)  # cells are not JSON lines
