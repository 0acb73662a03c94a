"""The result cache: per file, keyed on its content, the configuration and the lunalint build.

Like Ruff's: one JSON file per configuration under ``.lunalint_cache/`` (with a ``CACHEDIR.TAG``
and a ``.gitignore``), written atomically (temporary file + ``os.replace``), so concurrent runs
never see a half-written cache; the last writer wins and nothing worse happens. A file whose
modification time and size are unchanged is not even read; one whose content hash matches the
entry for its path reuses it.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

from lunalint import __version__
from lunalint.report import Check, FileError, Violation

__all__ = ["NOTHING", "Cache", "CachedResult", "content_digest"]

FORMAT = 4
PRUNE_AFTER_SECONDS = 30 * 24 * 3600
RACY_NS = 1_000_000_000
CACHEDIR_TAG = ("Signature: 8a477f597d28d172789f06886806bc55\n"
                "# This file is a cache directory tag created by lunalint.\n")

CachedResult = tuple[list[Violation], list[FileError]]


def content_digest(data: bytes) -> str:
    return hashlib.blake2b(data, digest_size=16).hexdigest()


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
    return hashlib.blake2b("\n".join(parts).encode(), digest_size=16).hexdigest()


# An entry: [mtime_ns, size, checked_ns, digest, seen, violations, errors]. On disk, an entry
# without findings (most of them) is one string of its first five fields: far fewer JSON tokens.
MTIME, SIZE, CHECKED, DIGEST, SEEN, VIOLATIONS, ERRORS = range(7)
NOTHING: CachedResult = ([], [])


class Cache:
    """Results of earlier runs with the same configuration."""

    def __init__(self, directory: Path, configuration: str) -> None:
        key = hashlib.blake2b(f"{FORMAT}\n{_build_fingerprint()}\n{configuration}".encode(),
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
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return  # no cache yet, or unreadable: start empty
        entries = data.get("files") if isinstance(data, dict) else None
        if isinstance(entries, dict):
            self.entries = {k: v for k, v in entries.items()
                            if isinstance(v, str) or (isinstance(v, list) and len(v) == 7)}

    def _entry(self, key: str) -> list[Any] | None:
        raw = self.entries.get(key)
        if isinstance(raw, str):
            try:
                mtime, size, checked, digest, seen = raw.split(" ")
                raw = [int(mtime), int(size), int(checked), digest, int(seen), [], []]
            except ValueError:
                return None
            self.entries[key] = raw
        return raw

    def lookup_stat(self, key: str, stat: os.stat_result, display: str) -> CachedResult | None:
        """A result for an unchanged modification time and size, without reading the file.

        As in git's "racy" check, a file modified within a second of being cached may have
        changed again within the file system's timestamp granularity: its content decides.
        """
        entry = self._entry(key)
        if (entry is not None and entry[MTIME] == stat.st_mtime_ns and entry[SIZE] == stat.st_size
                and stat.st_mtime_ns + RACY_NS < entry[CHECKED]):
            self.seen.add(key)
            return self._decode(entry, display)
        return None

    def digest_of(self, key: str) -> str | None:
        """The content hash cached for this path, if any."""
        entry = self._entry(key)
        return entry[DIGEST] if entry is not None and isinstance(entry[DIGEST], str) else None

    def lookup_digest(self, key: str, digest: str, stat: os.stat_result, display: str) -> CachedResult | None:
        """A result for unchanged content of the same path (per-file ignores depend on the path)."""
        entry = self._entry(key)
        if entry is None or entry[DIGEST] != digest:
            return None
        result = self._decode(entry, display)
        self.store(key, digest, stat, *result)
        return result

    def store(self, key: str, digest: str, stat: os.stat_result, violations: list[Violation],
              errors: list[FileError]) -> None:
        self.entries[key] = [
            stat.st_mtime_ns, stat.st_size, time.time_ns(), digest, self.now,
            [{k: v for k, v in asdict(item).items() if k != "path"} for item in violations],
            [{"message": e.message, "code": e.code} for e in errors],
        ]
        self.seen.add(key)
        self.dirty = True

    @staticmethod
    def _decode(entry: list[Any], display: str) -> CachedResult:
        if not entry[VIOLATIONS] and not entry[ERRORS]:
            return NOTHING  # most files: nothing to rebuild (callers never mutate results)
        violations = [Violation(path=display, **{**item, "check": Check(item["check"])})
                      for item in entry[VIOLATIONS]]
        errors = [FileError(display, item["message"], item["code"]) for item in entry[ERRORS]]
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
                files[key] = entry if entry[VIOLATIONS] or entry[ERRORS] else " ".join(map(str, entry[:5]))
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
        except OSError:
            pass  # a read-only checkout still gets correct results, only slower next time
