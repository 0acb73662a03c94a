"""One-line syntax error messages: one position (CPython's, 1-based column), no parser internals."""

from __future__ import annotations

import ast
import re
import warnings
from collections.abc import Callable

__all__ = ["describe_syntax_error", "libcst_reason"]

_LIBCST_POSITION = re.compile(r"error at (\d+):(\d+): (.*)")


def describe_syntax_error(data: bytes, libcst_error: Exception) -> str:
    """``syntax error at line L, column C: message`` for a file libcst could not parse.

    CPython's parser says where and what ("'(' was never closed"); only when CPython accepts the
    file (syntax libcst does not know yet) does the message come from libcst, without its internals.
    """
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ast.parse(data)
    except SyntaxError as error:
        where = f"line {error.lineno}" + (f", column {error.offset}" if error.offset else "")
        return f"syntax error at {where}: {error.msg}"
    except ValueError as error:
        return f"syntax error: {error}"
    return libcst_reason(libcst_error)


def libcst_reason(libcst_error: Exception, line_in_file: Callable[[int], int] = lambda line: line) -> str:
    """libcst's own message, with one position (mapped by ``line_in_file``) and no internals."""
    first = str(getattr(libcst_error, "message", "") or libcst_error).splitlines()[0]
    match = _LIBCST_POSITION.search(first)
    if match is None:
        return f"syntax libcst cannot parse: {first.removeprefix('parser error: ')}"
    line, column, message = match.groups()
    return f"syntax libcst cannot parse at line {line_in_file(int(line))}, column {int(column) + 1}: {message}"
