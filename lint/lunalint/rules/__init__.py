"""The rule registry and rule selection (``select``/``ignore`` by code, prefix or name).

``RULES`` indexes every rule by code, name and explicit mode without importing it, so that a run
answered from the cache (and configuration checking) never imports the rule modules; the rule
classes take these from it (``rules.base``). A rule's module is ``ll<number>_<name with underscores>``.

Selection follows Ruff (``ruff_workspace`` ``as_rule_table``): each source of settings (the
configuration file, then the command line) is one ``Selection``. Starting from the default rules,
a source that gives ``select`` replaces the whole set with its own ``select`` plus
``extend-select`` minus ``ignore``; a source without ``select`` adds its ``extend-select`` to the
set and removes its ``ignore``. Within one source, more specific selectors win (``ALL`` < ``LL`` <
``LL3`` < ``LL30`` < a code or name), and ``ignore`` wins over ``select`` at equal specificity.
Explicit-mode rules then run only with ``require-explicit``, however they were selected.
"""

from __future__ import annotations

import fnmatch
import importlib
import os
from collections.abc import Iterable, Sequence
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple, Protocol

if TYPE_CHECKING:
    from lunalint.rules.base import Rule

__all__ = ["DEFAULT_CODES", "RULES", "RuleInfo", "Selection", "all_rules", "known_selectors", "matches",
           "resolve_selection", "rule_by_selector", "rule_classes", "select_rule_infos", "select_rules", "rules_for_file"]


class RuleInfo(NamedTuple):
    code: str
    name: str
    explicit_only: bool = False
    default: bool = True  # in the default selection (``ALL`` and prefixes select it either way)

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
    RuleInfo("LL902", "unused-suppression", default=False),
)
DEFAULT_CODES: tuple[str, ...] = tuple(rule.code for rule in RULES if rule.default)


class Selection(NamedTuple):
    """The rule selection of one source of settings; ``select`` None when that source gives none."""

    select: tuple[str, ...] | None = None
    extend_select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()


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


def _specificity(selector: str) -> int:
    """``ALL`` 0, ``LL`` 1, ``LL3`` 2, ``LL30`` 3, a whole code or a rule name 4."""
    if selector == "ALL":
        return 0
    if selector.startswith("LL") and not any(_exact(selector, rule) for rule in RULES):
        return len(selector) - 1
    return 4


def resolve_selection(selections: Iterable[Selection]) -> tuple[str, ...]:
    """The codes selected by ``selections`` (lowest priority first), before explicit-mode gating."""
    selected = set(DEFAULT_CODES)
    for selection in selections:
        updates: dict[str, bool] = {}
        chosen = [*(selection.select or ()), *selection.extend_select]
        for level in range(5):
            for selector in (s for s in chosen if _specificity(s) == level):
                updates.update((rule.code, True) for rule in RULES if matches(selector, rule))
            for selector in (s for s in selection.ignore if _specificity(s) == level):
                updates.update((rule.code, False) for rule in RULES if matches(selector, rule))
        if selection.select is not None:
            selected = {code for code, enabled in updates.items() if enabled}
        else:
            selected.update(code for code, enabled in updates.items() if enabled)
            selected.difference_update(code for code, enabled in updates.items() if not enabled)
    return tuple(rule.code for rule in RULES if rule.code in selected)


def select_rule_infos(select: Sequence[str], extend_select: Iterable[str], ignore: Iterable[str], *,
                      require_explicit: bool) -> tuple[RuleInfo, ...]:
    """One source's selection (``select`` empty: the default rules) resolved as ``resolve_selection``
    does; explicit-mode rules only with ``require_explicit``, however they were selected.
    """
    codes = set(resolve_selection([Selection(tuple(select) or None, tuple(extend_select), tuple(ignore))]))
    return tuple(rule for rule in RULES if rule.code in codes and (require_explicit or not rule.explicit_only))


def select_rules(select: Sequence[str], extend_select: Iterable[str], ignore: Iterable[str], *,
                 require_explicit: bool) -> tuple[type[Rule], ...]:
    """The classes of ``select_rule_infos``."""
    return tuple(_rule_class(info) for info in select_rule_infos(
        select, extend_select, ignore, require_explicit=require_explicit))


def rules_for_file(path: str, per_file_ignores: Sequence[tuple[str, Sequence[str]]], root: Path,
                   rules: Sequence[RuleInfo]) -> tuple[str, ...]:
    """The codes of the rules that apply to ``path`` (``per-file-ignores`` removed)."""
    if not per_file_ignores:
        return tuple(rule.code for rule in rules)
    absolute = os.path.realpath(path)
    top = _realpath(str(root))
    relative = os.path.relpath(absolute, top) if absolute.startswith(top + os.sep) else absolute
    relative = relative.replace(os.sep, "/")
    name = os.path.basename(path)
    ignored: list[str] = []
    for pattern, codes in per_file_ignores:
        if fnmatch.fnmatchcase(relative, pattern) or fnmatch.fnmatchcase(name, pattern):
            ignored.extend(codes)
    return tuple(rule.code for rule in rules if not any(matches(code, rule) for code in ignored))


@lru_cache(maxsize=8)
def _realpath(path: str) -> str:
    return os.path.realpath(path)
