"""The rule registry and rule selection (``select``/``ignore`` by code, prefix or name)."""

from __future__ import annotations

import importlib
from collections.abc import Iterable, Sequence
from functools import lru_cache

from lunalint.rules.base import Rule

__all__ = ["RULE_MODULES", "all_rules", "known_selectors", "matches", "rule_by_selector", "select_rules"]

RULE_MODULES = (
    "ll101_pool_idle_unbounded",
    "ll102_pool_idle_too_long",
    "ll103_pool_idle_implicit",
    "ll104_pool_limits_ignored",
    "ll201_tcp_keepalive_missing",
    "ll202_tcp_keepalive_idle_missing",
    "ll203_tcp_keepalive_idle_too_long",
    "ll204_tcp_keepalive_implicit",
    "ll301_timeout_unbounded",
    "ll302_timeout_below_streaming_minimum",
    "ll303_default_timeout_too_short",
    "ll304_timeout_phase_unbounded",
    "ll305_timeout_implicit",
    "ll401_connect_timeout_unbounded",
    "ll402_connect_timeout_too_long",
    "ll403_connect_timeout_implicit",
    "ll901_invalid_setting_value",
)


@lru_cache(maxsize=1)
def all_rules() -> tuple[type[Rule], ...]:
    """Every rule class, in code order."""
    rules: list[type[Rule]] = []
    for name in RULE_MODULES:
        module = importlib.import_module(f"lunalint.rules.{name}")
        rules.extend(
            value for value in vars(module).values()
            if isinstance(value, type) and issubclass(value, Rule) and value is not Rule
            and value.__module__ == module.__name__
        )
    return tuple(sorted(rules, key=lambda rule: rule.code))


@lru_cache(maxsize=1)
def known_selectors() -> dict[str, str]:
    """Every valid selector (``ALL``, code prefixes, codes, names) mapped to its canonical form."""
    selectors = {"ALL": "ALL"}
    for rule in all_rules():
        for end in range(2, len(rule.code) + 1):
            selectors[rule.code[:end]] = rule.code[:end]
        selectors[rule.name] = rule.name
    return selectors


def matches(selector: str, rule: type[Rule]) -> bool:
    """Whether ``selector`` (``ALL``, a code prefix or a rule name) selects ``rule``."""
    return selector == "ALL" or selector == rule.name or rule.code.startswith(selector)


def _exact(selector: str, rule: type[Rule]) -> bool:
    return selector in (rule.code, rule.name)


def rule_by_selector(selector: str) -> type[Rule] | None:
    """The rule with this exact code or name (case-insensitive code)."""
    for rule in all_rules():
        if selector.upper() == rule.code or selector == rule.name:
            return rule
    return None


def select_rules(select: Sequence[str], extend_select: Iterable[str], ignore: Iterable[str], *,
                 require_explicit: bool) -> tuple[type[Rule], ...]:
    """Ruff's selection: ``select`` (default: every rule) plus ``extend_select``, minus ``ignore``.

    Explicit-mode rules join a prefix selection only with ``require_explicit``; naming one by its
    exact code or name selects it regardless.
    """
    chosen = list(select) or ["ALL"]
    chosen.extend(extend_select)
    ignored = list(ignore)
    selected = []
    for rule in all_rules():
        picked = any(_exact(s, rule) for s in chosen) or (
            any(matches(s, rule) for s in chosen) and (require_explicit or not rule.explicit_only))
        if picked and not any(matches(s, rule) for s in ignored):
            selected.append(rule)
    return tuple(selected)
