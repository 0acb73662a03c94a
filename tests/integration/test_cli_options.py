"""The command line as a Ruff user meets it: rule selection, configuration files, suppressions,
formats, standard input, --show-settings/--show-files, explain, profiles. Each test runs the real
``lunalint`` process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

BAD = """\
import httpx as hx
from httpx import Limits as L

pool = hx.Client(
    timeout=None,
    limits=L(max_connections=10, keepalive_expiry=None),
)
"""  # LL101 (6), LL201 (4), LL301 (5), LL401 (5)
ALL_BAD = {"LL101", "LL201", "LL301", "LL401"}


def lunalint(cwd: Path, *args: str, stdin: str | None = None, env: dict[str, str] | None = None
             ) -> subprocess.CompletedProcess[str]:
    full_env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR")} | (env or {})
    return subprocess.run([sys.executable, "-m", "lunalint", *args], cwd=cwd, input=stdin, capture_output=True,
                          text=True, timeout=120, env=full_env)


def codes(result: subprocess.CompletedProcess[str]) -> set[str]:
    assert result.returncode in (0, 1), result.stderr
    return {v["code"] for v in json.loads(result.stdout)["violations"]}


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "client.py").write_text(BAD, encoding="utf-8")
    return tmp_path


def config(project: Path, body: str, name: str = "pyproject.toml") -> Path:
    path = project / name
    path.write_text(body, encoding="utf-8")
    return path


# --- rule selection (Ruff's precedence) --------------------------------------------------------

@pytest.mark.parametrize(("body", "args", "expected"), [
    pytest.param('[tool.lunalint]\nignore = ["LL1"]\n', ["--ignore", "LL2"], {"LL301", "LL401"},
                 id="config-ignore-and-cli-ignore-accumulate"),
    pytest.param('[tool.lunalint]\nextend-select = ["LL1"]\nselect = ["LL2"]\n', ["--select", "LL3"], {"LL301"},
                 id="cli-select-drops-config-extend-select"),
    pytest.param("", ["--select", "LL3", "--select", "LL4"], {"LL301", "LL401"}, id="repeated-select-accumulates"),
    pytest.param("", ["--select", "LL3,LL4", "--ignore", "LL4", "--ignore", "LL301"], set(), id="repeated-ignore"),
    pytest.param('[tool.lunalint]\nselect = ["LL3"]\n', ["--extend-select", "LL4"], {"LL301", "LL401"},
                 id="cli-extend-select-adds-to-config-select"),
    pytest.param("", ["--select", "LL301", "--ignore", "LL3"], {"LL301"}, id="more-specific-select-wins"),
    pytest.param("", ["--select", "LL3", "--ignore", "LL3"], None, id="ignore-wins-at-equal-specificity"),
    pytest.param("", ["--select", "ALL", "--ignore", "LL1,LL2,LL4"], {"LL301"}, id="all-minus-prefixes"),
])
def test_selection_combines_like_ruff(project: Path, body: str, args: list[str], expected: set[str] | None) -> None:
    if body:
        config(project, body)
    result = lunalint(project, "check", "--no-cache", "--format", "json", *args, "client.py")
    if expected is not None:
        assert codes(result) == expected
    else:
        assert result.returncode == 2 and "rule selection is empty" in result.stderr


def test_empty_select_is_an_error_not_everything(project: Path) -> None:
    result = lunalint(project, "check", "--no-cache", "--select", "", "client.py")
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.startswith("lunalint: error: the rule selection is empty (command line: select = [])")


EXPLICIT = "import httpx\n\nclient = httpx.Client()\n"  # LL103/LL204/LL305/LL403 with require-explicit


@pytest.mark.parametrize("selector", ["LL305", "timeout-implicit", "LL30", "LL3", "ALL"])
@pytest.mark.parametrize("explicit", [False, True])
def test_explicit_mode_rules_behave_the_same_by_code_prefix_or_all(tmp_path: Path, selector: str,
                                                                   explicit: bool) -> None:
    (tmp_path / "c.py").write_text(EXPLICIT, encoding="utf-8")
    args = ["--require-explicit"] if explicit else []
    found = codes(lunalint(tmp_path, "check", "--isolated", "--no-cache", "--format", "json",
                           "--select", selector, *args, "c.py"))
    assert ("LL305" in found) is explicit


# --- configuration files -----------------------------------------------------------------------

@pytest.mark.parametrize("name", ["lunalint.toml", ".lunalint.toml"])
def test_standalone_config_file_with_top_level_keys(project: Path, name: str) -> None:
    config(project, 'ignore = ["LL1", "LL2"]\n', name)
    assert codes(lunalint(project, "check", "--no-cache", "--format", "json", ".")) == {"LL301", "LL401"}
    other = config(project, 'select = ["LL4"]\n', "custom.toml")
    assert codes(lunalint(project, "check", "--no-cache", "--format", "json", "--config", str(other),
                          "client.py")) == {"LL401"}


def test_standalone_config_wins_over_pyproject_in_the_same_directory(project: Path) -> None:
    config(project, '[tool.lunalint]\nselect = ["LL1"]\n')
    config(project, 'select = ["LL2"]\n', "lunalint.toml")
    assert codes(lunalint(project, "check", "--no-cache", "--format", "json", ".")) == {"LL201"}


def test_config_pyproject_without_table_is_an_error(project: Path) -> None:
    path = config(project, '[project]\nname = "x"\n')
    result = lunalint(project, "check", "--config", str(path), "client.py")
    assert result.returncode == 2 and result.stderr.count("\n") == 1
    assert f"{path}: no [tool.lunalint] table" in result.stderr


def test_standalone_config_with_a_misplaced_table_is_an_error(project: Path) -> None:
    path = config(project, 'select = ["LL4"]\n[tool.lunalint]\nignore = ["LL4"]\n', "lunalint.toml")
    result = lunalint(project, "check", "--config", str(path), "client.py")
    assert result.returncode == 2 and "'tool' is not a lunalint setting" in result.stderr


def test_isolated_with_config_is_an_error(project: Path) -> None:
    path = config(project, 'select = ["LL4"]\n', "lunalint.toml")
    result = lunalint(project, "check", "--isolated", "--config", str(path), "client.py")
    assert result.returncode == 2 and "--isolated and --config" in result.stderr


@pytest.mark.parametrize("pattern", ["./generated", "generated", "generated/", "./generated/*"])
def test_exclude_patterns_with_a_leading_dot_slash(project: Path, pattern: str) -> None:
    (project / "client.py").unlink()
    (project / "generated").mkdir()
    (project / "generated" / "api.py").write_text(BAD, encoding="utf-8")
    config(project, f'[tool.lunalint]\nexclude = ["{pattern}"]\n')
    result = lunalint(project, "check", "--no-cache", ".")
    assert result.returncode == 0, result.stdout + result.stderr


def test_extend_exclude_on_the_command_line_adds_to_the_configured_ones(project: Path) -> None:
    for name in ("a", "b"):
        (project / name).mkdir()
        (project / name / "x.py").write_text(BAD, encoding="utf-8")
    config(project, '[tool.lunalint]\nextend-exclude = ["a"]\n')
    listed = lunalint(project, "check", "--show-files", "--extend-exclude", "b", ".")
    assert listed.stdout.splitlines() == ["client.py"]


# --- suppressions ------------------------------------------------------------------------------

@pytest.mark.parametrize(("comment", "left"), [
    ("# lunalint: ignore[timeout-unbounded]", {"LL101", "LL201", "LL401"}),
    ("# lunalint: ignore[timeout-unbounded, connect-timeout-unbounded]", {"LL101", "LL201"}),
    ("# noqa: LL301", {"LL101", "LL201", "LL401"}),
])
def test_suppression_by_rule_name(tmp_path: Path, comment: str, left: set[str]) -> None:
    (tmp_path / "c.py").write_text(BAD.replace("timeout=None,", f"timeout=None,  {comment}"), encoding="utf-8")
    assert codes(lunalint(tmp_path, "check", "--isolated", "--no-cache", "--format", "json", "c.py")) == left


@pytest.mark.parametrize(("header", "left"), [
    ("# lunalint: skip-file\n", set()),
    ("# lunalint: noqa\n", set()),
    ("# lunalint: noqa: LL301, tcp-keepalive-missing\n", {"LL101", "LL401"}),
    ("x = 1  # lunalint: skip-file\n", ALL_BAD),  # only on a line of its own
])
def test_file_level_suppression(tmp_path: Path, header: str, left: set[str]) -> None:
    (tmp_path / "c.py").write_text(BAD + header, encoding="utf-8")
    assert codes(lunalint(tmp_path, "check", "--isolated", "--no-cache", "--format", "json", "c.py")) == left


def test_unused_and_unknown_suppressions_are_reported_only_when_selected(tmp_path: Path) -> None:
    source = (BAD.replace("timeout=None,", "timeout=None,  # lunalint: ignore[LL301, LL3O1]")
              + "x = 1  # noqa: LL101\ny = 2  # noqa: E501\nz = 3  # noqa\n")
    (tmp_path / "c.py").write_text(source, encoding="utf-8")
    (tmp_path / "plain.py").write_text("import os  # lunalint: ignore[LL201]\n", encoding="utf-8")
    default = lunalint(tmp_path, "check", "--isolated", "--no-cache", "--format", "json", ".")
    assert codes(default) == {"LL101", "LL201", "LL401"}
    audited = lunalint(tmp_path, "check", "--isolated", "--no-cache", "--format", "json", "--extend-select",
                       "LL902", ".")
    found = sorted((v["path"], v["line"], v["message"]) for v in json.loads(audited.stdout)["violations"]
                   if v["code"] == "LL902")
    assert found == [
        ("c.py", 5, "unused suppression: unknown rule 'LL3O1'"),
        ("c.py", 8, "unused suppression: no LL101 finding to suppress"),
        ("plain.py", 1, "unused suppression: no LL201 finding to suppress"),
    ]


# --- small glitches ----------------------------------------------------------------------------

def test_syntax_error_has_one_position_and_no_parser_internals(tmp_path: Path) -> None:
    (tmp_path / "broken.py").write_text("import httpx\nclient = httpx.Client(timeout=\nx = 1\n", encoding="utf-8")
    result = lunalint(tmp_path, "check", "--isolated", "--no-cache", "broken.py")
    assert result.returncode == 2
    assert result.stderr == "lunalint: error: broken.py: syntax error at line 2, column 22: '(' was never closed\n"


def test_a_run_with_only_file_errors_has_a_summary_and_no_empty_line(tmp_path: Path) -> None:
    (tmp_path / "broken.py").write_text("import httpx\nprint 'x'\n", encoding="utf-8")
    result = lunalint(tmp_path, "check", "--isolated", "--no-cache", "--format", "concise", "broken.py")
    assert result.returncode == 2
    assert result.stdout == "Found 0 findings; 1 file could not be checked.\n"


def test_findings_and_errors_are_counted_apart(tmp_path: Path) -> None:
    (tmp_path / "broken.py").write_text("import httpx\nprint 'x'\n", encoding="utf-8")
    (tmp_path / "c.py").write_text(BAD, encoding="utf-8")
    concise = lunalint(tmp_path, "check", "--isolated", "--no-cache", "--format", "concise", ".")
    assert "Found 4 findings; 1 file could not be checked." in concise.stdout.splitlines()
    summary = json.loads(lunalint(tmp_path, "check", "--isolated", "--no-cache", "--format", "json", ".").stdout)
    assert summary["summary"] == {"files_checked": 2, "violations": 4, "errors": 1, "fixed": 0}


def test_output_file_in_a_missing_folder(project: Path) -> None:
    result = lunalint(project, "check", "--no-cache", "--format", "sarif", "-o", "reports/out/x.sarif", "client.py")
    assert result.returncode == 1, result.stderr
    assert json.loads((project / "reports/out/x.sarif").read_text(encoding="utf-8"))["version"] == "2.1.0"


def test_broken_symbolic_link_in_a_walk(tmp_path: Path) -> None:
    (tmp_path / "gone.py").symlink_to(tmp_path / "nowhere.py")
    result = lunalint(tmp_path, "check", "--isolated", "--no-cache", ".")
    assert result.returncode == 2
    assert result.stderr == "lunalint: error: gone.py: broken symbolic link\n"


def test_check_option_errors_point_to_check_help(tmp_path: Path) -> None:
    result = lunalint(tmp_path, "check", "--no-such-option")
    assert result.returncode == 2
    assert result.stderr.rstrip().endswith("(see `lunalint check --help`)")


# --- formats -----------------------------------------------------------------------------------

def test_full_format_shows_the_source_a_caret_and_a_fix_hint(project: Path) -> None:
    result = lunalint(project, "check", "--no-cache", "--output-format", "full", "--select", "LL301", "client.py")
    assert result.returncode == 1
    assert result.stdout == (
        "client.py:5:5: LL301 httpx.Client read timeout is disabled: a stalled response hangs forever\n"
        "  |\n"
        "4 | pool = hx.Client(\n"
        "5 |     timeout=None,\n"
        "  |     ^^^^^^^^^^^^ LL301\n"
        "6 |     limits=L(max_connections=10, keepalive_expiry=None),\n"
        "  |\n"
        "  = help: pass `timeout=httpx.Timeout(600, connect=10)` (a read timeout of at least 600 s, "
        "a short connect timeout)\n"
        "  = fix (unsafe): Set `timeout=httpx.Timeout(600, connect=10)`\n"
        "\n"
        "Found 1 finding.\n"
        "No fixes available (1 hidden fix can be enabled with the `--unsafe-fixes` option).\n")


def test_concise_is_the_default_off_a_terminal_and_text_its_old_name(project: Path) -> None:
    default = lunalint(project, "check", "--no-cache", "client.py")
    assert default.stdout == lunalint(project, "check", "--no-cache", "--format", "concise", "client.py").stdout
    assert default.stdout == lunalint(project, "check", "--no-cache", "--format", "text", "client.py").stdout
    assert default.stdout.splitlines()[0].startswith("client.py:4:8: LL201 ")


def test_full_is_the_default_on_a_terminal(project: Path) -> None:
    import pty

    output = bytearray()

    def read(fd: int) -> bytes:
        data = os.read(fd, 1024)
        output.extend(data)
        return data

    cwd = os.getcwd()
    os.chdir(project)
    try:
        pty.spawn([sys.executable, "-m", "lunalint", "check", "--no-cache", "--no-color", "client.py"], read)
    finally:
        os.chdir(cwd)
    text = output.decode().replace("\r\n", "\n")
    assert "  = help: " in text and " | pool = hx.Client(" in text


def test_full_format_hints_follow_the_policy_profile(project: Path) -> None:
    source = "import httpx\n\nc = httpx.Client(base_url='https://api.openai.com/v1', timeout=60)\n"
    (project / "client.py").write_text(source, encoding="utf-8")
    result = lunalint(project, "check", "--no-cache", "--format", "full", "--select", "LL302", "--profile",
                      "long-running", "client.py")
    assert "= help: pass `timeout=httpx.Timeout(1200, connect=10)`" in result.stdout


def test_stdin_with_stdin_filename(project: Path) -> None:
    config(project, '[tool.lunalint]\nper-file-ignores = { "app/*" = ["LL1"] }\n')
    result = lunalint(project, "check", "-", "--stdin-filename", "app/llm.py", "--format", "json", stdin=BAD)
    data = json.loads(result.stdout)
    assert {v["code"] for v in data["violations"]} == {"LL201", "LL301", "LL401"}
    assert {v["path"] for v in data["violations"]} == {"app/llm.py"}
    full = lunalint(project, "check", "-", "--stdin-filename", "app/llm.py", "--format", "full", stdin=BAD)
    assert "5 |     timeout=None," in full.stdout
    bare = lunalint(project, "check", "-", "--isolated", "--format", "concise", stdin=BAD)
    assert bare.returncode == 1 and bare.stdout.startswith("-:4:8: LL201 ")


def test_stdin_filename_with_force_exclude(project: Path) -> None:
    config(project, '[tool.lunalint]\nexclude = ["generated"]\n')
    result = lunalint(project, "check", "-", "--stdin-filename", "generated/x.py", "--force-exclude", stdin=BAD)
    assert result.returncode == 0 and result.stdout == "All checks passed!\n"


def test_force_exclude_applies_to_named_files(project: Path) -> None:
    (project / "generated").mkdir()
    (project / "generated" / "api.py").write_text(BAD, encoding="utf-8")
    config(project, '[tool.lunalint]\nexclude = ["generated"]\n')
    assert lunalint(project, "check", "--no-cache", "generated/api.py").returncode == 1  # named: checked
    assert lunalint(project, "check", "--no-cache", "--force-exclude", "generated/api.py").returncode == 0
    config(project, '[tool.lunalint]\nexclude = ["generated"]\nforce-exclude = true\n')
    assert lunalint(project, "check", "--no-cache", "generated/api.py", "client.py").stdout.count("client.py:") == 4


# --- --show-settings, --show-files, explain ------------------------------------------------------

def test_show_settings_names_where_each_value_came_from(project: Path) -> None:
    path = config(project, '[tool.lunalint]\nprofile = "low-latency"\nmax-keepalive-idle = 20\nignore = ["LL2"]\n')
    result = lunalint(project, "check", "--show-settings", "--max-connect-timeout", "5", "--extend-select", "LL902")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert f'profile = "low-latency"  # {path}' in lines
    assert "streaming-min-timeout = 600  # default" in lines
    assert "max-pool-idle-timeout = 30  # profile low-latency" in lines
    assert f"max-keepalive-idle = 20  # {path}" in lines
    assert "max-connect-timeout = 5  # command line" in lines
    assert "respect-gitignore = true  # default" in lines
    assert f'# rule selection from {path}: ignore = ["LL2"]' in lines
    assert '# rule selection from command line: extend-select = ["LL902"]' in lines
    rules = next(line for line in lines if line.startswith("rules = "))
    assert '"LL902"' in rules and '"LL201"' not in rules and '"LL305"' not in rules


def test_show_files_lists_what_would_be_checked(project: Path) -> None:
    (project / "pkg").mkdir()
    (project / "pkg" / "a.py").write_text("x = 1\n", encoding="utf-8")
    (project / "pkg" / "notes.txt").write_text("x\n", encoding="utf-8")
    (project / ".venv").mkdir()
    (project / ".venv" / "v.py").write_text("x = 1\n", encoding="utf-8")
    result = lunalint(project, "check", "--show-files")
    assert result.returncode == 0 and result.stdout.splitlines() == ["client.py", "pkg/a.py"]


@pytest.mark.parametrize(("code", "libraries"), [
    ("LL201", ["httpx", "httpx2", "aiohttp", "requests", "urllib3", "openai", "anthropic"]),
    ("LL104", ["httpx", "httpx2", "openai", "anthropic"]),
])
def test_explain_shows_use_instead_for_each_library(tmp_path: Path, code: str, libraries: list[str]) -> None:
    result = lunalint(tmp_path, "explain", code)
    headings = [line for line in result.stdout.splitlines() if line.startswith("## Use instead, with ")]
    assert headings == [f"## Use instead, with {library}" for library in libraries]


# --- profiles ----------------------------------------------------------------------------------

PROFILE_CASES = {  # pool idle expiry 45 s, keepalive idle 45 s, read timeout 900 s
    "default": set(),
    "high-traffic": set(),
    "low-latency": {"LL102", "LL203"},
    "long-running": {"LL203", "LL302"},
}
TUNED = """\
import socket
import httpx

client = httpx.Client(
    base_url="https://api.anthropic.com/v1",
    timeout=httpx.Timeout(900, connect=10),
    transport=httpx.HTTPTransport(
        limits=httpx.Limits(keepalive_expiry=45),
        socket_options=[
            (socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1),
            (socket.IPPROTO_TCP, socket.TCP_KEEPIDLE, 45),
        ],
    ),
)
"""


@pytest.mark.parametrize("profile", list(PROFILE_CASES))
@pytest.mark.parametrize("where", ["config", "command line"])
def test_profiles_set_the_thresholds(tmp_path: Path, profile: str, where: str) -> None:
    (tmp_path / "c.py").write_text(TUNED, encoding="utf-8")
    args = ["--profile", profile] if where == "command line" else []
    if where == "config":
        config(tmp_path, f'[tool.lunalint]\nprofile = "{profile}"\n')
    assert codes(lunalint(tmp_path, "check", "--no-cache", "--format", "json", *args, "c.py")) == PROFILE_CASES[profile]


def test_explicit_keys_win_over_the_profile(tmp_path: Path) -> None:
    (tmp_path / "c.py").write_text(TUNED, encoding="utf-8")
    config(tmp_path, '[tool.lunalint]\nprofile = "long-running"\nmax-keepalive-idle = 50\n')
    assert codes(lunalint(tmp_path, "check", "--no-cache", "--format", "json", "c.py")) == {"LL302"}
    assert codes(lunalint(tmp_path, "check", "--no-cache", "--format", "json", "--streaming-min-timeout", "900",
                          "c.py")) == set()
    # a profile on the command line replaces the file's profile, not the file's explicit keys
    assert codes(lunalint(tmp_path, "check", "--no-cache", "--format", "json", "--profile", "low-latency",
                          "c.py")) == {"LL102"}


def test_unknown_profile_is_a_one_line_error(tmp_path: Path) -> None:
    path = config(tmp_path, '[tool.lunalint]\nprofile = "fast"\n')
    result = lunalint(tmp_path, "check", ".")
    assert result.returncode == 2 and result.stderr.count("\n") == 1
    assert f"{path}: [tool.lunalint] 'profile' must be one of default, high-traffic, low-latency, long-running" \
        in result.stderr
