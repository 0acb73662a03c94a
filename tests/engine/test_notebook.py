"""Jupyter notebooks: code cells read as one module through the Python frontend, IPython lines
masked, findings shown per cell in every format, suppressions, errors, cache and worker pool."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from support.corpus import BAD_FILES
from support.notebooks import HEADLINE, cell, notebook

from lunalint.config import Settings
from lunalint.engine import check_paths, check_source
from lunalint.formats import render
from lunalint.notebook import mask, read_module
from lunalint.report import Report
from lunalint.workers import PARALLEL_THRESHOLD

LUNALINT = Path(sys.executable).parent / "lunalint"
SARIF_SCHEMA_PATH = Path(__file__).resolve().parents[3] / "shared" / "schemas" / "sarif-schema-2.1.0.json"
HEADLINE_LINE = "client = httpx.Client(timeout=None)"  # cell 3, line 2


def write(directory: Path, name: str, cells: list[Any], language: str = "python") -> Path:
    path = directory / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(notebook(cells, language), encoding="utf-8")
    return path


def found(report: Report) -> list[tuple[int | None, int, int, str]]:
    return [(v.cell, v.line, v.column, v.code) for v in report.violations]


def check(path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """The real ``lunalint check`` in the notebook's folder (so paths print as ``nb.ipynb``)."""
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR")}
    return subprocess.run([str(LUNALINT), "check", "--no-cache", *args, path.name], cwd=path.parent, env=env,
                          capture_output=True, text=True, timeout=120)


# --- the headline: cell 3, line 2, column 23 ----------------------------------------------------

def test_text_reports_cell_line_and_column_as_ruff_does(tmp_path: Path) -> None:
    result = check(write(tmp_path, "nb.ipynb", HEADLINE))
    assert result.returncode == 1, result.stderr
    assert result.stdout.splitlines() == [
        "nb.ipynb:cell 3:2:10: LL201 httpx.Client has no TCP keepalive (httpx.Client without transport= sets no "
        "socket options): a connection silently dropped by a NAT or load balancer hangs until the read timeout",
        "nb.ipynb:cell 3:2:23: LL301 httpx.Client read timeout is disabled: a stalled response hangs forever",
        "nb.ipynb:cell 3:2:23: LL401 httpx.Client connect timeout is disabled: connecting to an unreachable host "
        "hangs until the operating system gives up",
        "Found 3 findings.",
        "No fixes available (3 hidden fixes can be enabled with the `--unsafe-fixes` option).",
    ]


def test_json_has_the_cell_and_positions_in_the_cell(tmp_path: Path) -> None:
    result = check(write(tmp_path, "nb.ipynb", HEADLINE), "--format", "json")
    [ll301] = [item for item in json.loads(result.stdout)["violations"] if item["code"] == "LL301"]
    assert {key: ll301[key] for key in ("path", "cell", "line", "column", "end_line", "end_column")} == {
        "path": "nb.ipynb", "cell": 3, "line": 2, "column": 23, "end_line": 2, "end_column": 35}


def _json_position(path: Path, text: str) -> tuple[int, int]:
    """Line and column (1-based) where ``text`` is written in the notebook's JSON text."""
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if text in line:
            return number, line.index(text) + 1
    raise AssertionError(f"{text!r} is not in {path}")


def test_github_annotations_point_at_the_line_in_the_notebook_file(tmp_path: Path) -> None:
    path = write(tmp_path, "nb.ipynb", HEADLINE)
    line, column = _json_position(path, "timeout=None")
    assert (line, column) == (30, 28)  # the JSON line `    "client = httpx.Client(timeout=None)\n",`
    result = check(path, "--format", "github")
    assert (f"::error file=nb.ipynb,line={line},endLine={line},col={column},endColumn={column + 12},"
            "title=LL301 timeout-unbounded::cell 3:2:23: httpx.Client read timeout is disabled: a stalled "
            "response hangs forever") in result.stdout.splitlines()


def test_sarif_region_is_in_the_notebook_file_and_the_cell_is_a_property(tmp_path: Path) -> None:
    path = write(tmp_path, "nb.ipynb", HEADLINE)
    line, column = _json_position(path, "timeout=None")
    result = check(path, "--format", "sarif")
    log = json.loads(result.stdout)
    [ll301] = [r for r in log["runs"][0]["results"] if r["ruleId"] == "LL301"]
    location = ll301["locations"][0]["physicalLocation"]
    assert location["artifactLocation"] == {"uri": "nb.ipynb", "uriBaseId": "%SRCROOT%"}
    assert location["region"] == {"startLine": line, "startColumn": column, "endLine": line,
                                  "endColumn": column + 12}
    assert {k: ll301["properties"][k] for k in ("cell", "cellLine", "cellColumn", "cellEndLine", "cellEndColumn")} \
        == {"cell": 3, "cellLine": 2, "cellColumn": 23, "cellEndLine": 2, "cellEndColumn": 35}
    if SARIF_SCHEMA_PATH.is_file():
        import jsonschema

        schema = json.loads(SARIF_SCHEMA_PATH.read_text(encoding="utf-8"))
        errors = list(jsonschema.validators.validator_for(schema)(schema).iter_errors(log))
        assert errors == [], errors[0].message if errors else ""


def test_sarif_fingerprint_hashes_the_cell_line_so_reindenting_the_json_keeps_it(tmp_path: Path) -> None:
    path = write(tmp_path, "nb.ipynb", HEADLINE)
    first = json.loads(check(path, "--format", "sarif").stdout)["runs"][0]["results"]
    path.write_text(json.dumps(json.loads(path.read_text(encoding="utf-8")), indent=4), encoding="utf-8")
    again = json.loads(check(path, "--format", "sarif").stdout)["runs"][0]["results"]
    assert [r["partialFingerprints"] for r in again] == [r["partialFingerprints"] for r in first]
    assert [r["locations"][0]["physicalLocation"]["region"] for r in again] != [
        r["locations"][0]["physicalLocation"]["region"] for r in first]


def test_positions_in_a_cell_whose_source_is_one_string_with_escapes(tmp_path: Path) -> None:
    """nbformat allows a cell's source as one string; the JSON position is then inside that line."""
    source = 'import httpx\nname = "café\\t"\nclient = httpx.Client(timeout=None)\n'
    document = json.loads(notebook([("code", source)]))
    document["cells"][0]["source"] = source
    path = tmp_path / "one.ipynb"
    path.write_text(json.dumps(document, indent=1, ensure_ascii=True), encoding="utf-8")
    result = check(path, "--format", "github", "--select", "LL301")
    text = path.read_text(encoding="utf-8")
    line, column = _json_position(path, "timeout=None")
    assert "\\u00e9" in text  # the escape sits before the finding on the same JSON line
    assert f"line={line},endLine={line},col={column},endColumn={column + 12}," in result.stdout
    assert "::cell 1:3:23: " in result.stdout


def test_full_format_shows_the_cell_lines(tmp_path: Path) -> None:
    result = check(write(tmp_path, "nb.ipynb", HEADLINE), "--format", "full", "--select", "LL301")
    assert result.stdout.startswith(
        "nb.ipynb:cell 3:2:23: LL301 httpx.Client read timeout is disabled: a stalled response hangs forever\n"
        "  |\n"
        "1 | import os\n"
        "2 | client = httpx.Client(timeout=None)\n"
        "  |                       ^^^^^^^^^^^^ LL301\n"
        "3 | !echo ready\n"
        "  |\n"
        "  = help: pass `timeout=httpx.Timeout(600, connect=10)`"), result.stdout


def test_standard_input_with_a_notebook_name(tmp_path: Path) -> None:
    text = notebook(HEADLINE)
    for fmt, expected in (("concise", "nb.ipynb:cell 3:2:23: LL301 "), ("github", ",line=30,endLine=30,col=28,")):
        result = subprocess.run([str(LUNALINT), "check", "--format", fmt, "--stdin-filename", "nb.ipynb", "-"],
                                cwd=tmp_path, input=text, capture_output=True, text=True, timeout=120)
        assert result.returncode == 1 and expected in result.stdout, result.stdout + result.stderr


# --- what is read -------------------------------------------------------------------------------

def test_magics_shell_and_help_lines_are_masked_on_their_own_lines() -> None:
    source = ("%load_ext autoreload\n"
              "!pip install httpx  \\\n"
              "    anyio\n"
              "files = !ls\n"
              "httpx.Client?\n"
              "?httpx.Client\n"
              "if True:\n"
              "    %time x = 1\n"
              "doc = '''\n"
              "%not a magic inside a string\n"
              "'''\n"
              "total = (1\n"
              "         % 2)\n"
              "print(x)  # what?")
    assert mask(source) == ("pass\n"
                            "pass\n"
                            "pass\n"
                            "files = get_ipython()\n"
                            "pass\n"
                            "pass\n"
                            "if True:\n"
                            "    pass\n"
                            "doc = '''\n"
                            "%not a magic inside a string\n"
                            "'''\n"
                            "total = (1\n"
                            "         % 2)\n"
                            "print(x)  # what?")


@pytest.mark.parametrize(("source", "skipped"), [
    ("%%bash\necho hi", True),
    ("%%writefile app.py\nimport httpx", True),
    ("pip install httpx", True),  # automagic
    ("cd /tmp", True),
    ("%%time\nimport httpx", False),  # cell magics whose body is Python run in the notebook
    ("%%capture out\nimport httpx", False),
    ("time = 5", False),  # an assignment, not the automagic
    ("import httpx", False),
])
def test_cells_that_are_not_python_are_skipped_whole(source: str, skipped: bool) -> None:
    assert (mask(source) is None) == skipped


def test_magics_do_not_hide_findings_and_skipped_cells_are_not_checked(tmp_path: Path) -> None:
    path = write(tmp_path, "magic.ipynb", [
        ("code", "%matplotlib inline\n!pip install httpx\nimport httpx"),
        ("code", "%%bash\npython -c 'import httpx; httpx.Client(timeout=None)'"),
        ("code", "%%time\nslow = httpx.Client(timeout=None)"),
        ("code", "listing = !ls\nhttpx.Client?\nfast = httpx.Client(\n    timeout=None,\n)"),
        ("raw", "httpx.Client(timeout=None)"),
        ("markdown", "`httpx.Client(timeout=None)`"),
    ])
    report = check_paths([path], Settings(root=tmp_path), jobs=1)
    assert report.errors == []
    assert [(c, line, column) for c, line, column, code in found(report) if code == "LL301"] == [
        (3, 2, 21), (4, 4, 5)]


def test_a_client_built_in_one_cell_and_used_in_another_is_followed(tmp_path: Path) -> None:
    path = write(tmp_path, "flow.ipynb", [
        ("code", "import httpx"),
        ("code", "limits = httpx.Timeout(600, connect=10)\nno_limit = None"),
        ("markdown", "Build the client."),
        ("code", "client = httpx.Client(timeout=limits)"),
        ("code", "url = 'https://api.example.com/v1/chat'\n\nwith client.stream('POST', url, timeout=no_limit) as r:\n"
                 "    pass"),
    ])
    report = check_paths([path], Settings(root=tmp_path), jobs=1)
    assert report.errors == []
    by_code = {(v.code, v.cell, v.line, v.column) for v in report.violations}
    assert ("LL301", 5, 3, 41) in by_code  # the stream's timeout: a name bound in cell 2
    assert ("LL201", 4, 1, 10) in by_code  # the client of cell 4
    assert not any(v.code == "LL301" and v.cell == 4 for v in report.violations)  # cell 2's timeout is good


def test_evidence_in_a_message_names_its_cell_and_the_line_in_it(tmp_path: Path) -> None:
    path = write(tmp_path, "stream.ipynb", [
        ("code", "import httpx"),
        ("markdown", "A client with a one-minute timeout, used for a stream two cells on."),
        ("code", "client = httpx.Client(timeout=httpx.Timeout(60, connect=10))"),
        ("code", "x = 1"),
        ("code", "url = 'https://example.com/events'\nwith client.stream('GET', url) as r:\n    pass"),
    ])
    report = check_paths([path], Settings(root=tmp_path), jobs=1)
    [short] = [v for v in report.violations if v.code == "LL302"]
    assert (short.cell, short.line) == (3, 1)
    assert "60 s" in short.message
    assert short.message.endswith("streams: `client.stream(...)` at cell 5, line 2")


def test_notebooks_of_another_language_and_cells_marked_so_are_skipped(tmp_path: Path) -> None:
    r_notebook = write(tmp_path, "r.ipynb", [("code", "import httpx\nhttpx.Client(timeout=None)")], language="R")
    marked = write(tmp_path, "marked.ipynb", [
        ("code", "import httpx"),
        cell("code", "httpx.Client(timeout=None)", vscode={"languageId": "sql"}),
        cell("code", "httpx.Client(timeout=None)", vscode={"languageId": "python"}),
    ])
    assert found(check_paths([r_notebook], Settings(root=tmp_path))) == []
    assert {(c, line) for c, line, _, code in found(check_paths([marked], Settings(root=tmp_path)))} == {(3, 1)}


def test_a_notebook_without_code_cells_passes(tmp_path: Path) -> None:
    path = write(tmp_path, "notes.ipynb", [("markdown", "Use `httpx.Client(timeout=None)` and `import httpx`.")])
    result = check(path)
    assert (result.returncode, result.stdout, result.stderr) == (0, "All checks passed!\n", "")
    empty = write(tmp_path, "empty.ipynb", [])
    assert check(empty).returncode == 0


# --- suppressions -------------------------------------------------------------------------------

def test_suppressions_work_inside_cells(tmp_path: Path) -> None:
    path = write(tmp_path, "quiet.ipynb", [
        ("code", "import httpx"),
        ("code", "a = httpx.Client(timeout=None)  # noqa: LL301\n"
                 "b = httpx.Client(timeout=None)  # lunalint: ignore[connect-timeout-unbounded]\n"
                 "c = httpx.Client(  # lunalint: ignore[LL301, LL401]\n"
                 "    timeout=None,\n"
                 ")"),
        ("code", "d = httpx.Client(timeout=None)  # noqa: LL301"),
    ])
    report = check_paths([path], Settings(root=tmp_path, select=("LL301", "LL401")), jobs=1)
    assert found(report) == [(2, 1, 18, "LL401"), (2, 2, 18, "LL301"), (3, 1, 18, "LL401")]


def test_unused_suppressions_are_reported_in_their_cell(tmp_path: Path) -> None:
    path = write(tmp_path, "unused.ipynb", [
        ("markdown", "notes"),
        ("code", "import httpx\nok = httpx.Client(timeout=httpx.Timeout(600, connect=10))  # noqa: LL301"),
        ("code", "x = 1  # lunalint: ignore[LL401]"),
    ])
    settings = Settings(root=tmp_path, select=("LL301", "LL401", "LL902"))
    report = check_paths([path], settings, jobs=1)
    assert [(v.cell, v.line, v.column, v.code) for v in report.violations] == [(2, 2, 60, "LL902"),
                                                                               (3, 1, 8, "LL902")]
    without_clients = write(tmp_path, "plain.ipynb", [("markdown", "x"), ("code", "y = 2  # lunalint: ignore")])
    assert found(check_paths([without_clients], settings)) == [(2, 1, 8, "LL902")]


def test_file_level_exemption_in_a_cell(tmp_path: Path) -> None:
    path = write(tmp_path, "skip.ipynb", [("code", "# lunalint: skip-file"), *HEADLINE[1:]])
    assert found(check_paths([path], Settings(root=tmp_path))) == []


# --- bad notebooks ------------------------------------------------------------------------------

@pytest.mark.parametrize(("content", "message"), [
    ('{"cells": [{"cell_type": "code", "source": "import httpx"', "not a Jupyter notebook: invalid JSON at line 1,"),
    ('["import httpx"]', "not a Jupyter notebook: the JSON has no 'cells' list"),
    ('{"nbformat": 3, "worksheets": [], "cells": [], "x": "httpx"}', "unsupported notebook format 3"),
    ('{"nbformat": 4, "cells": [{"cell_type": "code", "source": 7}], "x": "httpx"}',
     "not a Jupyter notebook: the source of cell 1 is not text"),
])
def test_a_file_that_is_not_a_notebook_is_a_one_line_error(tmp_path: Path, content: str, message: str) -> None:
    (tmp_path / "bad.ipynb").write_text(content, encoding="utf-8")
    result = check(tmp_path / "bad.ipynb")
    assert result.returncode == 2
    [line] = result.stderr.splitlines()
    assert line.startswith(f"lunalint: error: bad.ipynb: {message}"), line


def test_a_syntax_error_names_the_cell_and_the_line_in_it(tmp_path: Path) -> None:
    path = write(tmp_path, "broken.ipynb", [("code", "import httpx"), ("markdown", "x"),
                                            ("code", "x = 1\nclient = httpx.Client(timeout=None")])
    [error] = check_paths([path], Settings(root=tmp_path)).errors
    assert (error.code, error.message) == ("E001", "syntax error at cell 3, line 2, column 22: '(' was never closed")


# --- same findings as the equivalent .py file ---------------------------------------------------

def _cells_of(text: str) -> list[str]:
    """``text`` cut into cells at blank lines before top-level statements. The blank line itself is
    left out: the newline that follows each cell in the notebook's module stands for it, so the
    module is the file's text line for line."""
    lines = text.splitlines(keepends=True)
    cells: list[list[str]] = [[]]
    for index, line in enumerate(lines):
        following = lines[index + 1] if index + 1 < len(lines) else ""
        if not line.strip() and following.strip() and not following[0].isspace() and cells[-1]:
            cells.append([])
        else:
            cells[-1].append(line)
    return ["".join(c) for c in cells if c]


@pytest.mark.parametrize("path", BAD_FILES, ids=[p.name for p in BAD_FILES])
def test_a_notebook_gets_the_findings_of_the_same_code_as_a_py_file(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    cells = _cells_of(text)
    assert len(cells) > 1
    document = notebook([("markdown", "A title"), *(("code", c) for c in cells)])
    settings = Settings(select=("ALL",))
    as_file = check_source(text, "module.py", settings)
    as_notebook = check_source(document, "module.ipynb", settings)
    assert as_file.errors == as_notebook.errors == []
    assert as_file.violations
    starts = [1]
    for source in cells:
        starts.append(starts[-1] + source.count("\n") + 1)

    def in_cell(line: int) -> tuple[int, int]:
        index = max(i for i, start in enumerate(starts[:-1]) if start <= line)
        return index + 2, line - starts[index] + 1  # cell 1 is the markdown cell

    def in_cells(message: str) -> str:  # evidence "at line 7" is shown "at cell 3, line 2"
        return re.sub(r"\bat line (\d+)", lambda m: "at cell {}, line {}".format(*in_cell(int(m.group(1)))), message)

    expected = [(*in_cell(v.line), v.column, v.end_line - v.line, v.end_column, v.code, in_cells(v.message))
                for v in as_file.violations]
    got = [(v.cell, v.line, v.column, v.end_line - v.line, v.end_column, v.code, v.message)
           for v in as_notebook.violations]
    assert got == expected
    assert read_module(document.encode()).text == text + "\n"  # the module is the file, line for line


# --- directory walks, cache and worker pool -----------------------------------------------------

def test_a_directory_walk_checks_notebooks_and_skips_checkpoints(tmp_path: Path) -> None:
    write(tmp_path, "src/nb.ipynb", HEADLINE)
    write(tmp_path, "src/.ipynb_checkpoints/nb-checkpoint.ipynb", HEADLINE)
    report = check_paths([tmp_path / "src"], Settings(root=tmp_path))
    assert {Path(v.path).relative_to(tmp_path).as_posix() for v in report.violations} == {"src/nb.ipynb"}
    assert report.files_checked == 1


def test_the_cache_and_the_worker_pool_keep_cells(tmp_path: Path) -> None:
    source = tmp_path / "src"
    for index in range(PARALLEL_THRESHOLD):
        write(source, f"nb{index}.ipynb", HEADLINE)
    settings = Settings(root=tmp_path)

    def rows(report: Report) -> list[tuple[str, int | None, int, int, str]]:
        return [(Path(v.path).name, v.cell, v.line, v.column, v.code) for v in report.violations]

    serial = rows(check_paths([source], settings, jobs=1))
    assert len(serial) == 3 * PARALLEL_THRESHOLD and {row[1:4] for row in serial} == {(3, 2, 10), (3, 2, 23)}
    assert rows(check_paths([source], settings, jobs=2)) == serial
    cache = tmp_path / "cache"
    assert rows(check_paths([source], settings, jobs=2, cache_dir=cache)) == serial  # cold
    assert rows(check_paths([source], settings, jobs=2, cache_dir=cache)) == serial  # from the cache
    changed = source / "nb0.ipynb"
    changed.write_text(notebook([*HEADLINE[:2], ("code", "# moved down\n" + HEADLINE[2][1])]), encoding="utf-8")
    os.utime(changed, ns=(1, 1))  # a different stat, whatever the clock's resolution
    again = rows(check_paths([source], settings, jobs=2, cache_dir=cache))
    assert {row[1:4] for row in again if row[0] == "nb0.ipynb"} == {(3, 3, 10), (3, 3, 23)}
