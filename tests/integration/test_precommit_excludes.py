"""``exclude`` under the real pre-commit: the hook passes ``--force-exclude``, so configured
exclusions hold although pre-commit names every file."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from support.repo import git, git_env, init_repo, snapshot_of_this_repo

BAD = "import httpx\n\nclient = httpx.Client(timeout=None)\n"
INSTALL_TIMEOUT = 900  # the first run builds the hook environment from the package index


def test_exclude_holds_under_pre_commit(tmp_path: Path) -> None:
    hook_repo, ref = snapshot_of_this_repo(tmp_path / "lunalint")
    project = init_repo(tmp_path / "project")
    files = {"pyproject.toml": '[tool.lunalint]\nexclude = ["generated", "./vendored/*.py"]\n',
             "generated/api.py": BAD, "vendored/lib.py": BAD, "app/client.py": BAD,
             ".pre-commit-config.yaml": f"repos:\n- repo: {hook_repo}\n  rev: {ref}\n  hooks:\n  - id: lunalint\n"}
    for name, content in files.items():
        (project / name).parent.mkdir(parents=True, exist_ok=True)
        (project / name).write_text(content, encoding="utf-8")
    git(project, "add", "-A")
    env = git_env() | {"PRE_COMMIT_HOME": str(tmp_path / "home"), "PRE_COMMIT_COLOR": "never"}

    def pre_commit(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "pre_commit", "run", "--verbose", *args], cwd=project, env=env,
                              capture_output=True, text=True, timeout=INSTALL_TIMEOUT)

    result = pre_commit("--all-files")
    output = result.stdout + result.stderr
    assert result.returncode == 1, output
    assert "app/client.py:3:10: LL201" in output
    assert "generated/api.py" not in output and "vendored/lib.py" not in output
    (project / "app" / "client.py").unlink()
    git(project, "add", "-A")
    passed = pre_commit("--files", "generated/api.py", "vendored/lib.py")
    assert passed.returncode == 0, passed.stdout + passed.stderr
