"""Fix hints (``lunalint.hints``): every hint's code is part of a whole client that passes lunalint
under every profile, and every finding the corpus and the rule examples produce has a hint."""

from __future__ import annotations

from pathlib import Path

import pytest
from support.lint import lint

from lunalint.config import Policy, Settings, load_settings
from lunalint.engine import check_paths, check_source
from lunalint.hints import LIBRARIES, hint
from lunalint.profiles import PROFILE_NAMES
from lunalint.rules import RULES, all_rules

CODES = [rule.code for rule in RULES if rule.code != "LL902"]


def _policy(profile: str, explicit: bool) -> Policy:
    return load_settings(None, {"profile": profile, "require-explicit": explicit}).policy


@pytest.mark.parametrize("explicit", [False, True], ids=["policy", "require-explicit"])
@pytest.mark.parametrize("profile", PROFILE_NAMES)
@pytest.mark.parametrize("library", LIBRARIES)
def test_every_hint_passes_lunalint(library: str, profile: str, explicit: bool) -> None:
    policy = _policy(profile, explicit)
    examples = {}
    for code in CODES:
        found = hint(library, code, policy)
        if found is not None:
            assert found.fragment in found.example, (code, found.fragment)
            assert found.fragment in found.help, (code, found.help)
            examples[found.example] = code
    assert examples, f"no hint for {library}"
    for example in examples:
        result = check_source(example, f"{library}_hint.py", Settings(policy=policy))
        assert (result.violations, result.errors) == ([], []), example


def test_the_sdk_timeout_hint_sets_a_short_connect_timeout() -> None:
    found = hint("openai", "LL302")
    assert found is not None and found.fragment == "timeout=httpx2.Timeout(600, connect=10)"
    assert lint("import openai\nclient = openai.OpenAI(timeout=600)\n", select=("LL402",))  # what a bare 600 does


def _fired() -> set[tuple[str, str]]:
    corpus = Path(__file__).resolve().parents[1] / "corpus"
    report = check_paths([corpus], Settings(policy=Policy(require_explicit=True), select=("ALL",)))
    pairs = {(v.library, v.code) for v in report.violations}
    for rule in all_rules():
        for example in rule.INVALID:
            for v in lint(example.code, select=(rule.code,), **{"require_explicit": True, **example.options}):
                pairs.add((v.library, v.code))
    return {pair for pair in pairs if pair[1] != "LL902"}


def test_every_finding_of_the_corpus_and_the_rule_examples_has_a_hint() -> None:
    pairs = _fired()
    assert len({library for library, _ in pairs}) >= 5
    assert sorted(pair for pair in pairs if hint(*pair) is None) == []
