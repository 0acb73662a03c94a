"""lunalint speed benchmark against Ruff (S113), Bandit (B113), Semgrep (one local rule) and Pylint (W3101).

One command builds the corpus and the bench venv in bench/.work/ (offline but for PyPI), installs the
peers, runs every case several times and prints ONE table from that one run, then the speed
targets as PASS/FAIL lines:

    python bench/run.py              # full corpus, 5 runs per case
    python bench/run.py --markdown   # the table as Markdown, for bench/README.md
    python bench/run.py --quick      # tiny corpus, 1 run: checks the harness works

lunalint is this working tree installed without ``-e`` into bench/.work/lunalint-venv (as users
install it) unless ``--lunalint PATH`` says otherwise.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import json
import os
import platform
import shlex
import shutil
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import corpus as corpus_mod  # noqa: E402
from corpus import WORK, Corpus, log  # noqa: E402
from measure import Result, repeat, repeat_alternating, run_once  # noqa: E402

HERE = Path(__file__).resolve().parent
SEMGREP_RULE = HERE / "semgrep-requests-timeout.yml"
PEER_ORDER = ("ruff", "bandit", "semgrep", "pylint")


# --------------------------------------------------------------------------------------------
# Tools


class Lunalint:
    def __init__(self, exe: Path) -> None:
        self.exe = exe
        help_text = subprocess.run([str(exe), "check", "--help"], capture_output=True, text=True).stdout
        self.has_no_cache = "--no-cache" in help_text
        self.has_jobs = "--jobs" in help_text
        self.version = subprocess.run([str(exe), "--version"], capture_output=True, text=True).stdout.strip()
        self.python = self._python()

    def _python(self) -> Path:
        sibling = self.exe.parent / "python"
        if sibling.exists():
            return sibling
        first = self.exe.read_bytes()[:200].splitlines()[0]
        if first.startswith(b"#!"):
            return Path(first[2:].decode().strip().split()[0])
        return Path(sys.executable)

    def features(self) -> str:
        found = [flag for flag, have in (("--no-cache", self.has_no_cache), ("--jobs", self.has_jobs)) if have]
        return ", ".join(found) if found else "neither --no-cache nor --jobs"

    def check(self, paths: list[str], cold: bool) -> list[str]:
        cmd = [str(self.exe), "check"]
        if cold and self.has_no_cache:
            cmd.append("--no-cache")
        return cmd + paths


def clear_lunalint_cache(*roots: Path) -> None:
    for root in roots:
        for candidate in (root / ".lunalint_cache", *root.glob("*/.lunalint_cache")):
            shutil.rmtree(candidate, ignore_errors=True)


def peer_command(peer: str, venv: corpus_mod.Venv, paths: list[str], *, cache_dir: Path | None = None) -> list[str]:
    if peer == "ruff":
        cache = ["--cache-dir", str(cache_dir)] if cache_dir else ["--no-cache"]
        return [str(venv.bin("ruff")), "check", "--isolated", "--select", "S113", *cache, *paths]
    if peer == "bandit":
        return [str(venv.bin("bandit")), "-q", "-r", "-t", "B113", *paths]
    if peer == "semgrep":
        return [str(venv.bin("semgrep")), "scan", "--config", str(SEMGREP_RULE), "--metrics=off",
                "--disable-version-check", "--no-git-ignore", "--quiet", *paths]
    if peer == "pylint":
        return [str(venv.bin("pylint")), "--disable=all", "--enable=missing-timeout", "--score=n",
                "--persistent=n", "--reports=n", "--recursive=y", *paths]
    raise ValueError(peer)


def ok_codes(tool: str):
    if tool == "pylint":
        return lambda rc: 0 <= rc < 32  # a bit mask of message kinds; 32 = usage error
    if tool == "semgrep":
        return lambda rc: rc in (0, 1)
    return lambda rc: rc in (0, 1)  # 1 = findings


def peer_env() -> dict[str, str]:
    env = dict(os.environ)
    env.update(SEMGREP_SEND_METRICS="off", SEMGREP_ENABLE_VERSION_CHECK="0", NO_COLOR="1")
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env.pop("LUNALINT_CACHE_DIR", None)  # the cache goes beside the corpus's pyproject.toml, where it is cleared
    return env


# --------------------------------------------------------------------------------------------
# Probes: does a command import libcst?


def imports_libcst(python: Path, script: Path, args: list[str], cwd: Path) -> tuple[bool | None, float | None, str]:
    """Run the console script under ``python -X importtime``: (libcst imported?, import time s, detail)."""
    proc = subprocess.run([str(python), "-X", "importtime", str(script), *args], cwd=cwd,
                          capture_output=True, text=True)
    modules, total_us = [], 0
    for line in proc.stderr.splitlines():
        if not line.startswith("import time:"):
            continue
        fields = line[len("import time:"):].split("|")
        if len(fields) != 3 or not fields[1].strip().isdigit():
            continue  # the header
        name = fields[2][1:]
        modules.append(name.strip())
        if not name.startswith(" "):  # a top-level import: count its cumulative time
            total_us += int(fields[1])
    if not modules:
        return None, None, f"no -X importtime output (exit {proc.returncode})"
    hit = any(name == "libcst" or name.startswith("libcst.") for name in modules)
    return hit, total_us / 1e6, f"exit {proc.returncode}, {len(modules)} modules imported"


# --------------------------------------------------------------------------------------------
# The run


def load_average() -> str:
    try:
        return " ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "?"


def run_all(args: argparse.Namespace) -> dict:
    started = time.monotonic()
    load_before = load_average()
    if os.getloadavg()[0] > 0.5:
        log(f"warning: the machine is busy (load average {load_before}); wall times will be inflated")
    lunalint = Lunalint(Path(args.lunalint))
    log(f"lunalint: {lunalint.exe} ({lunalint.version}); features: {lunalint.features()}")
    corpus = corpus_mod.build(quick=args.quick, app_files=args.app_files, rebuild=args.rebuild)
    log(f"corpus: {corpus.files} Python files, {corpus.bytes / 1e6:.1f} MB in {corpus.root}")
    peers, missing = corpus_mod.install_peers(corpus.venv) if not args.no_peers else ({}, {})
    for name in args.skip:
        if name in peers:
            peers.pop(name)
            missing[name] = "skipped (--skip)"
    if args.no_peers:
        missing.update({name: "skipped (--no-peers)" for name in PEER_ORDER})
    out_dir = WORK / "out"
    out_dir.mkdir(exist_ok=True)
    env = peer_env()
    results: list[Result] = []
    runs = args.runs

    def measure(tool: str, case: str, cmd: list[str], cwd: Path, files: int | None, n: int,
                prepare=None, note: str = "", tree_rss: bool = False) -> Result:
        result = Result(tool, case, files, note=note)
        results.append(result)
        out = out_dir / f"{tool}-{case.replace(' ', '_')}.out"
        return repeat(result, cmd, cwd, out, n, ok_codes=ok_codes(tool), prepare=prepare, env=env,
                      slow_after=args.slow_after, slow_runs=min(3, n), tree_rss=tree_rss, log=log)

    def unavailable(case: str, files: int | None) -> None:
        for peer in PEER_ORDER:
            if peer in missing:
                results.append(Result(peer, case, files, error=missing[peer]))

    root, root4x = corpus.root, corpus.root4x
    cold_prep = lambda: clear_lunalint_cache(root)  # noqa: E731
    cold_note = "--no-cache, cache dir removed" if lunalint.has_no_cache else "cache dir removed (no --no-cache)"

    # 1. whole tree, cold.
    measure("lunalint", "cold", lunalint.check(["."], cold=True), root, corpus.files, runs,
            prepare=cold_prep, note=cold_note)
    for peer in PEER_ORDER:
        if peer in peers:
            n = args.pylint_runs if peer == "pylint" else runs
            note = f"{n} run{'s' if n != 1 else ''} (slow; --pylint-runs)" if peer == "pylint" else ""
            if peer == "ruff":
                note = "--no-cache"
            measure(peer, "cold", peer_command(peer, corpus.venv, ["."]), root, corpus.files, n, note=note)
    unavailable("cold", corpus.files)

    # 2. whole tree, warm: a first untimed run fills the caches, then the timed runs keep them.
    #    lunalint and Ruff run in turn (short runs: the ratio must not measure the machine's load).
    short = args.short_runs
    clear_lunalint_cache(root)
    run_once(lunalint.check(["."], cold=False), root, out_dir / "lunalint-prime.out", env)
    warm_note = f"cache kept; {short} runs in turn with Ruff" if "ruff" in peers else "cache kept"
    warm = [(Result("lunalint", "warm", corpus.files,
                    note=warm_note if lunalint.has_no_cache else "no cache in this lunalint: same as cold"),
             lunalint.check(["."], cold=False), out_dir / "lunalint-warm.out", ok_codes("lunalint"))]
    if "ruff" in peers:
        ruff_cache = WORK / "ruff_cache"
        shutil.rmtree(ruff_cache, ignore_errors=True)
        prime = peer_command("ruff", corpus.venv, ["."], cache_dir=ruff_cache)
        run_once(prime, root, out_dir / "ruff-prime.out", env)
        warm.append((Result("ruff", "warm", corpus.files, note=f"cache kept; {short} runs in turn with lunalint"),
                     prime, out_dir / "ruff-warm.out", ok_codes("ruff")))
    results.extend(job[0] for job in warm)
    repeat_alternating(warm, root, short, env=env, log=log)

    # 3. the pre-commit-like run: three files.
    three = [str(p.relative_to(root)) for p in corpus.three_files]
    measure("lunalint", "3 files", lunalint.check(three, cold=True), root, len(three), short,
            prepare=cold_prep, note="--no-cache" if lunalint.has_no_cache else "")
    for peer in PEER_ORDER:
        if peer in peers:
            measure(peer, "3 files", peer_command(peer, corpus.venv, three), root, len(three),
                    short if peer == "ruff" else runs)
    unavailable("3 files", len(three))

    # 4. --version.
    measure("lunalint", "--version", [str(lunalint.exe), "--version"], root, None, short)
    for peer in PEER_ORDER:
        if peer in peers:
            measure(peer, "--version", [str(corpus.venv.bin(peer)), "--version"], root, None,
                    short if peer == "ruff" else runs)

    # 5. the corpus 4x (distinct bytes per copy), cold.
    prep4x = lambda: clear_lunalint_cache(root4x)  # noqa: E731
    measure("lunalint", "cold 4x", lunalint.check(["."], cold=True), root4x, corpus.files4x, runs,
            prepare=prep4x, note=cold_note)
    if "ruff" in peers:
        measure("ruff", "cold 4x", peer_command("ruff", corpus.venv, ["."]), root4x, corpus.files4x, runs,
                note="--no-cache")

    # 6. one statement-dense file: 400,000 ``x = 1`` lines and one client (libcst must not see them).
    dense_dir = WORK / "dense"
    dense_dir.mkdir(exist_ok=True)
    (dense_dir / "pyproject.toml").write_text("[tool.lunalint]\n", encoding="utf-8")
    dense = dense_dir / "dense.py"
    if not dense.exists():
        dense.write_text("import httpx\n" + "x = 1\n" * 400_000 + "client = httpx.Client(timeout=None)\n",
                         encoding="utf-8")
    measure("lunalint", "dense file", lunalint.check(["dense.py"], cold=True) + ["--jobs", "1"], dense_dir, 1,
            min(runs, 3), note="2.4 MB: 400,000 statements and one client")

    # 7. memory of the whole process tree (main process + workers), sampled from /proc in one extra
    #    untimed cold run on the corpus and one on the 4x corpus (the sampler costs CPU, so the timed
    #    runs go without it).
    tree = Result("lunalint", "cold (RSS tree)", corpus.files)
    cold_prep()
    tree.samples.append(run_once(lunalint.check(["."], cold=True), root, out_dir / "lunalint-tree.out", env,
                                 tree_rss=True))
    tree4x = Result("lunalint", "cold 4x (RSS tree)", corpus.files4x)
    prep4x()
    tree4x.samples.append(run_once(lunalint.check(["."], cold=True), root4x, out_dir / "lunalint-tree4x.out",
                                   env, tree_rss=True))

    # 7b. per-file cost by language: the generated Python app vs the generated Rust tree (same
    #     number of files, the same shares of client files), cold.
    app_files = sum(v for k, v in corpus.app_counts.items() if not k.startswith("rust_"))
    measure("lunalint", "app .py only", lunalint.check(["."], cold=True), root / "app", app_files, runs,
            prepare=lambda: clear_lunalint_cache(root / "app"), note="generated Python app")
    measure("lunalint", "rust .rs only", lunalint.check(["."], cold=True), corpus.rust, corpus.rust_files, runs,
            prepare=lambda: clear_lunalint_cache(corpus.rust), note="generated Rust tree")

    # 8. the libcst probes.
    probes = {
        "--version": imports_libcst(lunalint.python, lunalint.exe, ["--version"], root),
        "no prefilter match": imports_libcst(
            lunalint.python, lunalint.exe,
            lunalint.check([str(corpus.nomatch)], cold=True)[1:], corpus.nomatch),
    }
    return {
        "lunalint": lunalint, "corpus": corpus, "peers": peers, "missing": missing, "results": results,
        "tree": tree, "tree4x": tree4x, "probes": probes, "elapsed": time.monotonic() - started, "args": args,
        "load": f"load average (1, 5, 15 min) {load_before} before, {load_average()} after",
    }


# --------------------------------------------------------------------------------------------
# Reporting


def find(results: list[Result], tool: str, case: str) -> Result | None:
    for result in results:
        if result.tool == tool and result.case == case and result.samples:
            return result
    return None


def fmt(value: float | None, digits: int = 2) -> str:
    if value is None:
        return "—"
    if digits == 0:
        return f"{value:,.0f}"
    return f"{value:.{digits}f}" if value < 100 else f"{value:,.0f}"


def table_rows(data: dict) -> list[list[str]]:
    results: list[Result] = data["results"]
    rows = []
    for result in results:
        if result.error:
            rows.append([result.tool, result.case, "0", "—", "—", "—", "—", "—", "—",
                         f"not measured: {result.error}"])
            continue
        me = find(results, "lunalint", result.case)
        wall_ratio = cpu_ratio = "—"
        note = result.note
        if result.tool != "lunalint" and me is not None:
            wall_ratio = f"{me.wall / result.wall:.2f}"
            cpu_ratio = f"{me.cpu / result.cpu:.2f}" if result.cpu else "—"
        if result.case == "cold 4x":
            base = find(results, result.tool, "cold")
            if base is not None:
                note = (note + "; " if note else "") + \
                    f"4x/1x: wall {result.wall / base.wall:.2f}, CPU {result.cpu / base.cpu:.2f}"
        digits = 3 if (result.wall or 0) < 1 else 2
        rows.append([result.tool, result.case, str(result.runs), fmt(result.wall, digits), fmt(result.cpu, digits),
                     fmt(result.rss_mb, 0), fmt(result.files_per_s, 0) if result.files_per_s else "—",
                     wall_ratio, cpu_ratio, note])
    return rows


HEADERS = ["tool", "case", "runs", "wall s (median)", "CPU s (median)", "peak RSS MB", "files/s",
           "lunalint/peer wall", "lunalint/peer CPU", "notes"]


def checks(data: dict) -> list[tuple[bool | None, str]]:
    results: list[Result] = data["results"]
    out: list[tuple[bool | None, str]] = []

    def ratio_check(case: str, peer: str, limit: float, text: str) -> None:
        me, them = find(results, "lunalint", case), find(results, peer, case)
        if me is None or them is None:
            out.append((None, f"{text}: not measured ({peer} or lunalint missing)"))
            return
        ratio = me.wall / them.wall
        out.append((ratio <= limit, f"{text}: lunalint {me.wall:.2f} s vs {peer} {them.wall:.2f} s wall, "
                                    f"ratio {ratio:.2f} (need <= {limit:.2g}; CPU ratio {me.cpu / them.cpu:.2f})"))

    ratio_check("cold", "bandit", 1 / 5, "cold scan >= 5x faster than Bandit")
    ratio_check("cold", "semgrep", 1 / 2, "cold scan >= 2x faster than Semgrep")
    ratio_check("cold", "ruff", 15, "cold scan within 15x of Ruff")
    ratio_check("warm", "ruff", 3, "warm re-run within 3x of Ruff (both with their caches)")
    three = find(results, "lunalint", "3 files")
    out.append((three.wall <= 0.35 if three else None,
                f"3-file run <= 0.35 s: {three.wall:.3f} s" if three else "3-file run: not measured"))
    for name, (hit, seconds, detail) in data["probes"].items():
        label = f"`lunalint {name}` does not import libcst" if name == "--version" else \
            f"a run where no file passes the prefilter does not import libcst"
        if hit is None:
            out.append((None, f"{label}: probe failed ({detail})"))
        else:
            extra = f"; imports take {seconds:.3f} s" if seconds is not None else ""
            out.append((not hit, f"{label}: libcst {'imported' if hit else 'not imported'} ({detail}{extra})"))
    mine = [r for r in results if r.tool == "lunalint" and r.samples]
    peak = max((r.rss_mb for r in mine), default=None)
    tree, tree4x = data["tree"].tree_rss_mb, data["tree4x"].tree_rss_mb
    if peak is None:
        out.append((None, "peak RSS < 200 MB: not measured"))
    else:
        out.append((peak < 200, f"peak RSS < 200 MB (largest single process, ru_maxrss, all cases): {peak:.0f} MB"))
        worst = max(tree or 0, tree4x or 0)
        out.append((worst < 200, f"peak RSS < 200 MB (whole process tree: main + workers, sampled at 20 Hz): "
                                 f"{fmt(tree, 0)} MB on the corpus, {fmt(tree4x, 0)} MB on the 4x corpus"))
    dense = find(results, "lunalint", "dense file")
    out.append((dense.wall <= 2 and dense.rss_mb <= 200 if dense else None,
                f"statement-dense file <= 2 s and <= 200 MB: {dense.wall:.2f} s, {dense.rss_mb:.0f} MB"
                if dense else "statement-dense file: not measured"))
    one, four = find(results, "lunalint", "cold"), find(results, "lunalint", "cold 4x")
    if one and four:
        ratio = four.wall / one.wall
        out.append((ratio <= 4.4, f"4x corpus costs <= 4.4x: wall {ratio:.2f}x, CPU {four.cpu / one.cpu:.2f}x"))
    else:
        out.append((None, "4x corpus: not measured"))
    return out


def machine() -> dict[str, str]:
    model = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = "?"
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                mem = f"{int(line.split()[1]) / 1024 / 1024:.0f} GiB"
    except OSError:
        pass
    return {"nproc": str(os.cpu_count()), "cpu": model, "memory": mem,
            "python": platform.python_version(), "os": platform.platform(terse=True)}


def git_rev() -> str:
    try:
        rev = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=HERE, capture_output=True,
                             text=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--", "lint"], cwd=HERE, capture_output=True,
                               text=True).stdout.strip()
        return rev + (" + uncommitted changes in lint/" if dirty else "")
    except OSError:
        return "?"


def describe(data: dict) -> list[str]:
    corpus: Corpus = data["corpus"]
    lunalint: Lunalint = data["lunalint"]
    parts = ", ".join(f"{name} {corpus.packages.get(name, '')} ({files})".replace("  ", " ")
                      for name, (files, _) in corpus.pkg_stats.items())
    app = {k: v for k, v in corpus.app_counts.items() if not k.startswith("rust_")}
    rust = {k[len("rust_"):]: v for k, v in corpus.app_counts.items() if k.startswith("rust_")}
    lines = [
        f"corpus: {corpus.files:,} Python files, {corpus.bytes / 1e6:.1f} MB: {parts}",
        f"generated app: {sum(app.values())} files, {app['client']} build clients "
        f"({100 * app['client'] / max(1, sum(app.values())):.0f}%), {app['import_only']} import httpx without a client",
        f"generated Rust tree: {corpus.rust_files} .rs files, {rust.get('client', 0)} build reqwest clients, "
        f"{rust.get('mention_only', 0)} name reqwest without a client",
        f"4x corpus: {corpus.files4x:,} files, {corpus.bytes4x / 1e6:.1f} MB (each copy's files end in a distinct comment)",
        f"3-file run: {', '.join(str(p.relative_to(corpus.root)) for p in corpus.three_files)}",
        f"lunalint: {lunalint.version} at {lunalint.exe} (git {git_rev()}); features: {lunalint.features()}",
        "peers: " + ", ".join(f"{name} {version}" for name, version in data["peers"].items())
        + ("; not measured: " + ", ".join(f"{k} ({v})" for k, v in data["missing"].items()) if data["missing"] else ""),
    ]
    lines.append(f"machine {data['load']}; other processes running meanwhile inflate wall time more than CPU time")
    if corpus.missing_packages:
        lines.append("corpus packages missing: " + ", ".join(f"{k} ({v})" for k, v in corpus.missing_packages.items()))
    return lines


NOTES = [
    "wall/CPU: medians of the runs; CPU = user+sys of the child and the descendants it reaped (os.wait4).",
    "peak RSS: ru_maxrss, the largest single process of any run (not a sum over worker processes).",
    "lunalint/peer: lunalint's median over the peer's in the same case; below 1 means lunalint is faster.",
    "cold: lunalint's .lunalint_cache removed before each run; Ruff with --no-cache. warm: a first untimed "
    "run fills the cache. Bandit, Semgrep and Pylint have no cache, so they have no warm row.",
    "Ruff S113, Bandit B113, Semgrep (bench/semgrep-requests-timeout.yml) and Pylint W3101 check only "
    "requests (and for Ruff httpx) calls; lunalint checks client construction, pools and timeouts.",
]


def render_text(data: dict) -> str:
    rows = table_rows(data)
    widths = [max(len(row[i]) for row in [HEADERS, *rows]) for i in range(len(HEADERS) - 1)]
    lines = [""] + describe(data) + [""]
    for row in [HEADERS, *rows]:
        cells = [cell.rjust(w) if i >= 2 else cell.ljust(w) for i, (cell, w) in enumerate(zip(row, widths))]
        lines.append("  ".join(cells) + "  " + row[-1])
    lines.append("")
    for ok, text in checks(data):
        lines.append(f"{'PASS' if ok else 'FAIL' if ok is False else 'N/A '}  {text}")
    lines.append("")
    lines += [f"note: {note}" for note in NOTES]
    lines.append(f"benchmark took {data['elapsed']:.0f} s")
    return "\n".join(lines) + "\n"


def render_markdown(data: dict) -> str:
    info = machine()
    args = data["args"]
    command = "python bench/run.py" + "".join(f" {a}" for a in args.argv)
    lines = [
        f"Measured {_dt.date.today().isoformat()} on {info['nproc']} cores ({info['cpu']}), {info['memory']}, "
        f"Python {info['python']}, {info['os']}; command: `{command}`.",
        "",
    ]
    lines += [f"- {line}" for line in describe(data)]
    lines.append("")
    lines.append("| " + " | ".join(HEADERS) + " |")
    lines.append("|" + "|".join("---" if i < 2 or i == len(HEADERS) - 1 else "---:" for i in range(len(HEADERS))) + "|")
    for row in table_rows(data):
        lines.append("| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |")
    lines.append("")
    for ok, text in checks(data):
        lines.append(f"- **{'PASS' if ok else 'FAIL' if ok is False else 'N/A'}** {text}")
    lines.append("")
    lines += [f"- {note}" for note in NOTES]
    return "\n".join(lines) + "\n"


def save_json(data: dict, path: Path) -> None:
    payload = {
        "date": _dt.datetime.now().isoformat(timespec="seconds"), "machine": machine(),
        "describe": describe(data), "elapsed_s": data["elapsed"],
        "results": [{"tool": r.tool, "case": r.case, "files": r.files, "note": r.note, "error": r.error,
                     "samples": [vars(s) for s in r.samples]}
                    for r in data["results"] + [data["tree"], data["tree4x"]]],
        "checks": [{"pass": ok, "text": text} for ok, text in checks(data)],
    }
    path.write_text(json.dumps(payload, indent=1))


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=None, help="timed runs per case (default 5; 1 with --quick)")
    parser.add_argument("--short-runs", type=int, default=None,
                        help="timed runs of lunalint and Ruff in the sub-second cases: warm, 3 files, --version "
                             "(default 15; 1 with --quick)")
    parser.add_argument("--pylint-runs", type=int, default=1,
                        help="timed runs of Pylint on the whole tree (default 1: it takes minutes)")
    parser.add_argument("--slow-after", type=float, default=20.0,
                        help="a case whose first run takes longer than this many seconds gets at most 3 runs")
    parser.add_argument("--quick", action="store_true", help="a tiny corpus, to check that the harness works")
    parser.add_argument("--markdown", action="store_true", help="print the table as Markdown (for the README)")
    parser.add_argument("--lunalint", default=None,
                        help="the lunalint executable (default: this working tree, installed without -e into "
                             "bench/.work/lunalint-venv, as users install it)")
    parser.add_argument("--app-files", type=int, default=None, help="files in the generated app (default 1000)")
    parser.add_argument("--skip", action="append", default=[], choices=PEER_ORDER, help="leave out a peer")
    parser.add_argument("--no-peers", action="store_true", help="measure lunalint only")
    parser.add_argument("--rebuild", action="store_true", help="rebuild the corpus even if it is up to date")
    args = parser.parse_args(argv)
    args.argv = argv
    if args.runs is None:
        args.runs = 1 if args.quick else 5
    if args.short_runs is None:
        args.short_runs = 1 if args.quick else 15
    if args.app_files is None:
        args.app_files = 40 if args.quick else 1000
    if args.lunalint is None:
        args.lunalint = str(corpus_mod.install_lunalint(HERE.parent))
    elif not Path(args.lunalint).exists():
        parser.error(f"no lunalint at {args.lunalint}; pass --lunalint PATH")
    data = run_all(args)
    stem = WORK / ("last-quick" if args.quick else "last")
    save_json(data, stem.with_suffix(".json"))
    markdown, text = render_markdown(data), render_text(data)
    stem.with_suffix(".md").write_text(markdown)
    stem.with_suffix(".txt").write_text(text)
    sys.stdout.write(markdown if args.markdown else text)
    log(f"results saved in {stem}.{{json,md,txt}}; command: {shlex.join([sys.executable, __file__, *argv])}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
