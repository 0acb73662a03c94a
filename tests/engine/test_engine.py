"""The engine end to end on files: discovery, prefilter, suppression, per-file ignores, errors."""

from __future__ import annotations

from pathlib import Path

import pytest
from support.lint import lint

from lunalint.config import Settings
from lunalint.prefilter import prefilter
from lunalint.engine import check_paths

BAD = "import httpx\nclient = httpx.Client(timeout=None)\n"


def codes_in(report_violations: list[object]) -> list[str]:
    return [getattr(v, "code") for v in report_violations]


def test_discovery_skips_the_usual_directories(tmp_path: Path) -> None:
    for directory in (".git", ".venv", "venv", "build", "dist", "node_modules", "__pycache__", ".tox", "src"):
        (tmp_path / directory).mkdir()
        (tmp_path / directory / "client.py").write_text(BAD, encoding="utf-8")
    report = check_paths([tmp_path], Settings(root=tmp_path))
    assert {Path(v.path).parent.name for v in report.violations} == {"src"}
    assert report.files_checked == 1


def test_configured_exclude_and_explicit_files(tmp_path: Path) -> None:
    (tmp_path / "generated").mkdir()
    target = tmp_path / "generated" / "client.py"
    target.write_text(BAD, encoding="utf-8")
    (tmp_path / "keep.py").write_text(BAD, encoding="utf-8")
    settings = Settings(root=tmp_path, exclude=("generated/",))
    walked = check_paths([tmp_path], settings)
    assert {Path(v.path).name for v in walked.violations} == {"keep.py"}
    explicit = check_paths([target], settings)  # a file named on the command line is always checked
    assert {Path(v.path).name for v in explicit.violations} == {"client.py"}


def test_per_file_ignores(tmp_path: Path) -> None:
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "test_x.py").write_text(BAD, encoding="utf-8")
    (tmp_path / "app.py").write_text(BAD, encoding="utf-8")
    settings = Settings(root=tmp_path, per_file_ignores=(("tests/*", ("LL3",)),))
    report = check_paths([tmp_path], settings)
    by_file = {(Path(v.path).name, v.code) for v in report.violations}
    assert ("app.py", "LL301") in by_file
    assert ("test_x.py", "LL301") not in by_file
    assert ("test_x.py", "LL401") in by_file


def test_missing_path_is_an_error_and_others_are_still_checked(tmp_path: Path) -> None:
    (tmp_path / "a.py").write_text(BAD, encoding="utf-8")
    report = check_paths([tmp_path / "nope.py", tmp_path / "a.py"], Settings(root=tmp_path))
    assert [e.message for e in report.errors] == ["no such file or directory"]
    assert report.violations
    assert report.exit_code() == 2


def test_broken_symlink_and_symlink_loop(tmp_path: Path) -> None:
    (tmp_path / "a.py").write_text(BAD, encoding="utf-8")
    (tmp_path / "dangling.py").symlink_to(tmp_path / "missing.py")
    (tmp_path / "loop").mkdir()
    (tmp_path / "loop" / "back").symlink_to(tmp_path, target_is_directory=True)
    report = check_paths([tmp_path], Settings(root=tmp_path))
    assert {Path(v.path).name for v in report.violations} == {"a.py"}
    broken = check_paths([tmp_path / "dangling.py"], Settings(root=tmp_path))
    assert [e.message for e in broken.errors] == ["broken symbolic link"]


def test_syntax_error_is_reported_per_file(tmp_path: Path) -> None:
    (tmp_path / "bad.py").write_text("import httpx\nprint 'python 2'\n", encoding="utf-8")
    (tmp_path / "good.py").write_text(BAD, encoding="utf-8")
    report = check_paths([tmp_path], Settings(root=tmp_path))
    [error] = report.errors
    assert error.path.endswith("bad.py") and "syntax error at line 2" in error.message
    assert "\n" not in error.message
    assert {Path(v.path).name for v in report.violations} == {"good.py"}


@pytest.mark.parametrize(("data", "expected"), [
    (b"# -*- coding: latin-1 -*-\nimport httpx\nname = '\xe9'\nhttpx.Client(timeout=None)\n", "LL301"),
    (b"\xef\xbb\xbfimport httpx\r\nhttpx.Client(timeout=None)\r\n", "LL301"),
    (b"import httpx\rhttpx.Client(timeout=None)\r", "LL301"),
    (b"import httpx\nif True:\n\thttpx.Client(timeout=None)\n", "LL301"),
])
def test_encodings_and_line_endings(data: bytes, expected: str) -> None:
    from lunalint.engine import check_source

    result = check_source(data, "x.py")
    assert not result.errors, result.errors
    assert expected in [v.code for v in result.violations]


@pytest.mark.parametrize(("data", "fragment"), [
    (b"import httpx\nx = '\xff\xfe'\n", "cannot decode"),
    (b"import httpx\n\x00\x01\x02", "NUL bytes"),
    (b"import httpx\ndef f(:\n", "syntax error"),
])
def test_unreadable_sources_are_file_errors(data: bytes, fragment: str) -> None:
    from lunalint.engine import check_source

    result = check_source(data, "x.py")
    assert len(result.errors) == 1 and fragment in result.errors[0].message
    assert "\n" not in result.errors[0].message


@pytest.mark.parametrize(("imports", "passes"), [
    (b"import os, httpx\n", True),
    (b"if True:\n    from httpx import Client\n", True),
    (b"import httpx._client\n", True),
    (b"# we make httpx requests\nimport os\n", False),
    (b"import httpxyz\n", False),
    (b"x = 1\rimport httpx\r", True),  # old Mac line endings
])
def test_prefilter_text_test(imports: bytes, passes: bool) -> None:
    source = imports + b"httpx.Client()\nClient()\n"
    assert (prefilter(source) is not None) is passes


def test_prefilter_ast_test() -> None:
    assert prefilter(b"import httpx\nhttpx.Client()\n") is not None
    assert prefilter(b"import httpx as hx\nC = hx.Client\nC()\n") is not None
    assert prefilter(b"import httpx\nerrors = (httpx.HTTPError,)\n") is None  # imported, never built


@pytest.mark.parametrize("comment", ["# noqa: LL301", "# noqa:LL301,LL401", "# lunalint: ignore[LL301]",
                                     "# NOQA: ll301", "# noqa"])
def test_suppression_on_the_reported_line(comment: str) -> None:
    found = [v.code for v in lint(f"import httpx\nhttpx.Client(timeout=None)  {comment}\n")]
    assert "LL301" not in found


def test_suppression_on_the_first_line_of_the_statement() -> None:
    source = "import httpx\nclient = httpx.Client(  # noqa: LL301\n    timeout=None,\n)\n"
    found = [v.code for v in lint(source)]
    assert "LL301" not in found and "LL401" in found


def test_suppression_of_another_code_does_not_hide() -> None:
    found = [v.code for v in lint("import httpx\nhttpx.Client(timeout=None)  # noqa: E501\n")]
    assert "LL301" in found


def test_suppression_inside_a_compound_statement_body() -> None:
    source = ("import httpx\nwith httpx.Client(  # noqa: LL401\n        timeout=None) as c:\n"
              "    c.get('u', timeout=None)\n")
    found = [(v.code, v.line) for v in lint(source)]
    assert ("LL401", 3) not in found
    assert ("LL401", 4) in found  # the body's statement is not covered by the header's comment


def test_output_order_is_by_path_then_position(tmp_path: Path) -> None:
    for name in ("b.py", "a.py"):
        (tmp_path / name).write_text(BAD + BAD, encoding="utf-8")
    report = check_paths([tmp_path], Settings(root=tmp_path))
    keys = [(v.path, v.line, v.column, v.code) for v in report.violations]
    assert keys == sorted(keys)


def test_file_without_client_imports_is_skipped_before_parsing(tmp_path: Path) -> None:
    # Not valid Python, but it never reaches the parser: the prefilter skips it.
    (tmp_path / "other.py").write_text("def f(:\n", encoding="utf-8")
    report = check_paths([tmp_path], Settings(root=tmp_path))
    assert report.errors == [] and report.violations == []


def test_file_that_disappears(tmp_path: Path) -> None:
    from lunalint.workers import read

    result = read(str(tmp_path / "gone.py"), "gone.py")
    assert not isinstance(result, tuple)
    assert [e.message for e in result.errors] == ["file disappeared before it could be read"]


def test_unreadable_path_is_an_error_not_a_crash(tmp_path: Path) -> None:
    from lunalint.workers import read

    result = read(str(tmp_path), "somedir.py")
    assert not isinstance(result, tuple)
    assert [e.message for e in result.errors] == ["is a directory"]


@pytest.mark.parametrize("source", [
    b"import httpx\nx = " + b"(" * 3000 + b"1" + b")" * 3000 + b"\nhttpx.Client(timeout=None)\n",
    b"import httpx\nx = " + b"[" * 3000 + b"]" * 3000 + b"\nhttpx.Client(timeout=None)\n",
    b"import httpx\nx = " + b"f(" * 3000 + b")" * 3000 + b"\nhttpx.Client(timeout=None)\n",
    b"import httpx\nx = " + b"+".join([b"1"] * 3000) + b"\nhttpx.Client(timeout=None)\n",
    b"import httpx\nhttpx.Client(timeout=" + b"-" * 3000 + b"1)\n",
    b"import httpx\nx = a" + b".b" * 3000 + b"\nhttpx.Client(timeout=None)\n",
    b"import httpx\nx = " + b"(" * 250 + b"\n",
], ids=["parens", "lists", "calls", "sum", "unary", "attributes", "unclosed"])
def test_deeply_nested_expressions_are_a_clear_error_not_a_crash(source: bytes) -> None:
    # libcst's native parser overflows the C stack (killing the process) on a few thousand
    # nested brackets, so such files must be refused before they reach it.
    from lunalint.engine import check_source

    result = check_source(source, "deep.py")
    assert len(result.errors) == 1
    assert "too deeply nested" in result.errors[0].message or "syntax error" in result.errors[0].message


def test_empty_file() -> None:
    from lunalint.engine import check_source

    assert check_source(b"", "empty.py").violations == []
    assert check_source(b"", "empty.py").errors == []


def test_large_file_without_client_construction_is_fast_path(tmp_path: Path) -> None:
    path = tmp_path / "big.py"
    path.write_bytes(b"import httpx\n" + b"VALUES = [\n" + b"    1234567890,\n" * 700_000 + b"]\n")
    assert path.stat().st_size > 10_000_000
    report = check_paths([path], Settings(root=tmp_path))
    assert report.errors == [] and report.violations == []


POSITION_SOURCE = '''\
"""Module docstring
spanning lines."""
# a comment
import httpx; import os

x = 1; y = """a
multi-line
string"""


@decorator(
    1,
)
# comment between decorator and def
@other
def make():
    s = "\\x0c"  # form feed in a string; \\u2028 too: \u2028
    return httpx.Client(
        timeout=None,
    )


class Holder:
    client = httpx.AsyncClient(limits=httpx.Limits(keepalive_expiry=None))

if os.environ:
    pass
else:
    httpx.get("u", timeout=httpx.Timeout(600, connect=None))
'''


def test_positions_of_the_statements_that_matter_are_the_whole_files() -> None:
    """libcst sees only some statements, each generated from its own first line in the file: every
    position must equal the one libcst computes on the whole file."""
    from lunalint.extract import extract
    from lunalint.parse import parse
    from lunalint.place import CstSourceMap
    from lunalint.suppress import parse_suppressions

    candidate = prefilter(POSITION_SOURCE.encode())
    assert candidate is not None

    def spans(tree_given: bool) -> list[object]:
        parsed = parse(candidate if tree_given else candidate._replace(tree=None))
        specs, scan = extract(parsed)
        assert len(specs) == 3
        source = CstSourceMap(parsed.module, parsed.starts, scan.statements, scan.call_statement,
                              parse_suppressions(parsed.text))
        anchors = [spec.anchor for spec in specs]
        anchors += [setting.anchor for spec in specs
                    for setting in (spec.read_timeout, spec.connect_timeout, spec.pool_idle) if setting is not None]
        found = source.locate(anchors)
        return [found[anchor] for anchor in anchors]

    assert parse(candidate).starts is not None and len(parse(candidate).module.body) < 6  # the cut happened
    assert spans(True) == spans(False)


def test_reported_lines_with_decorators_semicolons_and_strings() -> None:
    found = {(v.code, v.line, v.column) for v in lint(POSITION_SOURCE.replace("\\u2028", ""))}
    assert ("LL301", 19, 9) in found
    assert ("LL101", 24, 52) in found
    assert ("LL401", 29, 47) in found


def test_compiler_warnings_are_not_printed() -> None:
    import warnings

    from lunalint.engine import check_source

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = check_source(b"import httpx\npattern = '\\d+'\nhttpx.Client(timeout=None)\n", "w.py")
    assert "LL301" in [v.code for v in result.violations]
    assert [str(w.message) for w in caught] == []


def test_an_internal_error_is_reported_for_its_file_and_the_run_goes_on(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from lunalint.cli import main
    from lunalint.libraries import load

    registry = load()

    def broken(call: object) -> list[object]:
        raise RuntimeError("boom\nsecond line")

    monkeypatch.setitem(registry.constructors, "httpx.AsyncClient", broken)
    (tmp_path / "a.py").write_text("import httpx\nhttpx.AsyncClient()\n", encoding="utf-8")
    (tmp_path / "b.py").write_text(BAD, encoding="utf-8")
    report = check_paths([tmp_path], Settings(root=tmp_path), jobs=1)
    [error] = report.errors
    assert error.code == "E900" and error.path.endswith("a.py")
    assert error.message.startswith("internal error (RuntimeError: boom)") and "report" in error.message
    assert {Path(v.path).name for v in report.violations} == {"b.py"}
    assert main(["check", "--no-cache", str(tmp_path)]) == 2


def test_the_walk_matches_os_walk(tmp_path: Path) -> None:
    """Same files as ``os.walk(followlinks=False)`` with the default excludes, in sorted order."""
    import os

    from lunalint.discover import Discovered, PathError, discover

    (tmp_path / "pkg" / "sub").mkdir(parents=True)
    (tmp_path / "pkg-a").mkdir()
    (tmp_path / "node_modules").mkdir()
    for name in ("pkg/a.py", "pkg/sub/b.pyi", "pkg/c.txt", "pkg-a/d.py", "pkg.py", "node_modules/e.py", "z.py"):
        (tmp_path / name).write_text("import os\n", encoding="utf-8")
    (tmp_path / "pkg" / "link.py").symlink_to(tmp_path / "z.py")  # a link to a file is a file
    (tmp_path / "pkg" / "dangling.py").symlink_to(tmp_path / "nowhere.py")
    (tmp_path / "dirlink.py").symlink_to(tmp_path / "pkg", target_is_directory=True)  # not entered
    deep = tmp_path / "deep"
    for level in range(120):
        deep = deep / f"d{level}"
    deep.mkdir(parents=True)
    (deep / "bottom.py").write_text("import os\n", encoding="utf-8")
    expected = []
    for directory, dirnames, filenames in os.walk(tmp_path):
        dirnames[:] = [d for d in dirnames if d != "node_modules" and not os.path.islink(os.path.join(directory, d))]
        expected += [os.path.join(directory, f) for f in filenames if f.endswith((".py", ".pyi"))]
    walked = list(discover([tmp_path], (), tmp_path, stat=True))
    found = [item for item in walked if isinstance(item, Discovered)]
    errors = [(item.display, item.message) for item in walked if isinstance(item, PathError)]
    assert len(errors) == 1 and errors[0][0].endswith("pkg/dangling.py") and errors[0][1] == "broken symbolic link"
    expected.remove(str(tmp_path / "pkg" / "dangling.py"))
    assert [item.path for item in found] == sorted(expected, key=lambda p: p[len(str(tmp_path)):])
    for item in found:
        if item.path.endswith("dangling.py"):
            assert item.stat is None
        else:
            assert item.stat is not None and item.stat.st_ino == os.stat(item.path).st_ino
    assert all(item.stat is None for item in discover([tmp_path], (), tmp_path) if isinstance(item, Discovered))
