"""Temporary git repositories for the pre-commit, git hook and action tests."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def git_env() -> dict[str, str]:
    """The environment without variables that would point git at another repository or config."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GIT_", "PRE_COMMIT"))}
    env["GIT_CONFIG_NOSYSTEM"] = "1"
    return env


def git(repo: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["git", *args], cwd=repo, env=git_env(), capture_output=True, text=True,
                          check=check, timeout=120)


def init_repo(path: Path) -> Path:
    """A new repository with a local identity (CI may have no global one)."""
    path.mkdir(parents=True, exist_ok=True)
    git(path, "init", "-q", "-b", "main")
    git(path, "config", "user.name", "lunalint tests")
    git(path, "config", "user.email", "tests@lunalint.invalid")
    git(path, "config", "commit.gpgsign", "false")
    return path


def snapshot_of_this_repo(destination: Path) -> tuple[Path, str]:
    """This repository's working tree (tracked and new files, minus ignored ones) as one commit.

    ``pre-commit try-repo`` on a dirty tree makes a new temporary commit on every call, and so a new
    hook environment each time; one fixed commit lets every call share a single install.
    """
    listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=ROOT,
                            env=git_env(), capture_output=True, check=True, timeout=120).stdout
    repo = init_repo(destination)
    for name in filter(None, listed.decode().split("\0")):
        source = ROOT / name
        if source.is_file() and not name.startswith(("tests/", "bench/")):
            target = repo / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "snapshot")
    return repo, git(repo, "rev-parse", "HEAD").stdout.strip()
