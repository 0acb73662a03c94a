"""The rule registry and rule selection (``select``/``ignore`` by code, prefix or name).

``RULES`` indexes every rule by code, name and explicit mode without importing it, so that a run
answered from the cache (and configuration checking) never imports the rule modules; the rule
classes take these from it (``rules.base``). A rule's module is ``ll<number>_<name with underscores>``.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable, Sequence
from functools import lru_cache
from typing import TYPE_CHECKING, NamedTuple, Protocol

if TYPE_CHECKING:
    from lunalint.rules.base import Rule

__all__ = ["RULES", "RuleInfo", "all_rules", "known_selectors", "matches", "rule_by_selector",
           "rule_classes", "select_rule_infos", "select_rules"]


class RuleInfo(NamedTuple):
    code: str
    name: str
    explicit_only: bool = False

    @property
    def module(self) -> str:
        return f"lunalint.rules.ll{self.code[2:]}_{self.name.replace('-', '_')}"


RULES: tuple[RuleInfo, ...] = (
    RuleInfo("LL101", "pool-idle-unbounded"),
    RuleInfo("LL102", "pool-idle-too-long"),
    RuleInfo("LL103", "pool-idle-implicit", explicit_only=True),
    RuleInfo("LL104", "pool-limits-ignored"),
    RuleInfo("LL201", "tcp-keepalive-missing"),
    RuleInfo("LL202", "tcp-keepalive-idle-missing"),
    RuleInfo("LL203", "tcp-keepalive-idle-too-long"),
    RuleInfo("LL204", "tcp-keepalive-implicit", explicit_only=True),
    RuleInfo("LL301", "timeout-unbounded"),
    RuleInfo("LL302", "timeout-below-streaming-minimum"),
    RuleInfo("LL303", "default-timeout-too-short"),
    RuleInfo("LL304", "timeout-phase-unbounded"),
    RuleInfo("LL305", "timeout-implicit", explicit_only=True),
    RuleInfo("LL401", "connect-timeout-unbounded"),
    RuleInfo("LL402", "connect-timeout-too-long"),
    RuleInfo("LL403", "connect-timeout-implicit", explicit_only=True),
    RuleInfo("LL901", "invalid-setting-value"),
)


class _Named(Protocol):
    @property
    def code(self) -> str: ...

    @property
    def name(self) -> str: ...


@lru_cache(maxsize=None)
def _rule_class(info: RuleInfo) -> type[Rule]:
    from lunalint.rules.base import Rule

    module = importlib.import_module(info.module)
    found = [value for value in vars(module).values()
             if isinstance(value, type) and issubclass(value, Rule) and value is not Rule
             and value.__module__ == module.__name__]
    if len(found) != 1 or found[0].code != info.code:
        raise ImportError(f"{info.module} must define exactly one rule, {info.code}")
    return found[0]


def all_rules() -> tuple[type[Rule], ...]:
    """Every rule class, in code order (imports every rule module)."""
    return tuple(_rule_class(info) for info in RULES)


def rule_classes(codes: Iterable[str]) -> tuple[type[Rule], ...]:
    """The rule classes for these codes, importing only their modules."""
    wanted = set(codes)
    return tuple(_rule_class(info) for info in RULES if info.code in wanted)


@lru_cache(maxsize=1)
def known_selectors() -> dict[str, str]:
    """Every valid selector (``ALL``, code prefixes, codes, names) mapped to its canonical form."""
    selectors = {"ALL": "ALL"}
    for rule in RULES:
        for end in range(2, len(rule.code) + 1):
            selectors[rule.code[:end]] = rule.code[:end]
        selectors[rule.name] = rule.name
    return selectors


def matches(selector: str, rule: _Named) -> bool:
    """Whether ``selector`` (``ALL``, a code prefix or a rule name) selects ``rule``."""
    return selector == "ALL" or selector == rule.name or rule.code.startswith(selector)


def _exact(selector: str, rule: _Named) -> bool:
    return selector in (rule.code, rule.name)


def rule_by_selector(selector: str) -> type[Rule] | None:
    """The rule with this exact code or name (case-insensitive code)."""
    for info in RULES:
        if selector.upper() == info.code or selector == info.name:
            return _rule_class(info)
    return None


def select_rule_infos(select: Sequence[str], extend_select: Iterable[str], ignore: Iterable[str], *,
                      require_explicit: bool) -> tuple[RuleInfo, ...]:
    """Ruff's selection: ``select`` (default: every rule) plus ``extend_select``, minus ``ignore``.

    Explicit-mode rules join a prefix selection only with ``require_explicit``; naming one by its
    exact code or name selects it regardless.
    """
    chosen = list(select) or ["ALL"]
    chosen.extend(extend_select)
    ignored = list(ignore)
    selected = []
    for rule in RULES:
        picked = any(_exact(s, rule) for s in chosen) or (
            any(matches(s, rule) for s in chosen) and (require_explicit or not rule.explicit_only))
        if picked and not any(matches(s, rule) for s in ignored):
            selected.append(rule)
    return tuple(selected)


def select_rules(select: Sequence[str], extend_select: Iterable[str], ignore: Iterable[str], *,
                 require_explicit: bool) -> tuple[type[Rule], ...]:
    """The classes of ``select_rule_infos``."""
    return tuple(_rule_class(info) for info in select_rule_infos(
        select, extend_select, ignore, require_explicit=require_explicit))
