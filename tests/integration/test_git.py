"""git's ignore rules in the walk (checked against ``git check-ignore`` itself), ``--force-exclude``
with git-ignored paths, and the plain git hook checking staged content, all with real git."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from support.repo import ROOT, git, git_env, init_repo

BAD = "import httpx\n\nclient = httpx.Client(timeout=None)\n"  # LL201, LL301, LL401 on line 3
GOOD = """\
import socket
import httpx

client = httpx.Client(
    timeout=httpx.Timeout(600, connect=10),
    transport=httpx.HTTPTransport(
        limits=httpx.Limits(keepalive_expiry=60),
        socket_options=[
            (socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1),
            (socket.IPPROTO_TCP, socket.TCP_KEEPIDLE, 30),
        ],
    ),
)
"""


def write(root: Path, name: str, content: str = BAD) -> str:
    (root / name).parent.mkdir(parents=True, exist_ok=True)
    (root / name).write_text(content, encoding="utf-8")
    return name


def env_with(tmp_path: Path, global_excludes: str | None) -> dict[str, str]:
    """git's environment with its own global config (core.excludesFile) and no system config."""
    env = git_env() | {"HOME": str(tmp_path / "home"), "XDG_CONFIG_HOME": str(tmp_path / "xdg")}
    (tmp_path / "home").mkdir(exist_ok=True)
    if global_excludes is not None:
        excludes = tmp_path / "global-ignore"
        excludes.write_text(global_excludes, encoding="utf-8")
        (tmp_path / "home" / ".gitconfig").write_text(f"[user]\n\tname = t\n[core]\n\texcludesFile = {excludes}\n",
                                                      encoding="utf-8")
    return env


def show_files(cwd: Path, env: dict[str, str], *args: str) -> list[str]:
    result = subprocess.run([sys.executable, "-m", "lunalint", "check", "--show-files", *args], cwd=cwd, env=env,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    return result.stdout.splitlines()


def check_ignore(repo: Path, env: dict[str, str], names: list[str]) -> set[str]:
    """The names git itself ignores (``--no-index``: tracked or not, as the walk does)."""
    result = subprocess.run(["git", "check-ignore", "--no-index", "--stdin", "-z"], cwd=repo, env=env,
                            input="\0".join(names) + "\0", capture_output=True, text=True, timeout=60)
    assert result.returncode in (0, 1), result.stderr
    return set(filter(None, result.stdout.split("\0")))


NAMES = ["app.py", "build_info.py", "gen/api.py", "gen/keep.py", "pkg/local.py", "pkg/sub/deep.py",
         "pkg/sub/keep_me.py", "logs/x.py", "secret.py", "scratch/a.py", "docs/conf.py", "tmp_x.py", "a b/c.py"]


@pytest.fixture
def repo(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    env = env_with(tmp_path, "secret.py\n")  # global excludes
    repo = init_repo(tmp_path / "repo")
    for name in NAMES:
        write(repo, name)
    write(repo, ".gitignore", "gen/*\n!gen/keep.py\nlogs/\ntmp_*.py\n# comment\n")
    write(repo, "pkg/.gitignore", "local.py\nsub/*.py\n!sub/keep_me.py\n")
    write(repo, ".git/info/exclude", "scratch\n")
    return repo, env


def test_walk_skips_exactly_what_git_ignores(repo: tuple[Path, dict[str, str]]) -> None:
    root, env = repo
    ignored = check_ignore(root, env, NAMES)
    assert ignored == {"gen/api.py", "pkg/local.py", "pkg/sub/deep.py", "logs/x.py", "secret.py", "scratch/a.py",
                       "tmp_x.py"}  # each source: root and nested .gitignore, info/exclude, global excludes
    assert show_files(root, env) == sorted(set(NAMES) - ignored)
    assert show_files(root / "pkg", env) == ["sub/keep_me.py"]  # a .gitignore above the walked directory counts
    assert show_files(root, env, "--no-respect-gitignore") == sorted(NAMES)


def test_respect_gitignore_setting(repo: tuple[Path, dict[str, str]]) -> None:
    root, env = repo
    write(root, "pyproject.toml", "[tool.lunalint]\nrespect-gitignore = false\n")
    assert show_files(root, env) == sorted(NAMES)
    assert "secret.py" not in show_files(root, env, "--respect-gitignore")


def test_outside_a_repository_gitignore_files_are_not_read(tmp_path: Path) -> None:
    env = env_with(tmp_path, None)
    write(tmp_path / "plain", "a.py")
    write(tmp_path / "plain", ".gitignore", "a.py\n")
    assert show_files(tmp_path / "plain", env) == ["a.py"]


def test_named_files_are_checked_unless_force_exclude(repo: tuple[Path, dict[str, str]]) -> None:
    root, env = repo
    assert show_files(root, env, "gen/api.py", "logs/x.py") == ["gen/api.py", "logs/x.py"]
    assert show_files(root, env, "--force-exclude", "gen/api.py", "logs/x.py", "app.py") == ["app.py"]


def test_a_directory_named_inside_an_ignored_one_is_walked(repo: tuple[Path, dict[str, str]]) -> None:
    """As Ruff walks a path named on its command line: the patterns that ignore the directory
    itself (``logs/``) do not apply inside it; each entry is still judged by its own path."""
    root, env = repo
    write(root, "logs/deep/a.py")
    write(root, "logs/deep/tmp_b.py")
    assert show_files(root / "logs", env) == ["deep/a.py", "x.py"]
    assert show_files(root / "logs" / "deep", env) == ["a.py"]  # tmp_*.py still ignored
    assert show_files(root, env, "logs/deep") == ["logs/deep/a.py"]
    assert show_files(root, env, "--force-exclude", "logs/deep") == []


def test_linked_worktree_reads_the_common_info_exclude(repo: tuple[Path, dict[str, str]], tmp_path: Path) -> None:
    root, env = repo
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "all")
    subprocess.run(["git", "worktree", "add", "-q", str(tmp_path / "wt")], cwd=root, env=env, check=True,
                   capture_output=True, timeout=60)
    write(tmp_path / "wt", "scratch/b.py")
    assert "scratch/b.py" in check_ignore(tmp_path / "wt", env, ["scratch/b.py"])
    assert "scratch/b.py" not in show_files(tmp_path / "wt", env)


# --- the plain git hook: staged content --------------------------------------------------------

@pytest.fixture
def hooked(tmp_path: Path) -> Path:
    repo = init_repo(tmp_path / "hooked")
    shutil.copy(ROOT / "hooks" / "pre-commit", repo / ".git" / "hooks" / "pre-commit")
    write(repo, "README.md", "# x\n")
    git(repo, "add", "README.md")
    git(repo, "commit", "-q", "--no-verify", "-m", "initial")
    return repo


def commit(repo: Path) -> subprocess.CompletedProcess[str]:
    env = git_env() | {"PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    return subprocess.run(["git", "commit", "-m", "change"], cwd=repo, env=env, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True, timeout=120)


def test_hook_checks_the_staged_content_not_the_working_tree(hooked: Path) -> None:
    write(hooked, "client.py", BAD)
    git(hooked, "add", "client.py")
    write(hooked, "client.py", GOOD)  # fixed on disk, not staged: the bad content would be committed
    blocked = commit(hooked)
    assert blocked.returncode != 0, blocked.stdout
    assert "client.py:3:10: LL201" in blocked.stdout
    git(hooked, "add", "client.py")
    assert commit(hooked).returncode == 0


def test_hook_passes_good_staged_content_despite_a_bad_working_tree(hooked: Path) -> None:
    write(hooked, "client.py", GOOD)
    git(hooked, "add", "client.py")
    write(hooked, "client.py", BAD)
    result = commit(hooked)
    assert result.returncode == 0, result.stdout


def test_hook_uses_the_staged_configuration_and_force_exclude(hooked: Path) -> None:
    write(hooked, "pyproject.toml", '[tool.lunalint]\nexclude = ["generated"]\n')
    write(hooked, "generated/api.py", BAD)
    git(hooked, "add", "pyproject.toml", "generated/api.py")
    assert commit(hooked).returncode == 0  # excluded, though pre-commit style hooks name it
    write(hooked, "pyproject.toml", '[tool.lunalint]\nexclude = []\n')  # unstaged: not used
    write(hooked, "generated/api.py", BAD + "\n")
    git(hooked, "add", "generated/api.py")
    assert commit(hooked).returncode == 0
