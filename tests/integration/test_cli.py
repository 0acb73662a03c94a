"""The ``lunalint`` command line, driven through click's CliRunner and, where it matters, a real process."""

from __future__ import annotations

import inspect
import json
import os
import pty
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from support.corpus import CORPUS

from lunalint.formats.text import SUMMARY_PREFIXES

from lunalint import __version__
from lunalint.cli import cli, main
from lunalint.docs import rules_markdown
from lunalint.rules import all_rules

BAD = CORPUS / "bad" / "httpx_unbounded.py"  # LL101, LL201, LL301, LL401
GOOD = CORPUS / "good" / "httpx_good.py"
ANSI = "\x1b["


def run(*args: str, env: dict[str, str] | None = None) -> Result:
    """Invoke the CLI with stderr kept apart from stdout (click 8.1 and 8.2+ alike)."""
    if "mix_stderr" in inspect.signature(CliRunner).parameters:  # click < 8.2
        runner = CliRunner(mix_stderr=False)  # type: ignore[call-arg, unused-ignore]
    else:
        runner = CliRunner()
    base = {"NO_COLOR": "", "FORCE_COLOR": ""}
    return runner.invoke(cli, list(args), env={**base, **(env or {})}, catch_exceptions=False)


def codes(result: Result) -> set[str]:
    return {item["code"] for item in json.loads(result.stdout)["violations"]}


# --- exit codes, selection ----------------------------------------------------------------------

@pytest.mark.parametrize(("args", "exit_code"), [
    pytest.param([str(BAD)], 1, id="findings"),
    pytest.param([str(GOOD)], 0, id="clean"),
    pytest.param([str(BAD), "--exit-zero"], 0, id="exit-zero"),
    pytest.param([str(BAD), "--select", "LL3", "--ignore", "LL301"], 0, id="select-then-ignore-all"),
    pytest.param([str(CORPUS / "nope.py")], 2, id="missing-path"),
])
def test_exit_codes(args: list[str], exit_code: int) -> None:
    assert run("check", "--isolated", *args).exit_code == exit_code


@pytest.mark.parametrize(("option", "expected"), [
    pytest.param([], {"LL101", "LL201", "LL301", "LL401"}, id="default"),
    pytest.param(["--select", "LL3,LL4"], {"LL301", "LL401"}, id="select-prefixes"),
    pytest.param(["--select", "timeout-unbounded"], {"LL301"}, id="select-name"),
    pytest.param(["--ignore", "LL2,pool-idle-unbounded"], {"LL301", "LL401"}, id="ignore-prefix-and-name"),
    pytest.param(["--select", "LL1", "--extend-select", "LL401"], {"LL101", "LL401"}, id="extend-select"),
])
def test_select_and_ignore(option: list[str], expected: set[str]) -> None:
    result = run("check", "--isolated", "--format", "json", str(BAD), *option)
    assert codes(result) == expected


def test_unknown_selector_is_a_one_line_error() -> None:
    result = run("check", "--isolated", "--select", "LL999", str(BAD))
    assert result.exit_code == 2
    assert result.stderr.startswith("lunalint: error: ") and result.stderr.count("\n") == 1
    assert "LL999" in result.stderr


# --- configuration ------------------------------------------------------------------------------

def test_pyproject_is_found_and_config_path_overrides(tmp_path: Path) -> None:
    project = tmp_path / "project"
    project.mkdir()
    (project / "client.py").write_text(BAD.read_text(encoding="utf-8"), encoding="utf-8")
    (project / "pyproject.toml").write_text('[tool.lunalint]\nignore = ["LL2", "LL4"]\n', encoding="utf-8")
    other = tmp_path / "other.toml"
    other.write_text('[tool.lunalint]\nselect = ["LL201"]\n', encoding="utf-8")
    assert codes(run("check", "--format", "json", str(project))) == {"LL101", "LL301"}
    assert codes(run("check", "--format", "json", "--config", str(other), str(project))) == {"LL201"}
    assert codes(run("check", "--format", "json", "--isolated", str(project))) == {"LL101", "LL201", "LL301", "LL401"}


@pytest.mark.parametrize(("content", "problem"), [
    pytest.param(None, "configuration file not found", id="missing"),
    pytest.param('[tool.lunalint]\nignroe = ["LL2"]\n', "ignroe", id="unknown-key"),
    pytest.param("[tool.lunalint\n", "", id="bad-toml"),
])
def test_config_errors_are_one_line_naming_the_file(tmp_path: Path, content: str | None, problem: str) -> None:
    config = tmp_path / "conf.toml"
    if content is not None:
        config.write_text(content, encoding="utf-8")
    result = run("check", "--config", str(config), str(GOOD))
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.startswith(f"lunalint: error: {config}") and result.stderr.count("\n") == 1
    assert problem in result.stderr
    assert "Traceback" not in result.stderr


# --- output options -----------------------------------------------------------------------------

@pytest.mark.parametrize("fmt", ["text", "json", "github", "sarif"])
def test_every_format_runs_and_output_file_is_written(tmp_path: Path, fmt: str) -> None:
    on_stdout = run("check", "--isolated", "--format", fmt, str(BAD))
    target = tmp_path / f"report.{fmt}"
    to_file = run("check", "--isolated", "--format", fmt, "--output-file", str(target), str(BAD))
    assert on_stdout.exit_code == to_file.exit_code == 1
    assert to_file.stdout == ""
    assert target.read_text(encoding="utf-8") == on_stdout.stdout
    assert [p.name for p in tmp_path.iterdir()] == [target.name]  # no temporary file left behind
    if fmt in ("json", "sarif"):
        json.loads(target.read_text(encoding="utf-8"))


def test_output_file_in_a_missing_directory_creates_it(tmp_path: Path) -> None:
    result = run("check", "--isolated", "--format", "json", "-o", str(tmp_path / "no" / "report.json"), str(BAD))
    assert result.exit_code == 1, result.stderr
    assert json.loads((tmp_path / "no" / "report.json").read_text(encoding="utf-8"))["violations"]


def test_output_file_that_cannot_be_written_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("", encoding="utf-8")
    result = run("check", "--isolated", "-o", str(tmp_path / "file" / "report.json"), str(BAD))
    assert result.exit_code == 2
    assert result.stderr.startswith("lunalint: error: ") and "cannot write output" in result.stderr


def test_statistics() -> None:
    result = run("check", "--isolated", "--statistics", str(BAD))
    lines = result.stdout.splitlines()
    assert sorted(line.split("\t")[1] for line in lines[:-1]) == ["LL101", "LL201", "LL301", "LL401"]
    assert all(line.split("\t")[0].strip() == "1" for line in lines[:-1])
    assert lines[-1] == "Found 4 findings."
    as_json = run("check", "--isolated", "--statistics", "--format", "json", str(BAD))
    assert {item["code"]: item["count"] for item in json.loads(as_json.stdout)}["LL301"] == 1


@pytest.mark.parametrize("fmt", ["github", "sarif"])
def test_statistics_with_a_machine_format_is_a_usage_error(fmt: str) -> None:
    result = run("check", "--isolated", "--statistics", "--format", fmt, str(BAD))
    assert result.exit_code == 2 and result.stdout == ""
    assert result.stderr == f"lunalint: error: --statistics works with --format concise or full or text or json, not {fmt}\n"


def test_quiet_prints_findings_only() -> None:
    loud = run("check", "--isolated", str(BAD)).stdout.splitlines()
    quiet = run("check", "--isolated", "--quiet", str(BAD))
    assert quiet.exit_code == 1
    findings = [line for line in loud if not line.startswith(SUMMARY_PREFIXES)]
    assert quiet.stdout.splitlines() == findings and len(findings) == 4 and loud[4] == "Found 4 findings."
    assert run("check", "--isolated", "-q", str(GOOD)).stdout == ""


@pytest.mark.parametrize(("args", "env", "coloured"), [
    pytest.param([], {}, False, id="not-a-terminal"),
    pytest.param([], {"FORCE_COLOR": "1"}, True, id="force-color"),
    pytest.param([], {"FORCE_COLOR": "0"}, False, id="force-color-0"),
    pytest.param(["--no-color"], {"FORCE_COLOR": "1"}, False, id="no-color-flag-wins"),
    pytest.param([], {"FORCE_COLOR": "1", "NO_COLOR": "1"}, False, id="no-color-env-wins"),
    pytest.param(["--format", "github"], {"FORCE_COLOR": "1"}, False, id="machine-format"),
])
def test_colour(args: list[str], env: dict[str, str], coloured: bool) -> None:
    result = run("check", "--isolated", *args, str(BAD), env=env)
    assert (ANSI in result.stdout) is coloured


def _on_a_terminal(*args: str, env: dict[str, str]) -> str:
    controller, terminal = pty.openpty()
    full_env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR")} | env
    with subprocess.Popen([sys.executable, "-m", "lunalint", *args], stdout=terminal, stderr=terminal,
                          env=full_env) as process:
        os.close(terminal)
        chunks = []
        while True:
            try:
                chunk = os.read(controller, 65536)
            except OSError:  # EIO once the child has closed the terminal
                break
            if not chunk:
                break
            chunks.append(chunk)
        process.wait(timeout=60)
    os.close(controller)
    return b"".join(chunks).decode("utf-8", errors="replace")


def test_colour_on_a_real_terminal_and_no_color_env() -> None:
    assert ANSI in _on_a_terminal("check", "--isolated", str(BAD), env={})
    assert ANSI not in _on_a_terminal("check", "--isolated", str(BAD), env={"NO_COLOR": "1"})
    assert ANSI not in _on_a_terminal("check", "--isolated", "--no-color", str(BAD), env={})


# --- file errors --------------------------------------------------------------------------------

def test_unparsable_file_is_one_line_exit_2_and_others_still_checked(tmp_path: Path) -> None:
    broken = tmp_path / "broken.py"
    broken.write_text("import httpx\nprint 'python 2'\n", encoding="utf-8")
    result = run("check", "--isolated", str(broken), str(BAD))
    assert result.exit_code == 2
    assert "LL301" in result.stdout
    [line] = result.stderr.splitlines()
    assert line.startswith("lunalint: error: ")
    assert Path(line.split(": ")[2]).resolve() == broken.resolve()
    assert ": syntax error at line 2, column " in line
    assert "Traceback" not in result.stdout + result.stderr


# --- rules, explain, version --------------------------------------------------------------------

def test_rules_table_lists_every_rule() -> None:
    result = run("rules")
    header, *rows = result.stdout.splitlines()
    assert header.split()[:5] == ["code", "name", "check", "fix", "summary"]
    assert len(rows) == len(all_rules())
    for row, rule in zip(rows, all_rules()):
        assert row.split()[:4] == [rule.code, rule.name, rule.check_family.value, "yes" if rule.has_fix else "no"]
        assert row.endswith(rule.summary)


def test_rules_json_and_markdown() -> None:
    data = json.loads(run("rules", "--format", "json").stdout)
    assert [item["code"] for item in data] == [rule.code for rule in all_rules()]
    assert set(data[0]) == {"code", "name", "check", "has_fix", "explicit_only", "summary"}
    assert run("rules", "--format", "markdown").stdout == rules_markdown()


@pytest.mark.parametrize("selector", ["LL301", "ll301", "timeout-unbounded"])
def test_explain_by_code_or_name(selector: str) -> None:
    result = run("explain", selector)
    assert result.exit_code == 0
    assert result.stdout.startswith("# timeout-unbounded (LL301)")
    for heading in ("What it does", "Why is this bad?", "Example", "Use instead", "References"):
        assert f"## {heading}" in result.stdout


def test_explain_unknown_rule() -> None:
    result = run("explain", "LL999")
    assert result.exit_code == 2 and result.stderr.startswith("lunalint: error: unknown rule 'LL999'")


def test_version() -> None:
    for flag in ("--version", "-V"):
        assert run(flag).stdout == f"lunalint {__version__}\n"


# --- main(): what the console script runs -------------------------------------------------------

def test_main_usage_error_is_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", "--no-such-option"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("lunalint: error: No such option") and err.count("\n") == 1


def test_main_internal_error_is_one_line_without_traceback(capsys: pytest.CaptureFixture[str],
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    import lunalint.engine

    def explode(*args: object, **kwargs: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(lunalint.engine, "check_paths", explode)
    assert main(["check", "--isolated", str(BAD)]) == 2
    err = capsys.readouterr().err
    assert err == "lunalint: error: internal error (RuntimeError: boom); this is a bug in lunalint, please report it\n"


def test_main_returns_exit_codes(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", "--isolated", str(BAD)]) == 1
    assert main(["check", "--isolated", str(GOOD)]) == 0
    assert main(["--version"]) == 0
    capsys.readouterr()


def test_console_script_version_and_prefilter_miss_do_not_import_libcst(tmp_path: Path) -> None:
    plain = tmp_path / "plain.py"
    plain.write_text("print('no http client here')\n", encoding="utf-8")
    code = ("import sys; from lunalint.cli import main; "
            f"codes = [main(['--version']), main(['check', '--isolated', {str(plain)!r}])]; "
            "print(codes, 'libcst' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60)
    assert out.stdout.splitlines()[-1] == "[0, 0] False"
