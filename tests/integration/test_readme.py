"""The README agrees with the code: commands, rule table, configuration keys, snippets (pre-commit-hooks' readme_test)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from support.lint import lint
from support.repo import ROOT
from support.actionlint import ACTION, layout, needs_actionlint, run_actionlint

from lunalint.config import VALID_KEYS, load_settings
from lunalint.docs import RULES_END, RULES_START, main as docs_main, rules_markdown, sync_readme
from lunalint.engine import check_source
from lunalint.formats import FORMATS
from lunalint.libraries import client_modules
from lunalint.rules import all_rules, known_selectors

README = ROOT / "README.md"
TEXT = README.read_text(encoding="utf-8")


def blocks(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", TEXT, flags=re.DOTALL)


def section(title: str) -> str:
    return TEXT.split(f"## {title}\n", 1)[1].split("\n## ", 1)[0]


def test_ci_runs_the_readme_test_command() -> None:
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    [command] = [line for line in ci.splitlines() if line.startswith("python3 -m venv")]
    assert f"```sh\n{command}\n```" in TEXT
    assert ("```sh\npython3 -m venv .venv && .venv/bin/pip install . && .venv/bin/lunalint check path/to/your/code\n```"
            in TEXT)


# --- rule table ----------------------------------------------------------------------------------

def test_rule_table_is_generated_from_the_rules() -> None:
    assert sync_readme(TEXT) == TEXT, "run `python -m lunalint.docs --write README.md`"
    table = TEXT.split(RULES_START, 1)[1].split(RULES_END, 1)[0]
    codes = re.findall(r"^\| (LL\d+) \| `([\w-]+)` \|", table, flags=re.MULTILINE)
    assert codes == [(rule.code, rule.name) for rule in all_rules()]


def test_docs_check_and_write(tmp_path: Path) -> None:
    readme = tmp_path / "README.md"
    stale = TEXT.replace(f"| {all_rules()[0].summary}", "| an old summary")
    assert stale != TEXT
    readme.write_text(stale, encoding="utf-8")
    assert docs_main(["--check", str(readme)]) == 1
    assert docs_main(["--write", str(readme)]) == 0
    assert readme.read_text(encoding="utf-8") == TEXT
    assert docs_main(["--check", str(readme)]) == 0
    readme.write_text("# no markers\n", encoding="utf-8")
    assert docs_main(["--check", str(readme)]) == 2
    out = subprocess.run([sys.executable, "-m", "lunalint.docs"], capture_output=True, text=True, check=True,
                         timeout=60)
    assert out.stdout == rules_markdown()


# --- configuration, formats, libraries, exit codes -----------------------------------------------

def test_configuration_reference_lists_every_key_and_the_example_loads(tmp_path: Path) -> None:
    reference = section("Configuration")
    documented = re.findall(r"^\| `([a-z-]+)` \|", reference, flags=re.MULTILINE)
    assert sorted(documented) == sorted(VALID_KEYS)
    [example] = [b for b in blocks("toml") if "[tool.lunalint]" in b]
    assert sorted(re.findall(r"^([a-z-]+) =", example, flags=re.MULTILINE)) == sorted(VALID_KEYS)
    config = tmp_path / "pyproject.toml"
    config.write_text(example, encoding="utf-8")
    settings = load_settings(config, known_codes=known_selectors())
    assert settings.policy.streaming_min_timeout == 600 and settings.per_file_ignores == (("tests/*", ("LL3",)),)


def test_formats_libraries_and_exit_codes_are_documented() -> None:
    formats = re.findall(r"^\| `(\w+)`", section("Output formats"), flags=re.MULTILINE)
    assert formats == list(FORMATS)
    for module in client_modules():
        assert f"**{module}**" in TEXT, module
    assert re.findall(r"^\| (\d) \|", section("Exit codes"), flags=re.MULTILINE) == ["0", "1", "2"]


# --- snippets ------------------------------------------------------------------------------------

def test_passing_client_snippet_passes() -> None:
    [snippet] = [b for b in blocks("python") if "socket_options=[" in b]
    result = check_source(snippet, "README.md")
    assert (result.violations, result.errors) == ([], [])


def test_every_fully_configured_library_example_passes() -> None:
    text = (ROOT / "docs" / "clients.md").read_text(encoding="utf-8")
    examples = re.findall(r"```python\n(.*?)```", text, re.DOTALL)
    assert len(examples) == 5
    for example in examples:
        result = check_source(example, "README.md")
        assert (result.violations, result.errors) == ([], []), example


def test_suppression_snippet_suppresses() -> None:
    [snippet] = [b for b in blocks("python") if "lunalint: ignore" in b]
    source = "import httpx\n" + snippet

    def by_line(code: str) -> dict[int, set[str]]:
        found: dict[int, set[str]] = {}
        for v in check_source(code, "x.py").violations:
            found.setdefault(v.line, set()).add(v.code)
        return found

    plain = by_line(re.sub(r"#.*", "", source))
    assert plain[2] == plain[3] == plain[4] and {"LL201", "LL301", "LL401"} <= plain[2]
    suppressed = by_line(source)
    assert suppressed[2] == plain[2] - {"LL301"}  # lunalint: ignore[LL301]
    assert suppressed[3] == plain[3] - {"LL301", "LL401"}  # noqa: LL301, LL401
    assert 4 not in suppressed  # bare noqa


def test_pre_commit_snippet_names_the_manifest_hook() -> None:
    manifest = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    [config] = [yaml.safe_load(b) for b in blocks("yaml") if "repos:" in b]
    [repo] = config["repos"]
    assert [hook["id"] for hook in repo["hooks"]] == [hook["id"] for hook in manifest]


def _workflows() -> list[str]:
    return [b for b in blocks("yaml") if "jobs:" in b]


def test_actions_snippets_use_declared_inputs() -> None:
    inputs = set(yaml.safe_load(ACTION.read_text(encoding="utf-8"))["inputs"])
    workflows = _workflows()
    assert len(workflows) == 2
    for text in workflows:
        steps = [s for job in yaml.safe_load(text)["jobs"].values() for s in job["steps"]]
        [ours] = [s for s in steps if str(s.get("uses", "")).startswith("lunalint/lunalint@")]
        assert set(ours.get("with", {})) <= inputs
    assert "upload-sarif" in workflows[1] and "sarif-file:" in workflows[1]


@needs_actionlint
@pytest.mark.parametrize("index", [0, 1], ids=["annotations", "sarif"])
def test_actions_snippets_pass_actionlint(tmp_path: Path, index: int) -> None:
    result = run_actionlint(layout(tmp_path, _workflows()[index]))
    assert result.returncode == 0, result.stdout + result.stderr


def test_rust_snippet_passes() -> None:
    [snippet] = re.findall(r"```rust\n(.*?)```", section("Rust (reqwest)"), re.DOTALL)
    body = "\n".join(f"    {line}" if line and not line.startswith("use ") else line for line in snippet.splitlines())
    code = f"{body.split(chr(10), 1)[0]}\nfn make() -> reqwest::Result<reqwest::Client> {{\n{body.split(chr(10), 1)[1]}\n    Ok(client)\n}}\n"
    assert "Client::builder()" in code
    assert lint(code, path="client.rs") == []


def test_quick_start_output_is_what_lunalint_prints(tmp_path: Path) -> None:
    """The quick start's file, checked in a project of its own, prints exactly the README's output."""
    quick = section("Quick start")
    [source] = [block for block in re.findall(r"```python\n(.*?)```", quick, re.DOTALL) if "make_client" in block]
    [shown] = [block for block in re.findall(r"```text\n(.*?)```", quick, re.DOTALL) if "app/llm.py:" in block]
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "llm.py").write_text(source, encoding="utf-8")
    (tmp_path / "pyproject.toml").write_text("[tool.lunalint]\n", encoding="utf-8")
    result = subprocess.run([sys.executable, "-m", "lunalint", "check", "--no-cache", "--format", "full", "app/llm.py"],
                            cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert result.returncode == 1, result.stderr
    assert result.stdout == shown
