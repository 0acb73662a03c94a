"""The reqwest version a Rust file is built with: from the nearest ``Cargo.lock`` above it.

Cargo writes one ``Cargo.lock`` per workspace, at its root, so the nearest one walking up from the
file that locks reqwest at all is the one its crate is built with (a nested lock without reqwest
belongs to another workspace, or is stale). A lock may hold several reqwest versions (two major
lines through different dependencies); the lowest is taken, so a default is only credited when
every locked version has it.

Each lock read is recorded for the result cache (``crate.record``), so a result keyed on its
content is checked again when the lock changes; a result that found no lock is not cached at all
(a lock may appear anywhere above the file).
"""

from __future__ import annotations

import os
import re
import time
from dataclasses import dataclass

__all__ = ["Locked", "locked_reqwest", "parse_version"]

_PACKAGE = re.compile(rb'\[\[package\]\]\s*\nname\s*=\s*"reqwest"\s*\nversion\s*=\s*"(?P<version>[^"]+)"')
MAX_LEVELS = 64


@dataclass(frozen=True)
class Locked:
    """What the nearest ``Cargo.lock`` says (``version`` None: no lock, or reqwest is not in it)."""

    lock: str | None  # the lock file's name as found, relative to the checked file's directory walk
    version: tuple[int, int, int] | None


def parse_version(text: str) -> tuple[int, int, int] | None:
    match = re.match(r"(\d+)\.(\d+)\.(\d+)", text)
    return None if match is None else (int(match[1]), int(match[2]), int(match[3]))


def locked_reqwest(path: str) -> Locked:
    """The lowest reqwest version in the nearest ``Cargo.lock`` above ``path`` (a file on disk;
    for anything else, no lock)."""
    if not path or not os.path.isfile(path):
        return Locked(None, None)
    return _in_directory(os.path.dirname(os.path.abspath(path)))


def _record(path: str, stat: os.stat_result, read_ns: int, data: bytes) -> None:
    from lunalint.cache import content_digest, stat_key
    from lunalint.rust.crate import record

    record(path, stat_key(stat, read_ns), content_digest(data))


def _in_directory(directory: str) -> Locked:
    found_lock = False
    for _ in range(MAX_LEVELS):
        candidate = os.path.join(directory, "Cargo.lock")
        read_ns = time.time_ns()
        try:
            with open(candidate, "rb") as handle:
                stat = os.fstat(handle.fileno())
                data = handle.read()
            _record(candidate, stat, read_ns, data)
        except OSError:
            parent = os.path.dirname(directory)
            if parent == directory:
                break
            directory = parent
            continue
        versions = [parse_version(match["version"].decode("ascii", "replace")) for match in _PACKAGE.finditer(data)]
        known = [version for version in versions if version is not None]
        if known:
            return Locked("Cargo.lock", min(known))
        found_lock = True
        parent = os.path.dirname(directory)
        if parent == directory:
            break
        directory = parent
    return Locked("Cargo.lock" if found_lock else None, None)
