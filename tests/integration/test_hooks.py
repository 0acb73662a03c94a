"""``hooks/pre-commit``: the plain git hook, run by a real ``git commit`` in a temporary repository."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from support.corpus import CORPUS, finding
from support.notebooks import HEADLINE, notebook
from support.repo import ROOT, git, git_env, init_repo

HOOK = ROOT / "hooks" / "pre-commit"
BAD = (CORPUS / "bad" / "httpx_unbounded.py").read_text(encoding="utf-8")  # LL301 on line 7
GOOD = (CORPUS / "good" / "httpx_good.py").read_text(encoding="utf-8")


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    repo = init_repo(tmp_path / "repo")
    hooks = repo / ".git" / "hooks"
    shutil.copy(HOOK, hooks / "pre-commit")
    (repo / "README.md").write_text("# project\n", encoding="utf-8")
    git(repo, "add", "README.md")
    git(repo, "commit", "-q", "--no-verify", "-m", "initial")
    return repo


def commit(repo: Path, *files: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """``git add FILES && git commit`` with lunalint from this interpreter's environment on PATH."""
    if files:
        git(repo, "add", "--", *files)
    full_env = git_env() | {"PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"} | (env or {})
    full_env.pop("NO_COLOR", None)
    full_env.pop("FORCE_COLOR", None)
    # git sends a hook's stdout to its stderr: read both as one stream
    return subprocess.run(["git", "commit", "-m", "change"], cwd=repo, env=full_env, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True, timeout=120)


def commits(repo: Path) -> int:
    return int(git(repo, "rev-list", "--count", "HEAD").stdout)


def write(repo: Path, name: str, content: str) -> str:
    (repo / name).parent.mkdir(parents=True, exist_ok=True)
    (repo / name).write_text(content, encoding="utf-8")
    return name


def test_hook_is_an_executable_posix_shell_script() -> None:
    assert HOOK.read_text(encoding="utf-8").startswith("#!/bin/sh\n")
    assert HOOK.stat().st_mode & stat.S_IXUSR
    subprocess.run(["sh", "-n", str(HOOK)], check=True, timeout=30)  # parses as POSIX sh (dash on Debian)


@pytest.mark.parametrize("name", ["client.py", "my client.py", "dir with space/it's [odd] $x.py", "stubs/api.pyi"])
def test_bad_staged_file_blocks_the_commit(repo: Path, name: str) -> None:
    result = commit(repo, write(repo, name, BAD))
    assert result.returncode != 0
    assert finding(name, 7, "LL301", result.stdout)
    assert "commit blocked" in result.stdout
    assert commits(repo) == 1


def test_a_staged_notebook_is_checked_not_the_working_tree_copy(repo: Path) -> None:
    result = commit(repo, write(repo, "analysis/llm calls.ipynb", notebook(HEADLINE)))
    assert result.returncode != 0 and commits(repo) == 1
    assert "analysis/llm calls.ipynb:cell 3:2:23: LL301 " in result.stdout
    write(repo, "analysis/llm calls.ipynb", notebook([("markdown", "fixed"), ("code", GOOD)]))
    assert commit(repo).returncode != 0 and commits(repo) == 1  # fixed on disk, not staged: still blocked
    assert commit(repo, "analysis/llm calls.ipynb").returncode == 0 and commits(repo) == 2  # staged: passes


def test_good_staged_file_commits(repo: Path) -> None:
    result = commit(repo, write(repo, "good client.py", GOOD))
    assert result.returncode == 0, result.stdout
    assert commits(repo) == 2


def test_only_staged_python_files_are_checked(repo: Path) -> None:
    write(repo, "unstaged.py", BAD)  # in the working tree, never added
    names = [write(repo, "notes.txt", BAD), write(repo, "script.sh", BAD), write(repo, "ok.py", GOOD)]
    result = commit(repo, *names)
    assert result.returncode == 0, result.stdout
    assert "unstaged.py" not in result.stdout


def test_deleted_and_renamed_files(repo: Path) -> None:
    write(repo, "old name.py", BAD)
    git(repo, "add", "old name.py")
    git(repo, "commit", "-q", "--no-verify", "-m", "bad file committed before the hook")
    git(repo, "rm", "-q", "old name.py")
    assert commit(repo).returncode == 0  # a deletion is not checked
    write(repo, "second.py", BAD)
    git(repo, "add", "second.py")
    git(repo, "commit", "-q", "--no-verify", "-m", "again")
    git(repo, "mv", "second.py", "renamed file.py")
    result = commit(repo)
    assert result.returncode != 0 and finding("renamed file.py", 7, "LL301", result.stdout)


def test_many_files_and_configuration(repo: Path) -> None:
    names = [write(repo, f"pkg/client {i}.py", BAD) for i in range(30)]
    write(repo, "pyproject.toml", '[tool.lunalint]\nignore = ["LL1", "LL2", "LL3", "LL4"]\n')
    result = commit(repo, "pyproject.toml", *names)
    assert result.returncode == 0, result.stdout  # every finding ignored by the config
    write(repo, "pkg/client 0.py", BAD + "\n")
    blocked = commit(repo, "pkg/client 0.py", env={"LUNALINT_ARGS": "--isolated"})
    assert blocked.returncode != 0 and finding("pkg/client 0.py", 7, "LL301", blocked.stdout)


def test_unparsable_file_blocks_the_commit(repo: Path) -> None:
    result = commit(repo, write(repo, "broken.py", "import httpx\nprint 'python 2'\n"))
    assert result.returncode != 0
    assert "lunalint: error: broken.py: syntax error at line 2" in result.stdout


def test_missing_lunalint_blocks_rather_than_passes(repo: Path) -> None:
    result = commit(repo, write(repo, "client.py", BAD), env={"LUNALINT": "/nonexistent/lunalint"})
    assert result.returncode != 0 and commits(repo) == 1
