"""The process pool and the result cache, behind two small facades for the engine.

``Store`` is the cache seen from the pipeline: it answers a discovered file from the cache when
its stat (or, after a worker read it, its content hash) is unchanged, plans a job otherwise, and
settles each job's outcome. ``Runner`` checks files as the walk finds them, in worker processes
when there are enough of them: a job is a path, never file contents, and the workers are forked
early in the walk, so the memory they inherit from the main process stays small on any tree. Neither knows a language, a rule or a library.
"""

from __future__ import annotations

import os
import sys
import time
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from functools import lru_cache
from typing import TYPE_CHECKING, NamedTuple

from lunalint.report import FileError, FileResult

if TYPE_CHECKING:
    from pathlib import Path

    from lunalint.cache import Cache
    from lunalint.config import Settings
    from lunalint.discover import Discovered, KnownIn

__all__ = ["PARALLEL_THRESHOLD", "Done", "Job", "Runner", "Store"]

PARALLEL_THRESHOLD = 32  # fewer files than this are checked in-process (no worker start-up)

# ``check(data, display, settings, rule codes)``: the engine's check of one file's bytes.
Check = Callable[[bytes, str, "Settings", "tuple[str, ...]"], FileResult]


class Job(NamedTuple):  # tuples: cheaper to define, build and pickle than dataclasses
    file_index: int  # in discovery order
    key: str  # absolute path
    display: str
    rules: tuple[str, ...]  # codes: cheap to send to a worker, which imports only these rules
    want_digest: bool
    known_digest: str | None  # the cached content hash for this path, if any


class Done(NamedTuple):
    result: FileResult | None  # None: content unchanged since it was cached
    digest: str = ""
    stat: os.stat_result | None = None  # None: not cacheable (the file could not be read)
    read_ns: int = 0  # when the worker began reading the file (for the cache's racy-stat check)
    # Other files of the tree the result read values from: (path, stat key, digest).
    depends: tuple[tuple[str, str, str], ...] = ()


class Store:
    """The cache, or nothing: every answer is then "not known" and nothing is kept."""

    def __init__(self, cache: Cache | None) -> None:
        self._cache = cache

    @classmethod
    def open(cls, directory: Path | None, configuration: str) -> Store:
        if directory is None:
            return cls(None)
        from lunalint.cache import Cache

        return cls(Cache(directory, configuration))

    @property
    def stat_walk(self) -> bool:
        """Whether the walk should stat files (only a cache uses the stat)."""
        return self._cache is not None

    @property
    def known_in(self) -> KnownIn | None:
        return self._cache.known_in if self._cache is not None else None

    @property
    def answered_in_walk(self) -> int:
        """Files the walk left out because the cache knows them unchanged and without findings."""
        return self._cache.answered if self._cache is not None else 0

    def answer(self, item: Discovered) -> FileResult | None:
        """The cached result for an unchanged stat, else None (the file must be read)."""
        cache = self._cache
        if cache is None or item.stat is None:  # no stat: the worker reports why it cannot read
            return None
        hit = cache.lookup_stat(self.key(item), item.stat, item.display)
        return None if hit is None else FileResult(*hit)

    def job(self, file_index: int, item: Discovered, rules: tuple[str, ...]) -> Job:
        cache = self._cache
        key = self.key(item)
        return Job(file_index, key, item.display, rules, cache is not None,
                   cache.digest_of(key) if cache is not None else None)

    def settle(self, job: Job, done: Done, settings: Settings, check: Check) -> FileResult:
        """A job's result: the cached one when the content is unchanged, else the worker's (kept)."""
        cache = self._cache
        if done.result is None:  # unchanged content: the cached result stands, if it can be read
            assert cache is not None and done.stat is not None
            cached = cache.lookup_digest(job.key, done.digest, done.stat, done.read_ns, job.display)
            if cached is not None:
                return FileResult(*cached)
            done = run_job(job._replace(known_digest=None), settings, check)
            assert done.result is not None
        if cache is not None and done.stat is not None and done.result.cacheable:
            cache.store(job.key, done.digest, done.stat, done.read_ns, done.result.violations, done.result.errors,
                        done.depends)
        return done.result

    def save(self) -> None:
        if self._cache is not None:
            self._cache.save()

    @staticmethod
    def key(item: Discovered) -> str:
        return item.absolute or os.path.abspath(item.path)


def read(path: str, display: str) -> FileResult | tuple[bytes, os.stat_result]:
    """The file's bytes and stat, or a one-line read error."""
    try:
        with open(path, "rb") as handle:
            stat = os.fstat(handle.fileno())
            return handle.read(), stat
    except FileNotFoundError:
        return FileResult(errors=[FileError(display, "file disappeared before it could be read", "E002")])
    except IsADirectoryError:
        return FileResult(errors=[FileError(display, "is a directory", "E002")])
    except OSError as error:
        return FileResult(errors=[FileError(display, f"cannot read: {error.strerror or error}", "E002")])


def run_job(job: Job, settings: Settings, check: Check) -> Done:
    read_ns = time.time_ns()
    found = read(job.key, job.display)
    if isinstance(found, FileResult):
        return Done(found)
    data, stat = found
    from lunalint.cache import content_digest

    digest = content_digest(data) if job.want_digest else ""
    if job.known_digest is not None and digest == job.known_digest:
        return Done(None, digest, stat, read_ns)
    from lunalint.project import checking

    with checking(job.key) as read_modules:  # imports of the tree may be followed
        result = check(data, job.display, settings, job.rules)
    depends = tuple((dep.path, dep.stat_key, dep.digest) for dep in read_modules.values())
    return Done(result, digest, stat, read_ns, depends)


class Runner:
    """Checks jobs as the walk finds them: in this process while there are few, in ``jobs`` worker
    processes (default: one per core) once ``PARALLEL_THRESHOLD`` are pending.

    The workers are forked at that moment, early in the walk: a forked worker carries the memory
    of the main process as it was, so forking before the walk has built the rest of its jobs keeps
    every worker small on a large tree, and the workers check while the walk goes on. Later jobs
    are sent in chunks that grow with the run (one job at first, up to 64)."""

    def __init__(self, settings: Settings, jobs: int | None, check: Check) -> None:
        from lunalint.project import new_run

        new_run()  # the tree may have changed since an earlier run in this process
        self._settings = settings
        self._check = check
        self._workers = jobs or os.cpu_count() or 1
        self._waiting: list[Job] = []
        self._sent: deque[tuple[list[Job], Future[list[Done]]]] = deque()
        self._executor: ProcessPoolExecutor | None = None
        self._count = 0

    def __enter__(self) -> Runner:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._executor is not None:
            self._executor.shutdown(wait=True, cancel_futures=True)
            self._executor = None

    def add(self, job: Job) -> None:
        self._waiting.append(job)
        if self._executor is None and (self._workers <= 1 or len(self._waiting) < PARALLEL_THRESHOLD):
            return
        if self._executor is None:
            self._executor = self._start()
        if len(self._waiting) >= self._chunk():
            self._send()

    def finished(self) -> Iterator[tuple[Job, Done]]:
        """The outcomes ready now, in the order the jobs were added (taken once). When the walk is
        far ahead of the workers (more than 8 chunks a worker waiting), it waits for the oldest:
        jobs sent and not yet done are kept in this process, which forked workers do not share."""
        while self._sent and (self._sent[0][1].done() or len(self._sent) > 8 * self._workers):
            chunk, future = self._sent.popleft()
            yield from zip(chunk, future.result())

    def results(self) -> Iterator[tuple[Job, Done]]:
        """Each outcome not yet taken, in the order the jobs were added."""
        if self._executor is None:
            waiting, self._waiting = self._waiting, []
            for job in waiting:
                yield job, run_job(job, self._settings, self._check)
            return
        self._send()
        while self._sent:
            chunk, future = self._sent.popleft()
            yield from zip(chunk, future.result())

    def _chunk(self) -> int:
        return max(8, min(64, self._count // (self._workers * 4)))

    def _send(self) -> None:
        assert self._executor is not None
        if self._waiting:
            chunk, self._waiting = self._waiting, []
            self._count += len(chunk)
            self._sent.append((chunk, self._executor.submit(_run_chunk, chunk)))

    def _start(self) -> ProcessPoolExecutor:
        import multiprocessing

        from lunalint.rules import rule_classes

        rule_classes({code for job in self._waiting for code in job.rules})  # imported once, before the fork
        method = "fork" if "fork" in multiprocessing.get_all_start_methods() and sys.platform == "linux" else None
        return ProcessPoolExecutor(max_workers=self._workers, mp_context=multiprocessing.get_context(method),
                                   initializer=_init_worker, initargs=(self._settings, self._check))


_worker_state: tuple[Settings, Check] | None = None


def _init_worker(settings: Settings, check: Check) -> None:
    global _worker_state
    _worker_state = (settings, check)


def _run_chunk(chunk: list[Job]) -> list[Done]:
    assert _worker_state is not None
    done = []
    for job in chunk:
        done.append(run_job(job, *_worker_state))
        _release_memory()
    return done


_TRIM_GROWTH = 16 * 2**20  # bytes of resident growth after which a worker gives freed memory back
_trimmed_at = 0


def _release_memory() -> None:
    """After a file whose analysis grew the worker by more than ``_TRIM_GROWTH`` (a large module's
    libcst tree), hand the memory freed since back to the system (glibc's ``malloc_trim``), so that
    idle workers do not each sit at the high-water mark of the largest file they have seen."""
    global _trimmed_at
    resident = _resident_bytes()
    if resident is None or resident < _trimmed_at + _TRIM_GROWTH:
        return
    import gc

    gc.collect()
    trim = _malloc_trim()
    if trim is not None:
        trim(0)
    _trimmed_at = _resident_bytes() or resident


def _resident_bytes() -> int | None:
    try:
        with open("/proc/self/statm", "rb") as handle:
            return int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return None  # not Linux


@lru_cache(maxsize=1)
def _malloc_trim() -> Callable[[int], int] | None:
    import ctypes

    try:
        trim: Callable[[int], int] = ctypes.CDLL(None).malloc_trim  # the C library the process runs on
    except (OSError, AttributeError):
        return None  # not glibc
    return trim
