"""Run a child process and measure it: wall clock, CPU (user+sys) and peak RSS, per child via os.wait4.

os.wait4 returns the child's own rusage plus that of every descendant it reaped (Linux fills it
with RUSAGE_BOTH), so tools that fork workers (semgrep-core, ruff's threads, lunalint --jobs) are
charged their full CPU. ru_maxrss is the peak of the largest single process, not a sum; for the sum
over a process tree see ``TreeRss``.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class Sample:
    wall: float
    cpu: float
    rss_mb: float
    rc: int
    tree_rss_mb: float | None = None


@dataclass
class Result:
    tool: str
    case: str
    files: int | None
    samples: list[Sample] = field(default_factory=list)
    note: str = ""
    error: str = ""  # set when the tool could not run at all

    @property
    def runs(self) -> int:
        return len(self.samples)

    @property
    def wall(self) -> float | None:
        return statistics.median(s.wall for s in self.samples) if self.samples else None

    @property
    def cpu(self) -> float | None:
        return statistics.median(s.cpu for s in self.samples) if self.samples else None

    @property
    def rss_mb(self) -> float | None:
        return max(s.rss_mb for s in self.samples) if self.samples else None

    @property
    def tree_rss_mb(self) -> float | None:
        values = [s.tree_rss_mb for s in self.samples if s.tree_rss_mb is not None]
        return max(values) if values else None

    @property
    def files_per_s(self) -> float | None:
        wall = self.wall
        return self.files / wall if self.files and wall else None


class TreeRss:
    """Samples the summed RSS of a process and all its descendants from /proc (20 Hz)."""

    def __init__(self, pid: int, interval: float = 0.05) -> None:
        self.pid, self.interval, self.peak_kb = pid, interval, 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> TreeRss:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak_kb = max(self.peak_kb, self._sample())
            self._stop.wait(self.interval)

    def _sample(self) -> int:
        children: dict[int, list[int]] = {}
        rss: dict[int, int] = {}
        page_kb = os.sysconf("SC_PAGE_SIZE") // 1024
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            try:
                with open(f"/proc/{entry}/stat", "rb") as handle:
                    stat = handle.read()
            except OSError:
                continue
            fields = stat[stat.rfind(b")") + 2:].split()
            pid, ppid = int(entry), int(fields[1])
            children.setdefault(ppid, []).append(pid)
            rss[pid] = int(fields[21]) * page_kb
        total, todo = 0, [self.pid]
        while todo:
            pid = todo.pop()
            total += rss.get(pid, 0)
            todo.extend(children.get(pid, []))
        return total


def run_once(cmd: Sequence[str], cwd: Path, out: Path, env: dict[str, str] | None = None,
             tree_rss: bool = False) -> Sample:
    with open(out, "wb") as stdout, open(out.with_suffix(".err"), "wb") as stderr:
        start = time.perf_counter()
        proc = subprocess.Popen(list(cmd), cwd=cwd, stdout=stdout, stderr=stderr, env=env,
                                stdin=subprocess.DEVNULL)
        if tree_rss:
            with TreeRss(proc.pid) as sampler:
                _, status, usage = os.wait4(proc.pid, 0)
            tree = sampler.peak_kb / 1024
        else:
            _, status, usage = os.wait4(proc.pid, 0)
            tree = None
        wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)  # already reaped; keep Popen from waiting
    return Sample(wall=wall, cpu=usage.ru_utime + usage.ru_stime, rss_mb=usage.ru_maxrss / 1024,
                  rc=proc.returncode, tree_rss_mb=tree)


def _record(result: Result, sample: Sample, out: Path, ok_codes: Callable[[int], bool], label: str,
            log: Callable[[str], None]) -> bool:
    """Add a run's sample to ``result`` and log it; or, for an unexpected exit code, set
    ``result.error`` from the end of its stderr and return False."""
    if not ok_codes(sample.rc):
        tail = out.with_suffix(".err").read_text(errors="replace").strip().splitlines()[-3:]
        result.error = f"exit {sample.rc}: {' / '.join(tail)[:200]}"
        log(f"{result.tool} {result.case}: FAILED {result.error}")
        return False
    result.samples.append(sample)
    log(f"{result.tool:9} {result.case:14} {label}: {sample.wall:.3f} s wall, "
        f"{sample.cpu:.3f} s CPU, {sample.rss_mb:.0f} MB")
    return True


def repeat(result: Result, cmd: Sequence[str], cwd: Path, out: Path, runs: int, *,
           ok_codes: Callable[[int], bool], prepare: Callable[[], None] | None = None,
           env: dict[str, str] | None = None, slow_after: float = 20.0, slow_runs: int = 3,
           tree_rss: bool = False, log: Callable[[str], None] = print) -> Result:
    """Run ``cmd`` ``runs`` times (fewer when one run takes longer than ``slow_after`` s)."""
    planned = runs
    index = 0
    while index < planned:
        if prepare is not None:
            prepare()
        sample = run_once(cmd, cwd, out, env, tree_rss=tree_rss)
        if not _record(result, sample, out, ok_codes, f"run {index + 1}/{planned}", log):
            return result
        index += 1
        if index == 1 and sample.wall > slow_after and planned > slow_runs:
            planned = slow_runs
            result.note = (result.note + "; " if result.note else "") + \
                f"{slow_runs} runs, not {runs}: one run took {sample.wall:.0f} s"
    return result


def repeat_alternating(jobs: Sequence[tuple[Result, Sequence[str], Path, Callable[[int], bool]]], cwd: Path,
                       runs: int, *, env: dict[str, str] | None = None,
                       log: Callable[[str], None] = print) -> None:
    """Run several commands in turn, ``runs`` rounds of A, B, A, B, ...

    For a ratio of two short runs: on a shared machine the load comes and goes over seconds, so two
    medians taken one after the other would partly measure the machine. Taken in turn, every
    command sees the same conditions. A job is (result, command, output file, accepted exit codes);
    a command that fails stops only its own result.
    """
    for round_index in range(runs):
        for result, cmd, out, ok in jobs:
            if result.error:
                continue
            _record(result, run_once(cmd, cwd, out, env), out, ok, f"run {round_index + 1}/{runs}", log)
