"""Every rule's embedded VALID and INVALID examples, run as tests; plus rule metadata checks."""

from __future__ import annotations

import re
import string
import sys
from pathlib import Path

import pytest
from support.lint import lint, lint_rust

from lunalint.report import Check
from lunalint.rules import RULES, all_rules, known_selectors, select_rules
from lunalint.rules.base import Invalid, Rule, Valid, fill

HEADINGS = ("## What it does", "## Why is this bad?", "## Example", "## Use instead", "## Options",
            "## Fix safety", "## References")


def _cases(kind: str) -> list[object]:
    cases = []
    for rule in all_rules():
        examples: tuple[Valid, ...] | tuple[Invalid, ...] = rule.VALID if kind == "valid" else rule.INVALID
        for index, example in enumerate(examples):
            cases.append(pytest.param(rule, example, id=f"{rule.code}-{kind}-{index}"))
    return cases


@pytest.mark.parametrize(("rule", "example"), _cases("valid"))
def test_valid_examples_are_not_reported(rule: type[Rule], example: Valid) -> None:
    found = [v for v in lint(example.code, select=(rule.code,), **example.options) if v.code == rule.code]
    assert found == []


@pytest.mark.parametrize(("rule", "example"), _cases("invalid"))
def test_invalid_examples_are_reported(rule: type[Rule], example: Invalid) -> None:
    found = [v for v in lint(example.code, select=(rule.code,), **example.options) if v.code == rule.code]
    assert found, f"{rule.code} did not report:\n{example.code}"
    assert all(v.check is rule.check_family for v in found)
    at = [f"{v.line}:{v.column}" for v in found if example.message in v.message]
    assert at, [v.message for v in found]
    assert example.at in at, f"reported at {at}, not at {example.at} (the most specific node)"


def _pattern(template: str) -> re.Pattern[str]:
    """A template as a regular expression: its text literally, any text for each field."""
    parts = [re.escape(text) + ("" if name is None else "(.*)")
             for text, name, _, _ in string.Formatter().parse(template)]
    return re.compile("".join(parts), re.DOTALL)


def _rust_cases(kind: str) -> list[object]:
    cases = []
    for rule in all_rules():
        examples: tuple[Valid, ...] | tuple[Invalid, ...] = rule.RUST_VALID if kind == "valid" else rule.RUST_INVALID
        for index, example in enumerate(examples):
            cases.append(pytest.param(rule, example, id=f"{rule.code}-rust-{kind}-{index}"))
    return cases


@pytest.mark.parametrize(("rule", "example"), _rust_cases("valid"))
def test_rust_valid_examples_are_not_reported(rule: type[Rule], example: Valid, tmp_path: Path) -> None:
    found = [v for v in lint_rust(example.code, tmp_path, select=(rule.code,), **example.options)
             if v.code == rule.code]
    assert found == []


@pytest.mark.parametrize(("rule", "example"), _rust_cases("invalid"))
def test_rust_invalid_examples_are_reported(rule: type[Rule], example: Invalid, tmp_path: Path) -> None:
    found = [v for v in lint_rust(example.code, tmp_path, select=(rule.code,), **example.options)
             if v.code == rule.code]
    assert found, f"{rule.code} did not report:\n{example.code}"
    at = [f"{v.line}:{v.column}" for v in found if example.message in v.message]
    assert at, [v.message for v in found]
    assert example.at in at, f"reported at {at}, not at {example.at} (the most specific node)"


RUST_RULES = ("LL101", "LL102", "LL103", "LL201", "LL202", "LL203", "LL204", "LL301", "LL302", "LL303", "LL305",
              "LL401", "LL402", "LL403", "LL901")


@pytest.mark.parametrize("rule", all_rules(), ids=lambda rule: rule.code)
def test_rules_that_apply_to_rust_have_rust_examples_and_docs(rule: type[Rule]) -> None:
    if rule.code not in RUST_RULES:  # reqwest has no setting these rules judge
        assert not rule.RUST_VALID and not rule.RUST_INVALID
        return
    assert rule.RUST_VALID and rule.RUST_INVALID
    use_instead = rule.documentation().split("## Use instead", 1)[1].split("\n## ", 1)[0]
    assert "```rust" in use_instead


@pytest.mark.parametrize("rule", all_rules(), ids=lambda rule: rule.code)
def test_every_message_template_is_shown_by_an_invalid_example(rule: type[Rule]) -> None:
    messages = [v.message for example in rule.INVALID
                for v in lint(example.code, select=(rule.code,), **example.options) if v.code == rule.code]
    for template in rule.templates():
        assert any(_pattern(template).fullmatch(message) for message in messages), (template, messages)


def test_a_template_is_filled_with_exactly_its_fields() -> None:
    template = "{label} read timeout {value}{note} is below {minimum}"
    assert fill(template, {"label": "httpx.Client", "value": "60 s", "note": "", "minimum": "600 s"}) == (
        "httpx.Client read timeout 60 s is below 600 s")
    assert fill(template, {"label": "c", "value": "60 s", "note": "environment default of T", "minimum": "m"}) == (
        "c read timeout 60 s (environment default of T) is below m")
    with pytest.raises(TypeError, match="minimum"):
        fill(template, {"label": "c", "value": "60 s", "note": ""})
    with pytest.raises(TypeError, match="extra"):
        fill(template, {"label": "c", "value": "60 s", "note": "", "minimum": "m", "extra": 1})
    with pytest.raises(ValueError, match="named"):
        fill("{} s", {})


def test_a_rule_takes_its_code_and_name_from_the_index() -> None:
    module = RULES[0].module
    rule = type("Indexed", (Rule,), {"__module__": module})
    assert (rule.code, rule.name, rule.explicit_only) == (RULES[0].code, RULES[0].name, RULES[0].explicit_only)
    with pytest.raises(TypeError, match="the rule index holds them"):
        type("Restated", (Rule,), {"__module__": module, "code": "LL999"})
    with pytest.raises(TypeError, match="not in the rule index"):
        type("Unindexed", (Rule,), {"__module__": "lunalint.rules.ll999_unknown"})


@pytest.mark.parametrize("rule", all_rules(), ids=lambda rule: rule.code)
def test_rule_metadata(rule: type[Rule]) -> None:
    assert re.fullmatch(r"LL[1-9]\d\d", rule.code)
    assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", rule.name)
    family = {"1": Check.POOL_IDLE, "2": Check.TCP_KEEPALIVE, "3": Check.TIMEOUT,
              "4": Check.CONNECT_TIMEOUT}.get(rule.code[2], Check.OTHER)
    assert rule.check_family is family
    doc = rule.documentation()
    positions = [doc.find(heading) for heading in HEADINGS]
    assert all(p >= 0 for p in positions), f"missing headings in {rule.code}"
    assert positions == sorted(positions)
    assert rule.VALID, "every rule needs VALID examples"


def test_every_rule_with_a_default_trigger_has_invalid_examples() -> None:
    missing = [rule.code for rule in all_rules() if not rule.INVALID]
    assert missing == []


def test_codes_and_names_are_unique() -> None:
    rules = all_rules()
    assert len({r.code for r in rules}) == len(rules)
    assert len({r.name for r in rules}) == len(rules)


def test_selection_follows_ruff() -> None:
    def chosen(select: tuple[str, ...] = (), ignore: tuple[str, ...] = (), explicit: bool = False) -> set[str]:
        return {r.code for r in select_rules(select, (), ignore, require_explicit=explicit)}

    default = chosen()
    assert "LL301" in default and "LL103" not in default
    assert "LL103" in chosen(explicit=True)
    assert chosen(("LL3",)) == {"LL301", "LL302", "LL303", "LL304"}
    assert chosen(("LL305",)) == set()  # explicit-mode rules need require-explicit however selected
    assert chosen(("LL305",), explicit=True) == {"LL305"}
    assert "LL301" not in chosen(ignore=("timeout-unbounded",))
    assert chosen(ignore=("LL",)) == set()
    assert "LL3" in known_selectors() and "timeout-unbounded" in known_selectors()


def test_the_static_index_matches_the_rule_modules() -> None:
    """``RULES`` (read without importing any rule) names every rule module; each module's one rule
    class takes its code, name and explicit mode from it, and its docstring starts with them."""
    modules = sorted(path.stem for path in (Path(__file__).resolve().parents[2] / "lint/lunalint/rules").glob("ll*.py"))
    assert modules == sorted(info.module.rsplit(".", 1)[1] for info in RULES)
    assert [(r.code, r.name, r.explicit_only, r.__module__) for r in all_rules()] == [
        (info.code, info.name, info.explicit_only, info.module) for info in RULES]
    assert [info.code for info in RULES] == sorted(info.code for info in RULES)
    for rule in all_rules():
        module_doc = sys.modules[rule.__module__].__doc__ or ""
        assert module_doc.startswith(f"{rule.code} {rule.name}: "), module_doc


def _fix(rule: type[Rule], code: str, options: dict[str, object]) -> tuple[str, bool]:
    from lunalint.config import Policy, Settings
    from lunalint.fix import FixPolicy, fix_source

    policy = Policy(**{**options, "require_explicit": rule.explicit_only or bool(options.get("require_explicit"))})
    settings = Settings(policy=policy, select=(rule.code,))
    outcome = fix_source(code.encode(), "example.py", settings, (rule.code,), FixPolicy(unsafe=True))
    assert not outcome.result.errors, outcome.result.errors
    return outcome.data.decode(), outcome.changed


def _fixed_cases() -> list[object]:
    return [pytest.param(rule, example, id=f"{rule.code}-fixed-{index}")
            for rule in all_rules() for index, example in enumerate(rule.INVALID) if example.fixed is not None]


@pytest.mark.parametrize(("rule", "example"), _fixed_cases())
def test_invalid_examples_fix_to_their_fixed_source(rule: type[Rule], example: Invalid) -> None:
    """``--fix --unsafe-fixes`` turns the example into ``fixed``, which the rule no longer reports,
    and a second fix changes nothing."""
    fixed, changed = _fix(rule, example.code, example.options)
    assert changed and fixed == example.fixed
    assert [v for v in lint(fixed, select=(rule.code,), **example.options) if v.code == rule.code] == []
    again, changed_again = _fix(rule, fixed, example.options)
    assert (again, changed_again) == (fixed, False)


@pytest.mark.parametrize(("rule", "example"), [pytest.param(rule, example, id=f"{rule.code}-unfixed-{index}")
                                               for rule in all_rules() for index, example in enumerate(rule.INVALID)
                                               if example.fixed is None])
def test_invalid_examples_without_fixed_source_are_left_alone(rule: type[Rule], example: Invalid) -> None:
    assert _fix(rule, example.code, example.options) == (example.code, False)


def test_every_fixable_rule_shows_its_fix_for_each_library_it_fixes() -> None:
    """Each rule with a fix has INVALID examples with the fixed source, one per library whose
    findings of that rule the examples show being fixed."""
    expected = {
        "LL101": {"httpx", "aiohttp"}, "LL102": {"httpx"}, "LL103": {"httpx"}, "LL104": {"httpx"},
        "LL201": {"openai", "anthropic", "aiohttp", "httpx", "requests", "urllib3"}, "LL202": {"httpx"},
        "LL203": {"httpx"}, "LL204": {"anthropic"},
        "LL301": {"openai", "anthropic", "requests", "aiohttp", "httpx"},
        "LL302": {"openai", "requests", "httpx"}, "LL303": {"aiohttp", "httpx", "httpx2"}, "LL304": {"httpx"},
        "LL305": {"httpx"}, "LL401": {"aiohttp", "httpx"}, "LL402": {"httpx"}, "LL403": {"httpx"},
        "LL901": {"httpx"},
    }
    from lunalint.fix import FIXABLE_CODES

    assert set(expected) == FIXABLE_CODES == {rule.code for rule in all_rules() if rule.has_fix}
    for rule in all_rules():
        if not rule.has_fix:
            continue
        shown = {v.library for example in rule.INVALID if example.fixed is not None
                 for v in lint(example.code, select=(rule.code,),
                               **{**example.options, "require_explicit": rule.explicit_only}) if v.code == rule.code}
        assert expected[rule.code] <= shown, (rule.code, expected[rule.code] - shown)
