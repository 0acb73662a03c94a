"""The ``lunalint`` pre-commit hook, run by the real pre-commit (``try-repo``) in a temporary repository.

pre-commit installs lunalint into its own environment (dependencies come from the package index),
so the first run takes a while; every test shares one ``PRE_COMMIT_HOME`` and one snapshot commit.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from support.corpus import CORPUS, finding
from support.notebooks import HEADLINE, notebook
from support.repo import ROOT, git, git_env, init_repo, snapshot_of_this_repo

BAD = (CORPUS / "bad" / "httpx_unbounded.py").read_text(encoding="utf-8")
GOOD = (CORPUS / "good" / "httpx_good.py").read_text(encoding="utf-8")
INSTALL_TIMEOUT = 900  # the first run builds the hook environment from the package index


class PreCommit:
    """Runs the real pre-commit against a fixed snapshot commit of this repository."""

    def __init__(self, home: Path, hook_repo: Path, ref: str) -> None:
        self.home, self.hook_repo, self.ref = home, hook_repo, ref

    def env(self) -> dict[str, str]:
        return git_env() | {"PRE_COMMIT_HOME": str(self.home), "PRE_COMMIT_COLOR": "never"}

    def try_repo(self, repo: Path, *args: str) -> subprocess.CompletedProcess[str]:
        """``pre-commit try-repo`` (it always builds a fresh hook environment in a temporary store)."""
        return self._pre_commit(repo, "try-repo", str(self.hook_repo), "lunalint", "--ref", self.ref, *args)

    def run(self, repo: Path, *args: str) -> subprocess.CompletedProcess[str]:
        """``pre-commit run`` with a config naming the snapshot; the environment is built once per module."""
        config = f"repos:\n- repo: {self.hook_repo}\n  rev: {self.ref}\n  hooks:\n  - id: lunalint\n"
        (repo / ".pre-commit-config.yaml").write_text(config, encoding="utf-8")
        return self._pre_commit(repo, "run", "--verbose", *args)

    def _pre_commit(self, repo: Path, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "pre_commit", *args], cwd=repo, env=self.env(),
                              capture_output=True, text=True, timeout=INSTALL_TIMEOUT)


@pytest.fixture(scope="module")
def pre_commit(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PreCommit]:
    base = tmp_path_factory.mktemp("precommit")
    hook_repo, ref = snapshot_of_this_repo(base / "lunalint")
    yield PreCommit(base / "home", hook_repo, ref)


def _project(tmp_path: Path, files: dict[str, str]) -> Path:
    repo = init_repo(tmp_path / "project")
    for name, content in files.items():
        (repo / name).parent.mkdir(parents=True, exist_ok=True)
        (repo / name).write_text(content, encoding="utf-8")
    git(repo, "add", "-A")
    return repo


def _manifest() -> list[dict[str, object]]:
    import yaml  # PyYAML comes with pre-commit

    hooks = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    assert isinstance(hooks, list)
    return hooks


def test_manifest_is_valid_for_pre_commit() -> None:
    from pre_commit.clientlib import load_manifest

    hook, fix = load_manifest(str(ROOT / ".pre-commit-hooks.yaml"))
    assert (hook["id"], hook["entry"], hook["language"]) == ("lunalint", "lunalint check --force-exclude", "python")
    assert hook["types_or"] == ["python", "pyi", "jupyter", "rust"] and hook["pass_filenames"] is True
    assert hook["require_serial"] is False
    assert (fix["id"], fix["entry"]) == ("lunalint-fix", "lunalint check --fix --force-exclude")
    assert fix["types_or"] == hook["types_or"] and fix["require_serial"] is True  # one writer per file


def test_manifest_scripts_and_readme_agree() -> None:
    """pre-commit-hooks' readme_test: every hook's command is a console script and is in the README."""
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover
        import tomli as tomllib
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["scripts"]
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for hook in _manifest():
        command = str(hook["entry"]).split()[0]
        assert scripts.get(command) == "lunalint.cli:run"
        assert f"id: {hook['id']}" in readme, f"README has no pre-commit snippet for hook {hook['id']}"
    assert "lunalint-fix" in {hook["id"] for hook in _manifest()}


def test_try_repo_fails_on_a_staged_bad_file_and_shows_the_finding(pre_commit: PreCommit, tmp_path: Path) -> None:
    repo = _project(tmp_path, {"app/llm client.py": BAD, "notes.txt": BAD, "README.md": "# x\n"})
    result = pre_commit.try_repo(repo, "--verbose")  # no file arguments: the staged files, as on commit
    output = result.stdout + result.stderr
    assert result.returncode == 1, output
    assert "lunalint" in output and "Failed" in output
    assert finding("app/llm client.py", 7, "LL301", output)
    assert "LL101" in output and "LL201" in output
    assert "notes.txt" not in output.split("Failed", 1)[1]  # only Python files reach the hook


def test_good_files_pass(pre_commit: PreCommit, tmp_path: Path) -> None:
    repo = _project(tmp_path, {"client.py": GOOD, "stubs/client.pyi": "import httpx\n"})
    result = pre_commit.run(repo, "--all-files")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "lunalint" in result.stdout and "Passed" in result.stdout


def test_stub_files_are_checked(pre_commit: PreCommit, tmp_path: Path) -> None:
    repo = _project(tmp_path, {"typed/client.pyi": BAD, "ok.py": GOOD})
    result = pre_commit.run(repo, "--files", "typed/client.pyi", "ok.py")
    assert result.returncode == 1, result.stdout + result.stderr
    assert finding("typed/client.pyi", 7, "LL301", result.stdout)
    assert "ok.py" not in result.stdout


def test_a_staged_notebook_is_checked_cell_by_cell(pre_commit: PreCommit, tmp_path: Path) -> None:
    repo = _project(tmp_path, {"notebooks/llm calls.ipynb": notebook(HEADLINE), "ok.py": GOOD,
                               "notes.ipynb": notebook([("markdown", "no code")])})
    result = pre_commit.try_repo(repo, "--verbose")  # the staged files, as on commit
    output = result.stdout + result.stderr
    assert result.returncode == 1, output
    assert "notebooks/llm calls.ipynb:cell 3:2:23: LL301 " in output
    assert "notes.ipynb" not in output and "ok.py" not in output


def test_pyproject_configuration_is_honoured(pre_commit: PreCommit, tmp_path: Path) -> None:
    config = '[tool.lunalint]\nignore = ["LL1", "LL2", "timeout-unbounded"]\n'
    repo = _project(tmp_path, {"pyproject.toml": config, "pkg/client.py": BAD})
    still_bad = pre_commit.run(repo, "--files", "pkg/client.py")
    assert still_bad.returncode == 1, still_bad.stdout + still_bad.stderr
    assert finding("pkg/client.py", 7, "LL401", still_bad.stdout)  # connect timeout disabled: not ignored
    assert not any(code in still_bad.stdout for code in ("LL101", "LL201", "LL301"))
    (repo / "pyproject.toml").write_text(config.replace('"timeout-unbounded"', '"LL3", "LL4"'), encoding="utf-8")
    silenced = pre_commit.run(repo, "--files", "pkg/client.py")
    assert silenced.returncode == 0, silenced.stdout + silenced.stderr


def test_installed_hook_blocks_a_commit_of_a_bad_file(pre_commit: PreCommit, tmp_path: Path) -> None:
    repo = _project(tmp_path, {"ok.py": GOOD})
    assert pre_commit.run(repo, "--all-files").returncode == 0
    subprocess.run([sys.executable, "-m", "pre_commit", "install"], cwd=repo, env=pre_commit.env(),
                   check=True, capture_output=True, timeout=120)
    git(repo, "add", "-A")
    assert git(repo, "commit", "-q", "-m", "good").returncode == 0
    (repo / "bad one.py").write_text(BAD, encoding="utf-8")
    git(repo, "add", "bad one.py")
    env_commit = subprocess.run(["git", "commit", "-m", "bad"], cwd=repo, env=pre_commit.env(),
                                capture_output=True, text=True, timeout=INSTALL_TIMEOUT)
    assert env_commit.returncode != 0
    assert finding("bad one.py", 7, "LL301", env_commit.stdout + env_commit.stderr)
    assert git(repo, "rev-list", "--count", "HEAD").stdout.strip() == "1"
