"""Smoke tests of the benchmark harness (not collected by the main suite: run `pytest bench/`).

The end-to-end test builds the tiny --quick corpus (it installs the corpus packages into
bench/.work/venv from PyPI the first time) and measures lunalint alone, once.
"""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import corpus  # noqa: E402
from measure import Result, repeat, run_once  # noqa: E402


def test_run_once_measures_the_child(tmp_path: Path) -> None:
    sample = run_once([sys.executable, "-c", "x = bytearray(50 * 2**20); sum(range(2_000_000))"], tmp_path,
                      tmp_path / "out.txt", tree_rss=True)
    assert sample.rc == 0
    assert sample.wall > 0 and sample.cpu > 0
    assert sample.rss_mb >= 50  # the child's own peak, not the harness's
    assert sample.tree_rss_mb is not None


def test_repeat_takes_medians_and_stops_on_failure(tmp_path: Path) -> None:
    ok = repeat(Result("t", "c", 1), [sys.executable, "-c", "pass"], tmp_path, tmp_path / "o", 3,
                ok_codes=lambda rc: rc == 0, log=lambda _: None)
    assert ok.runs == 3 and ok.wall is not None and ok.files_per_s
    bad = repeat(Result("t", "c", 1), [sys.executable, "-c", "import sys; sys.exit(3)"], tmp_path,
                 tmp_path / "o", 3, ok_codes=lambda rc: rc == 0, log=lambda _: None)
    assert bad.runs == 0 and bad.error.startswith("exit 3")


def test_generated_app_is_deterministic_valid_and_five_percent_clients(tmp_path: Path) -> None:
    first = corpus.generate_app(tmp_path / "a", 200, seed=3)
    second = corpus.generate_app(tmp_path / "b", 200, seed=3)
    assert first == second == {"client": 10, "import_only": 4, "plain": 186}
    files_a = sorted(p.relative_to(tmp_path / "a") for p in (tmp_path / "a").rglob("*.py"))
    files_b = sorted(p.relative_to(tmp_path / "b") for p in (tmp_path / "b").rglob("*.py"))
    assert files_a == files_b
    for rel in files_a:
        text = (tmp_path / "a" / rel).read_text()
        assert text == (tmp_path / "b" / rel).read_text()
        ast.parse(text)


@pytest.mark.skipif(os.environ.get("LUNALINT_BENCH_SMOKE") != "1",
                    reason="set LUNALINT_BENCH_SMOKE=1: builds the quick corpus (PyPI for the corpus packages)")
def test_quick_run_end_to_end() -> None:
    proc = subprocess.run([sys.executable, str(HERE / "run.py"), "--quick", "--no-peers"],
                          capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stderr[-2000:]
    out = proc.stdout
    for case in ("cold", "warm", "3 files", "--version", "cold 4x"):
        assert any(line.startswith("lunalint") and f" {case} " in line for line in out.splitlines()), case
    assert "`lunalint --version` does not import libcst" in out
    assert "4x corpus costs <= 4.4x" in out


def test_profile_phases_runs_the_public_stages_on_the_test_corpus() -> None:
    proc = subprocess.run([sys.executable, str(HERE / "profile_phases.py"), str(HERE.parent / "tests" / "corpus")],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    for stage in ("discover", "prefilter", "parse", "extract", "judge", "place", "report"):
        assert f"\n{stage}" in proc.stdout, stage
    findings = int(proc.stdout.split("findings: ", 1)[1].split(",", 1)[0])
    assert findings > 0


def test_generated_rust_tree_is_deterministic_parses_and_has_clients(tmp_path: Path) -> None:
    from lunalint.rust.parse import parse

    first = corpus.generate_rust_app(tmp_path / "a", 100, seed=5)
    second = corpus.generate_rust_app(tmp_path / "b", 100, seed=5)
    assert first == second == {"client": 5, "mention_only": 2, "plain": 93}
    files = sorted(p.relative_to(tmp_path / "a") for p in (tmp_path / "a").rglob("*.rs"))
    assert len(files) == 100
    for rel in files:
        data = (tmp_path / "a" / rel).read_bytes()
        assert data == (tmp_path / "b" / rel).read_bytes()
        assert not parse(data).tree.root_node.has_error, rel
    from lunalint.config import Settings
    from lunalint.engine import check_paths

    report = check_paths([tmp_path / "a"], Settings(root=tmp_path), jobs=1)
    assert report.errors == [] and report.files_checked == 100
    assert {Path(v.path).name for v in report.violations}  # the client files are found


def test_stream_corpus_extracts_a_commit_and_scores_the_labels(tmp_path: Path) -> None:
    """A project at a commit of a local git repository: a streamed client in another module is
    reported (a labelled model call), a health-probe client is not; a reported short-labelled site
    would be noise."""
    import stream_corpus

    repository = tmp_path / "git" / "acme+proj"
    repository.mkdir(parents=True)
    files = {
        "pkg/__init__.py": "",
        "pkg/clients.py": "import httpx\n\nclient = httpx.AsyncClient(timeout=30)\n"
                          "probe = httpx.Client(timeout=5)\n",
        "pkg/models.py": "from pkg.clients import client\n\nasync def chat(url):\n"
                         "    async with client.stream('POST', url) as r:\n        return await r.aread()\n",
        "pkg/health.py": "from pkg.clients import probe\n\ndef ok(url):\n    return probe.get(url).status_code\n",
        "README.md": "not extracted\n",
    }
    for name, text in files.items():
        (repository / name).parent.mkdir(parents=True, exist_ok=True)
        (repository / name).write_text(text, encoding="utf-8")
    git = ["git", "-C", str(repository), "-c", "user.name=t", "-c", "user.email=t@t"]
    subprocess.run([*git, "init", "-q"], check=True)
    subprocess.run([*git, "add", "."], check=True)
    subprocess.run([*git, "commit", "-qm", "c"], check=True)
    commit = subprocess.run([*git, "rev-parse", "HEAD"], capture_output=True, text=True, check=True).stdout.strip()
    labels = tmp_path / "labels.txt"
    labels.write_text(f"project proj {commit} acme/proj\nproj/pkg/clients.py:3 long\n"
                      "proj/pkg/clients.py:4 short\n", encoding="utf-8")
    corpus_dir = tmp_path / "corpus"
    assert stream_corpus.main(["extract", str(tmp_path / "git"), str(corpus_dir), str(labels)]) == 0
    assert (corpus_dir / "proj" / ".git").is_dir() and not (corpus_dir / "proj" / "README.md").exists()
    proc = subprocess.run([sys.executable, str(HERE / "stream_corpus.py"), str(corpus_dir), str(labels)],
                          capture_output=True, text=True, cwd=tmp_path, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "| proj | 1 | 1 |" in proc.stdout
    assert "reported 1 of 1 model calls and streams with a short timeout; 0 of" in proc.stdout
