"""Property tests: grammar-generated programs salted with client constructions and odd values.

The suite runs a fixed-seed sample; ``python tests/test_properties.py --examples 500`` runs a
longer search with a random seed (the same properties; grammar generation costs about a second
per program, so that is about ten minutes).
"""

from __future__ import annotations

import math
import sys
from pathlib import Path

import hypothesmith
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lunalint.config import Settings
from lunalint.engine import check_paths, check_source
from lunalint.report import Report

SUITE = settings(derandomize=True, max_examples=20, deadline=None,
                 suppress_health_check=list(HealthCheck))  # grammar generation costs about 1 s a program


def _float_source(value: float) -> str:
    if math.isnan(value):
        return "float('nan')"
    if math.isinf(value):
        return "float('inf')" if value > 0 else "-float('inf')"
    return repr(value)


odd_values = st.one_of(
    st.sampled_from(["None", "0", "-1", "1e308", "float('inf')", "'600'", "True", "False", "name",
                     "(1, 2)", "(None, 600)", "[]", "{}", "os.environ['X']", "int(os.getenv('T', 'x'))",
                     "lambda: 3", "f'{x}'", "b'1'", "1j", "...", "*args", "**kw"]),
    st.floats(allow_nan=True, allow_infinity=True).map(_float_source),
    st.integers(min_value=-(2**70), max_value=2**70).map(str),
)

CONSTRUCTIONS = [
    "httpx.Client(timeout={v})",
    "httpx.AsyncClient(timeout=httpx.Timeout({v}, connect={v}), limits=httpx.Limits(keepalive_expiry={v}))",
    "httpx2.Client(transport=httpx2.HTTPTransport(socket_options=[(socket.SOL_SOCKET, socket.SO_KEEPALIVE, {v}),"
    " (socket.IPPROTO_TCP, socket.TCP_KEEPIDLE, {v})]))",
    "httpx.stream('GET', 'u', timeout={v})",
    "aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total={v}, sock_read={v}),"
    " connector=aiohttp.TCPConnector(keepalive_timeout={v}))",
    "requests.get('u', timeout={v})",
    "requests.Session().post('u', timeout=({v}, {v}))",
    "urllib3.PoolManager(timeout=urllib3.Timeout(connect={v}, read={v}))",
    "openai.OpenAI(timeout={v}, http_client=openai.DefaultHttpxClient(timeout={v}))",
    "anthropic.AsyncAnthropic(timeout={v}).with_options(timeout={v})",
]
HEADER = "import os, socket\nimport httpx, httpx2, aiohttp, requests, urllib3, openai, anthropic\n"


@st.composite
def salted_programs(draw: st.DrawFn) -> str:
    program = draw(hypothesmith.from_grammar())
    construction = draw(st.sampled_from(CONSTRUCTIONS)).format(v=draw(odd_values))
    placement = draw(st.sampled_from(["top", "function", "class", "bound", "kwargs"]))
    if placement == "function":
        salt = f"def _salted(name, *args, **kw):\n    return {construction}\n"
    elif placement == "class":
        salt = f"class _Salted:\n    def __init__(self, name, *args, **kw):\n        self.c = {construction}\n"
    elif placement == "bound":
        salt = f"name = args = kw = 1\nVALUE = {construction}\n"
    elif placement == "kwargs":
        salt = f"name = args = kw = 1\nOPTIONS = {{'timeout': {draw(odd_values)}}}\nhttpx.Client(**OPTIONS)\n"
    else:
        salt = f"name = args = kw = 1\n{construction}\n"
    before = draw(st.booleans())
    return HEADER + (salt + program if before else program + "\n" + salt)


@SUITE
@given(salted_programs())
def test_no_internal_error_on_generated_programs(source: str) -> None:
    result = check_source(source, "generated.py")
    assert [e for e in result.errors if e.code == "E900"] == []
    for violation in result.violations:
        assert violation.line >= 1 and violation.column >= 1
        assert (violation.end_line, violation.end_column) >= (violation.line, violation.column)


@SUITE
@given(st.lists(st.sampled_from(CONSTRUCTIONS).flatmap(
    lambda c: odd_values.map(lambda v: HEADER + c.format(v=v) + "\n")), min_size=2, max_size=6))
def test_results_do_not_depend_on_order_or_batching(sources: list[str]) -> None:
    import tempfile

    with tempfile.TemporaryDirectory() as directory:
        root = Path(directory)
        paths = []
        for index, source in enumerate(sources):
            path = root / f"m{index}.py"
            path.write_text(source, encoding="utf-8")
            paths.append(path)
        together = check_paths([root], Settings(root=root))
        reversed_order = check_paths(list(reversed(paths)), Settings(root=root))
        one_by_one = Report()
        for path in paths:
            single = check_paths([path], Settings(root=root))
            one_by_one.violations.extend(single.violations)
            one_by_one.errors.extend(single.errors)
        one_by_one.sort()
        key = _key
        assert key(together) == key(reversed_order) == key(one_by_one)
        assert [e for e in together.errors if e.code == "E900"] == []


def _key(report: Report) -> list[tuple[object, ...]]:
    return ([(Path(v.path).name, v.line, v.column, v.code, v.message) for v in report.violations]
            + [(Path(e.path).name, e.code, e.message) for e in report.errors])


if __name__ == "__main__":  # a longer search: python tests/test_properties.py --examples 500
    import argparse

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--examples", type=int, default=500)
    options = parser.parse_args()
    longer = settings(max_examples=options.examples, deadline=None, suppress_health_check=list(HealthCheck),
                      derandomize=False)
    longer(given(salted_programs())(test_no_internal_error_on_generated_programs.hypothesis.inner_test))()
    print(f"{options.examples} generated programs: no internal error")
    sys.exit(0)
