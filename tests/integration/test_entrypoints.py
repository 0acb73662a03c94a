"""Entry points: ``python -m lunalint``, the console script, and lazy heavy imports."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from lunalint import __version__

PROBE = """
import sys
from lunalint.cli import main
code = main(sys.argv[1:])
print("libcst-imported" if "libcst" in sys.modules else "libcst-not-imported", code)
"""


def run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, *args], capture_output=True, text=True, timeout=120, cwd=cwd)


def test_python_dash_m() -> None:
    result = run("-m", "lunalint", "--version")
    assert result.returncode == 0
    assert result.stdout.strip() == f"lunalint {__version__}"


def test_python_dash_m_check_exit_codes(tmp_path: Path) -> None:
    (tmp_path / "bad.py").write_text("import httpx\nhttpx.Client(timeout=None)\n", encoding="utf-8")
    (tmp_path / "good.py").write_text("import os\n", encoding="utf-8")
    bad = run("-m", "lunalint", "check", "bad.py", cwd=tmp_path)
    assert bad.returncode == 1 and "bad.py:2:" in bad.stdout and "LL301" in bad.stdout
    good = run("-m", "lunalint", "check", "good.py", cwd=tmp_path)
    assert good.returncode == 0
    missing = run("-m", "lunalint", "check", "nope.py", cwd=tmp_path)
    assert missing.returncode == 2 and "nope.py" in missing.stderr and "Traceback" not in missing.stderr


def test_version_does_not_import_libcst() -> None:
    result = run("-c", PROBE, "--version")
    assert "libcst-not-imported" in result.stdout


def test_run_without_client_imports_does_not_import_libcst(tmp_path: Path) -> None:
    for index in range(20):
        (tmp_path / f"m{index}.py").write_text("import os\nprint(os.sep)\n", encoding="utf-8")
    result = run("-c", PROBE, "check", str(tmp_path))
    assert "libcst-not-imported 0" in result.stdout, result.stdout + result.stderr


def test_run_with_a_client_imports_libcst(tmp_path: Path) -> None:
    (tmp_path / "c.py").write_text("import httpx\nhttpx.Client(timeout=None)\n", encoding="utf-8")
    result = run("-c", PROBE, "check", "--no-cache", str(tmp_path))
    assert "libcst-imported 1" in result.stdout, result.stdout + result.stderr


WARM_PROBE = """
import sys
from lunalint.cli import main
code = main(sys.argv[1:])
heavy = sorted(name for name in sys.modules
               if name == "libcst" or name.startswith(("lunalint.rules.ll", "lunalint.libraries.", "lunalint.scope")))
print("heavy:", ",".join(heavy) or "none", code)
"""


def test_a_run_answered_by_the_cache_imports_no_rule_library_model_or_libcst(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[tool.lunalint]\n", encoding="utf-8")
    (tmp_path / "c.py").write_text("import httpx\nhttpx.Client(timeout=None)\n", encoding="utf-8")
    (tmp_path / "d.py").write_text("import os\n", encoding="utf-8")
    cold = run("-c", WARM_PROBE, "check", ".", cwd=tmp_path)
    assert "lunalint.rules.ll301_timeout_unbounded" in cold.stdout and cold.stdout.endswith(" 1\n"), cold.stdout
    old = time.time() - 10  # older than the racy-stat window, so the cache answers by stat alone
    for name in ("c.py", "d.py"):
        os.utime(tmp_path / name, (old, old))
    run("-c", WARM_PROBE, "check", ".", cwd=tmp_path)  # re-reads both files once: their times changed
    warm = run("-c", WARM_PROBE, "check", ".", cwd=tmp_path)
    assert "c.py:2:" in warm.stdout and "LL301" in warm.stdout, warm.stdout  # the cached finding
    assert warm.stdout.endswith("heavy: none 1\n"), warm.stdout + warm.stderr


def test_large_output_through_a_pipe_is_complete_and_a_reader_leaving_early_is_no_error(tmp_path: Path) -> None:
    """The console script exits without tearing the interpreter down: nothing written may be lost."""
    for index in range(200):
        (tmp_path / f"c{index}.py").write_text("import httpx\nhttpx.Client(timeout=None)\n", encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}  # buffered, as for most users
    full = subprocess.run([sys.executable, "-m", "lunalint", "check", "--no-cache", "--no-color", "."],
                          capture_output=True, text=True, timeout=120, cwd=tmp_path, env=env)
    lines = full.stdout.splitlines()
    assert full.returncode == 1 and len(full.stdout) > 65536  # more than a pipe buffer
    assert len([line for line in lines if ": LL" in line]) == 600 and "Found 600 findings." in lines[-2:]
    reader = subprocess.Popen([sys.executable, "-m", "lunalint", "check", "--no-cache", "."], cwd=tmp_path,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    assert reader.stdout is not None and reader.stderr is not None
    assert b": LL" in reader.stdout.readline()
    reader.stdout.close()  # like `| head -1`
    assert reader.wait(timeout=120) == 1  # click's answer to a broken pipe: exit 1, quietly
    with reader.stderr:
        assert reader.stderr.read() == b""  # no traceback, no "internal error"


TS_PROBE = """
import sys
from lunalint.cli import main
code = main(sys.argv[1:])
print("tree-sitter-imported" if any(name.startswith("tree_sitter") for name in sys.modules)
      else "tree-sitter-not-imported", code)
"""


def test_a_python_only_run_imports_no_tree_sitter(tmp_path: Path) -> None:
    (tmp_path / "c.py").write_text("import httpx\nhttpx.Client(timeout=None)\n", encoding="utf-8")
    (tmp_path / "plain.rs").write_text("fn main() { println!(\"no http here\"); }\n", encoding="utf-8")
    result = run("-c", TS_PROBE, "check", "--no-cache", str(tmp_path))
    assert "tree-sitter-not-imported 1" in result.stdout, result.stdout + result.stderr


def test_a_rust_file_naming_reqwest_is_discovered_and_parsed(tmp_path: Path) -> None:
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "http.rs").write_text("fn c() -> reqwest::Client { reqwest::Client::new() }\n",
                                              encoding="utf-8")
    result = run("-c", TS_PROBE, "check", "--no-cache", str(tmp_path))
    assert "tree-sitter-imported 1" in result.stdout, result.stdout + result.stderr
    assert "http.rs:1:29: LL301" in result.stdout, result.stdout
