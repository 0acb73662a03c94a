"""libcst sees only the statements that can matter; the findings and their positions never change."""

from __future__ import annotations

from pathlib import Path

import pytest

from lunalint.config import Policy, Settings
from lunalint.engine import check_source
from lunalint.parse import parse
from lunalint.prefilter import prefilter
from lunalint.rules import all_rules

CORPUS = Path(__file__).resolve().parents[1] / "corpus"
# Enough filler to make a file large (the prefilter then cuts it from its text before ``ast``).
FILLER = "".join(f"filler_{index} = {index}\n" for index in range(30_000))

TRICKY = '''\
import httpx
import os as operating_system

TIMEOUT = 30


@decorator(
    1,
)
# comment between decorator and def
@other
def make():
    from openai import OpenAI  # a client module imported inside a function
    text = """
x = 1
httpx.Client(timeout=None)
"""
    return OpenAI(timeout=TIMEOUT)


if operating_system.environ:
    client = httpx.Client(timeout=None)
else:
    client = httpx.Client(timeout=5)
values = [
1, 2,
]; other = 3
try:
    import httpx2
except ImportError:
    httpx2 = None
long = 1 + \\
    2
shared = httpx.Timeout(60)
c2 = httpx.Client(timeout=shared)
c2.get("u", timeout=operating_system.getenv("T", "10"))
'''


def _sources() -> list[tuple[str, str]]:
    cases = [("tricky", TRICKY)]
    cases += [(f"corpus-{path.stem}", path.read_text(encoding="utf-8")) for path in sorted(CORPUS.glob("*/*.py"))]
    for rule in all_rules():
        cases += [(f"{rule.code}-{index}", example.code) for index, example in enumerate(rule.INVALID)]
    return cases


def _findings(source: str) -> list[tuple[object, ...]]:
    # Strict scope: every client judged, so that the comparison covers every finding the file has.
    result = check_source(source, "x.py", Settings(select=("ALL",), policy=Policy(streaming_scope="all")))
    assert result.errors == []
    return [(v.line, v.column, v.end_line, v.end_column, v.code, v.message) for v in result.violations]


@pytest.mark.parametrize(("source"), [source for _, source in _sources()], ids=[name for name, _ in _sources()])
def test_findings_are_the_same_in_a_large_file(source: str) -> None:
    """Filler after the code makes the file large: the text cut and the statement selection run,
    and every finding stays where it was."""
    padded = source if source.endswith("\n") else source + "\n"
    assert len((padded + FILLER).encode()) > 256 * 1024
    assert _findings(padded + FILLER) == _findings(source)


def test_the_tricky_file_has_findings_worth_comparing() -> None:
    found = {(line, code) for line, _, _, _, code, _ in _findings(TRICKY)}
    assert {(18, "LL302"), (22, "LL301"), (24, "LL302"), (35, "LL302"), (36, "LL302")} <= found


def test_libcst_gets_only_the_statements_that_matter() -> None:
    data = ("import httpx\n" + "x = 1\n" * 400_000 + "client = httpx.Client(timeout=None)\n").encode()
    candidate = prefilter(data)
    assert candidate is not None
    parsed = parse(candidate)
    assert parsed.starts == [1, 400_002]
    assert [v.line for v in check_source(data, "dense.py").violations] == [400_002] * 3


def test_a_statement_that_reads_a_cut_binding_keeps_it() -> None:
    data = ("import httpx\nT = 60\n" + "x = 1\n" * 60_000 + "httpx.Client(timeout=T)\n").encode()
    settings = Settings(select=("LL302",), policy=Policy(streaming_scope="all"))
    violations = check_source(data, "dense.py", settings).violations
    assert [(v.line, "read timeout 60 s" in v.message) for v in violations] == [(60_003, True)]
