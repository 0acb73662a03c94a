"""Every output format on the corpus: text, json, github workflow commands and SARIF 2.1.0."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

import pytest
from support.corpus import BAD_FILES, CORPUS, GOOD_FILES, copy_corpus, expected_findings

from lunalint import __version__
from lunalint.config import Settings
from lunalint.engine import check_paths
from lunalint.formats import render
from lunalint.formats.github import escape_data, escape_property
from lunalint.formats.sarif import FINGERPRINT_KEY, sarif_log
from lunalint.report import Check, FileError, Report, Violation
from lunalint.rules import all_rules

SARIF_SCHEMA_PATH = Path(__file__).resolve().parents[3] / "shared" / "schemas" / "sarif-schema-2.1.0.json"


@pytest.fixture
def corpus_report(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Report:
    """The corpus checked from inside a copy of it, so reported paths are relative (``bad/x.py``)."""
    root = copy_corpus(tmp_path)
    monkeypatch.chdir(root)
    report = check_paths([Path("bad"), Path("good")], Settings(root=root))
    assert report.errors == []
    return report


def _violation(**changes: Any) -> Violation:
    fields: dict[str, Any] = dict(path="app/llm.py", line=3, column=5, end_line=3, end_column=20, code="LL301",
                                  name="timeout-unbounded", check=Check.TIMEOUT, library="httpx",
                                  message="httpx.Client read timeout is disabled: a stalled response hangs forever")
    fields.update(changes)
    return Violation(**fields)


# --- the corpus itself ---------------------------------------------------------------------------

@pytest.mark.parametrize("path", BAD_FILES, ids=[p.name for p in BAD_FILES])
def test_bad_corpus_file_reports_exactly_its_markers(path: Path) -> None:
    expected = expected_findings(path)
    assert expected, f"{path.name} has no # expect: markers"
    report = check_paths([path], Settings(root=CORPUS))
    assert report.errors == []
    assert {(v.line, v.code) for v in report.violations} == expected


@pytest.mark.parametrize("path", GOOD_FILES, ids=[p.name for p in GOOD_FILES])
def test_good_corpus_file_is_clean(path: Path) -> None:
    report = check_paths([path], Settings(root=CORPUS))
    assert (report.violations, report.errors) == ([], [])


def test_corpus_covers_every_check_family_and_library_family(corpus_report: Report) -> None:
    families = {v.check for v in corpus_report.violations}
    assert families >= {Check.POOL_IDLE, Check.TCP_KEEPALIVE, Check.TIMEOUT, Check.CONNECT_TIMEOUT}
    assert {v.library for v in corpus_report.violations} >= {"httpx", "httpx2", "aiohttp", "requests", "openai"}


# --- text ----------------------------------------------------------------------------------------

def test_text_lines_and_summary(corpus_report: Report) -> None:
    lines = render(corpus_report, "text").splitlines()
    assert lines[-2] == f"Found {len(corpus_report.violations)} findings."
    assert lines[-1].startswith("[*] ") and "fixable with the `--fix` option" in lines[-1]
    for v, line in zip(corpus_report.violations, lines):
        marker = "[*] " if v.fix is not None and v.fix.applicability.value == "safe" else ""
        assert line == f"{v.path}:{v.line}:{v.column}: {v.code} {marker}{v.message}"
    assert "\x1b[" not in "\n".join(lines)


def test_text_colour_only_when_asked(corpus_report: Report) -> None:
    coloured = render(corpus_report, "text", color=True)
    assert "\x1b[1;31mLL" in coloured
    assert re.sub(r"\x1b\[[0-9;]*m", "", coloured) == render(corpus_report, "text")


def test_text_statistics_counts_per_rule(corpus_report: Report) -> None:
    lines = render(corpus_report, "text", statistics=True).splitlines()
    counts = {line.split("\t")[1]: int(line.split("\t")[0]) for line in lines[:-1]}
    assert counts["LL201"] == sum(v.code == "LL201" for v in corpus_report.violations)
    assert sum(counts.values()) == len(corpus_report.violations)
    assert list(counts.values()) == sorted(counts.values(), reverse=True)


def test_text_clean_report() -> None:
    assert render(Report(files_checked=3), "text") == "All checks passed!\n"


# --- json ----------------------------------------------------------------------------------------

def test_json_shape_is_stable(corpus_report: Report) -> None:
    data = json.loads(render(corpus_report, "json"))
    assert set(data) == {"violations", "errors", "summary"}
    assert len(data["violations"]) == len(corpus_report.violations)
    keys = {"path", "cell", "line", "column", "end_line", "end_column", "code", "name", "check", "library", "message",
            "fix"}
    for item, v in zip(data["violations"], corpus_report.violations):
        assert set(item) == keys
        assert item["cell"] is None  # a source file has no cells (Ruff's JSON has the same null)
        assert (item["path"], item["line"], item["column"], item["end_line"], item["end_column"]) == (
            v.path, v.line, v.column, v.end_line, v.end_column)
        assert (item["code"], item["check"], item["library"]) == (v.code, v.check.value, v.library)
    assert data["summary"] == {"files_checked": corpus_report.files_checked,
                               "violations": len(corpus_report.violations), "errors": 0, "fixed": 0}


def test_json_errors_and_statistics() -> None:
    report = Report(violations=[_violation(), _violation(line=9)], errors=[FileError("x.py", "syntax error")])
    data = json.loads(render(report, "json"))
    assert data["errors"] == [{"path": "x.py", "code": "E001", "message": "syntax error"}]
    assert json.loads(render(report, "json", statistics=True)) == [
        {"code": "LL301", "name": "timeout-unbounded", "count": 2}]


# --- github --------------------------------------------------------------------------------------

_COMMAND = re.compile(r"^::(?P<level>error|warning|notice) (?P<props>[^:]*)::(?P<message>.*)$")


def _unescape(text: str) -> str:
    return (text.replace("%0D", "\r").replace("%0A", "\n").replace("%3A", ":").replace("%2C", ",")
            .replace("%25", "%"))


def parse_github(output: str) -> list[tuple[str, dict[str, str], str]]:
    """Parse workflow commands the way the runner does: properties split on ``,`` then the first ``=``."""
    commands = []
    for line in output.splitlines():
        match = _COMMAND.match(line)
        assert match, f"not a workflow command: {line!r}"
        props = dict(item.split("=", 1) for item in match["props"].split(","))
        commands.append((match["level"], {k: _unescape(v) for k, v in props.items()}, _unescape(match["message"])))
    return commands


def test_github_commands_carry_positions_and_titles(corpus_report: Report) -> None:
    commands = parse_github(render(corpus_report, "github"))
    assert len(commands) == len(corpus_report.violations)
    for (level, props, message), v in zip(commands, corpus_report.violations):
        assert level == "error"
        assert props == {"file": v.path, "line": str(v.line), "endLine": str(v.end_line), "col": str(v.column),
                         "endColumn": str(v.end_column), "title": f"{v.code} {v.name}"}
        assert message == v.message


def test_github_escapes_data_and_properties() -> None:
    v = _violation(path="dir,1/a:b%.py", message="50% of\r\nstreams: cut, then hang")
    [(_, props, message)] = parse_github(render(Report(violations=[v]), "github"))
    assert props["file"] == "dir,1/a:b%.py"
    assert message == "50% of\r\nstreams: cut, then hang"
    line = render(Report(violations=[v]), "github")
    assert line.count("\n") == 1
    assert "file=dir%2C1/a%3Ab%25.py," in line
    assert line.endswith("::50%25 of%0D%0Astreams: cut, then hang\n")
    assert escape_property("a:b,c%") == "a%3Ab%2Cc%25"
    assert escape_data("a:b,c%\n") == "a:b,c%25%0A"


def test_github_file_errors_are_annotations_too() -> None:
    report = Report(errors=[FileError("broken.py", "syntax error at line 2, column 1: bad")])
    [(level, props, message)] = parse_github(render(report, "github"))
    assert (level, props, message) == ("error", {"file": "broken.py", "title": "lunalint E001"},
                                       "syntax error at line 2, column 1: bad")


def test_github_has_no_statistics_form() -> None:
    with pytest.raises(ValueError, match="--statistics"):
        render(Report(), "github", statistics=True)


# --- sarif ---------------------------------------------------------------------------------------

def _sarif(report: Report) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(render(report, "sarif"))
    return data


@pytest.mark.skipif(not SARIF_SCHEMA_PATH.is_file(),
                    reason=f"SARIF schema not found at {SARIF_SCHEMA_PATH} (the shared/ folder beside the repo)")
def test_sarif_validates_against_the_2_1_0_schema(corpus_report: Report) -> None:
    import jsonschema

    schema = json.loads(SARIF_SCHEMA_PATH.read_text(encoding="utf-8"))
    validator = jsonschema.validators.validator_for(schema)(schema)
    with_errors = Report(violations=corpus_report.violations,
                         errors=[FileError("bad/broken.py", "syntax error at line 1, column 1: x")])
    for report in (corpus_report, with_errors, Report()):
        errors = sorted(validator.iter_errors(_sarif(report)), key=str)
        assert errors == [], errors[0].message if errors else ""
    # the validator does fail on a broken log (so the assertion above means something)
    broken = _sarif(corpus_report)
    broken["runs"][0]["results"][0]["level"] = "fatal"
    assert list(validator.iter_errors(broken))


def test_sarif_driver_lists_every_rule_with_its_documentation() -> None:
    driver = _sarif(Report())["runs"][0]["tool"]["driver"]
    assert (driver["name"], driver["version"]) == ("lunalint", __version__)
    assert driver["informationUri"].startswith("https://")
    assert [rule["id"] for rule in driver["rules"]] == [rule.code for rule in all_rules()]
    for descriptor, rule in zip(driver["rules"], all_rules()):
        assert descriptor["name"] == rule.name
        assert descriptor["shortDescription"]["text"] == rule.summary
        full = descriptor["fullDescription"]["text"]
        what_it_does = " ".join(rule.documentation().split("## What it does", 1)[1].split("##", 1)[0].split())
        assert full and what_it_does.startswith(full)
        assert descriptor["help"]["text"] == rule.documentation()
        assert "## Why is this bad?" in descriptor["help"]["markdown"]
        assert descriptor["defaultConfiguration"]["level"] == "error"


def test_sarif_one_result_per_finding_with_locations(corpus_report: Report) -> None:
    run = _sarif(corpus_report)["runs"][0]
    results, rules = run["results"], run["tool"]["driver"]["rules"]
    assert len(results) == len(corpus_report.violations)
    root = Path(unquote(urlparse(run["originalUriBaseIds"]["%SRCROOT%"]["uri"]).path))
    assert root == Path.cwd()
    for result, v in zip(results, corpus_report.violations):
        assert result["ruleId"] == v.code == rules[result["ruleIndex"]]["id"]
        assert result["message"]["text"] == v.message
        [location] = result["locations"]
        artifact = location["physicalLocation"]["artifactLocation"]
        assert artifact == {"uri": Path(v.path).as_posix(), "uriBaseId": "%SRCROOT%"}
        assert (root / unquote(artifact["uri"])).is_file()
        assert location["physicalLocation"]["region"] == {
            "startLine": v.line, "startColumn": v.column, "endLine": v.end_line, "endColumn": v.end_column}
    fingerprints = [r["partialFingerprints"][FINGERPRINT_KEY] for r in results]
    assert len(set(fingerprints)) == len(fingerprints)


def test_sarif_fingerprints_survive_edits_above_the_finding(tmp_path: Path,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    target = Path("client.py")
    body = "import httpx\nclient = httpx.Client(timeout=None)\nother = httpx.Client(timeout=None)\n"
    target.write_text(body, encoding="utf-8")

    def prints() -> dict[tuple[str, str], str]:
        report = check_paths([target], Settings(root=tmp_path))
        log = sarif_log(report)
        return {(r["ruleId"], r["message"]["text"] + str(i)): r["partialFingerprints"][FINGERPRINT_KEY]
                for i, r in enumerate(log["runs"][0]["results"])}

    before = prints()
    target.write_text('"""Docs."""\n\n\n' + body.replace("client = ", "client  =  "), encoding="utf-8")
    after = prints()
    assert list(before.values()) == list(after.values())  # lines moved by 3, whitespace changed
    target.write_text(body.replace("timeout=None)\nother", "timeout=None, http2=False)\nother"), encoding="utf-8")
    assert list(prints().values()) != list(before.values())  # the reported line itself changed


def test_sarif_identical_lines_get_distinct_fingerprints(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    Path("twice.py").write_text("import httpx\na = httpx.Client(timeout=None)\na = httpx.Client(timeout=None)\n",
                                encoding="utf-8")
    results = sarif_log(check_paths([Path("twice.py")], Settings(root=tmp_path)))["runs"][0]["results"]
    ll301 = [r["partialFingerprints"][FINGERPRINT_KEY] for r in results if r["ruleId"] == "LL301"]
    assert len(ll301) == 2 and ll301[0] != ll301[1]
    assert ll301[0].split(":")[0] == ll301[1].split(":")[0]


def test_sarif_uris_are_percent_encoded_and_outside_paths_absolute(tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    report = Report(violations=[_violation(path="my app/llm #1.py"), _violation(path="/elsewhere/x.py")])
    results = sarif_log(report)["runs"][0]["results"]
    first = results[0]["locations"][0]["physicalLocation"]["artifactLocation"]
    assert first == {"uri": "my%20app/llm%20%231.py", "uriBaseId": "%SRCROOT%"}
    assert results[1]["locations"][0]["physicalLocation"]["artifactLocation"] == {"uri": "file:///elsewhere/x.py"}


def test_sarif_file_errors_are_tool_notifications() -> None:
    report = Report(errors=[FileError("broken.py", "syntax error at line 1, column 4: bad", "E001")])
    run = _sarif(report)["runs"][0]
    [invocation] = run["invocations"]
    assert invocation["executionSuccessful"] is False
    [note] = invocation["toolExecutionNotifications"]
    assert note["level"] == "error" and note["descriptor"] == {"id": "E001"}
    assert note["message"]["text"] == "syntax error at line 1, column 4: bad"
    assert note["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "broken.py"
    assert run["results"] == []
