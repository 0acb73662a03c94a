"""The GitHub Action (``action.yml``) and the example workflow (``hooks/github-workflow.yml``).

actionlint checks the example workflow with this action as a local action (so its inputs and its
metadata are checked too) and the action's composite steps as a reusable workflow. The steps' own
scripts are run here with a stand-in for the runner.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from support.actionlint import ACTION, WORKFLOW, layout, needs_actionlint, run_actionlint
from support.corpus import CORPUS


def _load(path: Path) -> dict[str, Any]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


# --- actionlint ----------------------------------------------------------------------------------

@needs_actionlint
def test_example_workflow_and_action_metadata_pass_actionlint(tmp_path: Path) -> None:
    result = run_actionlint(layout(tmp_path, WORKFLOW.read_text(encoding="utf-8")))
    assert result.returncode == 0, result.stdout + result.stderr


@needs_actionlint
@pytest.mark.parametrize(("workflow_edit", "action_edit", "complaint"), [
    pytest.param(("args:", "argz:"), None, 'input "argz" is not defined in action', id="unknown-input"),
    pytest.param(None, ("using: composite", "using: compost"), 'invalid runner name "compost"', id="bad-metadata"),
])
def test_actionlint_catches_mistakes(tmp_path: Path, workflow_edit: tuple[str, str] | None,
                                     action_edit: tuple[str, str] | None, complaint: str) -> None:
    workflow, action = WORKFLOW.read_text(encoding="utf-8"), ACTION.read_text(encoding="utf-8")
    if workflow_edit:
        workflow = workflow.replace(*workflow_edit)
    if action_edit:
        action = action.replace(*action_edit)
    result = run_actionlint(layout(tmp_path, workflow, action))
    assert result.returncode == 1 and complaint in result.stdout


@needs_actionlint
def test_composite_steps_pass_actionlint_as_a_reusable_workflow(tmp_path: Path) -> None:
    """actionlint checks workflows, not actions: wrap the steps in a ``workflow_call`` with the same inputs."""
    action = _load(ACTION)
    inputs = {name: {"type": "string", "required": False, "default": str(spec.get("default", ""))}
              for name, spec in action["inputs"].items()}
    workflow = {"name": "composite steps", "on": {"workflow_call": {"inputs": inputs}},
                "jobs": {"steps": {"runs-on": "ubuntu-latest", "steps": action["runs"]["steps"]}}}
    (tmp_path / ".git").mkdir()
    (tmp_path / ".github" / "workflows").mkdir(parents=True)
    (tmp_path / ".github" / "workflows" / "steps.yml").write_text(yaml.safe_dump(workflow, sort_keys=False),
                                                                  encoding="utf-8")
    result = run_actionlint(tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    # and a mistake in a step is caught
    workflow["jobs"]["steps"]["steps"][-1]["env"]["INPUT_ARGS"] = "${{ inputs.argz }}"
    (tmp_path / ".github" / "workflows" / "steps.yml").write_text(yaml.safe_dump(workflow), encoding="utf-8")
    assert 'property "argz" is not defined' in run_actionlint(tmp_path).stdout


# --- action.yml structure (no tool needed) -------------------------------------------------------

def test_action_metadata_structure() -> None:
    action = _load(ACTION)
    assert {"name", "description", "inputs", "runs"} <= set(action)
    assert set(action["inputs"]) == {"paths", "args", "python-version", "sarif-file"}
    for name, spec in action["inputs"].items():
        assert spec.get("description"), name
        assert spec.get("required") is False and "default" in spec, name
    assert action["runs"]["using"] == "composite"
    steps = action["runs"]["steps"]
    for step in steps:
        assert ("run" in step) != ("uses" in step), step
        if "run" in step:
            assert step.get("shell") == "bash", f"composite run steps need a shell: {step.get('name')}"
    ids = {step["id"] for step in steps if "id" in step}
    text = ACTION.read_text(encoding="utf-8")
    assert set(re.findall(r"inputs\.([\w-]+)", text)) == set(action["inputs"])  # each used, none undeclared
    assert set(re.findall(r"steps\.([\w-]+)\.", text)) <= ids
    scripts = "\n".join(step.get("run", "") for step in steps)
    assert 'pip install --quiet --disable-pip-version-check "$GITHUB_ACTION_PATH"' in scripts
    assert "check --format github" in scripts and "--format sarif --output-file" in scripts
    assert "${{" not in scripts  # inputs reach scripts through env:, never by template injection


def test_example_workflow_structure() -> None:
    workflow = _load(WORKFLOW)
    [job] = workflow["jobs"].values()
    uses = [step for step in job["steps"] if str(step.get("uses", "")).startswith("lunalint/lunalint@")]
    [step] = uses
    assert set(step["with"]) <= set(_load(ACTION)["inputs"])
    assert job["permissions"]["security-events"] == "write"
    upload = job["steps"][-1]
    assert upload["uses"].startswith("github/codeql-action/upload-sarif@")
    assert upload["with"]["sarif_file"] == step["with"]["sarif-file"]


# --- the steps' scripts, run with a stand-in runner ----------------------------------------------

def _run_step(name: str, workspace: Path, runner_temp: Path, inputs: dict[str, str]) -> subprocess.CompletedProcess[str]:
    [step] = [s for s in _load(ACTION)["runs"]["steps"] if s.get("name") == name]
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR")}
    for key, value in step.get("env", {}).items():
        match = re.fullmatch(r"\$\{\{ inputs\.([\w-]+) \}\}", str(value))
        assert match, f"unexpected env value {value!r}"
        env[key] = inputs.get(match[1], str(_load(ACTION)["inputs"][match[1]].get("default", "")))
    env |= {"RUNNER_TEMP": str(runner_temp), "GITHUB_OUTPUT": str(runner_temp / "output")}
    return subprocess.run(["bash", "-e", "-c", step["run"]], cwd=workspace, env=env, capture_output=True, text=True,
                          timeout=120)


@pytest.fixture
def runner(tmp_path: Path) -> tuple[Path, Path]:
    """A workspace with a bad and a good client, and RUNNER_TEMP with lunalint "installed" in it."""
    workspace = tmp_path / "workspace"
    shutil.copytree(CORPUS, workspace)
    runner_temp = tmp_path / "runner-temp"
    (runner_temp / "lunalint-venv" / "bin").mkdir(parents=True)
    (runner_temp / "lunalint-venv" / "bin" / "lunalint").symlink_to(Path(sys.executable).parent / "lunalint")
    (runner_temp / "output").touch()
    return workspace, runner_temp


def test_run_step_annotates_findings_and_fails(runner: tuple[Path, Path]) -> None:
    workspace, runner_temp = runner
    result = _run_step("Run lunalint", workspace, runner_temp, {"paths": "bad/httpx_unbounded.py good"})
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    assert len(lines) == 4 and all(line.startswith("::error file=bad/httpx_unbounded.py,line=") for line in lines)
    clean = _run_step("Run lunalint", workspace, runner_temp, {"paths": "good", "args": "--select LL3"})
    assert (clean.returncode, clean.stdout) == (0, "")


def test_sarif_step_writes_the_report_and_the_output(runner: tuple[Path, Path]) -> None:
    workspace, runner_temp = runner
    broken = _run_step("Write SARIF", workspace, runner_temp, {"paths": "missing.py", "sarif-file": "x.sarif"})
    assert broken.returncode == 2  # a file that cannot be checked fails the step (--exit-zero covers findings only)
    result = _run_step("Write SARIF", workspace, runner_temp,
                       {"paths": "bad good", "args": "--ignore LL2", "sarif-file": "out/lunalint.sarif"})
    assert result.returncode == 0, result.stderr  # findings do not fail this step; the next step does
    log = json.loads((workspace / "out" / "lunalint.sarif").read_text(encoding="utf-8"))
    results = log["runs"][0]["results"]
    assert results and not any(r["ruleId"].startswith("LL2") for r in results)
    assert {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"].split("/")[0] for r in results} == {"bad"}
    assert (runner_temp / "output").read_text(encoding="utf-8") == "path=out/lunalint.sarif\n"
