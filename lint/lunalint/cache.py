"""The result cache: per file, keyed on its content, the configuration and the lunalint build.

Like Ruff's: one JSON file per configuration under ``.lunalint_cache/`` (with a ``CACHEDIR.TAG``
and a ``.gitignore``), written atomically (temporary file + ``os.replace``), so concurrent runs
never see a half-written cache; the last writer wins and nothing worse happens. A file whose
modification time and size are unchanged is not even read; one whose content hash matches the
entry for its path reuses it.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

try:  # hashlib's own BLAKE2 without importing OpenSSL (a few milliseconds of every run)
    from _blake2 import blake2b
except ImportError:  # pragma: no cover - Pythons built without it
    from hashlib import blake2b

from lunalint import __version__
from lunalint.report import Check, FileError, Violation

__all__ = ["NOTHING", "Cache", "CachedResult", "content_digest"]

FORMAT = 5
PRUNE_AFTER_SECONDS = 30 * 24 * 3600
RACY_NS = 1_000_000_000
CACHEDIR_TAG = ("Signature: 8a477f597d28d172789f06886806bc55\n"
                "# This file is a cache directory tag created by lunalint.\n")

CachedResult = tuple[list[Violation], list[FileError]]


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


# An entry: [stat key, digest, seen, violations, errors]. The stat key is "mtime_ns:size" once the
# file's modification time is safely older than the moment it was read (see ``lookup_stat``), else
# "-", which no stat matches. On disk, an entry without findings (most of them) is one string,
# "stat-key digest seen": far fewer JSON tokens, and a hit is one ``startswith``.
STAT_KEY, DIGEST, SEEN, VIOLATIONS, ERRORS = range(5)
NOTHING: CachedResult = ([], [])
UNSETTLED = "-"


def stat_key(stat: os.stat_result, read_ns: int) -> str:
    """What must match for a later ``stat`` to stand for this content, as in git's racy check.

    A file modified within a second (``RACY_NS``) of the moment it was read may change again
    within the file system's timestamp granularity and keep its time and size: then only its
    content can tell, and the key matches no ``stat``.
    """
    if stat.st_mtime_ns + RACY_NS < read_ns:
        return f"{stat.st_mtime_ns}:{stat.st_size}"
    return UNSETTLED


class Cache:
    """Results of earlier runs with the same configuration."""

    def __init__(self, directory: Path, configuration: str) -> None:
        key = blake2b(f"{FORMAT}\n{_build_fingerprint()}\n{configuration}".encode(),
                              digest_size=16).hexdigest()
        self.directory = directory
        self.path = directory / f"{key}.json"
        self.entries: dict[str, list[Any] | str] = {}
        self.seen: set[str] = set()
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
        entries = data.get("files") if isinstance(data, dict) else None
        if isinstance(entries, dict):
            self.entries = entries  # each entry is checked when it is used

    def _entry(self, key: str) -> list[Any] | None:
        raw = self.entries.get(key)
        if isinstance(raw, str):
            parts = raw.split(" ")
            if len(parts) != 3 or not parts[2].isdigit():
                return None
            raw = [parts[0], parts[1], int(parts[2]), [], []]
            self.entries[key] = raw
        elif not (isinstance(raw, list) and len(raw) == 5 and isinstance(raw[STAT_KEY], str)
                  and isinstance(raw[DIGEST], str) and isinstance(raw[SEEN], int)
                  and isinstance(raw[VIOLATIONS], list) and isinstance(raw[ERRORS], list)):
            return None
        return raw

    def lookup_stat(self, key: str, stat: os.stat_result, display: str) -> CachedResult | None:
        """A result for an unchanged modification time and size, without reading the file."""
        raw = self.entries.get(key)
        if raw is None:
            return None
        wanted = f"{stat.st_mtime_ns}:{stat.st_size}"
        if type(raw) is str:  # no findings: the common case, kept cheap
            if not raw.startswith(wanted + " "):
                return None
            self.seen.add(key)
            return NOTHING
        entry = self._entry(key)
        if entry is None or entry[STAT_KEY] != wanted:
            return None
        result = self._decode(entry, display)
        if result is not None:
            self.seen.add(key)
        return result

    def digest_of(self, key: str) -> str | None:
        """The content hash cached for this path, if any."""
        entry = self._entry(key)
        return entry[DIGEST] if entry is not None and isinstance(entry[DIGEST], str) else None

    def lookup_digest(self, key: str, digest: str, stat: os.stat_result, read_ns: int,
                      display: str) -> CachedResult | None:
        """A result for unchanged content of the same path (per-file ignores depend on the path)."""
        entry = self._entry(key)
        if entry is None or entry[DIGEST] != digest:
            return None
        result = self._decode(entry, display)
        if result is None:
            return None
        self.store(key, digest, stat, read_ns, *result)
        return result

    def store(self, key: str, digest: str, stat: os.stat_result, read_ns: int, violations: list[Violation],
              errors: list[FileError]) -> None:
        """Remember a result; ``read_ns`` is when reading the file began."""
        self.entries[key] = [
            stat_key(stat, read_ns), digest, self.now,
            [{k: v for k, v in item._asdict().items() if k != "path"} for item in violations],
            [{"message": e.message, "code": e.code} for e in errors],
        ]
        self.seen.add(key)
        self.dirty = True

    @staticmethod
    def _decode(entry: list[Any], display: str) -> CachedResult | None:
        """The cached findings, or None for an entry that is not what this version writes."""
        if not entry[VIOLATIONS] and not entry[ERRORS]:
            return NOTHING  # most files: nothing to rebuild (callers never mutate results)
        try:
            violations = [Violation(path=display, **{**item, "check": Check(item["check"])})
                          for item in entry[VIOLATIONS]]
            errors = [FileError(display, item["message"], item["code"]) for item in entry[ERRORS]]
        except (TypeError, ValueError, KeyError):
            return None
        return violations, errors

    def save(self) -> None:
        if not self.dirty:
            return
        cutoff = self.now - PRUNE_AFTER_SECONDS
        files: dict[str, list[Any] | str] = {}
        for key in self.entries:
            entry = self._entry(key)
            if entry is None:
                continue
            if key in self.seen:
                entry[SEEN] = self.now
            if entry[SEEN] >= cutoff:
                files[key] = entry if entry[VIOLATIONS] or entry[ERRORS] else " ".join(map(str, entry[:3]))
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
                    json.dump({"version": __version__, "files": files}, stream, separators=(",", ":"))
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
