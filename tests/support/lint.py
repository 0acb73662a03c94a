"""Shared test helpers: lint a snippet of source with a given policy."""

from __future__ import annotations

import re
import textwrap
from pathlib import Path
from typing import Any

from lunalint.config import Policy, Settings
from lunalint.engine import check_source
from lunalint.report import FileError, Violation


def lint(code: str, *, select: tuple[str, ...] = (), path: str = "example.py", **policy: Any) -> list[Violation]:
    """Violations in ``code`` (dedented), read as the file ``path``; fails the test on a file error."""
    violations, errors = lint_with_errors(code, select=select, path=path, **policy)
    assert not errors, errors
    return violations


def lint_with_errors(code: str, *, select: tuple[str, ...] = (), path: str = "example.py", **policy: Any
                     ) -> tuple[list[Violation], list[FileError]]:
    settings = Settings(policy=Policy(**policy), select=select)
    result = check_source(textwrap.dedent(code), path, settings)
    return result.violations, result.errors


def codes(code: str, **policy: Any) -> list[str]:
    return [v.code for v in lint(code, **policy)]


LOCK_LINE = re.compile(r"^// Cargo\.lock: reqwest (\S+)\n")


def cargo_lock(*versions: str) -> str:
    """A ``Cargo.lock`` locking these reqwest versions (and an unrelated package)."""
    packages = [("hyper", "1.6.0"), *(("reqwest", version) for version in versions)]
    return "version = 4\n\n" + "".join(
        f'[[package]]\nname = "{name}"\nversion = "{version}"\nsource = "registry+https://github.com/rust-lang/crates.io-index"\n\n'
        for name, version in packages)


def lint_rust(code: str, directory: Path, *, select: tuple[str, ...] = (), **policy: Any) -> list[Violation]:
    """Violations in Rust ``code``, written to ``directory/example.rs``; a first line
    ``// Cargo.lock: reqwest X`` puts a ``Cargo.lock`` locking reqwest X beside it."""
    source = directory / "example.rs"
    source.write_text(code, encoding="utf-8")
    match = LOCK_LINE.match(code)
    if match is not None:
        (directory / "Cargo.lock").write_text(cargo_lock(match[1]), encoding="utf-8")
    return lint(code, select=select, path=str(source), **policy)


# Library tests check what each library reads out of the code, so they judge every client as if it
# carried long streams over a pooled connection (``streaming-scope = "all"``); which clients the
# default scope judges is tested on its own (``tests/rules``, ``tests/engine/test_streaming_scope.py``).
def lint_all(code: str, *, select: tuple[str, ...] = (), **policy: Any) -> list[Violation]:
    """``lint`` with ``streaming-scope = "all"``."""
    return lint(code, select=select, **{"streaming_scope": "all", **policy})


def codes_all(code: str, **policy: Any) -> list[str]:
    """``codes`` with ``streaming-scope = "all"``."""
    return [v.code for v in lint_all(code, **policy)]
