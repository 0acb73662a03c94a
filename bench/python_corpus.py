"""Precision and recall of the Python checks on real LLM-calling code, against hand labels.

Usage: ``python bench/python_corpus.py CORPUS [LABELS]``. ``CORPUS`` holds one directory per project,
named as in ``python_corpus_labels.txt`` (the project's ``.py`` files at the commit listed there).
Candidate client sites are found by a regular expression, independently of lunalint: client and
SDK constructors and module-level request functions of httpx, httpx2, aiohttp, requests, urllib3,
openai and anthropic, in production files that import one of them (not tests, examples, docs or
scripts). Each labelled site lists the check families a correct report has, read from the code
against the libraries' source; a site may also name the lines of the requests made on its client
(``@582``), where a per-request setting is reported. ``option`` lines in the labels file are passed to
``lunalint check`` (the policy the labels assume); ``project NAME COMMIT GROUP`` puts the project in a
group, and a table is printed for each group and for all projects.

A finding belongs to the site whose line it is on or a line it names, else to the next site
starting at most 5 lines below it (a client built in the line just above the call that uses it),
else to the nearest site at most 20 lines above it.
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
SITE = re.compile(
    r"(?<![\w.])(?:(?:httpx2?|aiohttp|requests|urllib3|openai|anthropic)\.)?(?:Client|AsyncClient|ClientSession"
    r"|Session|PoolManager|(?:Async)?(?:Azure)?OpenAI|(?:Async)?Anthropic(?:Bedrock|Vertex)?"
    r"|Default(?:Async)?Httpx(?:2)?Client|(?:Sync|Async)Httpx(?:2)?ClientWrapper)\("
    r"|(?<![\w.])(?:httpx2?|requests|urllib3)\.(?:get|post|put|patch|delete|head|request|stream)\(")
IMPORT = re.compile(r"^\s*(?:import|from)\s+(httpx2?|aiohttp|requests|urllib3|openai|anthropic)\b", re.M)
SKIP = re.compile(r"(^|/)(tests?|examples?|docs?|cookbook|notebooks?|samples?|scripts|benchmarks?|\.github)(/|$)"
                  r"|(^|/)test_[^/]*\.py$|_test\.py$|conftest\.py$")
ABOVE, BELOW = 5, 20


def sites(project: Path) -> dict[str, list[int]]:
    found: dict[str, list[int]] = collections.defaultdict(list)
    for path in sorted(project.rglob("*.py")):
        relative = f"{project.name}/{path.relative_to(project).as_posix()}"
        if SKIP.search(relative):
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        if not IMPORT.search(text):
            continue
        for number, line in enumerate(text.splitlines(), start=1):
            stripped = line.strip()
            if not stripped.startswith(("#", "class ", "def ")) and SITE.search(line):
                found[relative].append(number)
    return found


def owner(line: int, lines: list[int], extra: dict[int, int]) -> int | None:
    if line in lines:
        return line
    if line in extra:
        return extra[line]
    below = [site for site in lines if line < site <= line + ABOVE]
    if below:
        return min(below)
    above = [site for site in lines if site < line <= site + BELOW]
    return max(above) if above else None


def main(argv: list[str]) -> int:
    corpus = Path(argv[0])
    labels_file = Path(argv[1]) if len(argv) > 1 else HERE / "python_corpus_labels.txt"
    labels: dict[tuple[str, int], set[str] | None] = {}
    extra: dict[str, dict[int, int]] = collections.defaultdict(dict)
    projects: dict[str, str] = {}
    options: list[str] = []
    for raw in labels_file.read_text(encoding="utf-8").splitlines():
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        if line.startswith("project "):
            _, project, _commit, *group = line.split()
            projects[project] = group[0] if group else "all"
            continue
        if line.startswith("option "):
            options += line.split()[1:]
            continue
        site, expected, *requests = line.split()
        name, number = site.rsplit(":", 1)
        labels[(name, int(number))] = None if expected == "skip" else expected_families(expected)
        for request in requests:
            extra[name][int(request.lstrip("@"))] = int(number)
    got: dict[tuple[str, int], set[str]] = {}
    stray: list[str] = []
    for project in projects:
        found = sites(corpus / project)
        out = subprocess.run([sys.executable, "-m", "lunalint", "check", project, "--no-cache", "--isolated",
                              "--format", "json", *options], capture_output=True, text=True, cwd=corpus).stdout
        for name, lines in found.items():
            for line in lines:
                got[(name, line)] = set()
        for violation in json.loads(out)["violations"]:
            name = violation["path"]
            if name not in found:
                continue
            site = owner(violation["line"], found[name], extra[name])
            family = FAMILIES.get(violation["code"][2])
            if site is None or family is None:
                stray.append(f"{name}:{violation['line']} {violation['code']}")
                continue
            got[(name, site)].add(family)
    unlabelled = sorted(set(got) - set(labels))
    for name, line in unlabelled:
        print(f"unlabelled: {name}:{line} {sorted(got[(name, line)])}")
    for finding in stray:
        print(f"not at a site: {finding}")
    judged = {key: expected for key, expected in labels.items() if expected is not None}
    counts = score(judged, got)
    groups = sorted(set(projects.values()))
    for group in groups if len(groups) > 1 else []:
        members = {project for project, name in projects.items() if name == group}
        part = {key: expected for key, expected in judged.items() if key[0].split("/", 1)[0] in members}
        print(f"\n{group}: {len(part)} labelled sites in {len(members)} projects ({', '.join(sorted(members))})\n")
        print_table(score(part, got, quiet=True))
    print(f"\nall: {len(judged)} labelled sites in {len(projects)} projects "
          f"({len(labels) - len(judged)} skipped: not a client of a supported library)\n")
    print_table(counts)
    return 1 if unlabelled else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
