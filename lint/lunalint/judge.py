"""Stage 5, judge: every selected rule looks at every ClientSpec of a file.

In: ClientSpecs, rule classes and the policy. Out: ``Judged`` findings (rule, finding, spec), not
yet positioned. Rules know neither libraries nor languages: they read ClientSpecs.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    from lunalint.config import Policy
    from lunalint.rules.base import Finding, Rule
    from lunalint.spec import ClientSpec

__all__ = ["Judged", "judge"]


class Judged(NamedTuple):
    rule: type[Rule]
    finding: Finding
    spec: ClientSpec


def judge(specs: Iterable[ClientSpec], rules: Sequence[type[Rule]], policy: Policy) -> list[Judged]:
    """What each rule finds wrong with each spec, in spec order."""
    instances = [rule() for rule in rules]
    return [Judged(type(rule), finding, spec) for spec in specs for rule in instances
            for finding in rule.check(spec, policy)]
