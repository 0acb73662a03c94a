"""The result cache: per file, keyed on its content, the configuration and the lunalint build.

Like Ruff's: one JSON file per configuration under ``.lunalint_cache/`` (with a ``CACHEDIR.TAG``
and a ``.gitignore``), written atomically (temporary file + ``os.replace``), so concurrent runs
never see a half-written cache; the last writer wins and nothing worse happens. A file whose
modification time and size are unchanged is not even read (the walk asks ``known_in`` once per
directory, and such a file without findings never leaves it); one whose content hash matches the
entry for its path reuses it.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

try:  # hashlib's own BLAKE2 without importing OpenSSL (a few milliseconds of every run)
    from _blake2 import blake2b
except ImportError:  # pragma: no cover - Pythons built without it
    from hashlib import blake2b

from lunalint import __version__
from lunalint.report import Check, FileError, Violation

if TYPE_CHECKING:
    from lunalint.fix import Fix

__all__ = ["NOTHING", "Cache", "CachedResult", "content_digest"]

FORMAT = 7
PRUNE_AFTER_SECONDS = 30 * 24 * 3600
RACY_NS = 1_000_000_000
CACHEDIR_TAG = ("Signature: 8a477f597d28d172789f06886806bc55\n"
                "# This file is a cache directory tag created by lunalint.\n")

CachedResult = tuple[list[Violation], list[FileError]]


def _fix(data: Any) -> Fix | None:
    if data is None:
        return None
    from lunalint.fix import Fix

    return Fix.from_dict(data)


def content_digest(data: bytes) -> str:
    return blake2b(data, digest_size=16).hexdigest()


def _build_fingerprint() -> str:
    """The lunalint build: its version plus the state of its own sources (for editable installs)."""
    package = os.path.dirname(os.path.abspath(__file__))
    parts = [__version__]
    for directory, _, filenames in sorted(os.walk(package)):
        for filename in sorted(filenames):
            if filename.endswith(".py"):
                try:
                    stat = os.stat(os.path.join(directory, filename))
                except OSError:
                    continue
                parts.append(f"{directory[len(package):]}/{filename}:{stat.st_mtime_ns}:{stat.st_size}")
    return blake2b("\n".join(parts).encode(), digest_size=16).hexdigest()


# A file's entry on disk is [stat key, digest, violations, errors], or, for an entry without
# findings (most of them), one string "stat-key digest": far fewer JSON tokens, and a hit is one
# ``startswith``. The stat key is "mtime_ns:size" once the file's modification time is safely older
# than the moment it was read (see ``stat_key``), else "-", which no stat matches. Entries are
# grouped by directory, [last run that used it, {file name: entry}], so that a walk looks each
# directory up once and forgets the files that are gone from a directory it has listed.
class Entry(NamedTuple):
    stat_key: str
    digest: str
    violations: list[dict[str, Any]]
    errors: list[dict[str, Any]]
    # Other files the result read values from, each [path, stat key, digest]: the entry stands
    # only while each of them is unchanged too.
    depends: list[list[str]] = []

    @classmethod
    def read(cls, raw: object) -> Entry | None:
        """The entry as stored (either spelling), or None for anything this version did not write."""
        if isinstance(raw, str):
            parts = raw.split(" ")
            return cls(parts[0], parts[1], [], []) if len(parts) == 2 else None
        if (isinstance(raw, list) and len(raw) in (4, 5) and isinstance(raw[0], str) and isinstance(raw[1], str)
                and isinstance(raw[2], list) and isinstance(raw[3], list)):
            depends = raw[4] if len(raw) == 5 else []
            if not (isinstance(depends, list) and all(
                    isinstance(dep, list) and len(dep) == 3 and all(isinstance(part, str) for part in dep)
                    for dep in depends)):
                return None
            return cls(raw[0], raw[1], raw[2], raw[3], depends)
        return None

    def written(self) -> str | list[Any]:
        """The entry as stored: one string when it has no findings and depends on no other file
        (only such an entry may be answered during the walk, from its own stat alone)."""
        if self.depends:
            return [*self]
        return [*self[:4]] if self.violations or self.errors else f"{self.stat_key} {self.digest}"


NOTHING: CachedResult = ([], [])
UNSETTLED = "-"


def stat_key(stat: os.stat_result, read_ns: int) -> str:
    """What must match for a later ``stat`` to stand for this content, as in git's racy check.

    A file modified within a second (``RACY_NS``) of the moment it was read may change again
    within the file system's timestamp granularity and keep its time and size: then only its
    content can tell, and the key matches no ``stat``.
    """
    return stamp(stat) if stat.st_mtime_ns + RACY_NS < read_ns else UNSETTLED


def stamp(stat: os.stat_result) -> str:
    """A file's modification time and size, as a settled stat key spells them."""
    return f"{stat.st_mtime_ns}:{stat.st_size}"


class Cache:
    """Results of earlier runs with the same configuration."""

    def __init__(self, directory: Path, configuration: str) -> None:
        key = blake2b(f"{FORMAT}\n{_build_fingerprint()}\n{configuration}".encode(), digest_size=16).hexdigest()
        self.directory = directory
        self.path = directory / f"{key}.json"
        self.dirs: dict[str, Any] = {}  # directory -> [seen, {name: entry}], as loaded (checked on use)
        self.listed: dict[str, set[str]] = {}  # directories walked in this run -> the file names found
        self.used: set[str] = set()  # directories with a file looked up in this run
        self.answered = 0  # files answered during the walk (``known_in``)
        self.dirty = False
        self.now = int(time.time())
        self._load()

    def _load(self) -> None:
        try:
            with open(self.path, "rb") as handle:
                if self.now - os.fstat(handle.fileno()).st_mtime > 24 * 3600:
                    os.utime(self.path)  # in use: keep it from being pruned (``_prune_files``)
                data = json.loads(handle.read())
        except (OSError, ValueError):
            return  # no cache yet, or unreadable: start empty
        dirs = data.get("dirs") if isinstance(data, dict) else None
        if isinstance(dirs, dict):
            self.dirs = dirs

    def _files(self, directory: str) -> dict[str, Any]:
        """The entries of one directory (an empty table for a missing or damaged one)."""
        raw = self.dirs.get(directory)
        if not (isinstance(raw, list) and len(raw) == 2 and isinstance(raw[0], int) and isinstance(raw[1], dict)):
            raw = self.dirs[directory] = [self.now, {}]
        files: dict[str, Any] = raw[1]
        return files

    def known_in(self, directory: str) -> Callable[[str, os.stat_result], bool]:
        """For a walk listing ``directory``: is this file (name, stat) unchanged and without findings?

        Called for every file the walk finds there (with its stat), so the cache also learns which
        files the directory still has. Only entries untouched in this run are answered (they are
        still strings: ``_entry`` makes a looked-up entry a list), so a file named on the command
        line, looked up before the walk reaches its directory, is never counted twice.
        """
        files = self._files(directory)
        names = self.listed.setdefault(directory, set())

        def known(name: str, stat: os.stat_result) -> bool:
            names.add(name)
            raw = files.get(name)
            if type(raw) is str and raw.startswith(stamp(stat) + " "):
                self.answered += 1
                return True
            return False

        return known

    def _entry(self, key: str) -> Entry | None:
        directory, _, name = key.rpartition(os.sep)
        self.used.add(directory)
        listed = self.listed.get(directory)
        if listed is not None:
            listed.add(name)
        files = self._files(directory)
        entry = Entry.read(files.get(name))
        if entry is not None:
            files[name] = entry  # looked up: ``known_in`` no longer answers it (see there)
        return entry

    def lookup_stat(self, key: str, stat: os.stat_result, display: str) -> CachedResult | None:
        """A result for an unchanged modification time and size, without reading the file."""
        entry = self._entry(key)
        if entry is None or entry.stat_key != stamp(stat) or not _unchanged(entry.depends):
            return None
        return self._decode(entry, display)

    def digest_of(self, key: str) -> str | None:
        """The content hash cached for this path, if any."""
        entry = self._entry(key)
        return entry.digest if entry is not None else None

    def lookup_digest(self, key: str, digest: str, stat: os.stat_result, read_ns: int,
                      display: str) -> CachedResult | None:
        """A result for unchanged content of the same path (per-file ignores depend on the path)."""
        entry = self._entry(key)
        if entry is None or entry.digest != digest or not _unchanged(entry.depends):
            return None
        result = self._decode(entry, display)
        if result is None:
            return None
        self.store(key, digest, stat, read_ns, *result, depends=tuple((p, k, d) for p, k, d in entry.depends))
        return result

    def store(self, key: str, digest: str, stat: os.stat_result, read_ns: int, violations: list[Violation],
              errors: list[FileError], depends: tuple[tuple[str, str, str], ...] = ()) -> None:
        """Remember a result; ``read_ns`` is when reading the file began; ``depends`` are the other
        files it read values from (path, stat key, digest)."""
        directory, _, name = key.rpartition(os.sep)
        self.used.add(directory)
        self._files(directory)[name] = Entry(
            stat_key(stat, read_ns), digest,
            [{k: (v.as_dict() if k == "fix" else v) for k, v in item._asdict().items()
              if k != "path" and not (k == "fix" and v is None)} for item in violations],
            [{"message": e.message, "code": e.code} for e in errors],
            [list(dep) for dep in depends],
        )
        self.dirty = True

    @staticmethod
    def _decode(entry: Entry, display: str) -> CachedResult | None:
        """The cached findings, or None for an entry that is not what this version writes."""
        if not entry.violations and not entry.errors:
            return NOTHING  # most files: nothing to rebuild (callers never mutate results)
        try:
            violations = [Violation(path=display, **{**item, "check": Check(item["check"]),
                                                     "fix": _fix(item.get("fix"))})
                          for item in entry.violations]
            errors = [FileError(display, item["message"], item["code"]) for item in entry.errors]
        except (TypeError, ValueError, KeyError):
            return None
        return violations, errors

    def _gone(self) -> bool:
        """Whether a listed directory lost a file since the cache was written."""
        return any(name not in names for directory, names in self.listed.items()
                   for name in self._files(directory))

    def save(self) -> None:
        """Write the cache if anything changed: entries of files gone from a listed directory are
        dropped, and directories no run has used for a month."""
        if not self.dirty and not self._gone():
            return
        cutoff = self.now - PRUNE_AFTER_SECONDS
        dirs: dict[str, list[Any]] = {}
        for directory in self.dirs:
            files = self._files(directory)
            names = self.listed.get(directory)
            if names is not None:
                files = {name: entry for name, entry in files.items() if name in names}
            seen = self.now if directory in self.used or names is not None else self.dirs[directory][0]
            kept = {name: entry.written() for name, raw in files.items() if (entry := _as_entry(raw)) is not None}
            if kept and seen >= cutoff:
                dirs[directory] = [seen, kept]
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            for name, text in (("CACHEDIR.TAG", CACHEDIR_TAG), (".gitignore", "# Automatically created by lunalint.\n*\n")):
                marker = self.directory / name
                if not marker.exists():
                    marker.write_text(text, encoding="utf-8")
            import tempfile

            handle, temporary = tempfile.mkstemp(dir=self.directory, prefix=".tmp-", suffix=".json")
            try:
                with os.fdopen(handle, "w", encoding="utf-8") as stream:
                    json.dump({"version": __version__, "dirs": dirs}, stream, separators=(",", ":"))
                os.replace(temporary, self.path)
            except BaseException:
                os.unlink(temporary)
                raise
            self._prune_files()
        except OSError:
            pass  # a read-only checkout still gets correct results, only slower next time

    def _prune_files(self) -> None:
        """Delete the caches of configurations (and lunalint builds) unused for a month."""
        cutoff = time.time() - PRUNE_AFTER_SECONDS
        for path in self.directory.glob("*.json"):
            try:
                if path != self.path and path.stat().st_mtime < cutoff:
                    path.unlink()
            except OSError:
                continue  # another run may be pruning too


def _unchanged(depends: list[list[str]]) -> bool:
    """Whether every file a result read values from is as it was: the same stat (a settled key),
    else the same content."""
    for path, key, digest in depends:
        try:
            if key != UNSETTLED and stamp(os.stat(path)) == key:
                continue
            with open(path, "rb") as handle:
                data = handle.read()
        except OSError:
            return False
        if content_digest(data) != digest:
            return False
    return True


def _as_entry(raw: object) -> Entry | None:
    return raw if isinstance(raw, Entry) else Entry.read(raw)
