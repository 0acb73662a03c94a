"""The job runner: jobs are checked in this process while few, in workers forked as soon as
``PARALLEL_THRESHOLD`` are pending (before the rest of the walk grows the main process), and each
outcome comes back once, in the order its job was added; workers give large freed memory back."""

from __future__ import annotations

import multiprocessing
import sys
from pathlib import Path

import pytest

from lunalint.config import Settings
from lunalint.engine import _check_codes
from lunalint.workers import PARALLEL_THRESHOLD, Job, Runner, _release_memory, _resident_bytes


def jobs(root: Path, count: int) -> list[Job]:
    made = []
    for index in range(count):
        path = root / f"m{index}.py"
        timeout = "None" if index % 3 == 0 else "600"  # every third file has no read timeout
        path.write_text(f"import httpx\nclient = httpx.Client(timeout={timeout})\n", encoding="utf-8")
        made.append(Job(index, str(path), path.name, ("LL301",), False, None))
    return made


def test_workers_start_at_the_threshold_and_outcomes_keep_the_order(tmp_path: Path) -> None:
    settings = Settings(root=tmp_path)
    seen: list[int] = []
    all_jobs = jobs(tmp_path, 3 * PARALLEL_THRESHOLD)
    with Runner(settings, 2, _check_codes) as runner:
        for job in all_jobs:
            started_before = bool(multiprocessing.active_children())
            runner.add(job)
            if job.file_index < PARALLEL_THRESHOLD - 1:
                assert not multiprocessing.active_children()  # a few files: no worker yet
            elif job.file_index == PARALLEL_THRESHOLD - 1:
                assert not started_before and multiprocessing.active_children()  # forked now, mid-walk
            seen.extend(done.file_index for done, _ in runner.finished())
        rest = list(runner.results())
        seen.extend(done.file_index for done, _ in rest)
    assert seen == list(range(3 * PARALLEL_THRESHOLD))
    for job, done in rest:  # each outcome is its own file's
        assert done.result is not None
        assert [(v.path, v.code) for v in done.result.violations] == ([(job.display, "LL301")]
                                                                       if job.file_index % 3 == 0 else [])


def test_few_jobs_are_checked_in_this_process(tmp_path: Path) -> None:
    with Runner(Settings(root=tmp_path), 2, _check_codes) as runner:
        for job in jobs(tmp_path, PARALLEL_THRESHOLD - 1):
            runner.add(job)
        outcomes = list(runner.results())
        assert not multiprocessing.active_children()
    assert [job.file_index for job, _ in outcomes] == list(range(PARALLEL_THRESHOLD - 1))


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc and glibc's malloc_trim")
def test_freed_heap_memory_is_given_back() -> None:
    _release_memory()  # a baseline
    before = _resident_bytes()
    assert before is not None
    blocks = [bytes(2000) + bytes([i % 256]) for i in range(40_000)]  # ~80 MB of malloc'd (not pooled) blocks
    pinned = bytes(3000)  # allocated after them: the heap cannot just shrink from its top
    grown = _resident_bytes()
    assert grown is not None and grown > before + 60 * 2**20
    del blocks
    _release_memory()
    after = _resident_bytes()
    assert after is not None and after < before + 20 * 2**20
    assert len(pinned) == 3000


def test_the_walk_waits_when_it_is_far_ahead_of_the_workers(tmp_path: Path) -> None:
    waiting_most = 0
    seen: list[int] = []
    with Runner(Settings(root=tmp_path), 2, _check_codes) as runner:
        for job in jobs(tmp_path, 600):
            runner.add(job)
            seen.extend(done.file_index for done, _ in runner.finished())
            waiting_most = max(waiting_most, len(runner._sent))
        seen.extend(done.file_index for done, _ in runner.results())
    assert seen == list(range(600))
    assert 8 <= waiting_most <= 8 * 2  # chunks sent and not yet taken: bounded by 8 a worker
