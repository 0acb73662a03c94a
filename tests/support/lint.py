"""Shared test helpers: lint a snippet of source with a given policy."""

from __future__ import annotations

import textwrap
from typing import Any

from lunalint.config import Policy, Settings
from lunalint.engine import check_source
from lunalint.report import FileError, Violation


def lint(code: str, *, select: tuple[str, ...] = (), **policy: Any) -> list[Violation]:
    """Violations in ``code`` (dedented); fails the test on a file error."""
    violations, errors = lint_with_errors(code, select=select, **policy)
    assert not errors, errors
    return violations


def lint_with_errors(code: str, *, select: tuple[str, ...] = (), **policy: Any
                     ) -> tuple[list[Violation], list[FileError]]:
    settings = Settings(policy=Policy(**policy), select=select)
    result = check_source(textwrap.dedent(code), "example.py", settings)
    return result.violations, result.errors


def codes(code: str, **policy: Any) -> list[str]:
    return [v.code for v in lint(code, **policy)]


# Library tests check what each library reads out of the code, so they judge every client as if it
# carried long streams over a pooled connection (``streaming-scope = "all"``); which clients the
# default scope judges is tested on its own (``tests/rules``, ``tests/engine/test_streaming_scope.py``).
def lint_all(code: str, *, select: tuple[str, ...] = (), **policy: Any) -> list[Violation]:
    """``lint`` with ``streaming-scope = "all"``."""
    return lint(code, select=select, **{"streaming_scope": "all", **policy})


def codes_all(code: str, **policy: Any) -> list[str]:
    """``codes`` with ``streaming-scope = "all"``."""
    return [v.code for v in lint_all(code, **policy)]
