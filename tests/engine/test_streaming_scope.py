"""``streaming-scope``: ``"all"`` reproduces lunalint's findings from before the scope existed,
exactly; ``"llm"`` (the default) reports a subset of them, naming the evidence on timeouts.

The baseline (``data/scope_all_baseline.json``) holds the findings of the code before the scope on
the test corpus, every rule example and the benchmark's generated app; ``support/scope_baseline.py``
says how it was made.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from support.scope_baseline import BASELINE, Findings, Sources, judge, sources

from lunalint.config import ConfigError, load_settings
from lunalint.settings_view import show


@pytest.fixture(scope="module")
def every() -> Sources:
    return sources()


@pytest.fixture(scope="module")
def baseline() -> Findings:
    found: Findings = json.loads(BASELINE.read_text(encoding="utf-8"))
    return found


def test_all_reproduces_the_findings_from_before_the_scope(every: Sources, baseline: Findings) -> None:
    assert set(every) == set(baseline), "sources changed: make the baseline again (support/scope_baseline.py)"
    strict = judge(every, scope="all")
    different = {name: (strict[name], baseline[name]) for name in every if strict[name] != baseline[name]}
    assert different == {}


def test_llm_reports_a_subset_and_names_its_evidence(every: Sources, baseline: Findings) -> None:
    scoped = judge(every, scope="llm")
    dropped = kept = 0
    for name, findings in scoped.items():
        before = [tuple(finding) for finding in baseline[name]]
        for line, column, code, message in findings:
            same_place = [old for old in before if old[:3] == (line, column, code)]
            assert same_place, (name, line, column, code, message)
            if code in ("LL302", "LL303"):  # the same message, and the evidence after it
                assert any(message.startswith(f"{old[3]}; ") for old in same_place), (name, message)
                assert " at line " in message
                kept += 1
            elif "it is opened for one request" not in message:  # LL201's one-shot wording aside
                assert (line, column, code, message) in before, name
        dropped += len(before) - len(findings)
    assert kept and dropped  # the scope keeps some timeout findings and drops others


def test_the_default_is_llm_and_the_setting_is_checked(tmp_path: Path) -> None:
    assert load_settings(None).policy.streaming_scope == "llm"
    config = tmp_path / "lunalint.toml"
    config.write_text('streaming-scope = "all"\n', encoding="utf-8")
    settings = load_settings(config)
    assert settings.policy.streaming_scope == "all"
    assert f'streaming-scope = "all"  # {config}' in show(settings)
    assert load_settings(config, {"streaming-scope": "llm"}).policy.streaming_scope == "llm"
    config.write_text('streaming-scope = "everything"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="'streaming-scope' must be one of 'llm', 'all', got 'everything'"):
        load_settings(config)
