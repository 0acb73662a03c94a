"""Check ``lunalint check --fix --unsafe-fixes`` on a copy of the benchmark corpus, and time ``--fix``
on the pre-commit case (three files).

    python bench/fix_check.py CORPUS [--keep DIR]

On a copy of CORPUS it checks that every file that changed still parses, that no finding with an
applicable fix remains, and that every changed line belongs to a top-level statement that held a
finding, or is an inserted line (imports and helpers). Exit 1 when a check fails.
"""

from __future__ import annotations

import argparse
import ast
import difflib
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

THREE = ("pkgs/requests/api.py", "pkgs/requests/sessions.py", "pkgs/httpx/_client.py")  # bench/run.py's case


def _lunalint(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    exe = Path(sys.executable).with_name("lunalint")
    return subprocess.run([str(exe), "check", "--isolated", "--no-cache", *args], cwd=cwd, capture_output=True,
                          text=True, check=False)


def _statement_ranges(text: str) -> list[tuple[int, int]]:
    tree = ast.parse(text)
    ranges = []
    for node in tree.body:
        first = min([node.lineno, *(d.lineno for d in getattr(node, "decorator_list", []))])
        ranges.append((first, node.end_lineno or node.lineno))
    return ranges


def _touched(before: str, after: str) -> tuple[set[int], int]:
    """Lines of ``before`` that were replaced or deleted, and the number of lines only inserted."""
    matcher = difflib.SequenceMatcher(a=before.splitlines(), b=after.splitlines(), autojunk=False)
    touched: set[int] = set()
    inserted = 0
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag in ("replace", "delete"):
            touched.update(range(i1 + 1, i2 + 1))
        if tag == "insert":
            inserted += j2 - j1
    return touched, inserted


def check(corpus: Path, work: Path) -> list[str]:
    problems: list[str] = []
    shutil.copytree(corpus, work, symlinks=True)
    before = json.loads(_lunalint("--format", "json", "--unsafe-fixes", ".", cwd=work).stdout)
    findings: dict[str, list[int]] = {}
    for v in before["violations"]:
        findings.setdefault(v["path"], []).append(v["line"])
    fixable = sum(1 for v in before["violations"] if v["fix"] and v["fix"]["applicability"] != "display-only")
    texts = {path: (work / path).read_text(encoding="utf-8", errors="replace") for path in findings}
    start = time.perf_counter()
    _lunalint("--fix", "--unsafe-fixes", "--fix-only", ".", cwd=work)
    elapsed = time.perf_counter() - start
    after = json.loads(_lunalint("--format", "json", "--unsafe-fixes", ".", cwd=work).stdout)
    left = [v for v in after["violations"] if v["fix"] and v["fix"]["applicability"] != "display-only"]
    problems += [f"{v['path']}:{v['line']}: {v['code']} still has an applicable fix" for v in left]
    changed = 0
    for path, lines in findings.items():
        new = (work / path).read_text(encoding="utf-8", errors="replace")
        if new == texts[path]:
            continue
        changed += 1
        try:
            ast.parse(new)
        except SyntaxError as error:
            problems.append(f"{path}: does not parse after fixing: {error}")
            continue
        allowed: set[int] = set()
        for first, last in _statement_ranges(texts[path]):
            if any(first <= line <= last for line in lines):
                allowed.update(range(first, last + 1))
        touched, _ = _touched(texts[path], new)
        outside = sorted(touched - allowed)
        if outside:
            problems.append(f"{path}: lines {outside[:5]} changed outside the statements that held findings")
    print(f"corpus: {len(before['violations'])} findings, {fixable} with an applicable fix, "
          f"{after['summary']['violations']} left; {changed} files changed; --fix run {elapsed:.2f} s")
    return problems


def time_three(corpus: Path, runs: int = 5) -> list[float]:
    times = []
    for _ in range(runs):
        with tempfile.TemporaryDirectory() as tmp:
            work = Path(tmp) / "c"
            work.mkdir()
            for name in THREE:
                (work / name).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(corpus / name, work / name)
            start = time.perf_counter()
            _lunalint("--fix", *THREE, cwd=work)
            times.append(time.perf_counter() - start)
    return times


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpus", type=Path)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        problems = check(args.corpus.resolve(), Path(tmp) / "corpus")
    for problem in problems:
        print(problem)
    times = time_three(args.corpus.resolve())
    print(f"--fix on the 3-file pre-commit case: median {sorted(times)[len(times) // 2]:.3f} s "
          f"(min {min(times):.3f}, max {max(times):.3f}) over {len(times)} runs; budget 0.35 s")
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
