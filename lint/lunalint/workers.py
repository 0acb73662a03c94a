"""The process pool and the result cache, behind two small facades for the engine.

``Store`` is the cache seen from the pipeline: it answers a discovered file from the cache when
its stat (or, after a worker read it, its content hash) is unchanged, plans a job otherwise, and
settles each job's outcome. ``run_jobs`` checks files, in worker processes when there are enough of
them: a job is a path, never file contents, so the main process (which forked workers inherit)
stays small on any tree. Neither knows a language, a rule or a library.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, NamedTuple

from lunalint.report import FileError, FileResult

if TYPE_CHECKING:
    from multiprocessing.context import BaseContext
    from pathlib import Path

    from lunalint.cache import Cache
    from lunalint.config import Settings
    from lunalint.discover import Discovered, KnownIn

__all__ = ["PARALLEL_THRESHOLD", "Done", "Job", "Store", "run_jobs"]

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


def run_jobs(pending: list[Job], settings: Settings, jobs: int | None, check: Check) -> Iterable[Done]:
    """Each job's outcome, in job order: in this process for a few files, else in ``jobs`` worker
    processes (default: one per core)."""
    from lunalint.project import new_run

    new_run()  # the tree may have changed since an earlier run in this process
    workers = min(jobs or os.cpu_count() or 1, len(pending))
    if workers <= 1 or len(pending) < PARALLEL_THRESHOLD:
        return (run_job(job, settings, check) for job in pending)
    import multiprocessing

    method = "fork" if "fork" in multiprocessing.get_all_start_methods() and sys.platform == "linux" else None
    chunk = max(1, min(64, len(pending) // (workers * 16)))
    return _pooled(pending, settings, check, workers, multiprocessing.get_context(method), chunk)


_worker_state: tuple[Settings, Check] | None = None


def _init_worker(settings: Settings, check: Check) -> None:
    global _worker_state
    _worker_state = (settings, check)


def _run_in_worker(job: Job) -> Done:
    assert _worker_state is not None
    return run_job(job, *_worker_state)


def _pooled(pending: list[Job], settings: Settings, check: Check, workers: int, context: BaseContext,
            chunk: int) -> Iterator[Done]:
    from concurrent.futures import ProcessPoolExecutor

    from lunalint.rules import rule_classes

    rule_classes({code for job in pending for code in job.rules})  # imported once, before the fork
    with ProcessPoolExecutor(max_workers=workers, mp_context=context,
                             initializer=_init_worker, initargs=(settings, check)) as executor:
        yield from executor.map(_run_in_worker, pending, chunksize=chunk)
