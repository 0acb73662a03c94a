"""Where the streaming minimum applies, on real LLM-calling projects, against hand labels.

Usage::

    python bench/stream_corpus.py extract GITDIRS CORPUS [LABELS]   # the projects at their commits
    python bench/stream_corpus.py CORPUS [LABELS]                   # run lunalint, print the table

``LABELS`` (default ``stream_corpus_labels.txt``) names the projects and their commits, and labels
sites (``project/path:line``, the line lunalint reports a timeout on):

- ``long``: a model call or a stream whose short timeout applies to it: it must be reported
  (LL302 or LL303 on that line);
- ``short``: a short timeout on requests that are neither (a search, an OAuth exchange, a health
  probe, a download): a finding there is noise;
- ``one-shot``: a client opened for one short request and closed: a pool or keepalive finding
  (LL1xx, LL2xx) there is noise;
- ``replaced``: a client of model calls whose short timeout never applies to them (the SDK sends
  its own): neither counted as a model call nor as noise; a finding there is listed.

``extract`` writes each project's ``.py``/``.ipynb`` files and project files (``pyproject.toml``,
``setup.cfg``) at the listed commit from a git directory under ``GITDIRS`` (``OWNER+NAME``, or
``OWNER+NAME/repo``, or ``NAME``, as ``git clone --bare`` makes them), and an empty ``.git`` at
the top of each, where a checkout has its own: lunalint finds a project's root there.

The table gives, per project, the labelled model calls and streams, how many are reported, the
findings, and those on non-stream short timeouts and on one-shot clients; the last line gives
their share of all findings. Findings of LL302/LL303 on a site without a label are listed, so
that the labels stay complete. Runs ``python -m lunalint`` of this interpreter (default policy).
"""

from __future__ import annotations

import collections
import json
import re
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
LABELS = HERE / "stream_corpus_labels.txt"
KINDS = ("long", "short", "one-shot", "replaced")
TIMEOUT_CODES = ("LL302", "LL303")
WANTED = re.compile(r"\.(py|ipynb)$|(^|/)(pyproject\.toml|setup\.cfg)$")


class Labels:
    def __init__(self, path: Path) -> None:
        self.projects: list[tuple[str, str, str]] = []  # (directory, commit, owner/name)
        self.sites: dict[tuple[str, int], str] = {}
        for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            line = raw.split("#", 1)[0].strip()
            if not line:
                continue
            fields = line.split()
            if fields[0] == "project" and len(fields) == 4:
                self.projects.append((fields[1], fields[2], fields[3]))
                continue
            if len(fields) != 2 or fields[1] not in KINDS or ":" not in fields[0]:
                raise SystemExit(f"{path}:{number}: expected `project/path:line {'|'.join(KINDS)}`")
            name, site = fields[0].rsplit(":", 1)
            self.sites[(name, int(site))] = fields[1]


def extract(gitdirs: Path, corpus: Path, labels: Labels) -> None:
    for directory, commit, repository in labels.projects:
        owner, name = repository.split("/")
        candidates = [gitdirs / f"{owner}+{name}", gitdirs / f"{owner}+{name}" / "repo", gitdirs / name,
                      gitdirs / f"{name}.git"]
        git = next((c for c in candidates if (c / "HEAD").is_file() or (c / ".git").exists()), None)
        if git is None:
            raise SystemExit(f"{repository}: no git directory under {gitdirs}")
        listing = subprocess.run(["git", "-C", str(git), "ls-tree", "-r", "--format=%(objectname) %(path)", commit],
                                 capture_output=True, text=True, check=True).stdout.splitlines()
        wanted = [entry.split(" ", 1) for entry in listing if WANTED.search(entry.split(" ", 1)[1])]
        target = corpus / directory
        (target / ".git").mkdir(parents=True, exist_ok=True)
        with subprocess.Popen(["git", "-C", str(git), "cat-file", "--batch"], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE) as batch:
            assert batch.stdin is not None and batch.stdout is not None
            for oid, path in wanted:
                batch.stdin.write(f"{oid}\n".encode())
                batch.stdin.flush()
                header = batch.stdout.readline().split()
                if header[1] == b"missing":
                    continue
                data = batch.stdout.read(int(header[2]))
                batch.stdout.read(1)
                out = target / path
                out.parent.mkdir(parents=True, exist_ok=True)
                out.write_bytes(data)
            batch.stdin.close()
        print(f"{directory}: {len(wanted)} files at {commit[:12]}")


def run(corpus: Path, labels: Labels) -> int:
    rows = []
    unlabelled: list[str] = []
    missed: list[str] = []
    noise_sites: list[str] = []
    totals = collections.Counter[str]()
    for directory, _, _ in labels.projects:
        out = subprocess.run([sys.executable, "-m", "lunalint", "check", directory, "--isolated", "--no-cache",
                              "--format", "json"], capture_output=True, text=True, cwd=corpus)
        violations = json.loads(out.stdout)["violations"]
        timeouts = {(v["path"], v["line"]) for v in violations if v["code"] in TIMEOUT_CODES}
        count = collections.Counter[str]()
        count["findings"] = len(violations)
        for (name, line), kind in labels.sites.items():
            if name.split("/", 1)[0] != directory:
                continue
            if kind == "long":
                count["long"] += 1
                if (name, line) in timeouts:
                    count["reported"] += 1
                else:
                    missed.append(f"{name}:{line}")
        for v in violations:
            kind = labels.sites.get((v["path"], v["line"]))
            if v["code"] in TIMEOUT_CODES and kind == "short":
                count["short"] += 1
                noise_sites.append(f"{v['path']}:{v['line']} {v['code']} (short)")
            elif v["code"][2] in "12" and kind == "one-shot":
                count["one-shot"] += 1
                noise_sites.append(f"{v['path']}:{v['line']} {v['code']} (one-shot)")
            elif v["code"] in TIMEOUT_CODES and kind == "replaced":
                count["replaced"] += 1
                noise_sites.append(f"{v['path']}:{v['line']} {v['code']} (replaced: not counted)")
            elif v["code"] in TIMEOUT_CODES and kind is None:
                unlabelled.append(f"{v['path']}:{v['line']} {v['code']}")
        totals.update(count)
        rows.append((directory, count))
    for site in missed:
        print(f"missed: {site}")
    for site in noise_sites:
        print(f"{'noise' if 'not counted' not in site else 'listed'}: {site}")
    for site in unlabelled:
        print(f"unlabelled: {site}")
    print("\n| project | model calls / streams with a short timeout | reported | findings "
          "| on non-stream short timeouts | on one-shot clients |\n|---|---|---|---|---|---|")
    for directory, count in [*rows, ("all", totals)]:
        print(f"| {directory} | {count['long']} | {count['reported']} | {count['findings']} | {count['short']} "
              f"| {count['one-shot']} |")
    noise = totals["short"] + totals["one-shot"]
    share = noise / totals["findings"] if totals["findings"] else 0.0
    print(f"\nreported {totals['reported']} of {totals['long']} model calls and streams with a short timeout; "
          f"{noise} of {totals['findings']} findings ({share:.1%}) on non-stream short timeouts or one-shot "
          f"clients; {totals['replaced']} on clients whose timeout the SDK replaces; {len(unlabelled)} timeout "
          f"findings unlabelled")
    return 1 if unlabelled else 0


def main(argv: list[str]) -> int:
    if argv[:1] == ["extract"] and len(argv) in (3, 4):
        labels = Labels(Path(argv[3]) if len(argv) == 4 else LABELS)
        extract(Path(argv[1]), Path(argv[2]), labels)
        return 0
    if len(argv) not in (1, 2) or argv[0] == "extract":
        print(__doc__.split("\n\n", 2)[1], file=sys.stderr)
        return 2
    return run(Path(argv[0]), Labels(Path(argv[1]) if len(argv) == 2 else LABELS))


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
