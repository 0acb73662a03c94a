"""Precision and recall of the Rust checks on real reqwest clients, against hand labels.

Usage: ``python bench/rust_corpus.py CORPUS [LABELS]``. ``CORPUS`` holds one directory per project,
named ``owner+name``, with the project's ``.rs``, ``Cargo.toml`` and ``Cargo.lock`` files at the
commit listed in ``rust_corpus_labels.txt`` (e.g. ``git archive`` of that commit, or only those
files extracted); labels of projects not in ``CORPUS`` are not scored. A project line may name the
set the project was added in; each set is scored on its own, then all together.
Candidate client sites are found by a regular expression, independently of lunalint (in files
that name reqwest, outside tests, examples and ``#[cfg(test)] mod``); each labelled site lists the
check families a correct report has (by reading the code against reqwest's semantics). A finding
belongs to the nearest site above it within 20 lines.
"""

from __future__ import annotations

import collections
import json
import re
import subprocess
import sys
from pathlib import Path

from labels import FAMILIES, expected_families, print_table, score

HERE = Path(__file__).resolve().parent
SITE = re.compile(r"\b(?:reqwest::)?(?:blocking::)?(Client|ClientBuilder)::(new|builder|default)\(\)")
SKIP = re.compile(r"(^|/)(tests?|examples|benches|test_utils|e2e)(/|$)|_test\.rs$|tests\.rs$")
NEAR = 20


def sites(project: Path) -> dict[str, list[int]]:
    found: dict[str, list[int]] = collections.defaultdict(list)
    for path in sorted(project.rglob("*.rs")):
        relative = path.relative_to(project).as_posix()
        text = path.read_text(encoding="utf-8", errors="replace")
        if SKIP.search(relative) or "reqwest" not in text:
            continue
        lines = text.splitlines()
        cut = next((i for i, line in enumerate(lines) if line.strip() == "#[cfg(test)]" and i + 1 < len(lines)
                    and lines[i + 1].strip().startswith("mod ")), len(lines))
        for number, line in enumerate(lines[:cut], start=1):
            if not line.strip().startswith("//") and SITE.search(line):
                found[f"{project.name}/{relative}"].append(number)
    return found


def findings(corpus: Path, name: str, lines: list[int]) -> dict[int, set[str]]:
    out = subprocess.run([sys.executable, "-m", "lunalint", "check", name, "--no-cache", "--format", "json"],
                         capture_output=True, text=True, cwd=corpus).stdout
    by_site: dict[int, set[str]] = {line: set() for line in lines}
    for violation in json.loads(out)["violations"]:
        near = [line for line in lines if line <= violation["line"] <= line + NEAR]
        by_site.setdefault(max(near) if near else violation["line"], set()).add(
            FAMILIES.get(violation["code"][2], "other"))
    return by_site


def main(argv: list[str]) -> int:
    corpus = Path(argv[0])
    labels_file = Path(argv[1]) if len(argv) > 1 else HERE / "rust_corpus_labels.txt"
    labels: dict[tuple[str, int], set[str]] = {}
    sets: dict[str, str] = {}  # project -> the set it was added in ("first" unless the project line names one)
    present = {p.name for p in corpus.iterdir() if p.is_dir()}
    for raw in labels_file.read_text(encoding="utf-8").splitlines():
        line = raw.split("#", 1)[0].strip()
        if line.startswith("project "):
            fields = line.split()
            sets[fields[1]] = fields[3] if len(fields) > 3 else "first"
            continue
        if not line:
            continue
        site, expected = line.split()
        name, number = site.rsplit(":", 1)
        if name.split("/", 1)[0] in present:  # a project missing from CORPUS is not scored
            labels[(name, int(number))] = expected_families(expected)
    got: dict[tuple[str, int], set[str]] = {}
    for project in sorted(p for p in corpus.iterdir() if p.is_dir()):
        for name, lines in sites(project).items():
            got.update({(name, line): fams for line, fams in findings(corpus, name, lines).items()})
    unlabelled = sorted(set(got) - set(labels))
    for name, line in unlabelled:
        print(f"unlabelled: {name}:{line} {sorted(got[(name, line)])}")
    groups = sorted({sets.get(name.split("/", 1)[0], "first") for name, _ in labels})
    for group in [*groups, "all"] if len(groups) > 1 else groups:
        chosen = {key: value for key, value in labels.items()
                  if group == "all" or sets.get(key[0].split("/", 1)[0], "first") == group}
        counts = score(chosen, got)
        projects = {name.split("/", 1)[0] for name, _ in chosen}
        print(f"\n{group}: {len(chosen)} labelled sites in {len(projects)} projects\n")
        print_table(counts)
    return 1 if unlabelled else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
